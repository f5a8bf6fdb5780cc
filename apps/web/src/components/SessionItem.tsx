import type { Session, SessionKind } from "@tidemark/shared";
import { useState } from "react";
import { isRecorderBusy, isRecorderOn } from "../recording/recorder-phases.ts";
import { useStore } from "../store/index.ts";
import { SessionDetails } from "./SessionDetails.tsx";
import { StatusBadge } from "./StatusBadge.tsx";
import { Timestamp } from "./Timestamp.tsx";
import { useSessionActions } from "./use-session-actions.ts";

const KIND_LABELS: Record<SessionKind, string> = {
  recording: "Recording",
  synthesis: "Synthesis",
};

export function SessionItem({ session }: { session: Session }) {
  const [expanded, setExpanded] = useState(false);
  const busy = useStore((s) => s.busySessionIds.includes(session.id));
  const recorderBusy = useStore((s) => isRecorderBusy(s.recorder.phase));
  const inRecorder = useStore((s) => isRecorderOn(s.recorder.phase, s.recorder.sessionId, session.id));
  const { isRecording, resume, complete } = useSessionActions(session.id, session.kind);
  // A recording session is resumed and finished through the recorder, which owns its audio.
  const actionsDisabled = busy || (isRecording && recorderBusy);
  const detailsId = `session-details-${session.id}`;

  return (
    <li className="session" data-testid="session-item" data-session-id={session.id} data-status={session.status}>
      <div className="session-heading">
        <h3 className="session-title" data-testid="session-title">
          {session.title === "" ? "Untitled session" : session.title}
        </h3>
        <StatusBadge status={session.status} />
      </div>
      <dl className="session-meta">
        <div>
          <dt>Kind</dt>
          <dd data-testid="session-kind">{KIND_LABELS[session.kind]}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Timestamp value={session.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Last heartbeat</dt>
          <dd data-testid="session-last-heartbeat">
            {session.lastHeartbeat === null ? "None yet" : <Timestamp value={session.lastHeartbeat} />}
          </dd>
        </div>
        {session.completedAt !== null && (
          <div>
            <dt>Completed</dt>
            <dd>
              <Timestamp value={session.completedAt} />
            </dd>
          </div>
        )}
      </dl>
      <div className="session-actions">
        <button
          type="button"
          className="button button-quiet"
          aria-expanded={expanded}
          aria-controls={detailsId}
          onClick={() => setExpanded((open) => !open)}
          data-testid="session-details-toggle"
        >
          {expanded ? "Hide details" : "Details"}
        </button>
        {session.status !== "completed" && !inRecorder && (
          <>
            {session.status === "incomplete" && (
              <button
                type="button"
                className="button button-primary"
                disabled={actionsDisabled}
                onClick={resume}
                data-testid="resume-session"
              >
                Resume
              </button>
            )}
            <button
              type="button"
              className="button"
              disabled={actionsDisabled}
              onClick={complete}
              data-testid="finish-session"
            >
              Mark complete
            </button>
          </>
        )}
      </div>
      {expanded && <SessionDetails session={session} id={detailsId} />}
    </li>
  );
}
