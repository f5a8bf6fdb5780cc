import { z } from "zod";
import { TimestampSchema } from "./common.ts";
import { CHAPTER_TEXT_MAX_LENGTH, CHAPTERS_MAX, DRAFT_TEXT_MAX_LENGTH, TITLE_MAX_LENGTH } from "./constants.ts";
import { DocumentVersionSchema, SynthesisEngineSchema, SynthesisParametersSchema } from "./preferences.ts";

export const ChapterSchema = z.strictObject({
  id: z.string().min(1).max(64),
  title: z.string().max(TITLE_MAX_LENGTH),
  text: z.string().max(CHAPTER_TEXT_MAX_LENGTH),
});
export type Chapter = z.infer<typeof ChapterSchema>;

/** Characters of text in all the chapters together. */
export function draftTextLength(chapters: ReadonlyArray<{ text: string }>): number {
  let length = 0;
  for (const chapter of chapters) length += chapter.text.length;
  return length;
}

/** Where the user left off: a chapter index and a character offset in it. */
export const DraftPositionSchema = z.strictObject({
  chapter: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
});
export type DraftPosition = z.infer<typeof DraftPositionSchema>;

/**
 * The open work of a session: its text, the voice and parameters it is spoken with, and where
 * the user was. The browser saves it locally on every change and pushes it to the server.
 */
export const SessionCheckpointStateSchema = z.strictObject({
  title: z.string().max(TITLE_MAX_LENGTH),
  chapters: z
    .array(ChapterSchema)
    .max(CHAPTERS_MAX)
    .refine((chapters) => draftTextLength(chapters) <= DRAFT_TEXT_MAX_LENGTH, {
      message: `A draft holds at most ${DRAFT_TEXT_MAX_LENGTH} characters of text`,
    }),
  engine: SynthesisEngineSchema,
  voice: z.string().min(1).max(100),
  parameters: SynthesisParametersSchema,
  position: DraftPositionSchema,
  notes: z.string().max(10_000),
  /** When the browser took this checkpoint (its clock). */
  savedAt: TimestampSchema,
});
export type SessionCheckpointState = z.infer<typeof SessionCheckpointStateSchema>;

/** `GET /api/session/:id/checkpoint` and a successful `PUT`: version 0 and `null` before the first write. */
export const CheckpointDocumentSchema = z.object({
  version: DocumentVersionSchema,
  state: SessionCheckpointStateSchema.nullable(),
});
export type CheckpointDocument = z.infer<typeof CheckpointDocumentSchema>;

/** `PUT /api/session/:id/checkpoint`: accepted only when `baseVersion` is the current version. */
export const PutCheckpointBodySchema = z.strictObject({
  baseVersion: DocumentVersionSchema,
  state: SessionCheckpointStateSchema,
});
export type PutCheckpointBody = z.infer<typeof PutCheckpointBodySchema>;

/** The 409 answer to a stale `baseVersion`, with the current value. */
export const CheckpointConflictSchema = CheckpointDocumentSchema.extend({ message: z.string() });
export type CheckpointConflict = z.infer<typeof CheckpointConflictSchema>;
