import type { Preferences, SessionCheckpointState } from "@tidemark/shared";
import type { StoredRecord } from "./record-codec.ts";

export type StorageKind = "indexeddb" | "localstorage" | "memory";

export type CorruptionReason = "checksum" | "schema" | "decode" | "migration";

/** Who wrote a stored record and when: enough to tell whether another writer has written since. */
export interface RecordStamp {
  writerId: string;
  savedAt: number;
}

/** The stamp of a record as found in storage, read from its envelope alone; `null` when there is none. */
export function recordStampOf(raw: unknown): RecordStamp | null {
  if (typeof raw !== "object" || raw === null) return null;
  const { writerId, savedAt } = raw as { writerId?: unknown; savedAt?: unknown };
  return typeof writerId === "string" && typeof savedAt === "number" ? { writerId, savedAt } : null;
}

export function sameRecordStamp(a: RecordStamp | null, b: RecordStamp | null): boolean {
  return a === null || b === null ? a === b : a.writerId === b.writerId && a.savedAt === b.savedAt;
}

/** A record moved aside because it could not be loaded: kept as it was found, never deleted on load. */
export interface QuarantinedRecord {
  id: number;
  /** The key the record was stored under. */
  key: string;
  reason: CorruptionReason;
  detail: string;
  quarantinedAt: number;
  /** The record exactly as read, whatever shape it had. */
  record: unknown;
}

export type BackupKind = "preferences" | "checkpoint";

/** A push to the server waiting in the outbox. One entry per target: a newer value replaces an older one. */
export interface OutboxEntry {
  /** Grows with every enqueue; entries are sent in this order. */
  id: number;
  /** `preferences` or `checkpoint:<sessionId>`. */
  target: string;
  kind: BackupKind;
  sessionId: string | null;
  value: Preferences | SessionCheckpointState;
  createdAt: number;
  /** How often this value was sent without an answer that settled it. */
  attempts: number;
  /**
   * Values sent earlier for this target whose answers never came (the network dropped, the tab
   * closed). If the server turns out to hold one of them, that write was ours, not a conflict.
   */
  unconfirmed: Array<Preferences | SessionCheckpointState>;
}

export type NewOutboxEntry = Omit<OutboxEntry, "id">;

/** The losing side of a version conflict, kept until the user keeps or discards it. */
export interface ConflictCopy {
  id: string;
  kind: BackupKind;
  sessionId: string | null;
  value: Preferences | SessionCheckpointState;
  /** The server's version that won. */
  serverVersion: number;
  createdAt: number;
}

/**
 * The browser's store for persisted app state and its server backup: one record per key,
 * records moved aside as corrupt, the outbox of server pushes, conflict copies and small
 * bookkeeping values. Every method settles only after the write is durable in the backend.
 */
export interface StateStorage {
  readonly kind: StorageKind;

  /** The record under `key` as stored, unchecked (it may be damaged), or `undefined`. */
  readRecord(key: string): Promise<unknown>;
  writeRecord(record: StoredRecord): Promise<void>;
  /**
   * Writes `record` only while the record stored under its key is the one `expected` names
   * (`null`: none, or none with a readable stamp), checked and written in one step so that no
   * other tab writes in between. Answers whether it wrote. The stored payload is never decoded:
   * the check must cost next to nothing on every save.
   */
  writeRecordIf(record: StoredRecord, expected: RecordStamp | null): Promise<boolean>;
  removeRecord(key: string): Promise<void>;

  /** Moves the record under `key` into quarantine in one step; `undefined` when there was none. */
  quarantineRecord(
    key: string,
    report: { reason: CorruptionReason; detail: string; quarantinedAt: number },
  ): Promise<QuarantinedRecord | undefined>;
  /** Keeps a value that never was a record (e.g. a legacy copy) in quarantine. */
  addQuarantined(entry: Omit<QuarantinedRecord, "id">): Promise<QuarantinedRecord>;
  /** Oldest first. */
  listQuarantined(): Promise<QuarantinedRecord[]>;
  removeQuarantined(id: number): Promise<void>;

  /**
   * Adds an outbox entry for `target`, replacing the one already queued for it (if any) in the
   * same step; `build` sees the replaced entry. The new entry goes to the end of the queue.
   */
  enqueueOutbox(target: string, build: (previous: OutboxEntry | undefined) => NewOutboxEntry): Promise<OutboxEntry>;
  /** In replay order. */
  listOutbox(): Promise<OutboxEntry[]>;
  /** Counts one more send of the entry, if it is still queued. */
  markOutboxAttempt(id: number): Promise<void>;
  removeOutbox(id: number): Promise<void>;

  putConflict(copy: ConflictCopy): Promise<void>;
  /** Oldest first. */
  listConflicts(): Promise<ConflictCopy[]>;
  removeConflict(id: string): Promise<void>;

  readMeta<T>(key: string): Promise<T | undefined>;
  writeMeta(key: string, value: unknown): Promise<void>;

  /** Forgets the outbox, the conflict copies and the bookkeeping values (records stay). */
  clearBackup(): Promise<void>;

  close(): void;
}
