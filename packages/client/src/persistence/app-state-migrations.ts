import {
  CHAPTER_TEXT_MAX_LENGTH,
  DEFAULT_PREFERENCES,
  DEFAULT_SYNTHESIS_PARAMETERS,
  IdSchema,
  PERSISTED_STATE_VERSION,
  RECENT_SESSIONS_PERSISTED,
  SAVED_VOICES_MAX,
  SessionSchema,
  TITLE_MAX_LENGTH,
  type Chapter,
  type DeviceChoices,
  type DraftPosition,
  type PersistedAppState,
  type Session,
  type SynthesisEngine,
  type SynthesisParameters,
  type VoicePreset,
} from "@tidemark/shared";
import type { StateMigration } from "./state-migrations.ts";

/**
 * Version 0: the flat shape a zustand `persist` store of the app this one grew from wrote
 * (`partialize` of its store, under `{ state, version: 0 }`): speed rather than rate, the engine
 * under `ttsEngine`, sessions oldest first, the whole draft as one `text`.
 */
export interface PersistedAppStateV0 {
  parameters?: { speed?: number; pitch?: number; volume?: number };
  ttsEngine?: string;
  voice?: string;
  savedVoices?: Array<{
    id?: string;
    name?: string;
    voice?: string;
    engine?: string;
    parameters?: { speed?: number; pitch?: number; volume?: number };
  }>;
  sessions?: unknown[];
  currentSessionId?: string | null;
  text?: string;
  recoveryPrompts?: boolean;
}

/** Version 1: today's slices, except that the draft is still one text with a cursor offset in it. */
export interface PersistedAppStateV1 extends Omit<PersistedAppState, "draft"> {
  draft: { sessionId: string | null; title: string; text: string; cursor: number; notes: string };
}

/** Where the zustand `persist` of version 0 kept its state in localStorage. */
export const LEGACY_APP_STATE_STORAGE_KEY = "chatterbox-app-state";

const DEFAULT_DEVICES: DeviceChoices = { microphoneId: null, secondInput: null };

export function defaultPersistedAppState(): PersistedAppState {
  return {
    parameters: { ...DEFAULT_SYNTHESIS_PARAMETERS },
    engine: DEFAULT_PREFERENCES.engine,
    voices: { selected: DEFAULT_PREFERENCES.voice, saved: [] },
    sessions: { recent: [], currentSessionId: null },
    preferences: { devices: { ...DEFAULT_DEVICES }, recoveryPrompts: DEFAULT_PREFERENCES.recoveryPrompts },
    recovery: { dismissedSessionIds: [] },
    draft: {
      sessionId: null,
      title: "",
      chapters: [{ id: "chapter-1", title: "Chapter 1", text: "" }],
      position: { chapter: 0, offset: 0 },
      notes: "",
    },
  };
}

/** Version 0 → 1 → 2 (`PERSISTED_STATE_VERSION`). */
export const appStateMigrations: StateMigration[] = [
  {
    from: 0,
    description: "flat zustand state into slices",
    migrate: (state) => migrateV0ToV1(state),
  },
  {
    from: 1,
    description: "the draft's text into chapters",
    migrate: (state) => migrateV1ToV2(state),
  },
];

if (appStateMigrations.length !== PERSISTED_STATE_VERSION) {
  throw new Error("Every persisted state version below the current one needs a migration.");
}

function migrateV0ToV1(input: unknown): PersistedAppStateV1 {
  const state = requireObject(input, "The stored state") as PersistedAppStateV0;
  const parameters = optionalObject(state.parameters, "parameters");
  const sessions = optionalArray(state.sessions, "sessions");
  if (state.text !== undefined && typeof state.text !== "string") throw new Error("The draft text is not text.");
  const engine = engineFrom(state.ttsEngine);
  const selected = voiceName(state.voice) ?? DEFAULT_PREFERENCES.voice;
  const currentSessionId = IdSchema.safeParse(state.currentSessionId).success ? (state.currentSessionId as string) : null;
  return {
    parameters: parametersFrom(parameters),
    engine,
    voices: {
      selected,
      saved: optionalArray(state.savedVoices, "savedVoices")
        .map((voice, index) => voicePresetFrom(voice, index, engine, selected))
        .filter((voice): voice is VoicePreset => voice !== null)
        .slice(-SAVED_VOICES_MAX),
    },
    sessions: {
      // Version 0 kept sessions oldest first; now the newest come first.
      recent: sessions
        .map((session) => SessionSchema.safeParse(session))
        .filter((parsed) => parsed.success)
        .map((parsed) => parsed.data as Session)
        .reverse()
        .slice(0, RECENT_SESSIONS_PERSISTED),
      currentSessionId,
    },
    preferences: {
      devices: { ...DEFAULT_DEVICES },
      recoveryPrompts: typeof state.recoveryPrompts === "boolean" ? state.recoveryPrompts : DEFAULT_PREFERENCES.recoveryPrompts,
    },
    recovery: { dismissedSessionIds: [] },
    draft: { sessionId: currentSessionId, title: "", text: state.text ?? "", cursor: 0, notes: "" },
  };
}

