import { KEEPALIVE_INTERVAL_MS, type KeepaliveResponse } from "@tidemark/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { API_TIMEOUTS, ApiError, createApiClient } from "./api-client.ts";
import { type HeartbeatStatus, SessionHeartbeat } from "./session-heartbeat.ts";
import { FakeRecordingServer, networkError } from "./test-support/fake-recording-api.ts";
import { settle } from "./test-support/harness.ts";

type IntervalHandle = ReturnType<typeof setInterval>;

/** Interval timers that run only when the test ticks them. */
function manualIntervals() {
  const intervals = new Map<IntervalHandle, { callback: () => void; ms: number }>();
  const cleared: IntervalHandle[] = [];
  let next = 1;
  return {
    intervals,
    cleared,
    setInterval: (callback: () => void, ms: number) => {
      const handle = next++ as unknown as IntervalHandle;
      intervals.set(handle, { callback, ms });
      return handle;
    },
    clearInterval: (handle: IntervalHandle) => {
      cleared.push(handle);
      intervals.delete(handle);
    },
    /** One interval elapses: every live interval fires once. */
    tick: async () => {
      for (const { callback } of [...intervals.values()]) callback();
      await settle();
    },
  };
}

function heartbeatFor(api: ConstructorParameters<typeof SessionHeartbeat>[0]["api"], clock = { now: 5_000 }) {
  const timers = manualIntervals();
  const heartbeat = new SessionHeartbeat({
    api,
    setInterval: timers.setInterval,
    clearInterval: timers.clearInterval,
    now: () => clock.now,
  });
  const statuses: HeartbeatStatus[] = [];
  heartbeat.onStatus((status) => statuses.push(status));
  return { heartbeat, timers, statuses };
}

/** An API whose keepalives wait until the test answers the latest one. */
function heldKeepalives() {
  const api = {
    calls: 0,
    answer: (_value: KeepaliveResponse): void => {},
    keepalive: () => {
      api.calls += 1;
      return new Promise<KeepaliveResponse>((resolve) => {
        api.answer = resolve;
      });
    },
    resumeSession: () => Promise.reject(new Error("not expected")),
  };
  return api;
}

function keepalives(server: FakeRecordingServer): number {
  return server.requests.filter((request) => request.startsWith("keepalive")).length;
}

