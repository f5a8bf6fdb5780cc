import type { Session, TidemarkEvent } from "@tidemark/shared";

/** Newest first by creation time; ids (UUIDv7, time-ordered) break ties so the order is stable. */
export function sortNewestFirst(sessions: Session[]): Session[] {
  return [...sessions].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

/**
 * Puts a server copy of a session into the list unless the list already holds a newer copy.
 * The same change reaches the list several ways (an action's answer, a live event, a replay
 * after a reload), in no guaranteed order; comparing `updatedAt` keeps a late, stale copy from
 * undoing a newer one.
 */
export function upsertSession(sessions: Session[], incoming: Session): Session[] {
  const index = sessions.findIndex((session) => session.id === incoming.id);
  if (index === -1) return sortNewestFirst([...sessions, incoming]);
  const existing = sessions[index]!;
  if (Date.parse(incoming.updatedAt) < Date.parse(existing.updatedAt)) return sessions;
  const next = [...sessions];
  next[index] = incoming;
  return sortNewestFirst(next);
}

export function applyEventToSessions(sessions: Session[], event: TidemarkEvent): Session[] {
  switch (event.type) {
    case "session.created":
    case "session.status_changed":
      return upsertSession(sessions, event.session);
    case "session.deleted":
      if (!sessions.some((session) => session.id === event.sessionId)) return sessions;
      return sessions.filter((session) => session.id !== event.sessionId);
    case "preferences.updated":
    case "checkpoint.updated":
      // Not about the session list; the persisted-state sync handles these.
      return sessions;
  }
}
