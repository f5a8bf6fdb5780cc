import Dexie, { type EntityTable, type Table } from "dexie";
import type { StoredRecord } from "./record-codec.ts";
import type {
  ConflictCopy,
  CorruptionReason,
  NewOutboxEntry,
  OutboxEntry,
  QuarantinedRecord,
  StateStorage,
} from "./state-storage.ts";
import { recordStampOf, sameRecordStamp, type RecordStamp } from "./state-storage.ts";

export const DEFAULT_STATE_DATABASE = "tidemark-state";

export interface IndexedDbStateStorageOptions {
  name?: string;
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

interface MetaRow {
  key: string;
  value: unknown;
}

class StateDatabase extends Dexie {
  // `declare`, not fields: class fields would overwrite the tables Dexie assigns in `version()`.
  declare records: Table<StoredRecord, string>;
  declare quarantine: EntityTable<QuarantinedRecord, "id">;
  declare outbox: EntityTable<OutboxEntry, "id">;
  declare conflicts: Table<ConflictCopy, string>;
  declare meta: Table<MetaRow, string>;

  constructor(name: string, options: IndexedDbStateStorageOptions) {
    super(name, {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
      // What the user set up must survive an OS crash right after a save, not only a tab crash.
      chromeTransactionDurability: "strict",
    });
    this.version(1).stores({
      records: "key",
      quarantine: "++id",
      // One queued push per target: replacing it is a delete and an add in one transaction.
      outbox: "++id, &target",
      conflicts: "id, createdAt",
      meta: "key",
    });
    // Who wrote each record and when, readable from the index alone: a save checks it without
    // reading (and copying) the stored payload.
    this.version(2).stores({ records: `key, ${STAMP_INDEX}` });
  }
}

const STAMP_INDEX = "[writerId+savedAt]";

/** Persisted state in IndexedDB (through Dexie): the first choice, and the only one without a small quota. */
export class IndexedDbStateStorage implements StateStorage {
  readonly kind = "indexeddb" as const;
  readonly #db: StateDatabase;

  constructor(options: IndexedDbStateStorageOptions = {}) {
    this.#db = new StateDatabase(options.name ?? DEFAULT_STATE_DATABASE, options);
  }

  /** Opens the database and commits a small write, proving this browser lets the page store data. */
  async probe(at: number): Promise<void> {
    await this.#db.meta.put({ key: "probe", value: at });
  }

  async readRecord(key: string): Promise<unknown> {
    return this.#db.records.get(key);
  }

  async writeRecord(record: StoredRecord): Promise<void> {
    await this.#db.records.put(record);
  }

  async writeRecordIf(record: StoredRecord, expected: RecordStamp | null): Promise<boolean> {
    const db = this.#db;
    // Read-write transactions on one store run one at a time across all tabs, so nothing lands
    // between the check and the put. The stamp comes from the index: no payload is read.
    return db.transaction("rw", [db.records], async () => {
      if (!sameRecordStamp(await this.#storedStamp(record.key), expected)) return false;
      await db.records.put(record);
      return true;
    });
  }

  /** The stamp of the record stored under `key` (`null`: none, or one without a valid stamp). */
  async #storedStamp(key: string): Promise<RecordStamp | null> {
    let stamp: RecordStamp | null = null;
    // A handful of records at most: walking the index's keys reads no values.
    await this.#db.records.orderBy(STAMP_INDEX).eachKey((indexKey, cursor) => {
      if (cursor.primaryKey === key) stamp = recordStampOf({ writerId: (indexKey as unknown[])[0], savedAt: (indexKey as unknown[])[1] });
    });
    return stamp;
  }

  async removeRecord(key: string): Promise<void> {
    await this.#db.records.delete(key);
  }

  async quarantineRecord(
    key: string,
    report: { reason: CorruptionReason; detail: string; quarantinedAt: number },
  ): Promise<QuarantinedRecord | undefined> {
    const db = this.#db;
    return db.transaction("rw", [db.records, db.quarantine], async () => {
      const record: unknown = await db.records.get(key);
      if (record === undefined) return undefined;
      const entry = { key, ...report, record };
      const id = await db.quarantine.add(entry);
      await db.records.delete(key);
      return { id, ...entry };
    });
  }

  async addQuarantined(entry: Omit<QuarantinedRecord, "id">): Promise<QuarantinedRecord> {
    const id = await this.#db.quarantine.add(entry);
    return { id, ...entry };
  }

  async listQuarantined(): Promise<QuarantinedRecord[]> {
    return this.#db.quarantine.orderBy("id").toArray();
  }

  async removeQuarantined(id: number): Promise<void> {
    await this.#db.quarantine.delete(id);
  }

  async enqueueOutbox(target: string, build: (previous: OutboxEntry | undefined) => NewOutboxEntry): Promise<OutboxEntry> {
    const db = this.#db;
    return db.transaction("rw", [db.outbox], async () => {
      const previous = await db.outbox.where("target").equals(target).first();
      if (previous) await db.outbox.delete(previous.id);
      const entry = build(previous);
      const id = await db.outbox.add(entry);
      return { ...entry, id };
    });
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    return this.#db.outbox.orderBy("id").toArray();
  }

  async markOutboxAttempt(id: number): Promise<void> {
    await this.#db.outbox
      .where("id")
      .equals(id)
      .modify((entry) => {
        entry.attempts += 1;
      });
  }

  async removeOutbox(id: number): Promise<void> {
    await this.#db.outbox.delete(id);
  }

  async putConflict(copy: ConflictCopy): Promise<void> {
    await this.#db.conflicts.put(copy);
  }

  async listConflicts(): Promise<ConflictCopy[]> {
    return this.#db.conflicts.orderBy("createdAt").toArray();
  }

  async removeConflict(id: string): Promise<void> {
    await this.#db.conflicts.delete(id);
  }

  async readMeta<T>(key: string): Promise<T | undefined> {
    return (await this.#db.meta.get(key))?.value as T | undefined;
  }

  async writeMeta(key: string, value: unknown): Promise<void> {
    await this.#db.meta.put({ key, value });
  }

  async clearBackup(): Promise<void> {
    const db = this.#db;
    await db.transaction("rw", [db.outbox, db.conflicts, db.meta], async () => {
      await db.outbox.clear();
      await db.conflicts.clear();
      await db.meta.clear();
    });
  }

  close(): void {
    this.#db.close();
  }
}
