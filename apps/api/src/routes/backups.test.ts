import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CHAPTER_TEXT_MAX_LENGTH,
  CHAPTERS_MAX,
  DRAFT_TEXT_MAX_LENGTH,
  CHECKPOINT_MAX_BYTES,
  CheckpointConflictSchema,
  CheckpointDocumentSchema,
  DEFAULT_PREFERENCES,
  PREFERENCES_MAX_BYTES,
  PreferencesConflictSchema,
  PreferencesDocumentSchema,
  ServerMessageSchema,
  SessionCheckpointStateSchema,
  TITLE_MAX_LENGTH,
  type Preferences,
  type SessionCheckpointState,
} from "@tidemark/shared";
import { sessionCheckpoints } from "../db/schema.ts";
import { ManualClock } from "../test-support/manual-clock.ts";
import { createDevice, createSession, createTestApp, openEventStream, post, type Device } from "../test-support/test-app.ts";

const preferencesWith = (voice: string): Preferences => ({
  ...DEFAULT_PREFERENCES,
  voice,
  parameters: { ...DEFAULT_PREFERENCES.parameters, rate: 1.25 },
});

const checkpointWith = (text: string): SessionCheckpointState => ({
  title: "Chapter drafts",
  chapters: [{ id: "c1", title: "One", text }],
  engine: "flite",
  voice: "slt",
  parameters: { rate: 1, pitch: 1, volume: 1, paragraphPauseMs: 600 },
  position: { chapter: 0, offset: 3 },
  notes: "",
  savedAt: "2026-01-01T00:00:00.000Z",
});

