import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SessionDetail } from "@tidemark/shared";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recoveryTokens } from "../db/schema.ts";
import { ManualClock } from "../test-support/manual-clock.ts";
import { createDevice, createSession, createTestApp, openEventStream, post, tempDataDir, type Device } from "../test-support/test-app.ts";
import { AudioStore } from "./audio-store.ts";

const HOUR = 3_600_000;

describe("retention job", () => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let device: Device;
  let data: ReturnType<typeof tempDataDir>;
  let files: AudioStore;

  beforeEach(async () => {
    data = tempDataDir();
    clock = new ManualClock();
    app = await createTestApp({ clock, dataDir: data.dir, env: { RETENTION_HOURS: "24", SWEEP_INTERVAL_MS: "3600000" } });
    device = await createDevice(app);
    files = new AudioStore(data.dir);
  });
  afterEach(async () => {
    await app.close();
    data.remove();
  });

  function giveFiles(sessionId: string): string {
    const dir = files.dirFor(sessionId);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "track-0.wav"), Buffer.alloc(64));
    return dir;
  }

  function addRecoveryToken(sessionId: string, hash: string, expiresAt: number) {
    app.db
      .insert(recoveryTokens)
      .values({ tokenHash: hash, userId: device.userId, sessionId, createdAt: clock.now().getTime(), expiresAt })
      .run();
  }

  it("deletes sessions untouched for longer than the retention period, with their files, tokens and an event", async () => {
    const old = await createSession(app, device, { kind: "recording", title: "old" });
    await post(app, device, `/api/session/${old.id}/finish`);
    const oldDir = giveFiles(old.id);
    addRecoveryToken(old.id, "old-token", clock.now().getTime() + 48 * HOUR);

    clock.advance(20 * HOUR);
    const recent = await createSession(app, device, { kind: "recording", title: "recent" });
    const recentDir = giveFiles(recent.id);
    clock.advance(5 * HOUR);
    await post(app, device, `/api/session/${recent.id}/resume`);

    const { socket, messages } = await openEventStream(app, device);
    const report = await app.retention.run();
    expect(report).toEqual({ sessions: 1, recoveryTokens: 0, directories: 1 });

    const titles = (await app.inject({ method: "GET", url: "/api/sessions", headers: device.headers }))
      .json()
      .sessions.map((s: { title: string }) => s.title);
    expect(titles).toEqual(["recent"]);
    expect(existsSync(oldDir)).toBe(false);
    expect(existsSync(recentDir)).toBe(true);
    expect(app.db.select().from(recoveryTokens).all()).toEqual([]);
    expect(messages).toEqual([expect.objectContaining({ type: "session.deleted", sessionId: old.id })]);
    socket.terminate();
  });

  it("keeps a session that is still receiving keepalives", async () => {
    const session = await createSession(app, device);
    for (let hour = 0; hour < 30; hour += 1) {
      clock.advance(HOUR);
      await post(app, device, `/api/session/${session.id}/resume`);
      await post(app, device, `/api/session/${session.id}/keepalive`);
    }
    expect((await app.retention.run()).sessions).toBe(0);
  });

  it("deletes expired recovery tokens of sessions that are kept", async () => {
    const session = await createSession(app, device);
    addRecoveryToken(session.id, "expired", clock.now().getTime() + HOUR);
    addRecoveryToken(session.id, "valid", clock.now().getTime() + 24 * HOUR);
    clock.advance(2 * HOUR);
    await post(app, device, `/api/session/${session.id}/keepalive`);
    const report = await app.retention.run();
    expect(report.recoveryTokens).toBe(1);
    expect(app.db.select({ hash: recoveryTokens.tokenHash }).from(recoveryTokens).all()).toEqual([{ hash: "valid" }]);
  });

  it("works through a backlog larger than one batch", async () => {
    for (let i = 0; i < 450; i += 1) await createSession(app, device, { kind: "synthesis", title: `s${i}` });
    clock.advance(25 * HOUR);
    const report = await app.retention.run();
    expect(report.sessions).toBe(450);
    expect(app.sessionRepository.countByStatus()).toEqual({ active: 0, incomplete: 0, completed: 0 });
  });

  it("keeps a session until the time its detail promises, and moves that time with every keepalive", async () => {
    const session = await createSession(app, device, { kind: "recording", title: "promised" });
    const detail = async () => (await app.inject({ method: "GET", url: `/api/session/${session.id}`, headers: device.headers })).json<SessionDetail>();
    const promised = Date.parse((await detail()).keptUntil);
    expect(promised).toBe(clock.now().getTime() + 24 * HOUR); // made just now

    clock.advance(3 * HOUR);
    await post(app, device, `/api/session/${session.id}/keepalive`);
    const moved = Date.parse((await detail()).keptUntil);
    expect(moved).toBe(promised + 3 * HOUR);

    clock.advance(moved - clock.now().getTime());
    expect((await app.retention.run()).sessions).toBe(0);
    clock.advance(1);
    expect((await app.retention.run()).sessions).toBe(1);
  });
});
