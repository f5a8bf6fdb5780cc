import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/client.ts";
import { sessions, users } from "../db/schema.ts";
import { SessionRepository } from "../repositories/session-repository.ts";
import { HeartbeatBuffer } from "./heartbeat-buffer.ts";

describe("HeartbeatBuffer", () => {
  let db: Db;
  let repository: SessionRepository;
  let buffer: HeartbeatBuffer;
  const id = (n: number) => `01900000-0000-7000-8000-${String(n).padStart(12, "0")}`;

  beforeEach(() => {
    db = openDatabase(":memory:");
    repository = new SessionRepository(db);
    buffer = new HeartbeatBuffer(db, repository);
    db.insert(users).values({ id: "u", createdAt: 0 }).run();
    for (let n = 0; n < 2500; n += 1) {
      db.insert(sessions)
        .values({ id: id(n), userId: "u", kind: "recording", title: "t", status: n === 0 ? "completed" : "active", createdAt: 0, updatedAt: 0, lastHeartbeat: 10 })
        .run();
    }
  });
  afterEach(() => db.$client.close());

  it("writes every pending heartbeat, in batches, to active sessions only", async () => {
    for (let n = 0; n < 2500; n += 1) buffer.record(id(n), 5_000);
    await buffer.flush();
    expect(buffer.size).toBe(0);
    expect(repository.findById(id(1))?.lastHeartbeat).toBe(5_000);
    expect(repository.findById(id(2499))?.lastHeartbeat).toBe(5_000);
    expect(repository.findById(id(0))?.lastHeartbeat).toBe(10); // completed: untouched
  });

  it("never moves a heartbeat backwards", async () => {
    buffer.record(id(1), 9);
    buffer.flushNow();
    expect(repository.findById(id(1))?.lastHeartbeat).toBe(10);
  });

  it("keeps a heartbeat that arrives during a flush pending for the next one", async () => {
    for (let n = 1; n < 2500; n += 1) buffer.record(id(n), 5_000);
    const flushing = buffer.flush();
    buffer.record(id(500), 6_000); // after the first batch (ids 1–1000) was written
    await flushing;
    expect(repository.findById(id(500))?.lastHeartbeat).toBe(6_000);
    expect(buffer.latest(id(500))).toBeUndefined();
  });
});
