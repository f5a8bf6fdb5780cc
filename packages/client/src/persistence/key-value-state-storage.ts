import { base64ToBuffer, bytesToBase64 } from "../base64.ts";
import { isArrayBuffer, type StoredRecord } from "./record-codec.ts";
import type {
  ConflictCopy,
  CorruptionReason,
  NewOutboxEntry,
  OutboxEntry,
  QuarantinedRecord,
  StateStorage,
  StorageKind,
} from "./state-storage.ts";
import { recordStampOf, sameRecordStamp, type RecordStamp } from "./state-storage.ts";

/** The part of the Web Storage API used here; `localStorage` fits, so does `MemoryKeyValueStore`. */
export type KeyValueStore = Pick<Storage, "getItem" | "setItem" | "removeItem" | "key" | "length">;

interface Numbered<T> {
  nextId: number;
  entries: T[];
}

/**
 * Persisted state in a string key-value store: `localStorage` when IndexedDB is unavailable
 * (private modes, blocked storage), or memory as the last resort. Each operation reads and writes
 * whole values synchronously, so it is atomic within the page; binary payloads are kept as base64.
 */
export class KeyValueStateStorage implements StateStorage {
  readonly kind: StorageKind;
  readonly #store: KeyValueStore;
  readonly #prefix: string;

  constructor(kind: "localstorage" | "memory", store: KeyValueStore, prefix: string) {
    this.kind = kind;
    this.#store = store;
    this.#prefix = prefix;
  }

  /** Writes and removes a small value, proving the store accepts writes. */
  probe(at: number): void {
    const key = `${this.#prefix}/probe`;
    this.#store.setItem(key, String(at));
    this.#store.removeItem(key);
  }

  async readRecord(key: string): Promise<unknown> {
    return this.#readRaw(this.#recordKey(key));
  }

  async writeRecord(record: StoredRecord): Promise<void> {
    this.#write(this.#recordKey(record.key), record);
  }

  async writeRecordIf(record: StoredRecord, expected: RecordStamp | null): Promise<boolean> {
    // Check and write run in one synchronous step, so nothing of this page comes between them;
    // localStorage itself offers other tabs no such guarantee. The stamp is read without the
    // reviver: the payload stays base64 text and is not decoded.
    const text = this.#store.getItem(this.#recordKey(record.key));
    if (!sameRecordStamp(text === null ? null : recordStampOf(parseOrNull(text)), expected)) return false;
    this.#write(this.#recordKey(record.key), record);
    return true;
  }

  async removeRecord(key: string): Promise<void> {
    this.#store.removeItem(this.#recordKey(key));
  }

  async quarantineRecord(
    key: string,
    report: { reason: CorruptionReason; detail: string; quarantinedAt: number },
  ): Promise<QuarantinedRecord | undefined> {
    const record = this.#readRaw(this.#recordKey(key));
    if (record === undefined) return undefined;
    // The copy is written before the original goes, so a full store leaves the record where it was.
    const entry = await this.addQuarantined({ key, ...report, record });
    this.#store.removeItem(this.#recordKey(key));
    return entry;
  }

  async addQuarantined(entry: Omit<QuarantinedRecord, "id">): Promise<QuarantinedRecord> {
    const list = this.#numbered<QuarantinedRecord>("quarantine");
    const stored = { ...entry, id: list.nextId };
    this.#write(this.#key("quarantine"), { nextId: list.nextId + 1, entries: [...list.entries, stored] });
    return stored;
  }

  async listQuarantined(): Promise<QuarantinedRecord[]> {
    return this.#numbered<QuarantinedRecord>("quarantine").entries;
  }

  async removeQuarantined(id: number): Promise<void> {
    this.#removeNumbered("quarantine", id);
  }

  async enqueueOutbox(target: string, build: (previous: OutboxEntry | undefined) => NewOutboxEntry): Promise<OutboxEntry> {
    const list = this.#numbered<OutboxEntry>("outbox");
    const previous = list.entries.find((entry) => entry.target === target);
    const entry = { ...build(previous), id: list.nextId };
    const entries = [...list.entries.filter((candidate) => candidate !== previous), entry];
    this.#write(this.#key("outbox"), { nextId: list.nextId + 1, entries });
    return entry;
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    return this.#numbered<OutboxEntry>("outbox").entries;
  }

