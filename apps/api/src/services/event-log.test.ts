import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/client.ts";
import { ManualClock } from "../test-support/manual-clock.ts";
import { EventLog } from "./event-log.ts";

describe("EventLog", () => {
  let db: Db;
  let log: EventLog;
  const deleted = (sessionId: string) => ({ type: "session.deleted" as const, sessionId });
  const id = (n: number) => `01900000-0000-7000-8000-${String(n).padStart(12, "0")}`;

  beforeEach(() => {
    db = openDatabase(":memory:");
    log = new EventLog(db, new ManualClock(), 5);
  });
  afterEach(() => db.$client.close());

  it("publishes events only after their transaction commits", () => {
    const seen: number[] = [];
    log.subscribe("u1", (event) => seen.push(event.id));
    expect(() =>
      log.transaction((record) => {
        record("u1", deleted(id(1)));
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(seen).toEqual([]);
    expect(log.replay("u1", 0)).toEqual([]);
    log.transaction((record) => record("u1", deleted(id(2))));
    expect(seen).toHaveLength(1);
  });

  it("keeps only the newest events and never reuses an id after pruning", () => {
    for (let n = 1; n <= 12; n += 1) log.transaction((record) => record("u1", deleted(id(n))));
    expect(log.prune()).toBeGreaterThan(0);
    const kept = log.replay("u1", 7);
    expect(Array.isArray(kept) && kept.map((event) => event.id)).toEqual([8, 9, 10, 11, 12]);
    expect(log.replay("u1", 3)).toEqual({ type: "resync", lastEventId: 12 });
    db.$client.prepare("DELETE FROM events").run();
    log.transaction((record) => record("u1", deleted(id(13))));
    expect(log.lastId()).toBe(13);
  });

  it("stops calling a listener once it unsubscribes", () => {
    const seen: number[] = [];
    const unsubscribe = log.subscribe("u1", (event) => seen.push(event.id));
    log.transaction((record) => record("u1", deleted(id(1))));
    unsubscribe();
    log.transaction((record) => record("u1", deleted(id(2))));
    expect(seen).toEqual([1]);
  });
});
