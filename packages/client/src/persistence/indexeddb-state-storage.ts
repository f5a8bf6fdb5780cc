import Dexie, { type EntityTable, type Table } from "dexie";
import { sameBytes } from "../bytes-equal.ts";
import { joinPartsFrame, splitPartsFrame } from "./gzip-parts-frame.ts";
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

/**
 * A record as its table holds it. A `gzip-parts` payload is kept member by member in part rows
 * (`partIds` names them in order), so a save where one chapter changed writes that chapter's
 * part and a small envelope instead of the whole payload again.
 */
type RecordRow = Omit<StoredRecord, "payload"> & { payload?: ArrayBuffer; partIds?: number[] };

interface PartRow {
  key: string;
  id: number;
  bytes: ArrayBuffer;
}

/** A part this storage wrote: its row's id and its bytes (a view into the payload it came from). */
interface WrittenPart {
  id: number;
  bytes: Uint8Array;
}

class StateDatabase extends Dexie {
  // `declare`, not fields: class fields would overwrite the tables Dexie assigns in `version()`.
  declare records: Table<RecordRow, string>;
  declare recordParts: Table<PartRow, [string, number]>;
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
    this.version(2).stores({ records: "key, [writerId+savedAt]" });
    // Large payloads in part rows; the record row is then small, so a save reads who wrote it
    // last from the row itself and the index of version 2 goes.
    this.version(3).stores({ records: "key", recordParts: "[key+id]" });
  }
}

/** Persisted state in IndexedDB (through Dexie): the first choice, and the only one without a small quota. */
export class IndexedDbStateStorage implements StateStorage {
  readonly kind = "indexeddb" as const;
  readonly #db: StateDatabase;

  readonly #IDBKeyRange: typeof IDBKeyRange;

  constructor(options: IndexedDbStateStorageOptions = {}) {
    this.#db = new StateDatabase(options.name ?? DEFAULT_STATE_DATABASE, options);
    this.#IDBKeyRange = options.IDBKeyRange ?? globalThis.IDBKeyRange;
  }

  /** Opens the database and commits a small write, proving this browser lets the page store data. */
  async probe(at: number): Promise<void> {
    await this.#db.meta.put({ key: "probe", value: at });
  }

