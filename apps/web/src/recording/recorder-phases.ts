import type { RecorderPhase } from "./recorder-snapshot.ts";

/** Phases in which the recorder holds a session (inputs, title and other sessions must wait). */
const BUSY_PHASES: ReadonlySet<RecorderPhase> = new Set([
  "starting",
  "recording",
  "stopping",
  "finishing",
  "confirm-gaps",
  "finish-failed",
]);

export function isRecorderBusy(phase: RecorderPhase): boolean {
  return BUSY_PHASES.has(phase);
}

/** The recorder is working on (or just stopped) this session, so other views need not offer it. */
export function isRecorderOn(phase: RecorderPhase, recorderSessionId: string | null, sessionId: string): boolean {
  return recorderSessionId === sessionId && phase !== "idle" && phase !== "locked";
}
