import { PersistedAppStateSchema, PreferencesSchema, SessionCheckpointStateSchema } from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { session } from "../store/session-fixtures.ts";
import { createTestStore, fakeApi } from "../store/test-store.ts";
import {
  checkpointOf,
  checkpointOfSaved,
  conflictKinds,
  mergePersistedState,
  partializeAppState,
  preferencesOf,
  preferencesOfSaved,
  preferencesToState,
  sameBackupValue,
} from "./app-state-mapping.ts";

const SESSION = "0190f5d2-8c4e-7a3b-9d2f-000000000001";


/** A store in which the user has set up everything that is saved. */
async function workedOnStore() {
  const sessions = Array.from({ length: 12 }, (_, minute) => session(minute));
  const { store } = createTestStore({ api: fakeApi({ listSessions: async () => sessions }) });
  const state = () => store.getState();
  await state().load();
  state().updateParameters({ rate: 1.3, paragraphPauseMs: 900 });
  state().setEngine("browser");
  state().selectVoice("Alex");
  state().saveVoicePreset("Narrator");
  state().setDeviceChoices({ microphoneId: "usb", secondInput: "display" });
  state().setRecoveryPrompts(false);
  state().dismissRecovery(session(3).id);
  const chapter = state().draft.chapters[0]!.id;
  state().renameChapter(chapter, "Opening");
  state().editChapterText(chapter, "Call me Ishmael.");
  state().setDraftTitle("Moby Dick");
  state().attachDraftSession(SESSION);
  return store;
}

describe("persisted app state", () => {
  it("saves what the user set up, in the shared schema, with the ten newest sessions", async () => {
    const store = await workedOnStore();

    const saved = partializeAppState(store.getState());

    expect(PersistedAppStateSchema.parse(saved)).toEqual(saved);
    expect(saved).toMatchObject({
      parameters: { rate: 1.3, paragraphPauseMs: 900 },
      engine: "browser",
      voices: { selected: "Alex", saved: [{ name: "Narrator" }] },
      preferences: { devices: { microphoneId: "usb", secondInput: "display" }, recoveryPrompts: false },
      recovery: { dismissedSessionIds: [session(3).id] },
      sessions: { currentSessionId: SESSION },
      draft: { sessionId: SESSION, title: "Moby Dick", chapters: [{ title: "Opening", text: "Call me Ishmael." }] },
    });
    expect(saved.sessions.recent.map((s) => s.title)).toEqual(
      Array.from({ length: 10 }, (_, index) => `Session ${11 - index}`),
    );
  });

  it("leaves runtime state out: a generation in progress, the connection status and errors change nothing saved", async () => {
    const store = await workedOnStore();
    const before = partializeAppState(store.getState());

    store.getState().setGenerating(true);
    store.getState().setLiveStatus("open");
    store.getState().reportError(new Error("A runtime error that must not be saved."));
    const saved = partializeAppState(store.getState());

    expect(store.getState()).toMatchObject({ isGenerating: true, liveStatus: "open", error: "A runtime error that must not be saved." });
    expect(saved).toEqual(before);
    expect(Object.keys(saved).sort()).toEqual(["draft", "engine", "parameters", "preferences", "recovery", "sessions", "voices"]);
    expect(JSON.stringify(saved)).not.toMatch(/isGenerating|liveStatus|runtime error/);
  });

  it("saves only plain data: no File, Blob or other object a page cannot outlive, and no blob URL", async () => {
    const saved = partializeAppState((await workedOnStore()).getState());

    // A File, a Blob, a Date or a Map would not come back the same from JSON.
    expect(JSON.parse(JSON.stringify(saved))).toStrictEqual(saved);
    expect(JSON.stringify(saved)).not.toContain('"blob:');
  });

  it("starts a page that loads a saved state with no generation running", async () => {
    const running = await workedOnStore();
    running.getState().setGenerating(true);
    const saved = partializeAppState(running.getState());
    const { store: fresh } = createTestStore();

    fresh.setState(mergePersistedState(saved, fresh.getState()));

    expect(fresh.getState().isGenerating).toBe(false);
  });

  it("puts back into a fresh store exactly what was saved", async () => {
    const saved = partializeAppState((await workedOnStore()).getState());
    const { store: fresh } = createTestStore();

    fresh.setState(mergePersistedState(saved, fresh.getState()));

    expect(partializeAppState(fresh.getState())).toEqual(saved);
    expect(fresh.getState().loaded).toBe(false);
  });

  it("keeps a session list the server already sent", async () => {
    const saved = partializeAppState((await workedOnStore()).getState());
    const { store } = createTestStore({ api: fakeApi({ listSessions: async () => [session(40)] }) });
    await store.getState().load();

    store.setState(mergePersistedState(saved, store.getState()));

    expect(store.getState().sessions.map((s) => s.title)).toEqual(["Session 40"]);
  });

  it("shares unchanged parts between saves, so a save of an unchanged part copies nothing", async () => {
    const store = await workedOnStore();
    const first = partializeAppState(store.getState());

    store.getState().updateParameters({ volume: 0.5 });
    const second = partializeAppState(store.getState());

    expect(second.voices).toBe(first.voices);
    expect(second.sessions).toBe(first.sessions);
    expect(second.draft).toBe(first.draft);
    expect(second.parameters).not.toBe(first.parameters);
  });

  it("turns the store into the server's preferences and back", async () => {
    const store = await workedOnStore();
    const preferences = PreferencesSchema.parse(preferencesOf(store.getState()));
    const { store: other } = createTestStore();

    other.setState(preferencesToState(preferences));

    expect(preferencesOf(other.getState())).toEqual(preferences);
  });

  it("makes a checkpoint of the draft with its voice and parameters, compared without its time", async () => {
    const store = await workedOnStore();

    const checkpoint = SessionCheckpointStateSchema.parse(checkpointOf(store.getState(), new Date(Date.UTC(2025, 0, 1))));
    const later = checkpointOf(store.getState(), new Date(Date.UTC(2025, 0, 2)));

    expect(checkpoint).toMatchObject({ title: "Moby Dick", engine: "browser", voice: "Alex", parameters: { rate: 1.3 } });
    expect(sameBackupValue(checkpoint, later)).toBe(true);
    store.getState().setDraftNotes("slower");
    expect(sameBackupValue(checkpoint, checkpointOf(store.getState(), new Date()))).toBe(false);
  });

  it("reads the preferences and the checkpoint of a saved state (another tab's) like those of the store", async () => {
    const store = await workedOnStore();
    const saved = partializeAppState(store.getState());
    const at = new Date(Date.UTC(2025, 0, 3));

    expect(preferencesOfSaved(saved)).toEqual(preferencesOf(store.getState()));
    expect(checkpointOfSaved(saved, at)).toEqual(checkpointOf(store.getState(), at));
  });

  it("tells which backed-up values a conflict between tabs touched", () => {
    expect(conflictKinds(["draft.chapters[c1].text"])).toEqual({ preferences: false, checkpoint: true });
    expect(conflictKinds(["parameters.rate"])).toEqual({ preferences: true, checkpoint: true });
    expect(conflictKinds(["voices.saved[v1].name", "preferences.devices.microphoneId"])).toEqual({ preferences: true, checkpoint: false });
    expect(conflictKinds(["sessions.recent[s1].status", "recovery.dismissedSessionIds"])).toEqual({ preferences: false, checkpoint: false });
    expect(conflictKinds(["draftless"])).toEqual({ preferences: false, checkpoint: false });
  });
});
