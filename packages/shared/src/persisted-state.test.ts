import { describe, expect, it } from "vitest";
import {
  CheckpointConflictSchema,
  DEFAULT_PREFERENCES,
  PersistedAppStateSchema,
  PreferencesDocumentSchema,
  PutCheckpointBodySchema,
  PutPreferencesBodySchema,
  SAVED_VOICES_MAX,
  ServerMessageSchema,
  type PersistedAppState,
  type SessionCheckpointState,
} from "./index.ts";

const checkpoint: SessionCheckpointState = {
  title: "The Long Book",
  chapters: [{ id: "c1", title: "One", text: "It was a bright cold day." }],
  engine: "flite",
  voice: "slt",
  parameters: { rate: 1.1, pitch: 1, volume: 0.8, paragraphPauseMs: 500 },
  position: { chapter: 0, offset: 12 },
  notes: "",
  savedAt: "2026-11-22T10:00:00.000Z",
};

const persisted: PersistedAppState = {
  parameters: DEFAULT_PREFERENCES.parameters,
  engine: "flite",
  voices: { selected: "slt", saved: [] },
  sessions: { recent: [], currentSessionId: null },
  preferences: { devices: { microphoneId: null, secondInput: "display" }, recoveryPrompts: true },
  recovery: { dismissedSessionIds: [] },
  draft: { sessionId: null, title: "", chapters: checkpoint.chapters, position: { chapter: 0, offset: 0 }, notes: "" },
};

describe("preference, checkpoint and persisted-state schemas", () => {
  it("accepts the default preferences as the version-0 document", () => {
    expect(PreferencesDocumentSchema.parse({ version: 0, preferences: DEFAULT_PREFERENCES })).toEqual({
      version: 0,
      preferences: DEFAULT_PREFERENCES,
    });
  });

  it("refuses out-of-range parameters, unknown fields, negative versions and too many voices", () => {
    const body = { baseVersion: 0, preferences: DEFAULT_PREFERENCES };
    expect(PutPreferencesBodySchema.safeParse(body).success).toBe(true);
    const fast = { ...DEFAULT_PREFERENCES, parameters: { ...DEFAULT_PREFERENCES.parameters, rate: 9 } };
    expect(PutPreferencesBodySchema.safeParse({ ...body, preferences: fast }).success).toBe(false);
    expect(PutPreferencesBodySchema.safeParse({ ...body, extra: 1 }).success).toBe(false);
    expect(PutPreferencesBodySchema.safeParse({ ...body, baseVersion: -1 }).success).toBe(false);
    const voice = { id: "v", name: "Narrator", engine: "flite", voice: "slt", parameters: DEFAULT_PREFERENCES.parameters } as const;
    const crowded = { ...DEFAULT_PREFERENCES, savedVoices: Array.from({ length: SAVED_VOICES_MAX + 1 }, () => voice) };
    expect(PutPreferencesBodySchema.safeParse({ ...body, preferences: crowded }).success).toBe(false);
  });

  it("carries the current checkpoint in a conflict answer, or null before the first write", () => {
    expect(PutCheckpointBodySchema.safeParse({ baseVersion: 3, state: checkpoint }).success).toBe(true);
    expect(CheckpointConflictSchema.parse({ message: "stale", version: 4, state: checkpoint }).state).toEqual(checkpoint);
    expect(CheckpointConflictSchema.parse({ message: "stale", version: 0, state: null }).state).toBeNull();
    expect(PutCheckpointBodySchema.safeParse({ baseVersion: 3, state: { ...checkpoint, savedAt: "now" } }).success).toBe(false);
  });

  it("validates a persisted app state and refuses one with a missing slice", () => {
    expect(PersistedAppStateSchema.parse(persisted)).toEqual(persisted);
    const { draft: _draft, ...withoutDraft } = persisted;
    expect(PersistedAppStateSchema.safeParse(withoutDraft).success).toBe(false);
  });

  it("parses the preference and checkpoint events, which carry versions and never values", () => {
    const at = "2026-11-22T10:00:00.000Z";
    expect(ServerMessageSchema.parse({ id: 7, at, type: "preferences.updated", version: 2 })).toMatchObject({ version: 2 });
    const sessionId = "0190f5a2-8c3e-7b1a-9d2e-3f4a5b6c7d8e";
    expect(ServerMessageSchema.parse({ id: 8, at, type: "checkpoint.updated", sessionId, version: 1 })).toMatchObject({ sessionId });
    expect(ServerMessageSchema.safeParse({ id: 9, at, type: "checkpoint.updated", version: 1 }).success).toBe(false);
  });
});
