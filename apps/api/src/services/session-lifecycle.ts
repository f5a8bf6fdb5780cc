import type { CreateSessionBody, KeepaliveResponse, Session, SessionStatus } from "@tidemark/shared";
import { badRequest, conflict, notFound } from "../lib/http-errors.ts";
import type { Clock } from "../lib/clock.ts";
import { defaultSessionTitle, uuidv7 } from "@tidemark/shared";
import { toSession, type SessionRepository, type SessionRow } from "../repositories/session-repository.ts";
import type { EventLog, EventRecorder } from "./event-log.ts";
import type { HeartbeatBuffer } from "./heartbeat-buffer.ts";

/** Sessions whose owner and status are kept in memory for the keepalive path (~100 bytes each). */
const OWNERSHIP_CACHE_LIMIT = 250_000;

interface Ownership {
  userId: string;
  status: SessionStatus;
}

/**
 * The session state machine: active → (no keepalive for the timeout) → incomplete → (resume) →
 * active → (finish) → completed. Every state change is one transaction that also records an event.
 *
 * The keepalive path touches no database: the owner and status of a session come from a cache
 * that this class keeps current (it makes every status change), and the heartbeat goes into a
 * buffer written in batches.
 */
export class SessionLifecycle {
  private readonly ownership = new Map<string, Ownership>();

  constructor(
    private readonly repository: SessionRepository,
    private readonly eventLog: EventLog,
    private readonly heartbeats: HeartbeatBuffer,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Creates an active session; `created` is false when `body.id` names a session the caller
   * already has, which is answered unchanged (a repeated create, or a device that recorded it
   * before reaching the server and retries). Another user's id is refused.
   */
  create(userId: string, body: CreateSessionBody): { session: Session; created: boolean } {
    const now = this.clock.now().getTime();
    const row: SessionRow = {
      id: body.id ?? uuidv7(now),
      userId,
      kind: body.kind,
      title: body.title || defaultSessionTitle(body.kind),
      status: "active",
      createdAt: now,
      updatedAt: now,
      lastHeartbeat: now,
      completedAt: null,
    };
    return this.eventLog.transaction((record) => {
      if (body.id) {
        const existing = this.repository.findById(body.id);
        if (existing?.userId === userId) return { session: this.view(existing), created: false };
        if (existing) throw conflict("A session with this id already exists");
      }
      const session = this.remember(this.repository.insert(row));
      record(userId, { type: "session.created", session });
      return { session, created: true };
    });
  }

  list(userId: string): Session[] {
    return this.repository.listForUser(userId).map((row) => this.view(row));
  }

  get(userId: string, id: string): Session {
    return this.view(this.requireOwned(userId, id));
  }

  keepalive(userId: string, id: string): KeepaliveResponse {
    const owner = this.ownerOf(id);
    if (!owner || owner.userId !== userId) throw notFound("Session not found");
    if (owner.status !== "active") {
      throw badRequest(`Session is ${owner.status}; only an active session accepts keepalives`);
    }
    const now = this.clock.now().getTime();
    this.heartbeats.record(id, now);
    return { status: owner.status, lastHeartbeat: new Date(now).toISOString() };
  }

  resume(userId: string, id: string): Session {
    return this.eventLog.transaction((record) => {
      const row = this.requireOwned(userId, id);
      if (row.status === "completed") throw conflict("Session is completed and cannot be resumed");
      // Resuming an active session is a harmless retry: answer with it unchanged.
      if (row.status === "active") return this.view(row);
      const now = this.clock.now().getTime();
      const session = this.remember(this.repository.update(id, { status: "active", updatedAt: now, lastHeartbeat: now }));
      record(userId, { type: "session.status_changed", from: row.status, session });
      return session;
    });
  }

  /**
   * active/incomplete → completed, inside the caller's transaction (finishing a recording also
   * records its files in the same transaction). Refuses a session that is already completed.
   */
  completeWithin(record: EventRecorder, row: SessionRow): Session {
    if (row.status === "completed") throw conflict("Session is already completed");
    const now = this.clock.now().getTime();
    const lastHeartbeat = Math.max(row.lastHeartbeat ?? 0, this.heartbeats.latest(row.id) ?? 0) || null;
    const session = this.remember(
      this.repository.update(row.id, { status: "completed", updatedAt: now, completedAt: now, lastHeartbeat }),
    );
    record(row.userId, { type: "session.status_changed", from: row.status, session });
    return session;
  }

  /** Marks every active session without a keepalive for the timeout as incomplete. */
  markTimedOutSessions(): number {
    const now = this.clock.now().getTime();
    const cutoff = now - this.timeoutMs;
    return this.eventLog.transaction((record) => {
      const overdue = this.repository
        .findOverdue(cutoff)
        .filter((row) => (this.heartbeats.latest(row.id) ?? 0) < cutoff);
      for (const row of overdue) {
        const session = this.remember(this.repository.update(row.id, { status: "incomplete", updatedAt: now }));
        record(row.userId, { type: "session.status_changed", from: "active", session });
      }
      return overdue.length;
    });
  }

  /** Drops deleted sessions from memory (the retention job deletes rows). */
  forget(ids: string[]): void {
    for (const id of ids) {
      this.ownership.delete(id);
      this.heartbeats.forget(id);
    }
  }

  /**
   * The status of the caller's session from the cache the keepalive path uses (every status
   * change goes through this class); another user's session is answered like a missing one.
   */
  requireOwnedStatus(userId: string, id: string): SessionStatus {
    const owner = this.ownerOf(id);
    if (!owner || owner.userId !== userId) throw notFound("Session not found");
    return owner.status;
  }

  /** The caller's session; another user's session is answered exactly like a missing one. */
  requireOwned(userId: string, id: string): SessionRow {
    const row = this.repository.findOwned(userId, id);
    if (!row) throw notFound("Session not found");
    return row;
  }

  /** The session as clients see it: with any heartbeat still waiting in the buffer. */
  private view(row: SessionRow): Session {
    const pending = row.status === "active" ? this.heartbeats.latest(row.id) : undefined;
    const lastHeartbeat = pending !== undefined && pending > (row.lastHeartbeat ?? 0) ? pending : row.lastHeartbeat;
    return toSession({ ...row, lastHeartbeat });
  }

  /** Caches a row's owner and status after a write, and returns it as clients see it. */
  private remember(row: SessionRow): Session {
    if (row.status !== "active") this.heartbeats.forget(row.id);
    this.cacheOwnership(row.id, { userId: row.userId, status: row.status });
    return this.view(row);
  }

  private ownerOf(id: string): Ownership | undefined {
    const cached = this.ownership.get(id);
    if (cached) return cached;
    const row = this.repository.findById(id);
    if (!row) return undefined;
    const owner = { userId: row.userId, status: row.status };
    this.cacheOwnership(id, owner);
    return owner;
  }

  private cacheOwnership(id: string, owner: Ownership): void {
    this.ownership.delete(id); // re-insert so the map's order is least recently written first
    this.ownership.set(id, owner);
    if (this.ownership.size > OWNERSHIP_CACHE_LIMIT) {
      const oldest = this.ownership.keys().next().value;
      if (oldest !== undefined) this.ownership.delete(oldest);
    }
  }
}
