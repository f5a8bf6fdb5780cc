import type { RecoverableSession } from "@tidemark/client";
import { formatDuration } from "../format-audio.ts";
import { isRecorderBusy, isRecorderOn } from "../recording/recorder-phases.ts";
import { useStore } from "../store/index.ts";
import { LocalCopy } from "./LocalCopy.tsx";
import { useSessionActions } from "./use-session-actions.ts";

/**
 * Shown on page load when a session was interrupted (crash, closed tab, lost network): what
 * survived on this device and on the server, and one click to resume or finish it. The
 * device's part appears at once; the server's fills in when it answers.
 */
export function RecoveryBanner() {
  const recoverable = useStore((s) => s.recoverable);
  const phase = useStore((s) => s.recorder.phase);
  const recorderSessionId = useStore((s) => s.recorder.sessionId);
  const sessions = useStore((s) => s.sessions);
  // Finished elsewhere (another tab, the history) or being handled by the recorder: nothing to recover.
  const completed = new Set(sessions.filter((session) => session.status === "completed").map((session) => session.id));
  const visible = recoverable.filter(
    (session) => !completed.has(session.sessionId) && !isRecorderOn(phase, recorderSessionId, session.sessionId),
  );
  if (visible.length === 0) return null;

  return (
    <section className="recovery-banner" role="region" aria-labelledby="recovery-heading" data-testid="recovery-banner">
      <h2 id="recovery-heading" className="section-title">
        Recovery available
      </h2>
      <p className="recovery-intro">
        Sessions not finished yet. Nothing saved is lost: resume where you left off, or mark a session complete to get
        its files.
      </p>
      <ul className="recovery-list">
        {visible.map((session) => (
          <RecoveryItem key={session.sessionId} session={session} />
        ))}
      </ul>
    </section>
  );
}

function RecoveryItem({ session }: { session: RecoverableSession }) {
  const check = useStore((s) => s.recoveryCheck);
  const serverError = useStore((s) => s.recoveryError);
  const recorderBusy = useStore((s) => isRecorderBusy(s.recorder.phase));
  const sessionBusy = useStore((s) => s.busySessionIds.includes(session.sessionId));
  const recordingElsewhere = useStore((s) => s.sessionsBeingRecorded.includes(session.sessionId));
  const { isRecording, resume, complete } = useSessionActions(session.sessionId, session.kind);
  // The session list comes from the server; once loaded, a session missing from it is unknown there.
  const unknownToServer = useStore((s) => s.loaded && !s.sessions.some((listed) => listed.id === session.sessionId));
  // Nothing to resume or finish on a server that does not know the session.
  const disabled = sessionBusy || (isRecording && recorderBusy) || unknownToServer;

  return (
    <li className="recovery-item" data-testid="recovery-item" data-session-id={session.sessionId}>
      <div className="recovery-item-heading">
        <span className="recovery-title">{session.title === "" ? "Untitled session" : session.title}</span>
        {recordingElsewhere ? (
          <span className="recovery-elsewhere" data-testid="recovery-recording-elsewhere">
            Being recorded in another tab
          </span>
        ) : (
          session.serverStatus && <span className="muted">server: {session.serverStatus}</span>
        )}
      </div>
      <dl className="recovery-amounts">
        <div>
          <dt>On this device</dt>
          <dd data-testid="recovery-local">
            {session.local ? (
              <>
                {formatDuration(session.local.seconds)}
                {session.local.pendingChunks > 0 && <span className="muted"> (not all on the server yet)</span>}
              </>
            ) : (
              "nothing"
            )}
          </dd>
        </div>
        <div>
          <dt>On the server</dt>
          <dd data-testid="recovery-server">
            {session.server
              ? formatDuration(session.server.seconds)
              : unknownToServer
                ? "unknown session"
                : check === "complete"
                  ? "nothing yet"
                : serverError !== null
                  ? "unknown (server unreachable)"
                  : "waiting for the server…"}
          </dd>
        </div>
      </dl>
      <div className="recovery-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={disabled}
          onClick={resume}
          data-testid="recovery-resume"
        >
          Resume
        </button>
        <button
          type="button"
          className="button"
          disabled={disabled}
          onClick={complete}
          data-testid="recovery-mark-complete"
        >
          Mark complete
        </button>
        {session.local && <LocalCopy sessionId={session.sessionId} title={session.title} />}
      </div>
      {unknownToServer && (
        <p className="recovery-warning" data-testid="recovery-unknown-to-server">
          The server no longer has this session (it expired, or this browser lost its sign-in). The audio on this
          device is safe: save it from here.
        </p>
      )}
    </li>
  );
}
