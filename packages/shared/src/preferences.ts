import { z } from "zod";
import { SAVED_VOICES_MAX } from "./constants.ts";

/** Speech engines a synthesis can run on. */
export const SynthesisEngineSchema = z.enum(["flite", "browser"]);
export type SynthesisEngine = z.infer<typeof SynthesisEngineSchema>;

/** How the text is spoken. */
export const SynthesisParametersSchema = z.strictObject({
  /** Speaking speed, 1 is the voice's own. */
  rate: z.number().min(0.5).max(2),
  /** Pitch factor, 1 is the voice's own. */
  pitch: z.number().min(0.5).max(2),
  volume: z.number().min(0).max(1),
  /** Silence inserted between paragraphs. */
  paragraphPauseMs: z.number().int().min(0).max(5_000),
});
export type SynthesisParameters = z.infer<typeof SynthesisParametersSchema>;

export const DEFAULT_SYNTHESIS_PARAMETERS: SynthesisParameters = {
  rate: 1,
  pitch: 1,
  volume: 1,
  paragraphPauseMs: 600,
};

/** A named voice with its own engine and parameters, kept for reuse. */
export const VoicePresetSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().trim().min(1).max(100),
  engine: SynthesisEngineSchema,
  /** The engine's voice name. */
  voice: z.string().min(1).max(100),
  parameters: SynthesisParametersSchema,
});
export type VoicePreset = z.infer<typeof VoicePresetSchema>;

/** Inputs picked for recording; `null` is the browser's default microphone / no second input. */
export const DeviceChoicesSchema = z.strictObject({
  microphoneId: z.string().max(512).nullable(),
  /** A device id, `"display"` for tab or system audio, or `null` for one track only. */
  secondInput: z.string().max(512).nullable(),
});
export type DeviceChoices = z.infer<typeof DeviceChoicesSchema>;

/** Everything a user sets up once and expects on every device: the server keeps a copy. */
export const PreferencesSchema = z.strictObject({
  engine: SynthesisEngineSchema,
  /** The engine voice in use. */
  voice: z.string().min(1).max(100),
  parameters: SynthesisParametersSchema,
  savedVoices: z.array(VoicePresetSchema).max(SAVED_VOICES_MAX),
  devices: DeviceChoicesSchema,
  /** Show "Recovery available" prompts on page load (opt-out). */
  recoveryPrompts: z.boolean(),
});
export type Preferences = z.infer<typeof PreferencesSchema>;

export const DEFAULT_PREFERENCES: Preferences = {
  engine: "flite",
  voice: "slt",
  parameters: DEFAULT_SYNTHESIS_PARAMETERS,
  savedVoices: [],
  devices: { microphoneId: null, secondInput: null },
  recoveryPrompts: true,
};

/** Versions start at 0 (nothing written yet) and grow by one with every accepted write. */
export const DocumentVersionSchema = z.number().int().nonnegative();

/** `GET /api/preferences` and a successful `PUT`: version 0 and the defaults before the first write. */
export const PreferencesDocumentSchema = z.object({
  version: DocumentVersionSchema,
  preferences: PreferencesSchema,
});
export type PreferencesDocument = z.infer<typeof PreferencesDocumentSchema>;

/** `PUT /api/preferences`: accepted only when `baseVersion` is the current version. */
export const PutPreferencesBodySchema = z.strictObject({
  baseVersion: DocumentVersionSchema,
  preferences: PreferencesSchema,
});
export type PutPreferencesBody = z.infer<typeof PutPreferencesBodySchema>;

/** The 409 answer to a stale `baseVersion`: the current value, so the client can merge or keep a copy. */
export const PreferencesConflictSchema = PreferencesDocumentSchema.extend({ message: z.string() });
export type PreferencesConflict = z.infer<typeof PreferencesConflictSchema>;
