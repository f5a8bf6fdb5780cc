import { IDBFactory, IDBKeyRange, IDBObjectStore } from "fake-indexeddb";
import Dexie from "dexie";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSlicedGzipCompressor } from "./gzip-compressor.ts";
import { IndexedDbStateStorage } from "./indexeddb-state-storage.ts";
import { decodeRecord, encodeRecord, serializeValue, type StoredRecord } from "./record-codec.ts";

const opened: Array<{ close(): void }> = [];

afterEach(() => {
  for (const storage of opened.splice(0)) storage.close();
  vi.restoreAllMocks();
});

function openStorage(indexedDB: IDBFactory): IndexedDbStateStorage {
  const storage = new IndexedDbStateStorage({ name: "state-under-test", indexedDB, IDBKeyRange });
  opened.push(storage);
  return storage;
}

/** A long draft: about 400 KB of JSON, so its payload holds several gzip parts. */
function draft(edits: Record<number, string> = {}) {
  return { chapters: Array.from({ length: 40 }, (_, index) => ({ id: index, text: `${edits[index] ?? ""}${"the keeper lit the lamp at dusk ".repeat(300 + index)}` })) };
}

const compressor = createSlicedGzipCompressor();

function record(value: unknown, writerId: string, savedAt: number): Promise<StoredRecord> {
  return encodeRecord(serializeValue(value), { key: "app", schemaVersion: 2, savedAt, writerId, compressAboveBytes: 1_024 }, compressor);
}

async function readValue(storage: IndexedDbStateStorage): Promise<unknown> {
  const decoded = await decodeRecord(await storage.readRecord("app"), compressor);
  if (!decoded.ok) throw new Error(decoded.detail);
  return decoded.value;
}

/** Counts the part rows written from now on. */
function countPartWrites(): () => number {
  const put = vi.spyOn(IDBObjectStore.prototype, "put");
  return () => put.mock.contexts.filter((store) => (store as IDBObjectStore).name === "recordParts").length;
}

describe("IndexedDB state storage of large records", () => {
  it("keeps a gzip-parts payload part by part, reads it back whole, and rewrites only the parts that changed", async () => {
    const storage = openStorage(new IDBFactory());
    const first = await record(draft(), "tab", 1);
    expect(first.encoding).toBe("gzip-parts");
    const partWrites = countPartWrites();

    await storage.writeRecord(first);
    const all = partWrites();
    expect(all).toBeGreaterThan(3);
    expect(await readValue(storage)).toEqual(draft());

    await storage.writeRecord(await record(draft({ 20: "Edited. " }), "tab", 2));
    expect(partWrites() - all).toBeLessThanOrEqual(2);
    expect(await readValue(storage)).toEqual(draft({ 20: "Edited. " }));
    expect(await storage.readRecord("app")).toMatchObject({ writerId: "tab", savedAt: 2, encoding: "gzip-parts" });
  });

  it("never leaves another writer's parts in place of its own: a record written since means every part is written again", async () => {
    const indexedDB = new IDBFactory();
    const tab = openStorage(indexedDB);
    const other = openStorage(indexedDB);
    await tab.writeRecord(await record(draft(), "tab", 1));
    await other.writeRecord(await record(draft({ 3: "Theirs. ", 30: "Theirs. " }), "other", 2));

    // Against what it wrote itself, this change touches one part; against what is stored, several.
    expect(await tab.writeRecordIf(await record(draft({ 10: "Mine. " }), "tab", 3), { writerId: "other", savedAt: 2 })).toBe(true);

    expect(await readValue(tab)).toEqual(draft({ 10: "Mine. " }));
  });

  it("reads a record with a part missing as one that fails its checksum, and writes the next one whole once it is quarantined", async () => {
    const indexedDB = new IDBFactory();
    const storage = openStorage(indexedDB);
    await storage.writeRecord(await record(draft(), "tab", 1));
    const raw = new Dexie("state-under-test", { indexedDB, IDBKeyRange });
    opened.push(raw);
    await raw.open();
    const [firstPart] = (await raw.table("recordParts").toCollection().primaryKeys()) as Array<[string, number]>;
    await raw.table("recordParts").delete(firstPart!);

    expect(await decodeRecord(await storage.readRecord("app"), compressor)).toMatchObject({ ok: false, reason: "checksum" });
    const quarantined = await storage.quarantineRecord("app", { reason: "checksum", detail: "a part is missing", quarantinedAt: 2 });
    expect(quarantined?.record).toMatchObject({ writerId: "tab", savedAt: 1 });
    expect(await raw.table("recordParts").count()).toBe(0);

    await storage.writeRecord(await record(draft({ 5: "Again. " }), "tab", 3));
    expect(await readValue(storage)).toEqual(draft({ 5: "Again. " }));
  });

  it("quarantines a record kept in parts whole, payload and all", async () => {
    const storage = openStorage(new IDBFactory());
    await storage.writeRecord(await record(draft(), "tab", 1));

    const quarantined = await storage.quarantineRecord("app", { reason: "decode", detail: "test", quarantinedAt: 2 });

    expect(await decodeRecord(quarantined?.record, compressor)).toMatchObject({ ok: true, value: draft() });
    expect(await storage.readRecord("app")).toBeUndefined();
    expect((await storage.listQuarantined()).map((entry) => entry.key)).toEqual(["app"]);
  });

  it("replaces a large record by a small one without leaving its parts behind", async () => {
    const indexedDB = new IDBFactory();
    const storage = openStorage(indexedDB);
    await storage.writeRecord(await record(draft(), "tab", 1));
    await openStorage(indexedDB).writeRecord(await record({ small: true }, "other", 2));

    expect(await readValue(storage)).toEqual({ small: true });
    const raw = new Dexie("state-under-test", { indexedDB, IDBKeyRange });
    opened.push(raw);
    await raw.open();
    expect(await raw.table("recordParts").count()).toBe(0);
  });

  it("reads a record stored whole by an earlier version of the database, and splits it at the next save", async () => {
    const indexedDB = new IDBFactory();
    const old = new Dexie("state-under-test", { indexedDB, IDBKeyRange });
    old.version(1).stores({ records: "key", quarantine: "++id", outbox: "++id, &target", conflicts: "id, createdAt", meta: "key" });
    const whole = await record(draft(), "old-tab", 1);
    await old.table("records").put(whole);
    old.close();

    const storage = openStorage(indexedDB);
    expect(await readValue(storage)).toEqual(draft());
    expect(await storage.writeRecordIf(await record(draft({ 2: "New. " }), "tab", 2), { writerId: "old-tab", savedAt: 1 })).toBe(true);

    expect(await readValue(storage)).toEqual(draft({ 2: "New. " }));
    const raw = new Dexie("state-under-test", { indexedDB, IDBKeyRange });
    opened.push(raw);
    await raw.open();
    expect(await raw.table("records").get("app")).not.toHaveProperty("payload");
    expect(await raw.table("recordParts").count()).toBeGreaterThan(3);
  });
});
