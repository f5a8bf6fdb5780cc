import { z } from "zod";

/** Every error answer: one human-readable sentence, never a stack trace. */
export const ErrorResponseSchema = z.object({ message: z.string() });
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

/** Identifiers are UUIDv7 (see `uuidv7`): time-ordered, with 74 random bits. */
export const IdSchema = z.uuid();

/** Timestamps cross the wire as ISO 8601 strings in UTC. */
export const TimestampSchema = z.iso.datetime();
