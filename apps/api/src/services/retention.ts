import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Clock } from "../lib/clock.ts";
import type { RecordingRepository } from "../repositories/recording-repository.ts";
import type { SessionRepository } from "../repositories/session-repository.ts";
import type { EventLog } from "./event-log.ts";
import type { HeartbeatBuffer } from "./heartbeat-buffer.ts";
import type { SessionLifecycle } from "./session-lifecycle.ts";
import type { AudioStore } from "./audio-store.ts";

const HOUR_MS = 3_600_000;

/** When the retention job may delete a session left alone from now on (epoch ms). */
export function retentionDeadline(session: { updatedAt: string; lastHeartbeat: string | null }, retentionHours: number): number {
  const lastTouched = Math.max(Date.parse(session.updatedAt), session.lastHeartbeat === null ? 0 : Date.parse(session.lastHeartbeat));
  return lastTouched + retentionHours * HOUR_MS;
}

export interface RetentionReport {
  sessions: number;
  recoveryTokens: number;
  directories: number;
}

/**
 * Deletes what has been left alone longer than the retention period: sessions (with their
 * files and tokens) and expired recovery tokens. It works in small batches and yields to the
 * event loop between them, so a large backlog never stalls live requests.
 */
export class RetentionJob {
  constructor(
    private readonly repository: SessionRepository,
    private readonly recordings: RecordingRepository,
    private readonly lifecycle: SessionLifecycle,
    private readonly heartbeats: HeartbeatBuffer,
    private readonly eventLog: EventLog,
    private readonly store: AudioStore,
    private readonly clock: Clock,
    private readonly retentionHours: number,
    private readonly batchSize = 200,
  ) {}

  async run(): Promise<RetentionReport> {
    const report: RetentionReport = { sessions: 0, recoveryTokens: 0, directories: 0 };
    // A session kept alive only by buffered heartbeats is not idle.
    await this.heartbeats.flush();
    const now = this.clock.now().getTime();
    const cutoff = now - this.retentionHours * HOUR_MS;

    for (;;) {
      const batch = this.repository.findUntouchedSince(cutoff, this.batchSize);
      if (batch.length === 0) break;
      // Rows go first, in one transaction with their events; then the files, which nothing references any more.
      this.eventLog.transaction((record) => {
        const ids = batch.map((row) => row.id);
        report.sessions += this.repository.deleteByIds(ids);
        this.lifecycle.forget(ids);
        for (const row of batch) record(row.userId, { type: "session.deleted", sessionId: row.id });
      });
      for (const row of batch) {
        await this.store.remove(row.id);
        report.directories += 1;
      }
      await yieldToEventLoop();
    }

    for (;;) {
      const expired = this.recordings.findExpiredTokenHashes(now, this.batchSize);
      if (expired.length === 0) break;
      report.recoveryTokens += this.recordings.deleteTokens(expired);
      await yieldToEventLoop();
    }
    return report;
  }
}
