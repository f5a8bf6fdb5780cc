import { z } from "zod";
import { ChapterSchema, DraftPositionSchema } from "./checkpoint.ts";
import { IdSchema } from "./common.ts";
import { RECENT_SESSIONS_PERSISTED, SAVED_VOICES_MAX, TITLE_MAX_LENGTH } from "./constants.ts";
import { DeviceChoicesSchema, SynthesisEngineSchema, SynthesisParametersSchema, VoicePresetSchema } from "./preferences.ts";
import { SessionSchema } from "./session.ts";

/**
 * What the browser keeps of the app's state between page loads (schema version
 * `PERSISTED_STATE_VERSION`). Runtime state (generation in progress, system status, File
 * objects, blob URLs, errors) is never part of it. Older versions are migrated on load.
 */
export const PERSISTED_STATE_VERSION = 2;

/** The text being worked on, and the session it belongs to once there is one. */
export const DraftSchema = z.strictObject({
  sessionId: IdSchema.nullable(),
  title: z.string().max(TITLE_MAX_LENGTH),
  chapters: z.array(ChapterSchema),
  position: DraftPositionSchema,
  notes: z.string().max(10_000),
});
export type Draft = z.infer<typeof DraftSchema>;

export const PersistedAppStateSchema = z.strictObject({
  parameters: SynthesisParametersSchema,
  engine: SynthesisEngineSchema,
  voices: z.strictObject({
    selected: z.string().min(1).max(100),
    saved: z.array(VoicePresetSchema).max(SAVED_VOICES_MAX),
  }),
  sessions: z.strictObject({
    recent: z.array(SessionSchema).max(RECENT_SESSIONS_PERSISTED),
    currentSessionId: IdSchema.nullable(),
  }),
  preferences: z.strictObject({
    devices: DeviceChoicesSchema,
    recoveryPrompts: z.boolean(),
  }),
  recovery: z.strictObject({
    /** Interrupted sessions the user chose not to be asked about again. */
    dismissedSessionIds: z.array(IdSchema).max(1_000),
  }),
  draft: DraftSchema,
});
export type PersistedAppState = z.infer<typeof PersistedAppStateSchema>;
