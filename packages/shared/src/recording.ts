import { z } from "zod";
import { IdSchema, TimestampSchema } from "./common.ts";
import { SessionSchema } from "./session.ts";

/** Tracks are numbered 0 and 1 ("dual-track": e.g. a microphone and a second input). */
export const TrackNumberSchema = z.coerce.number().int().min(0).max(1);
export type TrackNumber = 0 | 1;

/** Highest chunk sequence number accepted (about 115 days of 1 s chunks). */
export const MAX_SEQ = 10_000_000;

/** Largest chunk body: about 1 s of audio; at most 1 MiB. */
export const CHUNK_MAX_BYTES = 1024 * 1024;

/** Sample rates a track may declare (what AudioContexts commonly run at, and more). */
export const TrackDeclarationSchema = z.strictObject({
  label: z.string().trim().min(1).max(100),
  sampleRate: z.number().int().min(8_000).max(192_000),
  channels: z.number().int().min(1).max(2),
});
export type TrackDeclaration = z.infer<typeof TrackDeclarationSchema>;

export const TrackParamsSchema = z.strictObject({
  id: IdSchema,
  track: TrackNumberSchema,
});

export const ChunkParamsSchema = z.strictObject({
  id: IdSchema,
  track: TrackNumberSchema,
  seq: z.coerce.number().int().min(0).max(MAX_SEQ),
});

/** What the server holds of one track. `committedThrough` is the last seq with no gap before it (-1: none). */
export const TrackSummarySchema = z.object({
  track: z.number().int(),
  label: z.string(),
  sampleRate: z.number().int(),
  channels: z.number().int(),
  chunkCount: z.number().int().nonnegative(),
  committedThrough: z.number().int().min(-1),
  highestSeq: z.number().int().min(-1),
  bytes: z.number().int().nonnegative(),
  durationSeconds: z.number().nonnegative(),
});
export type TrackSummary = z.infer<typeof TrackSummarySchema>;

/** Answer of a chunk upload: the chunk is durable, and where the track now stands. */
export const ChunkAckSchema = z.object({
  track: z.number().int(),
  seq: z.number().int(),
  size: z.number().int(),
  /** false when this exact chunk was already stored (an idempotent replay). */
  created: z.boolean(),
  committedThrough: z.number().int().min(-1),
  chunkCount: z.number().int().nonnegative(),
});
export type ChunkAck = z.infer<typeof ChunkAckSchema>;

/** A finalized WAV file of one track. */
export const SessionFileSchema = z.object({
  track: z.number().int(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string(),
  durationSeconds: z.number().nonnegative(),
  url: z.string(),
  createdAt: TimestampSchema,
});
export type SessionFile = z.infer<typeof SessionFileSchema>;

/** Metadata of a recovery token. The token itself is only ever shown once, when it is made. */
export const RecoveryTokenInfoSchema = z.object({
  track: z.number().int(),
  expiresAt: TimestampSchema,
});

/** A freshly made recovery token, with the URL that downloads the file by it. */
export const RecoveryTokenSchema = RecoveryTokenInfoSchema.extend({
  token: z.string(),
  url: z.string(),
});
export type RecoveryToken = z.infer<typeof RecoveryTokenSchema>;

export const SessionDetailSchema = SessionSchema.extend({
  tracks: z.array(TrackSummarySchema),
  files: z.array(SessionFileSchema),
  tokens: z.array(RecoveryTokenInfoSchema),
  /**
   * The server keeps the session (its audio and files) at least until then: the retention job
   * deletes sessions left alone for `RETENTION_HOURS` since their last change or keepalive.
   */
  keptUntil: TimestampSchema,
});
export type SessionDetail = z.infer<typeof SessionDetailSchema>;

/** Seqs per track, keyed by track number as a string ("0", "1"). */
export const SeqsByTrackSchema = z.partialRecord(z.enum(["0", "1"]), z.number().int().min(-1).max(MAX_SEQ));
export type SeqsByTrack = z.infer<typeof SeqsByTrackSchema>;

export const FinishBodySchema = z
  .strictObject({
    /** The last seq the client recorded per track; seqs up to it must be on the server. */
    lastSeq: SeqsByTrackSchema.optional(),
    /** The user accepts losing the missing chunks. */
    allowGaps: z.boolean().optional(),
  })
  // A finish without a body is the common case (nothing to declare).
  .nullish();
export type FinishBody = z.infer<typeof FinishBodySchema>;

/** 409 answer of finish while chunks are missing: the client re-sends them from its journal. */
export const MissingChunksResponseSchema = z.object({
  message: z.string(),
  missing: z.partialRecord(z.enum(["0", "1"]), z.array(z.number().int())),
});
export type MissingChunksResponse = z.infer<typeof MissingChunksResponseSchema>;

export const FinishResponseSchema = SessionDetailSchema.extend({
  recoveryTokens: z.array(RecoveryTokenSchema),
});
export type FinishResponse = z.infer<typeof FinishResponseSchema>;

export const CreateRecoveryTokenBodySchema = z.strictObject({
  sessionId: IdSchema,
  track: z.number().int().min(0).max(1),
});

export const RecoveryAudioParamsSchema = z.strictObject({
  token: z.string().min(16).max(128),
});
