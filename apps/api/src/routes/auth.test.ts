import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AUTH_COOKIE_NAME, DEFAULT_PREFERENCES, type SessionCheckpointState } from "@tidemark/shared";
import { authTokens, chunks, recoveryTokens, sessionFiles } from "../db/schema.ts";
import { AudioStore } from "../services/audio-store.ts";
import { hashToken } from "../services/identity.ts";
import {
  createDevice,
  createSession,
  createTestApp,
  declareTrack,
  openEventStream,
  tempDataDir,
  type Device,
} from "../test-support/test-app.ts";

describe("device identity", () => {
  let app: FastifyInstance;

  beforeEach(async () => {
    app = await createTestApp();
  });
  afterEach(async () => {
    await app.close();
  });

  it("creates an anonymous user with a long random token and sets it as an HttpOnly Lax cookie", async () => {
    const response = await app.inject({ method: "POST", url: "/api/auth/device" });
    expect(response.statusCode).toBe(201);
    const { userId, token } = response.json<{ userId: string; token: string }>();
    expect(userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(16);
    const cookie = response.cookies.find((c) => c.name === AUTH_COOKIE_NAME);
    expect(cookie).toMatchObject({ value: token, httpOnly: true, sameSite: "Lax", path: "/" });
  });

  it("stores only a hash of the token", async () => {
    const { token } = await createDevice(app);
    const stored = app.db.select().from(authTokens).all();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it("gives every device its own user and token", async () => {
    const a = await createDevice(app);
    const b = await createDevice(app);
    expect(a.userId).not.toBe(b.userId);
    expect(a.token).not.toBe(b.token);
  });

  it("says whose device token a request presents, null without a known one, and never answers 401", async () => {
    const { userId, token } = await createDevice(app);
    const ask = (options: { cookies?: Record<string, string>; headers?: Record<string, string> }) =>
      app.inject({ method: "GET", url: "/api/auth/device", ...options });

    const none = await ask({});
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ userId: null });
    expect((await ask({ cookies: { [AUTH_COOKIE_NAME]: token } })).json()).toEqual({ userId });
    expect((await ask({ headers: { authorization: `Bearer ${token}` } })).json()).toEqual({ userId });
    const unknown = await ask({ cookies: { [AUTH_COOKIE_NAME]: "u".repeat(43) } });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({ userId: null });
    // Asking creates nothing.
    expect(app.db.select().from(authTokens).all()).toHaveLength(1);
  });

  it("accepts the token as a cookie or as a bearer header", async () => {
    const { token } = await createDevice(app);
    const byCookie = await app.inject({ method: "GET", url: "/api/sessions", cookies: { [AUTH_COOKIE_NAME]: token } });
    expect(byCookie.statusCode).toBe(200);
    const byHeader = await app.inject({ method: "GET", url: "/api/sessions", headers: { authorization: `Bearer ${token}` } });
    expect(byHeader.statusCode).toBe(200);
  });

  it("sets the cookie again for a client that presents its kept token as a bearer", async () => {
    const { userId, token } = await createDevice(app);
    const response = await app.inject({ method: "POST", url: "/api/auth/cookie", headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ userId });
    expect(response.cookies.find((c) => c.name === AUTH_COOKIE_NAME)).toMatchObject({ value: token, httpOnly: true });
    const unknown = await app.inject({ method: "POST", url: "/api/auth/cookie", headers: { authorization: "Bearer nope" } });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.cookies).toHaveLength(0);
  });

  it("answers 401 with a message when the token is missing or unknown", async () => {
    const missing = await app.inject({ method: "GET", url: "/api/sessions" });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ message: expect.stringContaining("/api/auth/device") });
    const unknown = await app.inject({ method: "GET", url: "/api/sessions", headers: { authorization: "Bearer nope" } });
    expect(unknown.statusCode).toBe(401);
  });

  it("answers 404 with a message for an unknown API route", async () => {
    const response = await app.inject({ method: "GET", url: "/api/nothing-here" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ message: expect.any(String) });
  });
});

const CHECKPOINT: SessionCheckpointState = {
  title: "Draft",
  chapters: [],
  engine: "flite",
  voice: "slt",
  parameters: DEFAULT_PREFERENCES.parameters,
  position: { chapter: 0, offset: 0 },
  notes: "",
  savedAt: "2026-01-01T00:00:00.000Z",
};

