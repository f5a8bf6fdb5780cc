import type { RecoverableSession } from "@tidemark/client";
import type { Session } from "@tidemark/shared";
import type { RecorderSnapshot } from "../recording/recorder-snapshot.ts";

/**
 * A session this device holds that the server does not have yet: it was started while the
 * server could not be reached. The uploader creates it there, under the same id, before sending
 * its audio; until then only this device can show it.
 */
export interface DeviceOnlySession {
  sessionId: string;
  title: string;
  /** Audio saved on this device, in seconds. */
  seconds: number;
}

/**
 * The device-only sessions for the session history, the one in the recorder first: sessions the
 * journal (read by recovery detection) or the recorder says the server lacks, and that the
 * server's list does not show either (once it does, the uploader has created them there).
 */
export function deviceOnlySessions(
  recoverable: readonly RecoverableSession[],
  sessions: readonly Session[],
  recorder: Pick<RecorderSnapshot, "phase" | "sessionId" | "title" | "localSeconds" | "deviceOnly">,
): DeviceOnlySession[] {
  const listed = new Set(sessions.map((session) => session.id));
  const found: DeviceOnlySession[] = [];
  const { sessionId: recording } = recorder;
  // The recorder holds the session from starting to finished; while locked another tab has it.
  const inRecorder = recording !== null && recorder.phase !== "idle" && recorder.phase !== "locked" && recorder.phase !== "finished";
  if (inRecorder && recorder.deviceOnly && !listed.has(recording)) {
    found.push({ sessionId: recording, title: recorder.title, seconds: recorder.localSeconds });
  }
  for (const session of recoverable) {
    if (!session.deviceOnly || listed.has(session.sessionId)) continue;
    // The recorder knows better than detection did at page load whether the server has it now.
    if (inRecorder && session.sessionId === recording) continue;
    found.push({ sessionId: session.sessionId, title: session.title, seconds: session.local?.seconds ?? 0 });
  }
  return found;
}
