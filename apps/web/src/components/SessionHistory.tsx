import { useStore } from "../store/index.ts";
import { SessionItem } from "./SessionItem.tsx";

/** Every session of this device's user, live from the event stream, newest first. */
export function SessionHistory() {
  const sessions = useStore((s) => s.sessions);
  const loaded = useStore((s) => s.loaded);
  const loading = useStore((s) => s.loading);

  return (
    <section className="sessions" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading" className="section-title">
        Session history
      </h2>
      {!loaded ? (
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
