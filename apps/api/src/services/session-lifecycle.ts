import type { CreateSessionBody, KeepaliveResponse, Session } from "@tidemark/shared";
import { badRequest, conflict, notFound } from "../lib/http-errors.ts";
import type { Clock } from "../lib/clock.ts";
import { uuidv7 } from "../lib/ids.ts";
import { toSession, type SessionRepository, type SessionRow } from "../repositories/session-repository.ts";
import type { EventLog, EventRecorder } from "./event-log.ts";

/**
 * The session state machine: active → (no keepalive for the timeout) → incomplete → (resume) →
 * active → (finish) → completed. Every state change is one transaction that also records an event.
 *
 * Keepalives are the hot path (one every 7 s per working client), so they are answered from a
 * read and buffered in memory; the buffer is written in one transaction per flush and always
 * before anything reads or changes sessions. A crash loses at most one flush interval of
 * heartbeats, which can only make a session look idle slightly earlier — never lose user data.
 */
export class SessionLifecycle {
  private readonly pendingHeartbeats = new Map<string, number>();

  constructor(
    private readonly repository: SessionRepository,
    private readonly eventLog: EventLog,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  create(userId: string, body: CreateSessionBody): Session {
    const now = this.clock.now().getTime();
    const defaultTitle = body.kind === "recording" ? "Untitled recording" : "Untitled audiobook";
    const row: SessionRow = {
      id: uuidv7(now),
      userId,
      kind: body.kind,
      title: body.title || defaultTitle,
      status: "active",
      createdAt: now,
      updatedAt: now,
      lastHeartbeat: now,
      completedAt: null,
    };
    return this.eventLog.transaction((record) => {
      const session = toSession(this.repository.insert(row));
      record(userId, { type: "session.created", session });
      return session;
    });
  }

  list(userId: string): Session[] {
    this.flushHeartbeats();
    return this.repository.listForUser(userId).map(toSession);
  }

  get(userId: string, id: string): Session {
    this.flushHeartbeats();
    return toSession(this.requireOwned(userId, id));
  }

  keepalive(userId: string, id: string): KeepaliveResponse {
    const row = this.requireOwned(userId, id);
    if (row.status !== "active") {
      throw badRequest(`Session is ${row.status}; only an active session accepts keepalives`);
    }
    const now = this.clock.now().getTime();
    this.pendingHeartbeats.set(id, now);
    return { status: row.status, lastHeartbeat: new Date(now).toISOString() };
  }

  resume(userId: string, id: string): Session {
    this.flushHeartbeats();
    return this.eventLog.transaction((record) => {
      const row = this.requireOwned(userId, id);
      if (row.status === "completed") throw conflict("Session is completed and cannot be resumed");
      // Resuming an active session is a harmless retry: answer with it unchanged.
      if (row.status === "active") return toSession(row);
      const now = this.clock.now().getTime();
      const session = toSession(
        this.repository.update(id, { status: "active", updatedAt: now, lastHeartbeat: now }),
      );
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
    const session = toSession(this.repository.update(row.id, { status: "completed", updatedAt: now, completedAt: now }));
    this.pendingHeartbeats.delete(row.id);
    record(row.userId, { type: "session.status_changed", from: row.status, session });
    return session;
  }

  /** Marks every active session without a keepalive for the timeout as incomplete. */
  markTimedOutSessions(): number {
    this.flushHeartbeats();
    const now = this.clock.now().getTime();
    return this.eventLog.transaction((record) => {
      const overdue = this.repository.findOverdue(now - this.timeoutMs);
      for (const row of overdue) {
        const session = toSession(this.repository.update(row.id, { status: "incomplete", updatedAt: now }));
        record(row.userId, { type: "session.status_changed", from: "active", session });
      }
      return overdue.length;
    });
  }

  /** Writes buffered keepalives in one transaction. Cheap when there are none. */
  flushHeartbeats(): void {
    if (this.pendingHeartbeats.size === 0) return;
    const pending = [...this.pendingHeartbeats];
    this.pendingHeartbeats.clear();
    this.eventLog.transaction(() => {
      for (const [id, at] of pending) this.repository.touchHeartbeat(id, at);
    });
  }

  /** The caller's session; another user's session is answered exactly like a missing one. */
  requireOwned(userId: string, id: string): SessionRow {
    const row = this.repository.findOwned(userId, id);
    if (!row) throw notFound("Session not found");
    return row;
  }
}
