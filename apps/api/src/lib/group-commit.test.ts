import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.ts";

describe("GroupCommit", () => {
  it("uses one transaction for all writes queued in the same turn", async () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
    const outer: number[] = [];
    const original = db.transaction.bind(db);
    let depth = 0;
    db.transaction = ((fn: (...args: unknown[]) => unknown) =>
      original((...args: unknown[]) => {
        if (depth === 0) outer.push(1);
        depth += 1;
        try {
          return fn(...args);
        } finally {
          depth -= 1;
        }
      })) as typeof db.transaction;
    const group = new GroupCommit(db);
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    await Promise.all([1, 2, 3, 4].map((v) => group.run(() => insert.run(v))));
    expect(outer).toHaveLength(1);
    db.close();
  });

  let sqlite: Database.Database;
  let commits: GroupCommit;
  const rows = () => sqlite.prepare("SELECT v FROM t ORDER BY v").pluck().all();

  beforeEach(() => {
    sqlite = new Database(":memory:");
    sqlite.exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
    commits = new GroupCommit(sqlite);
  });
  afterEach(() => sqlite.close());

  it("commits writes of the same turn in one transaction and answers each after the commit", async () => {
    const insert = sqlite.prepare("INSERT INTO t (v) VALUES (?)");
    const nesting: boolean[] = [];
    const results = await Promise.all(
      [1, 2, 3].map((v) =>
        commits.run(() => {
          // Inside a savepoint of the shared transaction: nothing is visible to a second connection yet.
          nesting.push(sqlite.inTransaction);
          return insert.run(v).changes;
        }),
      ),
    );
    expect(results).toEqual([1, 1, 1]);
    expect(nesting).toEqual([true, true, true]);
    expect(rows()).toEqual([1, 2, 3]);
  });

  it("rolls back only the write that failed", async () => {
    const insert = sqlite.prepare("INSERT INTO t (v) VALUES (?)");
    const outcomes = await Promise.allSettled([
      commits.run(() => insert.run(1)),
      commits.run(() => {
        insert.run(2);
        throw new Error("refused");
      }),
      commits.run(() => insert.run(3)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(rows()).toEqual([1, 3]);
  });

  it("skips the commit's fsync only for a batch whose writes are all durable elsewhere", async () => {
    sqlite.pragma("synchronous = FULL");
    const relaxing = new GroupCommit(sqlite);
    const level = () => sqlite.pragma("synchronous", { simple: true });
    const relaxed = await Promise.all([1, 2].map(() => relaxing.run(level, { durableElsewhere: true })));
    expect(relaxed).toEqual([1, 1]); // NORMAL
    const mixed = await Promise.all([relaxing.run(level, { durableElsewhere: true }), relaxing.run(level)]);
    expect(mixed).toEqual([2, 2]); // FULL
    expect(level()).toBe(2);
  });

  it("starts a new batch for writes that come after a commit", async () => {
    const insert = sqlite.prepare("INSERT INTO t (v) VALUES (?)");
    await commits.run(() => insert.run(1));
    await commits.run(() => insert.run(2));
    expect(rows()).toEqual([1, 2]);
  });
});
