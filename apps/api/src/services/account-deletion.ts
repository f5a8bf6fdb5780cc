import type { SessionRepository } from "../repositories/session-repository.ts";
import type { AudioStore } from "./audio-store.ts";
import type { EventLog } from "./event-log.ts";
import type { IdentityService } from "./identity.ts";
import type { SessionLifecycle } from "./session-lifecycle.ts";

/**
 * "Delete all my data": the user, their device tokens, sessions (tracks, chunks, files, recovery
 * tokens, checkpoints), preferences and events, then their audio on disk. The rows go in one
 * transaction — from then on the device token is unknown (401) and nothing refers to the files —
 * and the session directories are removed after it.
 */
export class AccountDeletion {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly lifecycle: SessionLifecycle,
    private readonly identity: IdentityService,
    private readonly eventLog: EventLog,
    private readonly store: AudioStore,
  ) {}

  async deleteUser(userId: string): Promise<void> {
    const sessionIds = this.eventLog.transaction(() => {
      const ids = this.sessions.listForUser(userId).map((row) => row.id);
      this.eventLog.deleteForUser(userId);
      this.identity.deleteUser(userId);
      return ids;
    });
    this.lifecycle.forget(sessionIds);
    this.eventLog.endSubscriptions(userId);
    for (const id of sessionIds) await this.store.remove(id);
  }
}