describe("DELETE /api/me", () => {
  let app: FastifyInstance;
  let data: ReturnType<typeof tempDataDir>;

  beforeEach(async () => {
    data = tempDataDir();
    app = await createTestApp({ dataDir: data.dir, env: { SWEEP_INTERVAL_MS: "3600000" } });
  });
  afterEach(async () => {
    await app.close();
    data.remove();
  });

  /**
   * A user with everything a user can have: sessions with tracks, chunks, a finalized file and
   * a recovery token (rows and files written directly, as the chunk path would leave them), a
   * checkpoint, preferences and events.
   */
  async function populate(device: Device): Promise<string[]> {
    const store = new AudioStore(data.dir);
    const sessionIds: string[] = [];
    for (const title of ["finished", "open"]) {
      const id = (await createSession(app, device, { kind: "recording", title })).id;
      sessionIds.push(id);
      expect((await declareTrack(app, device, id, 0)).statusCode).toBe(200);
      app.db.insert(chunks).values({ sessionId: id, track: 0, seq: 0, size: 960, sha256: "00", createdAt: 0 }).run();
      app.db.insert(sessionFiles).values({ sessionId: id, track: 0, sizeBytes: 1004, sha256: "00", durationSeconds: 0.01, createdAt: 0 }).run();
      app.db.insert(recoveryTokens).values({ tokenHash: `${id}-token`, userId: device.userId, sessionId: id, createdAt: 0, expiresAt: 1 }).run();
      mkdirSync(store.dirFor(id), { recursive: true });
      writeFileSync(path.join(store.dirFor(id), "track-0.wav"), Buffer.alloc(1004));
      const state = { ...CHECKPOINT, notes: title };
      const checkpoint = await app.inject({ method: "PUT", url: `/api/session/${id}/checkpoint`, headers: device.headers, payload: { baseVersion: 0, state } });
      expect(checkpoint.statusCode).toBe(200);
    }
    const preferences = await app.inject({ method: "PUT", url: "/api/preferences", headers: device.headers, payload: { baseVersion: 0, preferences: DEFAULT_PREFERENCES } });
    expect(preferences.statusCode).toBe(200);
    return sessionIds;
  }

  /** Rows per table that belong to a user or to one of their sessions. */
  function rowsOf(userId: string, sessionIds: string[]): Record<string, number> {
    const count = (sql: string, ...parameters: string[]) =>
      (app.db.$client.prepare(`SELECT count(*) AS n FROM ${sql}`).get(...parameters) as { n: number }).n;
    const sessionList = sessionIds.map(() => "?").join(", ");
    const perSession = (table: string) => count(`${table} WHERE session_id IN (${sessionList})`, ...sessionIds);
    return {
      users: count("users WHERE id = ?", userId),
      auth_tokens: count("auth_tokens WHERE user_id = ?", userId),
      sessions: count("sessions WHERE user_id = ?", userId),
      tracks: perSession("tracks"),
      chunks: perSession("chunks"),
      session_files: perSession("session_files"),
      recovery_tokens: count("recovery_tokens WHERE user_id = ?", userId),
      session_checkpoints: perSession("session_checkpoints"),
      user_preferences: count("user_preferences WHERE user_id = ?", userId),
      events: count("events WHERE user_id = ?", userId),
    };
  }

  it("deletes everything of the caller, rows and audio files, clears the cookie, and the old token gets 401", async () => {
    const alice = await createDevice(app);
    const bob = await createDevice(app);
    const aliceSessions = await populate(alice);
    const bobSessions = await populate(bob);
    const store = new AudioStore(data.dir);
    for (const id of [...aliceSessions, ...bobSessions]) expect(existsSync(store.dirFor(id))).toBe(true);
    expect(Object.values(rowsOf(alice.userId, aliceSessions)).every((n) => n > 0)).toBe(true);
    const bobBefore = rowsOf(bob.userId, bobSessions);

    const response = await app.inject({ method: "DELETE", url: "/api/me", headers: alice.headers });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe("");
    const cleared = response.cookies.find((c) => c.name === AUTH_COOKIE_NAME);
    expect(cleared).toMatchObject({ value: "", path: "/", httpOnly: true });
    expect(cleared?.expires?.getTime()).toBeLessThanOrEqual(Date.now());

    expect(rowsOf(alice.userId, aliceSessions)).toEqual({
      users: 0,
      auth_tokens: 0,
      sessions: 0,
      tracks: 0,
      chunks: 0,
      session_files: 0,
      recovery_tokens: 0,
      session_checkpoints: 0,
      user_preferences: 0,
      events: 0,
    });
    for (const id of aliceSessions) expect(existsSync(store.dirFor(id))).toBe(false);

    for (const url of ["/api/sessions", "/api/preferences", `/api/session/${aliceSessions[1]}/checkpoint`]) {
      const after = await app.inject({ method: "GET", url, headers: alice.headers });
      expect(after.statusCode, url).toBe(401);
    }
    expect((await app.inject({ method: "DELETE", url: "/api/me", headers: alice.headers })).statusCode).toBe(401);
    await expect(app.injectWS("/api/ws", { headers: alice.headers })).rejects.toThrow(/401/);

    // Nobody else loses anything.
    expect(rowsOf(bob.userId, bobSessions)).toEqual(bobBefore);
    for (const id of bobSessions) expect(existsSync(store.dirFor(id))).toBe(true);
    expect((await app.inject({ method: "GET", url: "/api/sessions", headers: bob.headers })).json().sessions).toHaveLength(2);
  });

  it("closes the deleted user's open event streams, so other tabs notice at once", async () => {
    const alice = await createDevice(app);
    const { socket } = await openEventStream(app, alice);
    const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
    expect((await app.inject({ method: "DELETE", url: "/api/me", headers: alice.headers })).statusCode).toBe(204);
    expect(await closed).toBe(1008);
  });

  it("answers 401 without a device token and deletes nothing", async () => {
    const alice = await createDevice(app);
    expect((await app.inject({ method: "DELETE", url: "/api/me" })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/api/sessions", headers: alice.headers })).statusCode).toBe(200);
  });
});
