import { useMemo } from "react";
import { useShallow } from "zustand/shallow";
import { deviceOnlySessions } from "../store/device-only-sessions.ts";
import { useStore } from "../store/index.ts";
import { DeviceOnlySessionItem } from "./DeviceOnlySessionItem.tsx";
import { SessionItem } from "./SessionItem.tsx";

/**
 * Every session of this device's user, live from the event stream, newest first, after the
 * recordings only this device has (started while the server could not be reached). Until the
 * server answers, the recent sessions saved on this device stand in.
 */
export function SessionHistory() {
  const sessions = useStore((s) => s.sessions);
  const loaded = useStore((s) => s.loaded);
  const loading = useStore((s) => s.loading);
  const recoverable = useStore((s) => s.recoverable);
  // Only what says whether the recorder holds a device-only take, so the list does not redraw on every chunk otherwise.
  const recorder = useStore(
    useShallow(({ recorder: { phase, sessionId, title, deviceOnly, localSeconds } }) => ({
      phase,
      sessionId,
      title,
      deviceOnly,
      localSeconds: deviceOnly ? localSeconds : 0,
    })),
  );
  const deviceOnly = useMemo(() => deviceOnlySessions(recoverable, sessions, recorder), [recoverable, sessions, recorder]);
  const listed = sessions.length + deviceOnly.length;

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
      {!loaded && sessions.length === 0 && (
        <p className="sessions-placeholder" data-testid="session-list-loading">
          {loading ? "Loading sessions…" : "Sessions appear here once the server answers."}
        </p>
      )}
      {loaded && listed === 0 && (
        <p className="sessions-placeholder" data-testid="session-list-empty">
          No sessions yet. Record one above.
        </p>
      )}
      {listed > 0 && (
        <ul className="session-list" data-testid="session-list">
          {deviceOnly.map((session) => (
            <DeviceOnlySessionItem key={session.sessionId} session={session} />
          ))}
          {sessions.map((session) => (
            <SessionItem key={session.id} session={session} />
          ))}
        </ul>
      )}
    </section>
  );
}
