import { eq, getTableColumns, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { sessionCheckpoints, sessions, userPreferences } from "../db/schema.ts";

/** A stored, encrypted document: its version, the sealed value and when it was written. */
export type SealedDocumentRow = Omit<typeof userPreferences.$inferSelect, "userId">;

const { userId: _owner, ...preferenceColumns } = getTableColumns(userPreferences);
const { sessionId: _session, ...checkpointColumns } = getTableColumns(sessionCheckpoints);

/** All SQL about the server copies of preferences and session checkpoints. Callers own transactions. */
export class BackupRepository {
  constructor(private readonly db: Db) {}

  /** Whether any encrypted value is stored at all. */
  holdsDocuments(): boolean {
    const stored = (table: typeof userPreferences | typeof sessionCheckpoints) =>
      this.db.select({ version: table.version }).from(table).limit(1).get() !== undefined;
    return stored(userPreferences) || stored(sessionCheckpoints);
  }

  findPreferences(userId: string): SealedDocumentRow | undefined {
    return this.db.select(preferenceColumns).from(userPreferences).where(eq(userPreferences.userId, userId)).get();
  }

  savePreferences(userId: string, row: SealedDocumentRow): void {
    this.db
      .insert(userPreferences)
      .values({ userId, ...row })
      .onConflictDoUpdate({ target: userPreferences.userId, set: row })
      .run();
  }

  findCheckpoint(sessionId: string): SealedDocumentRow | undefined {
    return this.db.select(checkpointColumns).from(sessionCheckpoints).where(eq(sessionCheckpoints.sessionId, sessionId)).get();
  }

  /**
   * Stores the checkpoint and moves its session's `updatedAt` to the write (never backwards).
   * Retention deletes sessions by their last update or heartbeat, and a synthesis draft has no
   * heartbeats: without this, a draft edited every day would lose its backup a day after its
   * session was created. Both statements run in the caller's transaction.
   */
  saveCheckpoint(sessionId: string, row: SealedDocumentRow): void {
    this.db
      .insert(sessionCheckpoints)
      .values({ sessionId, ...row })
      .onConflictDoUpdate({ target: sessionCheckpoints.sessionId, set: row })
      .run();
    this.db
      .update(sessions)
      .set({ updatedAt: sql`max(${sessions.updatedAt}, ${row.updatedAt})` })
      .where(eq(sessions.id, sessionId))
      .run();
  }
}
