import { z } from "zod";
import { IdSchema, TimestampSchema } from "./common.ts";
import { DocumentVersionSchema } from "./preferences.ts";
import { SessionSchema, SessionStatusSchema } from "./session.ts";

/**
 * Everything the server pushes over `/api/ws`. Each event has a monotonic `id`
 * (never reused, also across restarts) so a client can reconnect with `?after=<id>`.
 */
const EventBase = z.object({
  id: z.number().int().positive(),
  at: TimestampSchema,
});

export const SessionCreatedEventSchema = EventBase.extend({
  type: z.literal("session.created"),
  session: SessionSchema,
});

export const SessionStatusChangedEventSchema = EventBase.extend({
  type: z.literal("session.status_changed"),
  /** Status before the change. */
  from: SessionStatusSchema,
  session: SessionSchema,
});

export const SessionDeletedEventSchema = EventBase.extend({
  type: z.literal("session.deleted"),
  sessionId: IdSchema,
});

/** The user's preferences changed (values are fetched with `GET /api/preferences`, never sent in events). */
export const PreferencesUpdatedEventSchema = EventBase.extend({
  type: z.literal("preferences.updated"),
  version: DocumentVersionSchema,
});

/** A session's checkpoint changed (fetch it with `GET /api/session/:id/checkpoint`). */
export const CheckpointUpdatedEventSchema = EventBase.extend({
  type: z.literal("checkpoint.updated"),
  sessionId: IdSchema,
  version: DocumentVersionSchema,
});

export const TidemarkEventSchema = z.discriminatedUnion("type", [
  SessionCreatedEventSchema,
  SessionStatusChangedEventSchema,
  SessionDeletedEventSchema,
  PreferencesUpdatedEventSchema,
  CheckpointUpdatedEventSchema,
]);
export type TidemarkEvent = z.infer<typeof TidemarkEventSchema>;
export type TidemarkEventType = TidemarkEvent["type"];

/** The body of an event before the event log gives it an id and a time. */
export type TidemarkEventPayload = TidemarkEvent extends infer E
  ? E extends TidemarkEvent
    ? Omit<E, "id" | "at">
    : never
  : never;

/**
 * Sent instead of a replay when the requested `after` id is older than the oldest event the
 * server still keeps: the client must refetch its state, then continue from `lastEventId`.
 */
export const ResyncMessageSchema = z.object({
  type: z.literal("resync"),
  lastEventId: z.number().int().nonnegative(),
});
export type ResyncMessage = z.infer<typeof ResyncMessageSchema>;

export const ServerMessageSchema = z.union([TidemarkEventSchema, ResyncMessageSchema]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

export const EventStreamQuerySchema = z.strictObject({
  after: z.coerce.number().int().nonnegative().optional(),
});
