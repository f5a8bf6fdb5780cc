import { formatDuration } from "../format-audio.ts";
import { isRecorderBusy, isRecorderOn } from "../recording/recorder-phases.ts";
import type { DeviceOnlySession } from "../store/device-only-sessions.ts";
import { useStore } from "../store/index.ts";
import { LocalCopy } from "./LocalCopy.tsx";
import { RemoveLocalCopy } from "./RemoveLocalCopy.tsx";
import { StatusBadge } from "./StatusBadge.tsx";
import { useSessionActions } from "./use-session-actions.ts";

/**
 * A recording in the session history that only this device has: started while the server could
 * not be reached, it reaches the server (same id, with its audio) once the server answers.
 */
export function DeviceOnlySessionItem({ session }: { session: DeviceOnlySession }) {
  const { sessionId, title } = session;
  const busy = useStore((s) => s.busySessionIds.includes(sessionId));
  const recorderBusy = useStore((s) => isRecorderBusy(s.recorder.phase));
  const inRecorder = useStore((s) => isRecorderOn(s.recorder.phase, s.recorder.sessionId, sessionId));
  const recordingElsewhere = useStore((s) => s.sessionsBeingRecorded.includes(sessionId));
  const refused = useStore((s) => s.refusedUploads[sessionId]);
  const { resume, complete } = useSessionActions(sessionId, "recording");
  const disabled = busy || recorderBusy;

  return (
    <li className="session" data-testid="session-item" data-session-id={sessionId} data-status="device-only">
      <div className="session-heading">
        <h3 className="session-title" data-testid="session-title">
          {title === "" ? "Untitled session" : title}
        </h3>
        <StatusBadge status="device-only" />
      </div>
      <dl className="session-meta">
        <div>
          <dt>Kind</dt>
          <dd data-testid="session-kind">Recording</dd>
        </div>
        <div>
          <dt>On this device</dt>
          <dd data-testid="session-local-seconds">{formatDuration(session.seconds)}</dd>
        </div>
        <div>
          <dt>On the server</dt>
          <dd data-testid="session-server-state">
            {refused === undefined
              ? "not yet: it is sent, with its audio, as soon as the server can be reached"
              : `refused (${refused}); its audio stays on this device, and a copy can be saved from here`}
          </dd>
        </div>
      </dl>
      {!inRecorder && (
        <div className="session-actions">
          {recordingElsewhere ? (
            <span className="recovery-elsewhere">Being recorded in another tab</span>
          ) : (
            <>
              <button type="button" className="button button-primary" disabled={disabled} onClick={resume} data-testid="resume-session">
                Resume
              </button>
              <button type="button" className="button" disabled={disabled} onClick={complete} data-testid="finish-session">
                Mark complete
              </button>
            </>
          )}
          <LocalCopy sessionId={sessionId} title={title} />
          {/* Never while a tab records it: that would delete a take under way. */}
          {refused !== undefined && !recordingElsewhere && <RemoveLocalCopy sessionId={sessionId} seconds={session.seconds} />}
        </div>
      )}
    </li>
  );
}
