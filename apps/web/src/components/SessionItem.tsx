import type { Session, SessionKind } from "@tidemark/shared";
import { useStore } from "../store/index.ts";
import { StatusBadge } from "./StatusBadge.tsx";
import { Timestamp } from "./Timestamp.tsx";

const KIND_LABELS: Record<SessionKind, string> = {
  recording: "Recording",
  synthesis: "Synthesis",
};

export function SessionItem({ session }: { session: Session }) {
  const busy = useStore((s) => s.busySessionIds.includes(session.id));
  const resume = useStore((s) => s.resume);
  const finish = useStore((s) => s.finish);

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
      {session.status !== "completed" && (
        <div className="session-actions">
          {session.status === "incomplete" && (
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={() => void resume(session.id)}
              data-testid="resume-session"
            >
              Resume
            </button>
          )}
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => void finish(session.id)}
            data-testid="finish-session"
          >
            Mark complete
          </button>
        </div>
      )}
    </li>
  );
}
