import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Session, SessionStatus } from "@tidemark/shared";
import type { Db } from "../db/client.ts";
import { sessions } from "../db/schema.ts";

export type SessionRow = typeof sessions.$inferSelect;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    status: row.status,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
    lastHeartbeat: iso(row.lastHeartbeat),
    completedAt: iso(row.completedAt),
  };
}

/** All SQL about sessions. Callers own transactions; every method is synchronous. */
export class SessionRepository {
  private readonly findOwnedStatement;
  private readonly findByIdStatement;
  private readonly touchHeartbeatStatement;

  constructor(private readonly db: Db) {
    this.findOwnedStatement = db
      .select()
      .from(sessions)
      .where(and(eq(sessions.id, sql.placeholder("id")), eq(sessions.userId, sql.placeholder("userId"))))
      .prepare();
    this.findByIdStatement = db.select().from(sessions).where(eq(sessions.id, sql.placeholder("id"))).prepare();
    this.touchHeartbeatStatement = db
      .update(sessions)
      .set({ lastHeartbeat: sql`max(coalesce(${sessions.lastHeartbeat}, 0), ${sql.placeholder("at")})` })
      .where(and(eq(sessions.id, sql.placeholder("id")), eq(sessions.status, "active")))
      .prepare();
  }

  insert(row: SessionRow): SessionRow {
    return this.db.insert(sessions).values(row).returning().get();
  }

  /** The session if it exists and belongs to `userId`; another user's session is simply not found. */
  findOwned(userId: string, id: string): SessionRow | undefined {
    return this.findOwnedStatement.get({ id, userId });
  }

  findById(id: string): SessionRow | undefined {
    return this.findByIdStatement.get({ id });
  }

  listForUser(userId: string): SessionRow[] {
    return this.db
      .select()
      .from(sessions)
      .where(eq(sessions.userId, userId))
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
      .all();
  }

  update(id: string, changes: Partial<Omit<SessionRow, "id" | "userId">>): SessionRow {
    const row = this.db.update(sessions).set(changes).where(eq(sessions.id, id)).returning().get();
    if (!row) throw new Error(`Session ${id} vanished during an update`);
    return row;
  }

  /** Records a heartbeat for an active session; never moves the heartbeat backwards. */
  touchHeartbeat(id: string, at: number): void {
    this.touchHeartbeatStatement.run({ id, at });
  }

  /** Active sessions whose last sign of life is older than `cutoff`. */
  findOverdue(cutoff: number): SessionRow[] {
    return this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.status, "active"), lt(sessions.lastHeartbeat, cutoff)))
      .all();
  }

  /** Sessions with no activity (update or heartbeat) since `cutoff`, oldest first. */
  findUntouchedSince(cutoff: number, limit: number): SessionRow[] {
    return this.db
      .select()
      .from(sessions)
      .where(sql`max(${sessions.updatedAt}, coalesce(${sessions.lastHeartbeat}, 0)) < ${cutoff}`)
      .orderBy(sessions.updatedAt)
      .limit(limit)
      .all();
  }

  deleteByIds(ids: string[]): number {
    if (ids.length === 0) return 0;
    return this.db.delete(sessions).where(inArray(sessions.id, ids)).run().changes;
  }

  countByStatus(): Record<SessionStatus, number> {
    const counts: Record<SessionStatus, number> = { active: 0, incomplete: 0, completed: 0 };
    const rows = this.db
      .select({ status: sessions.status, count: sql<number>`count(*)` })
      .from(sessions)
      .groupBy(sessions.status)
      .all();
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }
}
