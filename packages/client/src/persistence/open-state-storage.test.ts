import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { DEFAULT_PREFERENCES } from "@tidemark/shared";
import Dexie from "dexie";
import { afterEach, describe, expect, it } from "vitest";
import { openStateStorage } from "./open-state-storage.ts";
import { isQuotaExceededError } from "./quota-errors.ts";
import { encodeRecord, serializeValue } from "./record-codec.ts";
import type { NewOutboxEntry, StateStorage, StorageKind } from "./state-storage.ts";
import { LimitedKeyValueStore, refusingIndexedDB } from "./test-support/storage-fakes.ts";

const opened: StateStorage[] = [];

afterEach(() => {
  for (const storage of opened.splice(0)) storage.close();
});

async function open(options: Parameters<typeof openStateStorage>[0]): Promise<StateStorage> {
  const storage = await openStateStorage({ name: "state-under-test", IDBKeyRange, ...options });
  opened.push(storage);
  return storage;
}

const openers: Record<StorageKind, () => Promise<StateStorage>> = {
  indexeddb: () => open({ indexedDB: new IDBFactory(), localStorage: null }),
  localstorage: () => open({ indexedDB: null, localStorage: new LimitedKeyValueStore() }),
  memory: () => open({ indexedDB: null, localStorage: null }),
};

function record(key: string, value: unknown) {
  return encodeRecord(serializeValue(value), { key, schemaVersion: 2, savedAt: 5, writerId: "tab", compressAboveBytes: 16 });
}

function preferencesPush(rate: number): (previous: unknown) => NewOutboxEntry {
  return () => ({
    target: "preferences",
    kind: "preferences",
    sessionId: null,
    value: { ...DEFAULT_PREFERENCES, parameters: { ...DEFAULT_PREFERENCES.parameters, rate } },
    createdAt: 1,
    attempts: 0,
    unconfirmed: [],
  });
}

describe("openStateStorage", () => {
  it("chooses IndexedDB when it accepts a write", async () => {
    expect((await openers.indexeddb()).kind).toBe("indexeddb");
  });

  it("falls back to localStorage when IndexedDB refuses to open", async () => {
    const storage = await open({ indexedDB: refusingIndexedDB(), localStorage: new LimitedKeyValueStore() });

    expect(storage.kind).toBe("localstorage");
  });

  it("falls back to memory when neither IndexedDB nor localStorage accepts a write", async () => {
    const full = new LimitedKeyValueStore(0);

    const storage = await open({ indexedDB: refusingIndexedDB(), localStorage: full });

    expect(storage.kind).toBe("memory");
    expect(full.length).toBe(0);
  });

  it("leaves no probe value behind in localStorage", async () => {
    const local = new LimitedKeyValueStore();

    await open({ indexedDB: null, localStorage: local });

    expect(local.length).toBe(0);
  });
});

