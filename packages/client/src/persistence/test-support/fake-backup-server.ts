import {
  DEFAULT_PREFERENCES,
  type CheckpointDocument,
  type PreferencesDocument,
  type PutCheckpointBody,
  type PutPreferencesBody,
} from "@tidemark/shared";
import { ApiError, type BackupApi } from "../../api-client.ts";

/**
 * In-memory stand-in for the backup endpoints with the server's version rules: a write must
 * name the current version, is stored as the next one, and a stale write is refused with a 409
 * carrying the current value. The network can be cut, and answers lost after the write took effect.
 */
export class FakeBackupServer implements BackupApi {
  preferences: PreferencesDocument = { version: 0, preferences: structuredClone(DEFAULT_PREFERENCES) };
  readonly checkpoints = new Map<string, CheckpointDocument>();
  /** Every request in order, e.g. `putPreferences base=0`. */
  readonly requests: string[] = [];
  /** Every request fails as if the network were down. */
  offline = false;
  /** This many next writes take effect on the server, but their answers never arrive. */
  loseAnswers = 0;
  /** Answers the next writes with these errors instead (first in, first out). */
  readonly refusals: ApiError[] = [];
  deleted = false;

  async getPreferences(): Promise<PreferencesDocument> {
    this.#reach("getPreferences");
    return structuredClone(this.preferences);
  }

  async putPreferences(body: PutPreferencesBody): Promise<PreferencesDocument> {
    this.#reach(`putPreferences base=${body.baseVersion}`);
    this.#refuseIfScripted();
    if (body.baseVersion !== this.preferences.version) {
      throw new ApiError(409, "The preferences changed meanwhile.", {
        conflict: { message: "The preferences changed meanwhile.", ...structuredClone(this.preferences) },
      });
    }
    this.preferences = { version: this.preferences.version + 1, preferences: structuredClone(body.preferences) };
    return this.#answer(this.preferences);
  }

  async getCheckpoint(sessionId: string): Promise<CheckpointDocument> {
    this.#reach(`getCheckpoint ${sessionId}`);
    return structuredClone(this.checkpoint(sessionId));
  }

  async putCheckpoint(sessionId: string, body: PutCheckpointBody): Promise<CheckpointDocument> {
    this.#reach(`putCheckpoint ${sessionId} base=${body.baseVersion}`);
    this.#refuseIfScripted();
    const current = this.checkpoint(sessionId);
    if (body.baseVersion !== current.version) {
      throw new ApiError(409, "The checkpoint changed meanwhile.", {
        conflict: { message: "The checkpoint changed meanwhile.", ...structuredClone(current) },
      });
    }
    const next = { version: current.version + 1, state: structuredClone(body.state) };
    this.checkpoints.set(sessionId, next);
    return this.#answer(next);
  }

  async deleteMyData(): Promise<void> {
    this.#reach("deleteMyData");
    this.deleted = true;
  }

  checkpoint(sessionId: string): CheckpointDocument {
    return this.checkpoints.get(sessionId) ?? { version: 0, state: null };
  }

  /** Another device writes the preferences. */
  writePreferencesElsewhere(change: Partial<PreferencesDocument["preferences"]>): PreferencesDocument {
    this.preferences = { version: this.preferences.version + 1, preferences: { ...this.preferences.preferences, ...change } };
    return structuredClone(this.preferences);
  }

  #reach(request: string): void {
    this.requests.push(request);
    if (this.offline) throw new ApiError(0, "The server could not be reached. Check the connection and try again.");
  }

  #refuseIfScripted(): void {
    const refusal = this.refusals.shift();
    if (refusal) throw refusal;
  }

  #answer<T>(document: T): T {
    if (this.loseAnswers > 0) {
      this.loseAnswers -= 1;
      throw new ApiError(0, "The server could not be reached. Check the connection and try again.");
    }
    return structuredClone(document);
  }
}
