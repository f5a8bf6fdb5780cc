import { describe, expect, it } from "vitest";
import {
  CreateSessionBodySchema,
  EventStreamQuerySchema,
  ServerMessageSchema,
  SessionParamsSchema,
  SessionSchema,
  TITLE_MAX_LENGTH,
} from "./index.ts";

const session = {
  id: "0190f5a2-8c3e-7b1a-9d2e-3f4a5b6c7d8e",
  kind: "recording",
  title: "Episode 12",
  status: "active",
  createdAt: "2026-01-05T10:00:00.000Z",
  updatedAt: "2026-01-05T10:00:00.000Z",
  lastHeartbeat: "2026-01-05T10:00:07.000Z",
  completedAt: null,
} as const;

describe("shared schemas", () => {
  it("accepts a well-formed session and rejects one with a bad status or timestamp", () => {
    expect(SessionSchema.parse(session)).toEqual(session);
    expect(SessionSchema.safeParse({ ...session, status: "paused" }).success).toBe(false);
    expect(SessionSchema.safeParse({ ...session, createdAt: "yesterday" }).success).toBe(false);
  });

  it("refuses unknown fields in a create body and trims the title", () => {
    expect(CreateSessionBodySchema.parse({ kind: "synthesis", title: "  Book  " })).toEqual({ kind: "synthesis", title: "Book" });
    expect(CreateSessionBodySchema.safeParse({ kind: "synthesis", userId: "x" }).success).toBe(false);
    expect(CreateSessionBodySchema.safeParse({ kind: "synthesis", title: "x".repeat(TITLE_MAX_LENGTH + 1) }).success).toBe(false);
  });

  it("accepts only UUIDs as session ids", () => {
    expect(SessionParamsSchema.safeParse({ id: session.id }).success).toBe(true);
    expect(SessionParamsSchema.safeParse({ id: "../../etc/passwd" }).success).toBe(false);
  });

  it("parses every server message by its type", () => {
    const created = { id: 1, at: session.createdAt, type: "session.created", session };
    const changed = { id: 2, at: session.createdAt, type: "session.status_changed", from: "active", session: { ...session, status: "incomplete" } };
    const deleted = { id: 3, at: session.createdAt, type: "session.deleted", sessionId: session.id };
    const resync = { type: "resync", lastEventId: 3 };
    for (const message of [created, changed, deleted, resync]) {
      expect(ServerMessageSchema.parse(message)).toEqual(message);
    }
    expect(ServerMessageSchema.safeParse({ id: 4, at: session.createdAt, type: "session.exploded" }).success).toBe(false);
    expect(ServerMessageSchema.safeParse({ ...created, id: 0 }).success).toBe(false);
  });

  it("reads the replay position from a query string", () => {
    expect(EventStreamQuerySchema.parse({ after: "42" })).toEqual({ after: 42 });
    expect(EventStreamQuerySchema.parse({})).toEqual({});
    expect(EventStreamQuerySchema.safeParse({ after: "-1" }).success).toBe(false);
  });
});