  async readRecord(key: string): Promise<unknown> {
    const db = this.#db;
    return db.transaction("r", [db.records, db.recordParts], () => this.#assembled(key));
  }

  async writeRecord(record: StoredRecord): Promise<void> {
    await this.#write(record, undefined);
  }

  async writeRecordIf(record: StoredRecord, expected: RecordStamp | null): Promise<boolean> {
    return this.#write(record, expected);
  }

  async removeRecord(key: string): Promise<void> {
    const db = this.#db;
    this.#written.delete(key);
    await db.transaction("rw", [db.records, db.recordParts], async () => {
      await db.records.delete(key);
      await this.#removeParts(key);
    });
  }

  async quarantineRecord(
    key: string,
    report: { reason: CorruptionReason; detail: string; quarantinedAt: number },
  ): Promise<QuarantinedRecord | undefined> {
    const db = this.#db;
    this.#written.delete(key);
    return db.transaction("rw", [db.records, db.recordParts, db.quarantine], async () => {
      const record = await this.#assembled(key);
      if (record === undefined) return undefined;
      const entry = { key, ...report, record };
      const id = await db.quarantine.add(entry);
      await db.records.delete(key);
      await this.#removeParts(key);
      return { id, ...entry };
    });
  }

  /** What this storage last wrote per key: the parts it can leave in place if nobody wrote since. */
  readonly #written = new Map<string, { stamp: RecordStamp | null; parts: WrittenPart[] | null }>();

  /**
   * Writes a record (only over the one stamped `expected`, when given). Read-write transactions on
   * these tables run one at a time across all tabs, so nothing lands between check and write.
   *
   * The hot path of every save, so it runs on the native connection Dexie opened: one
   * transaction, one read of the small record row, every write issued at once, one completion
   * (through Dexie each request would cost a task and its promise bookkeeping).
   */
  async #write(record: StoredRecord, expected: RecordStamp | null | undefined): Promise<boolean> {
    if (!this.#db.isOpen()) await this.#db.open();
    const idb = this.#db.backendDB();
    const members = record.encoding === "gzip-parts" ? splitPartsFrame(record.payload) : null;
    const previous = this.#written.get(record.key);
    this.#written.delete(record.key);
    let parts: WrittenPart[] | null = null;
    const wrote = await new Promise<boolean>((resolve, reject) => {
      let written = false;
      const transaction = idb.transaction(["records", "recordParts"], "readwrite", { durability: "strict" });
      const records = transaction.objectStore("records");
      const partRows = transaction.objectStore("recordParts");
      const allParts = this.#IDBKeyRange.bound([record.key, -Infinity], [record.key, Infinity]);
      transaction.oncomplete = () => resolve(written);
      transaction.onabort = () => reject(transaction.error ?? new Error("The save was aborted."));
      const reading = records.get(record.key);
      reading.onsuccess = () => {
        const stored = recordStampOf(reading.result);
        if (expected !== undefined && !sameRecordStamp(stored, expected)) return;
        // What was written last is still in place only if the record is still the one written then.
        const current = previous !== undefined && stored !== null && sameRecordStamp(stored, previous.stamp) ? previous : null;
        written = true;
        if (!members) {
          records.put(record);
          if (current?.parts !== null) partRows.delete(allParts);
          return;
        }
        if (!current?.parts) partRows.delete(allParts);
        const change = partsChange(record.key, members, current?.parts ?? []);
        parts = change.parts;
        for (const row of change.rows) partRows.put(row);
        for (const key of change.unused) partRows.delete(key);
        const { payload: _payload, ...envelope } = record;
        records.put({ ...envelope, partIds: change.parts.map((part) => part.id) });
      };
    });
    if (wrote) this.#written.set(record.key, { stamp: recordStampOf(record), parts });
    return wrote;
  }

  /** The record under `key` with its payload put together; callers hold both tables in their transaction. */
  async #assembled(key: string): Promise<unknown> {
    const row: unknown = await this.#db.records.get(key);
    if (typeof row !== "object" || row === null || !Array.isArray((row as RecordRow).partIds)) return row;
    const { partIds, ...envelope } = row as RecordRow & { partIds: unknown[] };
    const parts = await this.#db.recordParts.bulkGet(partIds.map((id): [string, number] => [key, Number(id)]));
    const members = parts.every((part) => part !== undefined) ? (parts as PartRow[]).map((part) => new Uint8Array(part.bytes)) : null;
    // A missing part leaves a payload that fails its checksum, so the record is quarantined.
    return { ...envelope, payload: members ? joinPartsFrame(members) : new ArrayBuffer(0) };
  }

  /** Removes every part row of `key`; callers hold the parts table in their transaction. */
  async #removeParts(key: string): Promise<void> {
    await this.#db.recordParts.where("[key+id]").between([key, Dexie.minKey], [key, Dexie.maxKey], true, true).delete();
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

/**
 * The part rows to write for `members` given the parts already stored: a member equal to a stored
 * part keeps it (a change moves members around, so they are matched by their bytes, not their
 * place); the others get new rows, and stored parts no longer used are to be deleted.
 */
function partsChange(key: string, members: Uint8Array[], stored: WrittenPart[]): { parts: WrittenPart[]; rows: PartRow[]; unused: Array<[string, number]> } {
  const byLength = new Map<number, WrittenPart[]>();
  for (const part of stored) byLength.set(part.bytes.byteLength, [...(byLength.get(part.bytes.byteLength) ?? []), part]);
  let nextId = stored.reduce((max, part) => Math.max(max, part.id + 1), 0);
  const used = new Set<number>();
  const parts: WrittenPart[] = [];
  const rows: PartRow[] = [];
  for (const bytes of members) {
    const same = byLength.get(bytes.byteLength)?.find((part) => !used.has(part.id) && sameBytes(part.bytes, bytes));
    if (same) {
      used.add(same.id);
      parts.push({ id: same.id, bytes });
      continue;
    }
    const id = nextId++;
    rows.push({ key, id, bytes: bytes.slice().buffer });
    parts.push({ id, bytes });
  }
  const unused = stored.filter((part) => !used.has(part.id)).map((part): [string, number] => [key, part.id]);
  return { parts, rows, unused };
}