describe.each(Object.keys(openers) as StorageKind[])("%s state storage", (kind) => {
  it("writes, reads and removes a record with its binary payload intact", async () => {
    const storage = await openers[kind]();
    const written = await record("app", { text: "x".repeat(100) });

    await storage.writeRecord(written);
    const read = await storage.readRecord("app");
    await storage.removeRecord("app");

    expect(written.encoding).toBe("gzip-parts");
    expect(read).toEqual(written);
    expect(await storage.readRecord("app")).toBeUndefined();
  });

  it("writes a record only over the one the writer last saw, comparing who wrote it and when", async () => {
    const storage = await openers[kind]();
    const first = await record("app", { n: 1 });
    const other = { ...(await record("app", { n: 2 })), writerId: "other-tab", savedAt: 9 };

    expect(await storage.writeRecordIf(first, { writerId: "nobody", savedAt: 1 })).toBe(false);
    expect(await storage.readRecord("app")).toBeUndefined();
    expect(await storage.writeRecordIf(first, null)).toBe(true);
    expect(await storage.writeRecordIf(other, null)).toBe(false);
    expect(await storage.writeRecordIf(other, { writerId: "tab", savedAt: 1 })).toBe(false);
    expect(await storage.writeRecordIf(other, { writerId: "tab", savedAt: 5 })).toBe(true);
    expect(await storage.readRecord("app")).toMatchObject({ writerId: "other-tab", savedAt: 9 });
    await storage.writeRecord({ ...first, key: "else", writerId: "third", savedAt: 3 });
    expect(await storage.writeRecordIf(first, { writerId: "third", savedAt: 3 })).toBe(false);
  });

  it("moves a record into quarantine in one step and keeps it readable there", async () => {
    const storage = await openers[kind]();
    const written = await record("app", { rate: 1 });
    await storage.writeRecord(written);

    const moved = await storage.quarantineRecord("app", { reason: "checksum", detail: "bad", quarantinedAt: 9 });

    expect(await storage.readRecord("app")).toBeUndefined();
    expect(await storage.listQuarantined()).toEqual([moved]);
    expect(moved).toMatchObject({ key: "app", reason: "checksum", quarantinedAt: 9, record: written });
    expect(await storage.quarantineRecord("app", { reason: "checksum", detail: "", quarantinedAt: 10 })).toBeUndefined();
  });

  it("keeps one outbox entry per target, moves a replaced one to the end and hands the builder what it replaces", async () => {
    const storage = await openers[kind]();
    await storage.enqueueOutbox("preferences", preferencesPush(1.1));
    const checkpoint = await storage.enqueueOutbox("checkpoint:s1", (previous) => ({
      ...preferencesPush(1)(previous),
      target: "checkpoint:s1",
    }));
    await storage.markOutboxAttempt((await storage.listOutbox())[0]?.id ?? -1);
    const seen: unknown[] = [];

    await storage.enqueueOutbox("preferences", (previous) => {
      seen.push(previous?.attempts);
      return preferencesPush(1.5)(previous);
    });

    const queue = await storage.listOutbox();
    expect(seen).toEqual([1]);
    expect(queue.map((entry) => entry.target)).toEqual(["checkpoint:s1", "preferences"]);
    expect(queue[0]?.id).toBe(checkpoint.id);
    expect(queue[1]?.id).toBeGreaterThan(checkpoint.id);
    expect(queue[1]?.value).toMatchObject({ parameters: { rate: 1.5 } });
  });

  it("keeps conflict copies oldest first and clears the backup data without touching records", async () => {
    const storage = await openers[kind]();
    const base = { kind: "preferences" as const, sessionId: null, value: DEFAULT_PREFERENCES, serverVersion: 3 };
    await storage.putConflict({ ...base, id: "b", createdAt: 20 });
    await storage.putConflict({ ...base, id: "a", createdAt: 10 });
    await storage.writeMeta("version:preferences", { version: 3 });
    await storage.enqueueOutbox("preferences", preferencesPush(1));
    await storage.writeRecord(await record("app", { rate: 1 }));

    expect((await storage.listConflicts()).map((copy) => copy.id)).toEqual(["a", "b"]);
    await storage.removeConflict("a");
    expect((await storage.listConflicts()).map((copy) => copy.id)).toEqual(["b"]);
    expect(await storage.readMeta("version:preferences")).toEqual({ version: 3 });

    await storage.clearBackup();

    expect(await storage.listConflicts()).toEqual([]);
    expect(await storage.listOutbox()).toEqual([]);
    expect(await storage.readMeta("version:preferences")).toBeUndefined();
    expect(await storage.readRecord("app")).toBeDefined();
  });
});

describe("localStorage state storage", () => {
  it("returns a damaged value as the raw text it found instead of throwing", async () => {
    const local = new LimitedKeyValueStore();
    const storage = await open({ indexedDB: null, localStorage: local });
    local.setItem("state-under-test/record/app", "{\"key\":\"app\",\"payl");

    expect(await storage.readRecord("app")).toBe("{\"key\":\"app\",\"payl");
  });

  it("keeps the record in place when its quarantine copy does not fit", async () => {
    const local = new LimitedKeyValueStore();
    const storage = await open({ indexedDB: null, localStorage: local });
    await storage.writeRecord(await record("app", { rate: 1 }));
    local.limitChars = local.usedChars;

    await expect(storage.quarantineRecord("app", { reason: "schema", detail: "", quarantinedAt: 1 })).rejects.toSatisfy(
      isQuotaExceededError,
    );
    expect(await storage.readRecord("app")).toBeDefined();
  });
});

describe("isQuotaExceededError", () => {
  it("recognises a full storage however the browser or Dexie reports it", () => {
    const domQuota = new DOMException("full", "QuotaExceededError");
    const firefox = Object.assign(new Error("full"), { name: "NS_ERROR_DOM_QUOTA_REACHED", code: 1014 });
    const legacyCode = { name: "Error", code: 22 };

    expect(isQuotaExceededError(domQuota)).toBe(true);
    expect(domQuota.code).toBe(22);
    expect(isQuotaExceededError(firefox)).toBe(true);
    expect(isQuotaExceededError(legacyCode)).toBe(true);
    expect(isQuotaExceededError(new Dexie.AbortError("Transaction aborted", domQuota))).toBe(true);
    expect(isQuotaExceededError(new Error("wrapped", { cause: new Dexie.AbortError("aborted", domQuota) }))).toBe(true);
    expect(isQuotaExceededError(new Dexie.BulkError("bulk", [domQuota]))).toBe(true);
  });

  it("does not mistake other failures for a full storage", () => {
    expect(isQuotaExceededError(new Dexie.AbortError("Transaction aborted"))).toBe(false);
    expect(isQuotaExceededError(new DOMException("gone", "InvalidStateError"))).toBe(false);
    expect(isQuotaExceededError("QuotaExceededError")).toBe(false);
  });
});
