import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ServerMessageSchema } from "@tidemark/shared";
import { ManualClock } from "../test-support/manual-clock.ts";
import { createDevice, createSession, createTestApp, openEventStream, post, type Device } from "../test-support/test-app.ts";

describe("event stream /api/ws", () => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let alice: Device;

  beforeEach(async () => {
    clock = new ManualClock();
    app = await createTestApp({ clock, env: { SWEEP_INTERVAL_MS: "3600000" } });
    alice = await createDevice(app);
  });
  afterEach(async () => {
    await app.close();
  });

  it("refuses a connection without a device token", async () => {
    await expect(app.injectWS("/api/ws")).rejects.toThrow(/401/);
  });

  it("streams every session state change as an event with a growing id", async () => {
    const { socket, messages } = await openEventStream(app, alice);
    const session = await createSession(app, alice);
    clock.advance(31_000);
    await post(app, alice, "/api/session/check-timeouts");
    await post(app, alice, `/api/session/${session.id}/resume`);
    await post(app, alice, `/api/session/${session.id}/finish`);
    await vi.waitFor(() => expect(messages).toHaveLength(4));
    const events = messages.map((message) => ServerMessageSchema.parse(message));
    expect(events.map((e) => (e.type === "session.status_changed" ? `${e.from}→${e.session.status}` : e.type))).toEqual([
      "session.created",
      "active→incomplete",
      "incomplete→active",
      "active→completed",
    ]);
    const ids = events.map((e) => ("id" in e ? e.id : 0));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);
    socket.terminate();
  });

  it("sends a user only their own events", async () => {
    const bob = await createDevice(app);
    const { socket, messages } = await openEventStream(app, bob);
    await createSession(app, alice);
    const own = await createSession(app, bob);
    await vi.waitFor(() => expect(messages).toHaveLength(1));
    expect(messages[0]).toMatchObject({ type: "session.created", session: { id: own.id } });
    socket.terminate();
  });

  it("replays what a reconnecting client missed, in order, before live events, losing none", async () => {
    const first = await openEventStream(app, alice);
    const session = await createSession(app, alice);
    await vi.waitFor(() => expect(first.messages).toHaveLength(1));
    const lastSeen = first.messages[0]?.id as number;
    first.socket.terminate();

    // While the client is away: three changes it must not lose.
    const other = await createSession(app, alice, { kind: "synthesis" });
    await post(app, alice, `/api/session/${session.id}/finish`);
    await post(app, alice, `/api/session/${other.id}/finish`);

    const second = await openEventStream(app, alice, `?after=${lastSeen}`);
    await vi.waitFor(() => expect(second.messages).toHaveLength(3));
    await createSession(app, alice, { kind: "recording", title: "live" });
    await vi.waitFor(() => expect(second.messages).toHaveLength(4));

    const ids = second.messages.map((m) => m.id as number);
    expect(ids[0]).toBe(lastSeen + 1);
    expect(ids).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3, lastSeen + 4]);
    expect(second.messages[3]).toMatchObject({ type: "session.created", session: { title: "live" } });
    second.socket.terminate();
  });

  it("asks the client to resync when the events it missed were pruned from the log", async () => {
    await createSession(app, alice);
    const lastId = app.eventLog.lastId();
    app.db.$client.prepare("DELETE FROM events").run(); // as if pruned by the bounded log
    const { socket, messages } = await openEventStream(app, alice, "?after=0");
    await vi.waitFor(() => expect(messages).toHaveLength(1));
    expect(messages[0]).toEqual({ type: "resync", lastEventId: lastId });
    socket.terminate();
  });

  it("asks the client to resync when it comes with an id this server never gave out", async () => {
    await createSession(app, alice);
    const { socket, messages } = await openEventStream(app, alice, "?after=999999");
    await vi.waitFor(() => expect(messages).toHaveLength(1));
    expect(messages[0]).toEqual({ type: "resync", lastEventId: app.eventLog.lastId() });
    socket.terminate();
  });

  it("refuses a malformed after parameter", async () => {
    await expect(app.injectWS("/api/ws?after=yesterday", { headers: alice.headers })).rejects.toThrow(/400/);
  });
});
