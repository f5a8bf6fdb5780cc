import type { SessionKind, SessionStatus } from "@tidemark/shared";
import type { RecordingApi } from "./api-client.ts";
import type { ChunkJournal, RecoverableJournalSession } from "./chunk-journal.ts";

/** A session the user can pick up again, with what this device and the server hold of it. */
export interface RecoverableSession {
  sessionId: string;
  title: string;
  kind: SessionKind;
  /** Absent when the server was not asked, could not be reached, or does not list the session. */
  serverStatus?: SessionStatus;
  local?: { chunks: number; pendingChunks: number; seconds: number };
  /**
   * The session was started on this device while the server could not be reached and the
   * server has not been given it yet: the uploader creates it there before its first chunk.
   */
  deviceOnly?: true;
  server?: { chunks: number; seconds: number };
}

/**
 * Recordings this device holds that were never finished: what to offer on page load before any
 * network answer. Reads the journal's recovery index only (no session record, no audio), so it
 * stays fast with thousands of sessions and hours of chunks.
 */
export async function detectLocalRecovery(journal: ChunkJournal): Promise<RecoverableSession[]> {
  return (await journal.recoverableSessions()).map(fromJournal);
}

/**
 * The local recoveries plus the server's view: every `incomplete` session of the user (e.g.
 * recorded on a device whose storage is gone) and how much audio the server holds of each. When
 * the server cannot be reached the local answer stands on its own.
 */
export async function detectRecovery(journal: ChunkJournal, api: RecordingApi): Promise<RecoverableSession[]> {
  const journalSessions = await journal.recoverableSessions();
  const local = journalSessions.map(fromJournal);
  const createdAt = new Map(journalSessions.map((session) => [session.sessionId, session.createdAt]));

  let listed;
  try {
    listed = await api.listSessions();
  } catch {
    return local;
  }
  const serverById = new Map(listed.map((session) => [session.id, session]));
  const results: RecoverableSession[] = local.map((entry) => {
    const listedThere = serverById.get(entry.sessionId);
    if (!listedThere) return entry;
    const known: RecoverableSession = { ...entry, serverStatus: listedThere.status };
    // The uploader created it there since the journal last said it had not.
    delete known.deviceOnly;
    return known;
  });
  for (const session of listed) {
    if (session.status !== "incomplete" || createdAt.has(session.id)) continue;
    results.push({ sessionId: session.id, title: session.title, kind: session.kind, serverStatus: session.status });
    createdAt.set(session.id, Date.parse(session.createdAt));
  }

  await Promise.all(
    results.map(async (entry) => {
      if (entry.serverStatus === undefined) return;
      try {
        const detail = await api.getSession(entry.sessionId);
        entry.server = {
          chunks: detail.tracks.reduce((sum, track) => sum + track.chunkCount, 0),
          seconds: Math.max(0, ...detail.tracks.map((track) => track.durationSeconds)),
        };
      } catch {
        // The list is still worth showing without the server's numbers for this one.
      }
    }),
  );
  return results.sort((a, b) => (createdAt.get(b.sessionId) ?? 0) - (createdAt.get(a.sessionId) ?? 0));
}

function fromJournal(session: RecoverableJournalSession): RecoverableSession {
  return {
    sessionId: session.sessionId,
    title: session.title,
    kind: "recording",
    local: { chunks: session.chunks, pendingChunks: session.pendingChunks, seconds: session.seconds },
    ...(session.onServer ? {} : { deviceOnly: true as const }),
  };
}