function migrateV1ToV2(input: unknown): PersistedAppState {
  const state = requireObject(input, "The stored state") as unknown as PersistedAppStateV1;
  const draft = requireObject(state.draft, "The draft") as Partial<PersistedAppStateV1["draft"]>;
  if (typeof draft.text !== "string") throw new Error("The draft has no text.");
  const { chapters, position } = splitIntoChapters(draft.text, typeof draft.cursor === "number" ? draft.cursor : 0);
  const { draft: _oneText, ...rest } = state;
  return {
    ...rest,
    draft: {
      sessionId: draft.sessionId ?? null,
      title: draft.title ?? "",
      chapters,
      position,
      notes: draft.notes ?? "",
    },
  };
}

const HEADING = /^#{1,2}[ \t]+(.+?)[ \t]*$/;

/**
 * Splits a draft at Markdown headings (`# Title`, `## Title`): each heading starts a chapter with
 * that title, text before the first one is a chapter of its own. A chapter longer than a chapter
 * may be is cut into parts. The cursor keeps its character; on a heading it goes to the chapter's start.
 */
export function splitIntoChapters(text: string, cursor: number): { chapters: Chapter[]; position: DraftPosition } {
  interface Section {
    title: string;
    /** Where the section begins in `text`: its heading line, or its body when it has none. */
    from: number;
    /** Where its body begins in `text`. */
    bodyFrom: number;
    body: string;
  }
  const sections: Section[] = [];
  let current: Section = { title: "", from: 0, bodyFrom: 0, body: "" };
  let offset = 0;
  for (const line of text.split(/(?<=\n)/)) {
    const heading = HEADING.exec(line.replace(/\r?\n$/, ""));
    if (heading) {
      // Blank text before the first heading is not a chapter.
      if (sections.length > 0 || current.body.trim() !== "") sections.push(current);
      current = { title: heading[1] ?? "", from: offset, bodyFrom: offset + line.length, body: "" };
    } else {
      current.body += line;
    }
    offset += line.length;
  }
  sections.push(current);

  const chapters: Chapter[] = [];
  let position: DraftPosition = { chapter: 0, offset: 0 };
  sections.forEach((section, index) => {
    const title = section.title || `Chapter ${index + 1}`;
    const parts = Math.max(1, Math.ceil(section.body.length / CHAPTER_TEXT_MAX_LENGTH));
    for (let part = 0; part < parts; part += 1) {
      const partOffset = part * CHAPTER_TEXT_MAX_LENGTH;
      const partText = section.body.slice(partOffset, partOffset + CHAPTER_TEXT_MAX_LENGTH);
      const bodyFrom = section.bodyFrom + partOffset;
      const from = part === 0 ? section.from : bodyFrom;
      if (cursor >= from) {
        position = { chapter: chapters.length, offset: Math.min(Math.max(0, cursor - bodyFrom), partText.length) };
      }
      chapters.push({
        id: `chapter-${chapters.length + 1}`,
        title: (parts > 1 ? `${title} (part ${part + 1})` : title).slice(0, TITLE_MAX_LENGTH),
        text: partText,
      });
    }
  });
  return { chapters, position };
}

function parametersFrom(input: Record<string, unknown>): SynthesisParameters {
  return {
    rate: clampNumber(input.speed, 0.5, 2, DEFAULT_SYNTHESIS_PARAMETERS.rate),
    pitch: clampNumber(input.pitch, 0.5, 2, DEFAULT_SYNTHESIS_PARAMETERS.pitch),
    volume: clampNumber(input.volume, 0, 1, DEFAULT_SYNTHESIS_PARAMETERS.volume),
    paragraphPauseMs: DEFAULT_SYNTHESIS_PARAMETERS.paragraphPauseMs,
  };
}

function voicePresetFrom(input: unknown, index: number, engine: SynthesisEngine, selected: string): VoicePreset | null {
  if (typeof input !== "object" || input === null) return null;
  const voice = input as NonNullable<PersistedAppStateV0["savedVoices"]>[number];
  const name = typeof voice.name === "string" ? voice.name.trim().slice(0, 100) : "";
  if (name === "") return null;
  const id = typeof voice.id === "string" && voice.id.length > 0 && voice.id.length <= 64 ? voice.id : `voice-${index + 1}`;
  return {
    id,
    name,
    engine: voice.engine === undefined ? engine : engineFrom(voice.engine),
    voice: voiceName(voice.voice) ?? selected,
    parameters: parametersFrom(typeof voice.parameters === "object" && voice.parameters !== null ? voice.parameters : {}),
  };
}

// Engines this app no longer has (the old app's server model among them) fall back to the default one.
function engineFrom(value: unknown): SynthesisEngine {
  return value === "flite" || value === "browser" ? value : DEFAULT_PREFERENCES.engine;
}

function voiceName(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 && value.length <= 100 ? value : null;
}

function clampNumber(value: unknown, min: number, max: number, fallback: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}

function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${what} is not an object.`);
  return value as Record<string, unknown>;
}

function optionalObject(value: unknown, what: string): Record<string, unknown> {
  return value === undefined ? {} : requireObject(value, what);
}

function optionalArray(value: unknown, what: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${what} is not a list.`);
  return value;
}
