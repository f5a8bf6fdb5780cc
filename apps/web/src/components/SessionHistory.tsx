import { useStore } from "../store/index.ts";
import { SessionItem } from "./SessionItem.tsx";

/**
 * Every session of this device's user, live from the event stream, newest first. Until the
 * server answers, the recent sessions saved on this device stand in.
 */
export function SessionHistory() {
  const sessions = useStore((s) => s.sessions);
  const loaded = useStore((s) => s.loaded);
  const loading = useStore((s) => s.loading);

  return (
    <section className="sessions" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading" className="section-title">
        Session history
      </h2>
      {!loaded && sessions.length > 0 && (
        <p className="sessions-placeholder" data-testid="session-list-saved">
          {loading ? "Checking with the server…" : "As last seen on this device; the server has not answered yet."}
        </p>
      )}
      {!loaded && sessions.length === 0 ? (
        <p className="sessions-placeholder" data-testid="session-list-loading">
          {loading ? "Loading sessions…" : "Sessions appear here once the server answers."}
        </p>
      ) : sessions.length === 0 ? (
        <p className="sessions-placeholder" data-testid="session-list-empty">
          No sessions yet. Record one above.
        </p>
      ) : (
        <ul className="session-list" data-testid="session-list">
          {sessions.map((session) => (
            <SessionItem key={session.id} session={session} />
          ))}
        </ul>
      )}
    </section>
  );
}
