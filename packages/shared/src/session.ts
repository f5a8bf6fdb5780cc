import { z } from "zod";
import { IdSchema, TimestampSchema } from "./common.ts";
import { TITLE_MAX_LENGTH } from "./constants.ts";

export const SessionKindSchema = z.enum(["recording", "synthesis"]);
export type SessionKind = z.infer<typeof SessionKindSchema>;

/** active → (no keepalive for the timeout) → incomplete → (resume) → active → (finish) → completed. */
export const SessionStatusSchema = z.enum(["active", "incomplete", "completed"]);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

export const SessionSchema = z.object({
  id: IdSchema,
  kind: SessionKindSchema,
  title: z.string(),
  status: SessionStatusSchema,
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  lastHeartbeat: TimestampSchema.nullable(),
  completedAt: TimestampSchema.nullable(),
});
export type Session = z.infer<typeof SessionSchema>;

export const CreateSessionBodySchema = z.strictObject({
  /**
   * An id the client made (`uuidv7`), so that creating is safe to repeat (the same id answers
   * the session it made) and a device can record a session before it reaches the server.
   */
  id: IdSchema.optional(),
  kind: SessionKindSchema,
  title: z.string().trim().max(TITLE_MAX_LENGTH).optional(),
});
export type CreateSessionBody = z.infer<typeof CreateSessionBodySchema>;

/** The title of a session created without one. */
export function defaultSessionTitle(kind: SessionKind): string {
  return kind === "recording" ? "Untitled recording" : "Untitled audiobook";
}

export const SessionListSchema = z.object({ sessions: z.array(SessionSchema) });
export type SessionList = z.infer<typeof SessionListSchema>;

export const SessionParamsSchema = z.strictObject({ id: IdSchema });
export type SessionParams = z.infer<typeof SessionParamsSchema>;

export const KeepaliveResponseSchema = z.object({
  status: SessionStatusSchema,
  lastHeartbeat: TimestampSchema,
});
export type KeepaliveResponse = z.infer<typeof KeepaliveResponseSchema>;

export const CheckTimeoutsResponseSchema = z.object({ timedOut: z.number().int().nonnegative() });
export type CheckTimeoutsResponse = z.infer<typeof CheckTimeoutsResponseSchema>;
