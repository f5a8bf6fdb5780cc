import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../test-support/manual-clock.ts";
import { createDevice, createSession, createTestApp, post, tempDataDir } from "../test-support/test-app.ts";

describe("background jobs", () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("marks an overdue session incomplete by itself, without any request", async () => {
    const app = await createTestApp({ env: { SESSION_TIMEOUT_MS: "150", SWEEP_INTERVAL_MS: "25" } });
    cleanups.push(() => app.close());
    const device = await createDevice(app);
    const session = await createSession(app, device);
    const { sessionRepository } = app;
    await vi.waitFor(
      () => expect(sessionRepository.findOwned(device.userId, session.id)?.status).toBe("incomplete"),
      { timeout: 5000, interval: 20 },
    );
  });

  it("keeps sessions, and sweeps the ones that went quiet during downtime at once after a restart", async () => {
    const data = tempDataDir();
    cleanups.push(data.remove);
    const databaseFile = path.join(data.dir, "tidemark.sqlite");
    const clock = new ManualClock();
    const env = { SESSION_TIMEOUT_MS: "30000", SWEEP_INTERVAL_MS: "3600000" };

    const before = await createTestApp({ clock, env, databaseFile, dataDir: data.dir });
    const device = await createDevice(before);
    const quiet = await createSession(before, device, { kind: "recording", title: "quiet" });
    const done = await createSession(before, device, { kind: "synthesis", title: "done" });
    await post(before, device, `/api/session/${done.id}/finish`);
    clock.advance(10_000);
    await post(before, device, `/api/session/${quiet.id}/keepalive`); // buffered, written on close
    await before.close();

    clock.advance(60_000); // the server is down for a minute
    const after = await createTestApp({ clock, env, databaseFile, dataDir: data.dir });
    cleanups.push(() => after.close());
    // No request has been made: the sweep at start has already run.
    const row = after.sessionRepository.findOwned(device.userId, quiet.id);
    expect(row?.status).toBe("incomplete");
    expect(row?.lastHeartbeat).toBe(new Date("2026-01-05T10:00:10.000Z").getTime());

    const list = await after.inject({ method: "GET", url: "/api/sessions", headers: device.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().sessions.map((s: { title: string; status: string }) => [s.title, s.status])).toEqual([
      ["done", "completed"],
      ["quiet", "incomplete"],
    ]);
  });

  it("writes buffered keepalives to the database within the flush interval", async () => {
    const app = await createTestApp({ env: { SWEEP_INTERVAL_MS: "3600000" } });
    cleanups.push(() => app.close());
    const device = await createDevice(app);
    const session = await createSession(app, device);
    const created = app.sessionRepository.findOwned(device.userId, session.id)?.lastHeartbeat ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await post(app, device, `/api/session/${session.id}/keepalive`);
    await vi.waitFor(
      () => expect(app.sessionRepository.findOwned(device.userId, session.id)?.lastHeartbeat).toBeGreaterThan(created),
      { timeout: 3000, interval: 50 },
    );
  });
});
