import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SessionSchema, uuidv7 } from "@tidemark/shared";
import { ManualClock } from "../test-support/manual-clock.ts";
import { createDevice, createSession, createTestApp, post, type Device } from "../test-support/test-app.ts";

const UNKNOWN_ID = "01900000-0000-7000-8000-000000000000";

describe("session routes", () => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let alice: Device;

  beforeEach(async () => {
    clock = new ManualClock();
    app = await createTestApp({ clock, env: { SESSION_TIMEOUT_MS: "30000", SWEEP_INTERVAL_MS: "3600000" } });
    alice = await createDevice(app);
  });

  afterEach(async () => {
    await app.close();
  });

  describe("POST /api/sessions", () => {
    it("creates an active session with every documented field", async () => {
      const response = await app.inject({
        method: "POST",
        url: "/api/sessions",
        headers: alice.headers,
        payload: { kind: "synthesis", title: "  Moby Dick  " },
      });
      expect(response.statusCode).toBe(201);
      const session = SessionSchema.parse(response.json());
      expect(session).toMatchObject({
        kind: "synthesis",
        title: "Moby Dick",
        status: "active",
        createdAt: clock.now().toISOString(),
        updatedAt: clock.now().toISOString(),
        lastHeartbeat: clock.now().toISOString(),
        completedAt: null,
      });
      expect(session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it("gives an untitled session a readable default title", async () => {
      const session = await createSession(app, alice, { kind: "recording" });
      expect(session.title).toBe("Untitled recording");
    });

    it("creates a session under the client's id once: repeating the create answers the same session, unchanged", async () => {
      const id = uuidv7();
      const create = (title: string) =>
        app.inject({ method: "POST", url: "/api/sessions", headers: alice.headers, payload: { id, kind: "recording", title } });

      const first = await create("Recorded offline");
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({ id, title: "Recorded offline", status: "active" });
      clock.advance(60_000);
      const again = await create("Another title");
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());

      const list = await app.inject({ method: "GET", url: "/api/sessions", headers: alice.headers });
      expect(list.json().sessions.map((session: { id: string }) => session.id)).toEqual([id]);
    });

    it("refuses another user's id with 409, changing nothing", async () => {
      const id = uuidv7();
      const bob = await createDevice(app);
      await createSession(app, bob, { id, kind: "recording", title: "Bob's" });

      const response = await app.inject({ method: "POST", url: "/api/sessions", headers: alice.headers, payload: { id, kind: "recording" } });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toEqual({ message: expect.any(String) });
      const mine = await app.inject({ method: "GET", url: "/api/sessions", headers: alice.headers });
      expect(mine.json().sessions).toHaveLength(0);
      const bobs = await app.inject({ method: "GET", url: `/api/session/${id}`, headers: bob.headers });
      expect(bobs.json()).toMatchObject({ title: "Bob's", status: "active" });
    });

    it.each([
      ["an unknown kind", { kind: "video" }],
      ["a missing kind", { title: "x" }],
      ["an unknown field", { kind: "recording", owner: "mallory" }],
      ["a title of the wrong type", { kind: "recording", title: 42 }],
      ["a title that is too long", { kind: "recording", title: "x".repeat(201) }],
      ["an id that is not a UUID", { kind: "recording", id: "../../etc/passwd" }],
    ])("refuses %s with 400 and a message, creating nothing", async (_case, payload) => {
      const response = await app.inject({ method: "POST", url: "/api/sessions", headers: alice.headers, payload });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ message: expect.any(String) });
      const list = await app.inject({ method: "GET", url: "/api/sessions", headers: alice.headers });
      expect(list.json().sessions).toHaveLength(0);
    });

    it("refuses malformed JSON with 400", async () => {
      const response = await app.inject({
        method: "POST",
        url: "/api/sessions",
        headers: { ...alice.headers, "content-type": "application/json" },
        payload: '{"kind": "recording",',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ message: expect.any(String) });
    });

    it("refuses an oversized body with 413", async () => {
      const response = await app.inject({
        method: "POST",
        url: "/api/sessions",
        headers: { ...alice.headers, "content-type": "application/json" },
        payload: JSON.stringify({ kind: "recording", title: "x".repeat(100_000) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({ message: expect.any(String) });
    });

    it("refuses a body of an unsupported media type with 415", async () => {
      const response = await app.inject({
        method: "POST",
        url: "/api/sessions",
        headers: { ...alice.headers, "content-type": "application/xml" },
        payload: "<session kind=\"recording\"/>",
      });
      expect(response.statusCode).toBe(415);
      expect(response.json()).toEqual({ message: expect.any(String) });
    });
  });

  describe("GET /api/sessions", () => {
    it("lists the caller's sessions newest first", async () => {
      const first = await createSession(app, alice, { kind: "recording", title: "first" });
      clock.advance(1000);
      const second = await createSession(app, alice, { kind: "synthesis", title: "second" });
      const response = await app.inject({ method: "GET", url: "/api/sessions", headers: alice.headers });
      expect(response.statusCode).toBe(200);
      expect(response.json().sessions.map((s: { id: string }) => s.id)).toEqual([second.id, first.id]);
    });
  });

  describe("GET /api/session/:id", () => {
    it("shows one session in detail", async () => {
      const created = await createSession(app, alice);
      const response = await app.inject({ method: "GET", url: `/api/session/${created.id}`, headers: alice.headers });
      expect(response.statusCode).toBe(200);
      const keptUntil = new Date(clock.now().getTime() + 24 * 3_600_000).toISOString(); // RETENTION_HOURS' default
      expect(response.json()).toEqual({ ...created, tracks: [], files: [], tokens: [], keptUntil });
    });

    it("answers 404 for an unknown id and 400 for a malformed one", async () => {
      const unknown = await app.inject({ method: "GET", url: `/api/session/${UNKNOWN_ID}`, headers: alice.headers });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({ message: "Session not found" });
      const malformed = await app.inject({ method: "GET", url: "/api/session/not-an-id", headers: alice.headers });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toEqual({ message: expect.any(String) });
    });
  });

  describe("POST /api/session/:id/keepalive", () => {
    it("records the heartbeat of an active session", async () => {
      const session = await createSession(app, alice);
      clock.advance(7000);
      const response = await post(app, alice, `/api/session/${session.id}/keepalive`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: "active", lastHeartbeat: clock.now().toISOString() });
      const detail = await app.inject({ method: "GET", url: `/api/session/${session.id}`, headers: alice.headers });
      expect(detail.json().lastHeartbeat).toBe(clock.now().toISOString());
    });

    it("answers 400 for a session that is not active and 404 for an unknown one", async () => {
      const session = await createSession(app, alice);
      await post(app, alice, `/api/session/${session.id}/finish`);
      const finished = await post(app, alice, `/api/session/${session.id}/keepalive`);
      expect(finished.statusCode).toBe(400);
      expect(finished.json().message).toMatch(/completed/);
      const unknown = await post(app, alice, `/api/session/${UNKNOWN_ID}/keepalive`);
      expect(unknown.statusCode).toBe(404);
    });

    it("keeps a session active past the timeout as long as keepalives arrive", async () => {
      const session = await createSession(app, alice);
      for (let i = 0; i < 10; i += 1) {
        clock.advance(7000);
        expect((await post(app, alice, `/api/session/${session.id}/keepalive`)).statusCode).toBe(200);
        expect((await post(app, alice, "/api/session/check-timeouts")).json()).toEqual({ timedOut: 0 });
      }
    });
  });

  describe("POST /api/session/check-timeouts", () => {
    it("marks only the sessions without a keepalive for the timeout as incomplete", async () => {
      const quiet = await createSession(app, alice, { kind: "recording", title: "quiet" });
      const busy = await createSession(app, alice, { kind: "recording", title: "busy" });
      clock.advance(29_000);
      await post(app, alice, `/api/session/${busy.id}/keepalive`);
      expect((await post(app, alice, "/api/session/check-timeouts")).json()).toEqual({ timedOut: 0 });
      clock.advance(1_001);
      const response = await post(app, alice, "/api/session/check-timeouts");
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ timedOut: 1 });
      const sessions = (await app.inject({ method: "GET", url: "/api/sessions", headers: alice.headers })).json().sessions;
      const statusOf = (id: string) => sessions.find((s: { id: string }) => s.id === id).status;
      expect(statusOf(quiet.id)).toBe("incomplete");
      expect(statusOf(busy.id)).toBe("active");
    });
  });

  describe("POST /api/session/:id/resume", () => {
    it("turns an incomplete session active again with a fresh heartbeat", async () => {
      const session = await createSession(app, alice);
      clock.advance(31_000);
      await post(app, alice, "/api/session/check-timeouts");
      clock.advance(60_000);
      const response = await post(app, alice, `/api/session/${session.id}/resume`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        id: session.id,
        status: "active",
        lastHeartbeat: clock.now().toISOString(),
        updatedAt: clock.now().toISOString(),
      });
      expect((await post(app, alice, "/api/session/check-timeouts")).json()).toEqual({ timedOut: 0 });
    });

    it("answers an active session unchanged, so a retried resume is harmless", async () => {
      const session = await createSession(app, alice);
      const response = await post(app, alice, `/api/session/${session.id}/resume`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(session);
    });

    it("refuses to resume a completed session with 409", async () => {
      const session = await createSession(app, alice);
      await post(app, alice, `/api/session/${session.id}/finish`);
      const response = await post(app, alice, `/api/session/${session.id}/resume`);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toEqual({ message: expect.stringMatching(/completed/) });
    });

    it("answers 404 for an unknown session", async () => {
      expect((await post(app, alice, `/api/session/${UNKNOWN_ID}/resume`)).statusCode).toBe(404);
    });
  });

  describe("POST /api/session/:id/finish", () => {
    it("completes an active session and sets completedAt", async () => {
      const session = await createSession(app, alice);
      clock.advance(5000);
      const response = await post(app, alice, `/api/session/${session.id}/finish`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: "completed", completedAt: clock.now().toISOString() });
    });

    it("completes an incomplete session", async () => {
      const session = await createSession(app, alice);
      clock.advance(31_000);
      await post(app, alice, "/api/session/check-timeouts");
      const response = await post(app, alice, `/api/session/${session.id}/finish`);
      expect(response.statusCode).toBe(200);
      expect(response.json().status).toBe("completed");
    });

    it("refuses to finish a completed session with 409 and leaves it as it was", async () => {
      const session = await createSession(app, alice);
      const { recoveryTokens, ...first } = (await post(app, alice, `/api/session/${session.id}/finish`)).json();
      expect(recoveryTokens).toEqual([]); // no audio, no files, no tokens
      clock.advance(1000);
      const again = await post(app, alice, `/api/session/${session.id}/finish`);
      expect(again.statusCode).toBe(409);
      const detail = await app.inject({ method: "GET", url: `/api/session/${session.id}`, headers: alice.headers });
      expect(detail.json()).toEqual(first);
    });

    it("answers 404 for an unknown session", async () => {
      expect((await post(app, alice, `/api/session/${UNKNOWN_ID}/finish`)).statusCode).toBe(404);
    });
  });

  describe("isolation between users", () => {
    it("never lets one user see or touch another user's session", async () => {
      const bob = await createDevice(app);
      const session = await createSession(app, alice);
      const bobList = await app.inject({ method: "GET", url: "/api/sessions", headers: bob.headers });
      expect(bobList.json().sessions).toEqual([]);
      for (const [method, url] of [
        ["GET", `/api/session/${session.id}`],
        ["POST", `/api/session/${session.id}/keepalive`],
        ["POST", `/api/session/${session.id}/resume`],
        ["POST", `/api/session/${session.id}/finish`],
      ] as const) {
        const response = await app.inject({ method, url, headers: bob.headers });
        expect(response.statusCode, `${method} ${url}`).toBe(404);
      }
      const detail = await app.inject({ method: "GET", url: `/api/session/${session.id}`, headers: alice.headers });
      expect(detail.json().status).toBe("active");
    });
  });
});
