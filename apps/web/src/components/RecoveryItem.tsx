import type { RecoverableSession } from "@tidemark/client";
import type { CheckpointDocument } from "@tidemark/shared";
import { useEffect, useState } from "react";
import { formatDuration } from "../format-audio.ts";
import { pagePersistence } from "../persistence/page-persistence.ts";
import { isRecorderBusy } from "../recording/recorder-phases.ts";
import { useStore } from "../store/index.ts";
import { LocalCopy } from "./LocalCopy.tsx";
import { useSessionActions } from "./use-session-actions.ts";

/**
 * One interrupted session: what this device and the server hold of it, Resume, Mark complete,
 * a copy from this device, Dismiss. `detailed` (the recovery dialog) adds chunk counts and,
 * for a synthesis session, what its saved draft holds.
 */
export function RecoveryItem({ session, detailed = false }: { session: RecoverableSession; detailed?: boolean }) {
  const check = useStore((s) => s.recoveryCheck);
  const serverError = useStore((s) => s.recoveryError);
  const recorderBusy = useStore((s) => isRecorderBusy(s.recorder.phase));
  const sessionBusy = useStore((s) => s.busySessionIds.includes(session.sessionId));
  const recordingElsewhere = useStore((s) => s.sessionsBeingRecorded.includes(session.sessionId));
  const dismiss = useStore((s) => s.dismissRecovery);
  const refused = useStore((s) => s.refusedUploads[session.sessionId]);
  const { isRecording, resume, complete } = useSessionActions(session.sessionId, session.kind);
  // The session list comes from the server; once loaded, a session missing from it is unknown
  // there, unless it was started on this device without the server (the uploader creates it there).
  const listed = useStore((s) => s.sessions.some((entry) => entry.id === session.sessionId));
  const loaded = useStore((s) => s.loaded);
  const deviceOnly = session.deviceOnly === true && !listed;
  const unknownToServer = loaded && !listed && !deviceOnly;
  // A recording whose audio this device holds is sent to the server again by Resume or Mark
  // complete; anything else is gone from a server that does not know it.
  const sendsAgain = unknownToServer && session.kind === "recording" && session.local !== undefined;
  const disabled = sessionBusy || (isRecording && recorderBusy) || (unknownToServer && !sendsAgain);

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
      {session.kind === "synthesis" ? (
        <DraftAmounts sessionId={session.sessionId} />
      ) : (
        <dl className="recovery-amounts">
          <div>
            <dt>On this device</dt>
            <dd data-testid="recovery-local">
              {session.local ? (
                <>
                  {formatDuration(session.local.seconds)}
                  {detailed && ` in ${session.local.chunks} chunks`}
                  {session.local.pendingChunks > 0 && (
                    <span className="muted">
                      {" "}
                      ({detailed ? `${session.local.pendingChunks} chunks` : "not all"} not on the server yet)
                    </span>
                  )}
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
                ? `${formatDuration(session.server.seconds)}${detailed ? ` in ${session.server.chunks} chunks` : ""}`
                : deviceOnly
                  ? refused === undefined
                    ? "not yet (started while the server could not be reached)"
                    : `refused (${refused}); the audio stays on this device`
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
      )}
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
        <button
          type="button"
          className="button button-quiet"
          onClick={() => dismiss(session.sessionId)}
          aria-label={`Dismiss ${session.title === "" ? "untitled session" : session.title}`}
          data-testid="recovery-dismiss"
        >
          Dismiss
        </button>
      </div>
      {unknownToServer && (
        <p className="recovery-warning" data-testid="recovery-unknown-to-server">
          {sendsAgain
            ? "The server no longer has this session (it expired, or the server lost it). The audio on this device is safe: Resume or Mark complete sends it to the server again, or save it from here."
            : "The server no longer has this session (it expired, or this browser lost its sign-in). The audio on this device is safe: save it from here."}
        </p>
      )}
    </li>
  );
}

/** A synthesis session keeps its work as a checkpoint on the server; the device holds the open draft only. */
function DraftAmounts({ sessionId }: { sessionId: string }) {
  const [checkpoint, setCheckpoint] = useState<CheckpointDocument | "failed" | null>(null);
  useEffect(() => {
    let current = true;
    pagePersistence.fetchCheckpoint(sessionId).then(
      (document) => current && setCheckpoint(document),
      () => current && setCheckpoint("failed"),
    );
    return () => {
      current = false;
    };
  }, [sessionId]);

  return (
    <dl className="recovery-amounts">
      <div>
        <dt>On this device</dt>
        <dd data-testid="recovery-local">nothing (another draft is open)</dd>
      </div>
      <div>
        <dt>On the server</dt>
        <dd data-testid="recovery-server">
          {checkpoint === null
            ? "waiting for the server…"
            : checkpoint === "failed"
              ? "unknown (server unreachable)"
              : checkpoint.state === null
                ? "no saved draft"
                : `a draft of ${checkpoint.state.chapters.length} chapters, saved ${new Date(checkpoint.state.savedAt).toLocaleString()}`}
        </dd>
      </div>
    </dl>
  );
}