describe("SessionHeartbeat", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends a keepalive at once and then one every keepalive interval", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { heartbeat, timers, statuses } = heartbeatFor(server);

    heartbeat.start(id);
    await settle();
    await timers.tick();
    await timers.tick();

    expect([...timers.intervals.values()].map((interval) => interval.ms)).toEqual([KEEPALIVE_INTERVAL_MS]);
    expect(server.requests).toEqual([`keepalive ${id}`, `keepalive ${id}`, `keepalive ${id}`]);
    expect(statuses).toEqual([
      { ok: true, at: 5_000 },
      { ok: true, at: 5_000 },
      { ok: true, at: 5_000 },
    ]);
  });

  it("reports a failed keepalive without throwing and tries again at the next interval", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    server.fail("keepalive", networkError);
    const clock = { now: 1_000 };
    const { heartbeat, timers, statuses } = heartbeatFor(server, clock);

    heartbeat.start(id);
    await settle();
    clock.now = 8_000;
    await timers.tick();

    expect(statuses).toEqual([
      { ok: false, at: 1_000, error: "The server could not be reached. Check the connection and try again." },
      { ok: true, at: 8_000 },
    ]);
  });

  it("resumes a session the server marked incomplete and keeps beating", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession({ status: "incomplete" });
    const { heartbeat, timers, statuses } = heartbeatFor(server);

    heartbeat.start(id);
    await settle();
    await timers.tick();

    expect(server.requests).toEqual([`keepalive ${id}`, `resumeSession ${id}`, `keepalive ${id}`, `keepalive ${id}`]);
    expect(statuses.map((status) => status.ok)).toEqual([true, true]);
  });

  it("stops beating for a session the server completed", async () => {
    const server = new FakeRecordingServer();
    const completed = server.addSession({ status: "completed" }).id;
    const { heartbeat, timers, statuses } = heartbeatFor(server);

    heartbeat.start(completed);
    await settle();
    await timers.tick();

    expect(statuses).toEqual([{ ok: false, at: 5_000, error: "A completed session cannot be resumed." }]);
    expect(timers.intervals.size).toBe(0);
    expect(heartbeat.sessionId).toBeNull();
    expect(keepalives(server)).toBe(1);
  });

  it("keeps beating for a session the server does not know, and succeeds once it has been created there again", async () => {
    const server = new FakeRecordingServer();
    const lost = "0190f5d2-8c4e-7a3b-9d2f-00000000dead";
    const { heartbeat, timers, statuses } = heartbeatFor(server);

    heartbeat.start(lost);
    await settle();
    await timers.tick();
    await server.createSession({ id: lost, kind: "recording" });
    await timers.tick();
    heartbeat.stop();

    expect(statuses.map((status) => [status.ok, status.error])).toEqual([
      [false, "Session not found."],
      [false, "Session not found."],
      [true, undefined],
    ]);
    expect(keepalives(server)).toBe(3);
  });

  it("sends nothing more and reports no late answer once stopped", async () => {
    const api = heldKeepalives();
    const { heartbeat, timers, statuses } = heartbeatFor(api);

    heartbeat.start("0190f5d2-8c4e-7a3b-9d2f-000000000001");
    heartbeat.stop();
    api.answer({ status: "active", lastHeartbeat: "2025-01-01T12:00:07.000Z" });
    await settle();
    await timers.tick();

    expect(api.calls).toBe(1);
    expect(timers.cleared).toHaveLength(1);
    expect(statuses).toEqual([]);
  });

  it("sends no second keepalive while the first is still unanswered", async () => {
    const api = heldKeepalives();
    const { heartbeat, timers, statuses } = heartbeatFor(api);

    heartbeat.start("0190f5d2-8c4e-7a3b-9d2f-000000000001");
    await timers.tick();
    await timers.tick();
    api.answer({ status: "active", lastHeartbeat: "2025-01-01T12:00:07.000Z" });
    await settle();
    await timers.tick();

    expect(api.calls).toBe(2);
    expect(statuses).toEqual([{ ok: true, at: 5_000 }]);
    heartbeat.stop();
  });

  it("keeps beating after a keepalive whose answer never comes, once the request times out", async () => {
    vi.useFakeTimers();
    let calls = 0;
    // The first keepalive goes out on a socket that died silently; later ones find the network back.
    const fetch = (() => {
      calls += 1;
      if (calls === 1) return new Promise<Response>(() => undefined);
      const answer = { status: "active", lastHeartbeat: "2025-01-01T12:00:21.000Z" };
      return Promise.resolve(new Response(JSON.stringify(answer), { status: 200 }));
    }) as typeof globalThis.fetch;
    const heartbeat = new SessionHeartbeat({ api: createApiClient({ fetch }), now: () => Date.now() });
    const statuses: HeartbeatStatus[] = [];
    heartbeat.onStatus((status) => statuses.push(status));

    heartbeat.start("0190f5d2-8c4e-7a3b-9d2f-000000000001");
    await vi.advanceTimersByTimeAsync(API_TIMEOUTS.requestMs + KEEPALIVE_INTERVAL_MS);
    heartbeat.stop();

    expect(calls).toBe(2);
    expect(statuses.map((status) => status.ok)).toEqual([false, true]);
    expect(statuses[0]?.error).toMatch(/did not answer in time/);
  });

  it("switches to another session when started with it, and ignores a repeated start of the same one", async () => {
    const server = new FakeRecordingServer();
    const first = server.addSession().id;
    const second = server.addSession().id;
    const { heartbeat, timers } = heartbeatFor(server);

    heartbeat.start(first);
    heartbeat.start(first);
    await settle();
    heartbeat.start(second);
    await settle();
    await timers.tick();

    expect(server.requests).toEqual([`keepalive ${first}`, `keepalive ${second}`, `keepalive ${second}`]);
    expect(timers.intervals.size).toBe(1);
    heartbeat.stop();
  });

  it("keeps beating when a status listener throws", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { heartbeat, timers, statuses } = heartbeatFor(server);
    heartbeat.onStatus(() => {
      throw new Error("a broken listener");
    });

    heartbeat.start(id);
    await settle();
    await timers.tick();

    expect(statuses).toHaveLength(2);
    expect(keepalives(server)).toBe(2);
    heartbeat.stop();
  });

  it("treats a refused resume after a 400 as a failed heartbeat", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession({ status: "incomplete" });
    server.fail("resumeSession", () => new ApiError(503, "The server is unavailable right now (503)."));
    const { heartbeat, timers, statuses } = heartbeatFor(server);

    heartbeat.start(id);
    await settle();
    await timers.tick();

    expect(statuses).toEqual([
      { ok: false, at: 5_000, error: "The server is unavailable right now (503)." },
      { ok: true, at: 5_000 },
    ]);
    heartbeat.stop();
  });
});
