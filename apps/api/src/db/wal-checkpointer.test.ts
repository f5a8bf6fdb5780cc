import { statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tempDataDir } from "../test-support/test-app.ts";
import { closeDatabase, openDatabase, type Db } from "./client.ts";

describe("WAL checkpoints of a database file", () => {
  let data: ReturnType<typeof tempDataDir> | undefined;
  let db: Db | undefined;
  afterEach(async () => {
    if (db) await closeDatabase(db);
    data?.remove();
  });

  it("are made by the worker, never by the connection that commits", async () => {
    data = tempDataDir();
    const file = path.join(data.dir, "tidemark.sqlite");
    db = openDatabase(file);
    const sqlite = db.$client;
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    sqlite.exec("CREATE TABLE filler (v BLOB)");
    const before = statSync(file).size;
    const insert = sqlite.prepare("INSERT INTO filler VALUES (randomblob(4000))");
    sqlite.transaction(() => {
      for (let i = 0; i < 500; i += 1) insert.run();
    })();
    // ~2 MB went to the WAL; the database file grows only when the worker copies it over.
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 1_000_000), { timeout: 5_000, interval: 50 });
  });
});