describe("server backup of preferences and checkpoints", () => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let alice: Device;

  beforeEach(async () => {
    clock = new ManualClock();
    app = await createTestApp({ clock, env: { SWEEP_INTERVAL_MS: "3600000", RETENTION_HOURS: "24" } });
    alice = await createDevice(app);
  });
  afterEach(async () => {
    await app.close();
  });

  const getPreferences = (device: Device) => app.inject({ method: "GET", url: "/api/preferences", headers: device.headers });
  const putPreferences = (device: Device, payload: unknown) =>
    app.inject({ method: "PUT", url: "/api/preferences", headers: device.headers, payload: payload as object });
  const getCheckpoint = (device: Device, sessionId: string) =>
    app.inject({ method: "GET", url: `/api/session/${sessionId}/checkpoint`, headers: device.headers });
  const putCheckpoint = (device: Device, sessionId: string, payload: unknown) =>
    app.inject({ method: "PUT", url: `/api/session/${sessionId}/checkpoint`, headers: device.headers, payload: payload as object });

  describe("/api/preferences", () => {
    it("answers version 0 and the defaults before the first write", async () => {
      const response = await getPreferences(alice);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ version: 0, preferences: DEFAULT_PREFERENCES });
    });

    it("accepts writes based on the current version and counts the versions up from 0 to 1 to 2", async () => {
      const first = await putPreferences(alice, { baseVersion: 0, preferences: preferencesWith("kal") });
      expect(first.statusCode).toBe(200);
      expect(PreferencesDocumentSchema.parse(first.json())).toEqual({ version: 1, preferences: preferencesWith("kal") });

      const second = await putPreferences(alice, { baseVersion: 1, preferences: preferencesWith("awb") });
      expect(second.json()).toEqual({ version: 2, preferences: preferencesWith("awb") });
      expect((await getPreferences(alice)).json()).toEqual({ version: 2, preferences: preferencesWith("awb") });
    });

    it("refuses a write based on a stale version with 409 and the current value, and keeps that value", async () => {
      await putPreferences(alice, { baseVersion: 0, preferences: preferencesWith("kal") });
      await putPreferences(alice, { baseVersion: 1, preferences: preferencesWith("awb") });

      const stale = await putPreferences(alice, { baseVersion: 1, preferences: preferencesWith("rms") });
      expect(stale.statusCode).toBe(409);
      expect(PreferencesConflictSchema.parse(stale.json())).toEqual({
        message: expect.stringMatching(/version 2.*version 1/),
        version: 2,
        preferences: preferencesWith("awb"),
      });
      expect((await getPreferences(alice)).json()).toEqual({ version: 2, preferences: preferencesWith("awb") });
    });

    it("refuses a write based on a version the server never had with 409", async () => {
      const future = await putPreferences(alice, { baseVersion: 7, preferences: preferencesWith("rms") });
      expect(future.statusCode).toBe(409);
      expect(future.json()).toEqual({ message: expect.any(String), version: 0, preferences: DEFAULT_PREFERENCES });
      expect((await getPreferences(alice)).json().version).toBe(0);
    });

    it("lets exactly one of two concurrent writes on the same version win, and shows the loser the winner's value", async () => {
      const [a, b] = await Promise.all([
        putPreferences(alice, { baseVersion: 0, preferences: preferencesWith("kal") }),
        putPreferences(alice, { baseVersion: 0, preferences: preferencesWith("awb") }),
      ]);
      const statuses = [a.statusCode, b.statusCode].sort();
      expect(statuses).toEqual([200, 409]);
      const winner = a.statusCode === 200 ? a : b;
      const loser = a.statusCode === 200 ? b : a;
      expect(loser.json()).toMatchObject({ version: 1, preferences: winner.json().preferences });
      expect((await getPreferences(alice)).json()).toEqual(winner.json());
    });

    it("refuses invalid bodies with 400 and a message, storing nothing", async () => {
      const invalid: unknown[] = [
        { preferences: DEFAULT_PREFERENCES },
        { baseVersion: -1, preferences: DEFAULT_PREFERENCES },
        { baseVersion: 0.5, preferences: DEFAULT_PREFERENCES },
        { baseVersion: "0", preferences: DEFAULT_PREFERENCES },
        { baseVersion: 0 },
        { baseVersion: 0, preferences: { ...DEFAULT_PREFERENCES, engine: "espeak" } },
        { baseVersion: 0, preferences: { ...DEFAULT_PREFERENCES, parameters: { ...DEFAULT_PREFERENCES.parameters, rate: 9 } } },
        { baseVersion: 0, preferences: { ...DEFAULT_PREFERENCES, extra: true } },
        { baseVersion: 0, preferences: DEFAULT_PREFERENCES, extra: true },
      ];
      for (const payload of invalid) {
        const response = await putPreferences(alice, payload);
        expect(response.statusCode, JSON.stringify(payload)).toBe(400);
        expect(response.json()).toEqual({ message: expect.any(String) });
      }
      expect((await getPreferences(alice)).json().version).toBe(0);
    });

    it("refuses a body larger than PREFERENCES_MAX_BYTES with 413 and a message", async () => {
      const payload = JSON.stringify({ baseVersion: 0, preferences: { ...DEFAULT_PREFERENCES, voice: "x".repeat(PREFERENCES_MAX_BYTES) } });
      const response = await app.inject({
        method: "PUT",
        url: "/api/preferences",
        headers: { ...alice.headers, "content-type": "application/json" },
        payload,
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({ message: expect.any(String) });
    });

    it("keeps every user's preferences to themselves", async () => {
      const bob = await createDevice(app);
      await putPreferences(alice, { baseVersion: 0, preferences: preferencesWith("kal") });
      expect((await getPreferences(bob)).json()).toEqual({ version: 0, preferences: DEFAULT_PREFERENCES });
      expect((await putPreferences(bob, { baseVersion: 0, preferences: preferencesWith("awb") })).statusCode).toBe(200);
      expect((await getPreferences(alice)).json()).toEqual({ version: 1, preferences: preferencesWith("kal") });
    });

    it("answers 401 without a device token", async () => {
      expect((await app.inject({ method: "GET", url: "/api/preferences" })).statusCode).toBe(401);
      const put = await app.inject({ method: "PUT", url: "/api/preferences", payload: { baseVersion: 0, preferences: DEFAULT_PREFERENCES } });
      expect(put.statusCode).toBe(401);
    });
  });

  describe("/api/session/:id/checkpoint", () => {
    let sessionId: string;

    beforeEach(async () => {
      sessionId = (await createSession(app, alice, { kind: "synthesis" })).id;
    });

    it("answers version 0 and no state before the first write", async () => {
      const response = await getCheckpoint(alice, sessionId);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ version: 0, state: null });
    });

    it("accepts writes based on the current version and refuses stale and future ones with 409 and the current state", async () => {
      const first = await putCheckpoint(alice, sessionId, { baseVersion: 0, state: checkpointWith("draft one") });
      expect(CheckpointDocumentSchema.parse(first.json())).toEqual({ version: 1, state: checkpointWith("draft one") });
      const second = await putCheckpoint(alice, sessionId, { baseVersion: 1, state: checkpointWith("draft two") });
      expect(second.json()).toEqual({ version: 2, state: checkpointWith("draft two") });

      for (const baseVersion of [0, 1, 3, 100]) {
        const refused = await putCheckpoint(alice, sessionId, { baseVersion, state: checkpointWith("lost?") });
        expect(refused.statusCode).toBe(409);
        expect(CheckpointConflictSchema.parse(refused.json())).toEqual({
          message: expect.any(String),
          version: 2,
          state: checkpointWith("draft two"),
        });
      }
      expect((await getCheckpoint(alice, sessionId)).json()).toEqual({ version: 2, state: checkpointWith("draft two") });
    });

    it("lets exactly one of two concurrent writes on the same version win", async () => {
      const results = await Promise.all(
        ["tab one", "tab two"].map((text) => putCheckpoint(alice, sessionId, { baseVersion: 0, state: checkpointWith(text) })),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      expect((await getCheckpoint(alice, sessionId)).json().version).toBe(1);
    });

    it("keeps one checkpoint per session", async () => {
      const other = (await createSession(app, alice, { kind: "synthesis" })).id;
      await putCheckpoint(alice, sessionId, { baseVersion: 0, state: checkpointWith("first session") });
      expect((await getCheckpoint(alice, other)).json()).toEqual({ version: 0, state: null });
      expect((await putCheckpoint(alice, other, { baseVersion: 0, state: checkpointWith("second session") })).statusCode).toBe(200);
      expect((await getCheckpoint(alice, sessionId)).json().state.chapters[0].text).toBe("first session");
    });

    it("accepts a checkpoint for a completed session, whose notes stay editable", async () => {
      await post(app, alice, `/api/session/${sessionId}/finish`);
      const response = await putCheckpoint(alice, sessionId, { baseVersion: 0, state: { ...checkpointWith("done"), notes: "listened once" } });
      expect(response.statusCode).toBe(200);
      const session = await app.inject({ method: "GET", url: `/api/session/${sessionId}`, headers: alice.headers });
      expect(session.json().status).toBe("completed");
    });

    it("answers 404 for another user's session and for an unknown one, on GET and PUT, and writes nothing", async () => {
      const bob = await createDevice(app);
      const unknown = "01900000-0000-7000-8000-000000000000";
      for (const id of [sessionId, unknown]) {
        const read = await getCheckpoint(bob, id);
        expect(read.statusCode).toBe(404);
        expect(read.json()).toEqual({ message: expect.any(String) });
        const write = await putCheckpoint(bob, id, { baseVersion: 0, state: checkpointWith("intruder") });
        expect(write.statusCode).toBe(404);
      }
      expect((await getCheckpoint(alice, sessionId)).json()).toEqual({ version: 0, state: null });
    });

    it("refuses invalid checkpoints and session ids with 400 and a message", async () => {
      const invalid: unknown[] = [
        { baseVersion: 0 },
        { baseVersion: 0, state: null },
        { baseVersion: 0, state: { ...checkpointWith("x"), position: { chapter: -1, offset: 0 } } },
        { baseVersion: 0, state: { ...checkpointWith("x"), savedAt: "yesterday" } },
        { baseVersion: 0, state: { ...checkpointWith("x"), chapters: [{ id: "", title: "", text: "" }] } },
      ];
      for (const payload of invalid) {
        const response = await putCheckpoint(alice, sessionId, payload);
        expect(response.statusCode, JSON.stringify(payload)).toBe(400);
        expect(response.json()).toEqual({ message: expect.any(String) });
      }
      expect((await getCheckpoint(alice, "not-an-id")).statusCode).toBe(400);
    });

    it("accepts the largest checkpoint the schema allows, even written in the most bytes JSON can take", async () => {
      // A control character is the longest a character gets in JSON: 6 bytes ("\u0001").
      const longest = (length: number) => "\u0001".repeat(length);
      const largest: SessionCheckpointState = {
        ...checkpointWith(""),
        title: longest(TITLE_MAX_LENGTH),
        chapters: Array.from({ length: CHAPTERS_MAX }, (_, index) => ({
          id: longest(64),
          title: longest(TITLE_MAX_LENGTH),
          // All the text a draft may hold, in one chapter as long as they go and the rest shared out.
          text: longest(index === 0 ? CHAPTER_TEXT_MAX_LENGTH : Math.floor((DRAFT_TEXT_MAX_LENGTH - CHAPTER_TEXT_MAX_LENGTH) / (CHAPTERS_MAX - 1))),
        })),
        voice: longest(100),
        notes: longest(10_000),
        position: { chapter: Number.MAX_SAFE_INTEGER, offset: Number.MAX_SAFE_INTEGER },
      };
      expect(SessionCheckpointStateSchema.safeParse(largest).success).toBe(true);
      const overLimit = { ...largest, chapters: [...largest.chapters, { id: "x", title: "", text: longest(DRAFT_TEXT_MAX_LENGTH) }].slice(1) };
      expect(SessionCheckpointStateSchema.safeParse(overLimit).success).toBe(false);
      const body = JSON.stringify({ baseVersion: 0, state: largest });
      // Far beyond the ordinary JSON limit: the route's own limit is what lets it in.
      expect(Buffer.byteLength(body)).toBeGreaterThan(15_000_000);

      const accepted = await app.inject({
        method: "PUT",
        url: `/api/session/${sessionId}/checkpoint`,
        headers: { ...alice.headers, "content-type": "application/json" },
        payload: body,
      });

      expect(accepted.statusCode).toBe(200);
      expect((await getCheckpoint(alice, sessionId)).json()).toEqual({ version: 1, state: largest });
    });

    it("refuses a checkpoint body above CHECKPOINT_MAX_BYTES with 413 and keeps the stored version", async () => {
      await putCheckpoint(alice, sessionId, { baseVersion: 0, state: checkpointWith("kept") });
      const tooLarge = checkpointWith("a".repeat(CHECKPOINT_MAX_BYTES));

      const refused = await putCheckpoint(alice, sessionId, { baseVersion: 1, state: tooLarge });

      expect(refused.statusCode).toBe(413);
      expect(refused.json()).toEqual({ message: expect.any(String) });
      expect((await getCheckpoint(alice, sessionId)).json()).toEqual({ version: 1, state: checkpointWith("kept") });
    });

    it("keeps a draft whose checkpoint was written within the retention period, and deletes one left alone", async () => {
      const left = (await createSession(app, alice, { kind: "synthesis", title: "left alone" })).id;
      expect((await putCheckpoint(alice, left, { baseVersion: 0, state: checkpointWith("written once") })).statusCode).toBe(200);
      // A synthesis draft sends no keepalives: its checkpoints are its only sign of life.
      clock.advance(20 * 3_600_000);
      expect((await putCheckpoint(alice, sessionId, { baseVersion: 0, state: checkpointWith("still typing") })).statusCode).toBe(200);
      clock.advance(10 * 3_600_000);

      expect((await app.retention.run()).sessions).toBe(1);

      expect((await getCheckpoint(alice, sessionId)).json()).toEqual({ version: 1, state: checkpointWith("still typing") });
      expect((await getCheckpoint(alice, left)).statusCode).toBe(404);
    });

    it("deletes a session's checkpoint together with the session", async () => {
      await putCheckpoint(alice, sessionId, { baseVersion: 0, state: checkpointWith("goes with it") });
      expect(app.db.select().from(sessionCheckpoints).all()).toHaveLength(1);
      clock.advance(25 * 3_600_000);
      expect((await app.retention.run()).sessions).toBe(1);
      expect(app.db.select().from(sessionCheckpoints).all()).toEqual([]);
    });
  });

  describe("events", () => {
    it("announces each accepted write by version only, never by value, and nothing for a refused one", async () => {
      const secret = "a-value-that-must-not-travel-in-events";
      const sessionId = (await createSession(app, alice, { kind: "synthesis" })).id;
      const { socket, messages } = await openEventStream(app, alice);

      await putPreferences(alice, { baseVersion: 0, preferences: preferencesWith(secret) });
      await putCheckpoint(alice, sessionId, { baseVersion: 0, state: checkpointWith(secret) });
      expect((await putPreferences(alice, { baseVersion: 0, preferences: preferencesWith(secret) })).statusCode).toBe(409);
      await putCheckpoint(alice, sessionId, { baseVersion: 1, state: checkpointWith(secret) });

      await vi.waitFor(() => expect(messages).toHaveLength(3));
      const events = messages.map((message) => ServerMessageSchema.parse(message));
      expect(messages).toEqual([
        { type: "preferences.updated", version: 1, id: expect.any(Number), at: expect.any(String) },
        { type: "checkpoint.updated", sessionId, version: 1, id: expect.any(Number), at: expect.any(String) },
        { type: "checkpoint.updated", sessionId, version: 2, id: expect.any(Number), at: expect.any(String) },
      ]);
      expect(events).toHaveLength(3);
      expect(JSON.stringify(messages)).not.toContain(secret);
      expect(JSON.stringify(app.db.$client.prepare("SELECT payload FROM events").all())).not.toContain(secret);
      socket.terminate();
    });

    it("does not tell other users about a write", async () => {
      const bob = await createDevice(app);
      const { socket, messages } = await openEventStream(app, bob);
      await putPreferences(alice, { baseVersion: 0, preferences: preferencesWith("kal") });
      await putPreferences(bob, { baseVersion: 0, preferences: preferencesWith("awb") });
      await vi.waitFor(() => expect(messages).toHaveLength(1));
      expect(messages[0]).toMatchObject({ type: "preferences.updated", version: 1 });
      socket.terminate();
    });
  });
});