  async markOutboxAttempt(id: number): Promise<void> {
    const list = this.#numbered<OutboxEntry>("outbox");
    const entries = list.entries.map((entry) => (entry.id === id ? { ...entry, attempts: entry.attempts + 1 } : entry));
    this.#write(this.#key("outbox"), { nextId: list.nextId, entries });
  }

  async removeOutbox(id: number): Promise<void> {
    this.#removeNumbered("outbox", id);
  }

  async putConflict(copy: ConflictCopy): Promise<void> {
    const copies = (await this.listConflicts()).filter((existing) => existing.id !== copy.id);
    this.#write(this.#key("conflicts"), [...copies, copy].sort((a, b) => a.createdAt - b.createdAt));
  }

  async listConflicts(): Promise<ConflictCopy[]> {
    const copies = this.#readRaw(this.#key("conflicts"));
    return Array.isArray(copies) ? (copies as ConflictCopy[]) : [];
  }

  async removeConflict(id: string): Promise<void> {
    const copies = await this.listConflicts();
    this.#write(
      this.#key("conflicts"),
      copies.filter((copy) => copy.id !== id),
    );
  }

  async readMeta<T>(key: string): Promise<T | undefined> {
    return this.#readRaw(this.#key(`meta/${key}`)) as T | undefined;
  }

  async writeMeta(key: string, value: unknown): Promise<void> {
    this.#write(this.#key(`meta/${key}`), value);
  }

  async clearBackup(): Promise<void> {
    const metaPrefix = this.#key("meta/");
    const metaKeys: string[] = [];
    for (let index = 0; index < this.#store.length; index += 1) {
      const key = this.#store.key(index);
      if (key?.startsWith(metaPrefix)) metaKeys.push(key);
    }
    for (const key of [...metaKeys, this.#key("outbox"), this.#key("conflicts")]) this.#store.removeItem(key);
  }

  close(): void {}

  #key(name: string): string {
    return `${this.#prefix}/${name}`;
  }

  #recordKey(key: string): string {
    return this.#key(`record/${key}`);
  }

  /** The parsed value, the raw text when it is not JSON (a damaged record), or `undefined`. */
  #readRaw(key: string): unknown {
    const text = this.#store.getItem(key);
    if (text === null) return undefined;
    try {
      return JSON.parse(text, reviveBytes);
    } catch {
      return text;
    }
  }

  #write(key: string, value: unknown): void {
    this.#store.setItem(key, JSON.stringify(value, replaceBytes));
  }

  #numbered<T>(name: string): Numbered<T> {
    const value = this.#readRaw(this.#key(name)) as Partial<Numbered<T>> | undefined;
    if (!value || !Array.isArray(value.entries) || typeof value.nextId !== "number") return { nextId: 1, entries: [] };
    return { nextId: value.nextId, entries: value.entries };
  }

  #removeNumbered(name: string, id: number): void {
    const list = this.#numbered<{ id: number }>(name);
    this.#write(this.#key(name), { nextId: list.nextId, entries: list.entries.filter((entry) => entry.id !== id) });
  }
}

/** A `Storage` held in memory: nothing survives the page, but the app keeps working. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly #values = new Map<string, string>();

  get length(): number {
    return this.#values.size;
  }

  getItem(key: string): string | null {
    return this.#values.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.#values.set(key, value);
  }

  removeItem(key: string): void {
    this.#values.delete(key);
  }

  key(index: number): string | null {
    return [...this.#values.keys()][index] ?? null;
  }
}

const BYTES_TAG = "$bytes";

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function replaceBytes(_key: string, value: unknown): unknown {
  return isArrayBuffer(value) ? { [BYTES_TAG]: bytesToBase64(new Uint8Array(value)) } : value;
}

function reviveBytes(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const tagged = value as Record<string, unknown>;
  const bytes = tagged[BYTES_TAG];
  return typeof bytes === "string" && Object.keys(tagged).length === 1 ? base64ToBuffer(bytes) : value;
}
