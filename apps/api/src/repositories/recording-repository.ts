import { and, asc, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { chunks, recoveryTokens, sessionFiles, sessions, tracks } from "../db/schema.ts";

export type TrackRow = typeof tracks.$inferSelect;
export type ChunkRow = typeof chunks.$inferSelect;
export type SessionFileRow = typeof sessionFiles.$inferSelect;
export type RecoveryTokenRow = typeof recoveryTokens.$inferSelect;

/** The last seq reached from `from` by stepping through `seqs` (ascending) without a gap. */
function lastContiguousSeq(from: number, seqs: Array<{ seq: number }>): number {
  let last = from;
  for (const { seq } of seqs) {
    if (seq !== last + 1) break;
    last = seq;
  }
  return last;
}

/** All SQL about tracks, chunks, finalized files and recovery tokens. Callers own transactions. */
export class RecordingRepository {
  private readonly findChunkStatement;
  private readonly findTrackStatement;
  private readonly insertChunkStatement;
  private readonly followingSeqsStatement;
  private readonly advanceTrackStatement;
  private readonly setCommittedThroughStatement;

  constructor(private readonly db: Db) {
    this.findChunkStatement = db
      .select()
      .from(chunks)
      .where(
        and(
          eq(chunks.sessionId, sql.placeholder("sessionId")),
          eq(chunks.track, sql.placeholder("track")),
          eq(chunks.seq, sql.placeholder("seq")),
        ),
      )
      .prepare();
    this.findTrackStatement = db
      .select()
      .from(tracks)
      .where(and(eq(tracks.sessionId, sql.placeholder("sessionId")), eq(tracks.track, sql.placeholder("track"))))
      .prepare();
    // The chunk path runs once per second per recording track: its statements are prepared once.
    this.insertChunkStatement = db
      .insert(chunks)
      .values({
        sessionId: sql.placeholder("sessionId"),
        track: sql.placeholder("track"),
        seq: sql.placeholder("seq"),
        size: sql.placeholder("size"),
        offset: sql.placeholder("offset"),
        sha256: sql.placeholder("sha256"),
        createdAt: sql.placeholder("createdAt"),
      })
      .onConflictDoNothing()
      .prepare();
    this.followingSeqsStatement = db
      .select({ seq: chunks.seq })
      .from(chunks)
      .where(
        and(
          eq(chunks.sessionId, sql.placeholder("sessionId")),
          eq(chunks.track, sql.placeholder("track")),
          gt(chunks.seq, sql.placeholder("seq")),
        ),
      )
      .orderBy(asc(chunks.seq))
      .prepare();
    this.advanceTrackStatement = db
      .update(tracks)
      .set({
        chunkCount: sql`${tracks.chunkCount} + 1`,
        bytes: sql`${tracks.bytes} + ${sql.placeholder("size")}`,
        highestSeq: sql`max(${tracks.highestSeq}, ${sql.placeholder("seq")})`,
        // The chunk that continues the contiguous run moves it on (SET sees the row's old values);
        // one that fills a gap may move it further, which `insertChunk` then works out.
        committedThrough: sql`case when ${tracks.committedThrough} + 1 = ${sql.placeholder("seq")} then ${sql.placeholder("seq")} else ${tracks.committedThrough} end`,
      })
      .where(and(eq(tracks.sessionId, sql.placeholder("sessionId")), eq(tracks.track, sql.placeholder("track"))))
      .returning()
      .prepare();
    this.setCommittedThroughStatement = db
      .update(tracks)
      .set({ committedThrough: sql`${sql.placeholder("committedThrough")}` })
      .where(and(eq(tracks.sessionId, sql.placeholder("sessionId")), eq(tracks.track, sql.placeholder("track"))))
      .returning()
      .prepare();
  }

  findTrack(sessionId: string, track: number): TrackRow | undefined {
    return this.findTrackStatement.get({ sessionId, track });
  }

  /** A track with its session's status (for startup recovery); undefined when either is gone. */
  findTrackWithSessionStatus(sessionId: string, track: number): (TrackRow & { sessionStatus: string }) | undefined {
    const found = this.db
      .select({ track: tracks, sessionStatus: sessions.status })
      .from(tracks)
      .innerJoin(sessions, eq(sessions.id, tracks.sessionId))
      .where(and(eq(tracks.sessionId, sessionId), eq(tracks.track, track)))
      .get();
    return found && { ...found.track, sessionStatus: found.sessionStatus };
  }

  listTracks(sessionId: string): TrackRow[] {
    return this.db.select().from(tracks).where(eq(tracks.sessionId, sessionId)).orderBy(asc(tracks.track)).all();
  }

  insertTrack(row: Pick<TrackRow, "sessionId" | "track" | "label" | "sampleRate" | "channels" | "createdAt">): TrackRow {
    return this.db.insert(tracks).values(row).returning().get();
  }

  updateTrackLabel(sessionId: string, track: number, label: string): TrackRow {
    const row = this.db
      .update(tracks)
      .set({ label })
      .where(and(eq(tracks.sessionId, sessionId), eq(tracks.track, track)))
      .returning()
      .get();
    if (!row) throw new Error("Track vanished during an update");
    return row;
  }

  findChunk(sessionId: string, track: number, seq: number): ChunkRow | undefined {
    return this.findChunkStatement.get({ sessionId, track, seq });
  }

  /**
   * Records a durable chunk and moves the track's counters; run inside a transaction. Answers
   * undefined, changing nothing, when the seq is already stored (a concurrent upload of it won).
   */
  insertChunk(row: ChunkRow): TrackRow | undefined {
    if (this.insertChunkStatement.run(row).changes === 0) return undefined;
    const advanced = this.advanceTrackStatement.get({ sessionId: row.sessionId, track: row.track, size: row.size, seq: row.seq });
    if (!advanced) throw new Error("Chunk for an undeclared track");
    // Usually chunks arrive in order and there is nothing after; after a gap is filled it walks on.
    if (advanced.committedThrough !== row.seq || row.seq >= advanced.highestSeq) return advanced;
    const following = this.followingSeqsStatement.all({ sessionId: row.sessionId, track: row.track, seq: row.seq });
    const committedThrough = lastContiguousSeq(row.seq, following);
    if (committedThrough === row.seq) return advanced;
    const updated = this.setCommittedThroughStatement.get({ sessionId: row.sessionId, track: row.track, committedThrough });
    if (!updated) throw new Error("Track vanished during a chunk insert");
    return updated;
  }

  /** Stored chunks of a track in seq order (digests and sizes, not bytes). */
  listChunks(sessionId: string, track: number): Array<Pick<ChunkRow, "seq" | "sha256" | "size" | "offset">> {
    return this.db
      .select({ seq: chunks.seq, sha256: chunks.sha256, size: chunks.size, offset: chunks.offset })
      .from(chunks)
      .where(and(eq(chunks.sessionId, sessionId), eq(chunks.track, track)))
      .orderBy(asc(chunks.seq))
      .all();
  }

  /** Forgets chunks whose bytes turned out damaged, so the client can send them again. */
  deleteChunks(sessionId: string, track: number, seqs: number[]): void {
    this.db
      .delete(chunks)
      .where(and(eq(chunks.sessionId, sessionId), eq(chunks.track, track), inArray(chunks.seq, seqs)))
      .run();
    const stored = this.listChunks(sessionId, track);
    const committedThrough = lastContiguousSeq(-1, stored);
    this.db
      .update(tracks)
      .set({
        chunkCount: stored.length,
        bytes: stored.reduce((sum, chunk) => sum + chunk.size, 0),
        highestSeq: stored.at(-1)?.seq ?? -1,
        committedThrough,
      })
      .where(and(eq(tracks.sessionId, sessionId), eq(tracks.track, track)))
      .run();
  }

  upsertFile(row: SessionFileRow): void {
    this.db
      .insert(sessionFiles)
      .values(row)
      .onConflictDoUpdate({
        target: [sessionFiles.sessionId, sessionFiles.track],
        set: { sizeBytes: row.sizeBytes, sha256: row.sha256, durationSeconds: row.durationSeconds, createdAt: row.createdAt },
      })
      .run();
  }

  listFiles(sessionId: string): SessionFileRow[] {
    return this.db.select().from(sessionFiles).where(eq(sessionFiles.sessionId, sessionId)).orderBy(asc(sessionFiles.track)).all();
  }

  findFile(sessionId: string, track: number): SessionFileRow | undefined {
    return this.db
      .select()
      .from(sessionFiles)
      .where(and(eq(sessionFiles.sessionId, sessionId), eq(sessionFiles.track, track)))
      .get();
  }

  insertToken(row: RecoveryTokenRow): void {
    this.db.insert(recoveryTokens).values(row).run();
  }

  findToken(tokenHash: string): RecoveryTokenRow | undefined {
    return this.db.select().from(recoveryTokens).where(eq(recoveryTokens.tokenHash, tokenHash)).get();
  }

  findExpiredTokenHashes(now: number, limit: number): string[] {
    return this.db
      .select({ tokenHash: recoveryTokens.tokenHash })
      .from(recoveryTokens)
      .where(lte(recoveryTokens.expiresAt, now))
      .limit(limit)
      .all()
      .map((row) => row.tokenHash);
  }

  deleteTokens(tokenHashes: string[]): number {
    if (tokenHashes.length === 0) return 0;
    return this.db.delete(recoveryTokens).where(inArray(recoveryTokens.tokenHash, tokenHashes)).run().changes;
  }

  listLiveTokens(sessionId: string, now: number): RecoveryTokenRow[] {
    return this.db
      .select()
      .from(recoveryTokens)
      .where(and(eq(recoveryTokens.sessionId, sessionId), gt(recoveryTokens.expiresAt, now)))
      .orderBy(asc(recoveryTokens.track), asc(recoveryTokens.expiresAt))
      .all();
  }
}
