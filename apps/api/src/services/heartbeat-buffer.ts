import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Db } from "../db/client.ts";
import type { SessionRepository } from "../repositories/session-repository.ts";

/** Rows per flush transaction: small enough that one never holds the event loop for long. */
const FLUSH_BATCH_SIZE = 1_000;

/**
 * Keepalives waiting to be written. Keepalives are the hot path (one every 7 s per working
 * client), so they are answered from memory and written in batches; readers overlay what is
 * pending here, so no answer ever shows a stale heartbeat. A crash loses at most one flush
 * interval of heartbeats, which can only make a session look idle slightly earlier — never
 * lose user data.
 */
export class HeartbeatBuffer {
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly repository: SessionRepository,
  ) {}

  record(sessionId: string, at: number): void {
    this.pending.set(sessionId, at);
  }

  /** The newest heartbeat not yet written, if any. */
  latest(sessionId: string): number | undefined {
    return this.pending.get(sessionId);
  }

  forget(sessionId: string): void {
    this.pending.delete(sessionId);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Writes everything pending in small transactions, yielding to the event loop between them. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) {
      this.writeBatch(FLUSH_BATCH_SIZE);
      if (this.pending.size > 0) await yieldToEventLoop();
    }
  }

  /** Writes everything pending at once; for shutdown. */
  flushNow(): void {
    this.writeBatch(Number.POSITIVE_INFINITY);
  }

  private writeBatch(limit: number): void {
    const batch: Array<[string, number]> = [];
    for (const entry of this.pending) {
      if (batch.length >= limit) break;
      batch.push(entry);
    }
    if (batch.length === 0) return;
    // Heartbeats are not user data: their commit need not wait for an fsync (a process crash
    // still loses nothing, as the WAL is in the OS; a power cut may lose a few seconds of them).
    // The next ordinary commit syncs them along with itself.
    const sqlite = this.db.$client;
    sqlite.pragma("synchronous = NORMAL");
    try {
      this.db.transaction(() => {
        for (const [id, at] of batch) this.repository.touchHeartbeat(id, at);
      });
    } finally {
      sqlite.pragma("synchronous = FULL");
    }
    // A newer keepalive that arrived meanwhile stays pending.
    for (const [id, at] of batch) if (this.pending.get(id) === at) this.pending.delete(id);
  }
}
