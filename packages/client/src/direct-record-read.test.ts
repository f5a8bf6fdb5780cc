import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { readRecordDirect } from "./direct-record-read.ts";

function createDatabase(factory: IDBFactory, stores: string[], records: Record<string, unknown> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = factory.open("library", 3);
    open.onupgradeneeded = () => {
      for (const store of stores) open.result.createObjectStore(store);
    };
    open.onsuccess = () => {
      const db = open.result;
      const entries = Object.entries(records);
      if (entries.length === 0) {
        db.close();
        resolve();
        return;
      }
      const transaction = db.transaction(stores[0]!, "readwrite");
      for (const [key, value] of entries) transaction.objectStore(stores[0]!).put(value, key);
      transaction.oncomplete = () => {
        db.close();
        resolve();
      };
      transaction.onerror = () => reject(transaction.error);
    };
    open.onerror = () => reject(open.error);
  });
}

describe("readRecordDirect", () => {
  it("reads one record of an existing database at whatever version it has", async () => {
    const factory = new IDBFactory();
    await createDatabase(factory, ["recovery"], { summary: { a: [1, "Take", 2, 0, 2] } });

    expect(await readRecordDirect(factory, "library", "recovery", "summary")).toEqual({ found: "value", value: { a: [1, "Take", 2, 0, 2] } });
    expect(await readRecordDirect(factory, "library", "recovery", "other")).toEqual({ found: "value", value: undefined });
  });

  it("creates nothing when the database does not exist, so its owner's versioned open is unaffected", async () => {
    const factory = new IDBFactory();

    expect(await readRecordDirect(factory, "library", "recovery", "summary")).toEqual({ found: "no-database" });
    expect(await factory.databases()).toEqual([]);
    await createDatabase(factory, ["recovery"], { summary: 1 });
    expect(await readRecordDirect(factory, "library", "recovery", "summary")).toEqual({ found: "value", value: 1 });
  });

  it("says so when the database exists without the store, and leaves its version alone", async () => {
    const factory = new IDBFactory();
    await createDatabase(factory, ["sessions"]);

    expect(await readRecordDirect(factory, "library", "recovery", "summary")).toEqual({ found: "no-store" });
    expect(await factory.databases()).toEqual([{ name: "library", version: 3 }]);
  });
});
