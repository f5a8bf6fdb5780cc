import {
  DEFAULT_PREFERENCES,
  PreferencesSchema,
  SessionCheckpointStateSchema,
  type CheckpointDocument,
  type PreferencesDocument,
  type PutCheckpointBody,
  type PutPreferencesBody,
  type TidemarkEventPayload,
} from "@tidemark/shared";
import type { FastifyBaseLogger } from "fastify";
import type { Clock } from "../lib/clock.ts";
import { conflict } from "../lib/http-errors.ts";
import type { BackupRepository, SealedDocumentRow } from "../repositories/backup-repository.ts";
import type { SessionRow } from "../repositories/session-repository.ts";
import type { ValueCipher } from "./encryption.ts";
import type { EventLog } from "./event-log.ts";
import type { SessionLifecycle } from "./session-lifecycle.ts";

/** One stored document: whose it is, where it is kept, what it holds and how clients see it. */
interface DocumentSlot<T, D> {
  userId: string;
  kind: "preferences" | "checkpoint";
  sessionId: string | null;
  /** For conflict messages ("the preferences"). */
  name: string;
  /** Validates a decrypted value. */
  parse(value: unknown): T;
  find(): SealedDocumentRow | undefined;
  save(row: SealedDocumentRow): void;
  /** The answer for a version and its value (`null`: nothing readable stored). */
  present(version: number, value: T | null): D;
  updated(version: number): TidemarkEventPayload;
}

/**
 * The server copies of a user's preferences and of each session's checkpoint: encrypted at
 * rest, versioned for optimistic concurrency. A write names the version it was based on; it is
 * accepted only when that is still the current version (0 before the first write) and becomes
 * the next one. Anything else — a stale base or one from the future — is refused with 409 and
 * the current value, never merged or overwritten silently. The check, the write and its event
 * are one transaction, so of two writes on the same base exactly one wins.
 */
export class BackupService {
  constructor(
    private readonly repository: BackupRepository,
    private readonly lifecycle: SessionLifecycle,
    private readonly eventLog: EventLog,
    private readonly cipher: ValueCipher,
    private readonly clock: Clock,
    private readonly log: Pick<FastifyBaseLogger, "error">,
  ) {}

  getPreferences(userId: string): PreferencesDocument {
    return this.get(this.preferences(userId));
  }

  putPreferences(userId: string, body: PutPreferencesBody): PreferencesDocument {
    return this.put(() => this.preferences(userId), body.baseVersion, body.preferences);
  }

  getCheckpoint(userId: string, sessionId: string): CheckpointDocument {
    return this.get(this.checkpoint(this.lifecycle.requireOwned(userId, sessionId)));
  }

  /**
   * Accepted whatever the session's status: a completed session's text and notes remain the
   * user's to edit, and a checkpoint never changes the session's lifecycle. It does count as
   * activity: the session's `updatedAt` moves with it, so retention keeps a draft that is
   * being worked on. (The lifecycle's cache holds only owner and status, which do not change.)
   */
  putCheckpoint(userId: string, sessionId: string, body: PutCheckpointBody): CheckpointDocument {
    return this.put(() => this.checkpoint(this.lifecycle.requireOwned(userId, sessionId)), body.baseVersion, body.state);
  }

  private get<T, D>(slot: DocumentSlot<T, D>): D {
    const { version, value } = this.read(slot);
    return slot.present(version, value);
  }

  private put<T, D>(slotInTransaction: () => DocumentSlot<T, D>, baseVersion: number, value: T): D {
    return this.eventLog.transaction((record) => {
      const slot = slotInTransaction();
      const current = this.read(slot);
      if (baseVersion !== current.version) {
        throw conflict(
          `Version conflict: the server has version ${current.version} of ${slot.name}; this write was based on version ${baseVersion}`,
          slot.present(current.version, current.value) as Record<string, unknown>,
        );
      }
      const version = current.version + 1;
      const sealed = this.cipher.seal(JSON.stringify(value), associatedData(slot, version));
      slot.save({ version, ...sealed, updatedAt: this.clock.now().getTime() });
      record(slot.userId, slot.updated(version));
      return slot.present(version, value);
    });
  }

  /**
   * The current version and value. A stored value that cannot be decrypted (a replaced key, a
   * damaged row) or no longer validates is logged as an error and read as "nothing readable":
   * the stored version is kept and the value is the default (preferences) or `null`
   * (checkpoint). The user's app keeps working with what it has locally, and its next write
   * based on that version replaces the damaged row; a 5xx instead would block every client of
   * that user from ever writing the document again. The row itself is left for inspection.
   */
  private read<T, D>(slot: DocumentSlot<T, D>): { version: number; value: T | null } {
    const row = slot.find();
    if (!row) return { version: 0, value: null };
    try {
      const plaintext = this.cipher.open(row, associatedData(slot, row.version));
      return { version: row.version, value: slot.parse(JSON.parse(plaintext)) };
    } catch (error) {
      this.log.error(
        { err: error, userId: slot.userId, kind: slot.kind, sessionId: slot.sessionId, version: row.version },
        "stored document cannot be decrypted or validated; answering as if it held no value",
      );
      return { version: row.version, value: null };
    }
  }

  private preferences(userId: string): DocumentSlot<PreferencesDocument["preferences"], PreferencesDocument> {
    return {
      userId,
      kind: "preferences",
      sessionId: null,
      name: "the preferences",
      // A setting added to the schema after a row was written takes its default.
      parse: (value) => PreferencesSchema.parse(isRecord(value) ? { ...DEFAULT_PREFERENCES, ...value } : value),
      find: () => this.repository.findPreferences(userId),
      save: (row) => this.repository.savePreferences(userId, row),
      present: (version, preferences) => ({ version, preferences: preferences ?? DEFAULT_PREFERENCES }),
      updated: (version) => ({ type: "preferences.updated", version }),
    };
  }

  private checkpoint(session: SessionRow): DocumentSlot<NonNullable<CheckpointDocument["state"]>, CheckpointDocument> {
    const sessionId = session.id;
    return {
      userId: session.userId,
      kind: "checkpoint",
      sessionId,
      name: "this session's checkpoint",
      parse: (value) => SessionCheckpointStateSchema.parse(value),
      find: () => this.repository.findCheckpoint(sessionId),
      save: (row) => this.repository.saveCheckpoint(sessionId, row),
      present: (version, state) => ({ version, state }),
      updated: (version) => ({ type: "checkpoint.updated", sessionId, version }),
    };
  }
}

/**
 * Binds a sealed value to its owner, kind, session and version: a ciphertext moved to
 * another user, another session or another version's row fails authentication.
 */
function associatedData(slot: Pick<DocumentSlot<unknown, unknown>, "kind" | "userId" | "sessionId">, version: number): string {
  return JSON.stringify(["tidemark/document/v1", slot.kind, slot.userId, slot.sessionId, version]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
