import { ApiError, MemoryKeyValueStore, openStateStorage, type BackupApi, type StateStorage } from "@tidemark/client";
import {
  DEFAULT_PREFERENCES,
  type CheckpointDocument,
  type Preferences,
  type SessionCheckpointState,
  type TidemarkEvent,
} from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { createTestStore, fakeApi } from "../store/test-store.ts";
import { APP_STATE_KEY, PersistenceRuntime } from "./persistence-runtime.ts";
import { EXPORT_FORMAT } from "./export-file.ts";

const SESSION = "0190f5d2-8c4e-7a3b-9d2f-000000000001";

/** The server's backup routes in memory, with its optimistic versioning (409 with the current value). */
class FakeBackupServer implements BackupApi {
  preferences = { version: 0, preferences: DEFAULT_PREFERENCES as Preferences };
  checkpoints = new Map<string, { version: number; state: SessionCheckpointState }>();
  deleted = false;
  reachable = true;

  #check(): void {
    if (!this.reachable) throw new ApiError(0, "The server could not be reached.");
  }

  async getPreferences() {
    this.#check();
    return structuredClone(this.preferences);
  }

  async putPreferences({ baseVersion, preferences }: { baseVersion: number; preferences: Preferences }) {
    this.#check();
    if (baseVersion !== this.preferences.version) {
      throw new ApiError(409, "Stale version.", { conflict: { ...structuredClone(this.preferences), message: "Stale version." } });
    }
    this.preferences = { version: baseVersion + 1, preferences: structuredClone(preferences) };
    return structuredClone(this.preferences);
  }

  async getCheckpoint(sessionId: string): Promise<CheckpointDocument> {
    this.#check();
    return structuredClone(this.checkpoints.get(sessionId) ?? { version: 0, state: null });
  }

  async putCheckpoint(sessionId: string, { baseVersion, state }: { baseVersion: number; state: SessionCheckpointState }) {
    this.#check();
    const current = this.checkpoints.get(sessionId) ?? { version: 0, state: null };
    if (baseVersion !== current.version) {
      throw new ApiError(409, "Stale version.", { conflict: { ...structuredClone(current), message: "Stale version." } });
    }
    const next = { version: baseVersion + 1, state: structuredClone(state) };
    this.checkpoints.set(sessionId, next);
    return structuredClone(next);
  }

  async deleteMyData() {
    this.#check();
    this.deleted = true;
  }
}

const synthesisSession = {
  id: SESSION,
  kind: "synthesis" as const,
  title: "Saved book",
  status: "incomplete" as const,
  createdAt: "2025-01-01T12:00:00.000Z",
  updatedAt: "2025-01-01T12:00:00.000Z",
  lastHeartbeat: null,
  completedAt: null,
};

/** A page: a store and its persistence over `values` (this device's storage, shared across reloads). */
async function openPage(values: MemoryKeyValueStore, server: FakeBackupServer, options: { deleteLocal?: () => Promise<void> } = {}) {
  const { store } = createTestStore({
    api: fakeApi({ createSession: async () => ({ ...synthesisSession, status: "active" }), listSessions: async () => [synthesisSession] }),
  });
  let storage!: StateStorage;
  const runtime = new PersistenceRuntime({
    store,
    api: fakeApi({ createSession: async () => ({ ...synthesisSession, status: "active" }), listSessions: async () => [synthesisSession] }),
    backupApi: server,
    openStorage: async () => (storage = await openStateStorage({ indexedDB: null, localStorage: values })),
    lifecycle: null,
    crossTab: false,
    ...(options.deleteLocal ? { deleteLocalDatabases: options.deleteLocal } : {}),
  });
  await runtime.start();
  await runtime.deviceReady();
  return { store, state: () => store.getState(), runtime, storage: () => storage };
}

function checkpoint(text: string): SessionCheckpointState {
  return {
    title: "Saved book",
    chapters: [{ id: "c1", title: "One", text }],
    engine: "flite",
    voice: "slt",
    parameters: DEFAULT_PREFERENCES.parameters,
    position: { chapter: 0, offset: 0 },
    notes: "",
    savedAt: "2025-01-01T12:00:00.000Z",
  };
}

describe("the page's persisted state", () => {
  it("comes back after a reload, in the storage it says it uses", async () => {
    const values = new MemoryKeyValueStore();
    const server = new FakeBackupServer();
    const first = await openPage(values, server);
    first.state().updateParameters({ rate: 1.5 });
    first.state().selectVoice("kal");
    await first.runtime.flush();
    first.runtime.stop();

    const second = await openPage(values, server);

    expect(second.state()).toMatchObject({ parameters: { rate: 1.5 }, voice: "kal" });
    expect(second.runtime.getSnapshot().status).toMatchObject({ hasHydrated: true, storageKind: "localstorage", persistedVersion: 2 });
    expect(await second.runtime.getPersistedVersion()).toBe(2);
  });

  it("backs the preferences up on the server", async () => {
    const server = new FakeBackupServer();
    const page = await openPage(new MemoryKeyValueStore(), server);

    page.state().updateParameters({ pitch: 0.7 });
    await page.runtime.flush();

    await expect.poll(() => server.preferences.version).toBe(1);
    expect(server.preferences.preferences.parameters.pitch).toBe(0.7);
  });

  it("reports a damaged copy, holds the defaults back from the server, and restores the server's backup", async () => {
    const values = new MemoryKeyValueStore();
    const server = new FakeBackupServer();
    server.preferences = { version: 4, preferences: { ...DEFAULT_PREFERENCES, voice: "rms", parameters: { ...DEFAULT_PREFERENCES.parameters, rate: 1.7 } } };
    server.checkpoints.set(SESSION, { version: 2, state: checkpoint("Chapter one, as saved.") });
    const first = await openPage(values, server);
    first.state().updateParameters({ volume: 0.5 });
    await first.runtime.flush();
    first.runtime.stop();
    const storage = first.storage();
    const record = (await storage.readRecord(APP_STATE_KEY)) as Parameters<StateStorage["writeRecord"]>[0];
    await storage.writeRecord({ ...record, checksum: "AAAA" });

    const page = await openPage(values, server);
    expect(page.runtime.getSnapshot().status.corruption).toMatchObject({ reason: "checksum" });
    const before = server.preferences.version;
    page.state().updateParameters({ rate: 0.6 });
    await page.runtime.flush();
    expect(server.preferences.version).toBe(before);

    await page.runtime.restoreFromServerBackup();

    expect(page.runtime.getSnapshot().status.corruption).toBeNull();
    expect(page.runtime.getSnapshot().restore).toMatchObject({ phase: "restored" });
    expect(page.state()).toMatchObject({ voice: "rms", parameters: { rate: 1.7 }, draft: { sessionId: SESSION, title: "Saved book" } });
    expect(page.state().draft.chapters[0]!.text).toBe("Chapter one, as saved.");
  });

  it("turns an edit still waiting for its push into a conflict copy when another device's arrives", async () => {
    const server = new FakeBackupServer();
    server.checkpoints.set(SESSION, { version: 1, state: checkpoint("First.") });
    const page = await openPage(new MemoryKeyValueStore(), server);
    await page.runtime.openSessionDraft(SESSION);
    const chapter = page.state().draft.chapters[0]!.id;

    page.state().editChapterText(chapter, "Mine, not pushed yet.");
    server.checkpoints.set(SESSION, { version: 2, state: checkpoint("Theirs, from another device.") });
    const event: TidemarkEvent = { id: 9, at: "2025-01-01T12:00:01.000Z", type: "checkpoint.updated", sessionId: SESSION, version: 2 };
    page.runtime.handleEvent(event);

    await expect.poll(() => page.runtime.getSnapshot().backup.conflicts.length).toBe(1);
    expect(page.state().draft.chapters[0]!.text).toBe("Theirs, from another device.");
    const [copy] = page.runtime.getSnapshot().backup.conflicts;
    expect((copy!.value as SessionCheckpointState).chapters[0]!.text).toBe("Mine, not pushed yet.");

    await page.runtime.keepConflict(copy!.id);
    await expect.poll(() => server.checkpoints.get(SESSION)?.state.chapters[0]!.text).toBe("Mine, not pushed yet.");
    expect(page.state().draft.chapters[0]!.text).toBe("Mine, not pushed yet.");
  });

  it("imports a valid export file and refuses a bad one without changing anything", async () => {
    const server = new FakeBackupServer();
    const page = await openPage(new MemoryKeyValueStore(), server);
    page.state().updateParameters({ rate: 1.2 });
    const exported = page.runtime.exportFile();
    page.state().updateParameters({ rate: 0.9 });

    const bad = await page.runtime.importFile(JSON.stringify({ format: EXPORT_FORMAT, version: 2, exportedAt: "x", state: { parameters: 1 } }));
    expect(bad.ok).toBe(false);
    expect(page.state().parameters.rate).toBe(0.9);

    const good = await page.runtime.importFile(exported);
    expect(good.ok).toBe(true);
    expect(page.state().parameters.rate).toBe(1.2);
    await expect.poll(() => server.preferences.preferences.parameters.rate).toBe(1.2);
  });

  it("deletes on the server first, and nothing on this device when the server cannot be reached", async () => {
    const values = new MemoryKeyValueStore();
    const server = new FakeBackupServer();
    let localDeleted = false;
    const page = await openPage(values, server, { deleteLocal: async () => void (localDeleted = true) });
    page.state().updateParameters({ rate: 1.9 });
    await page.runtime.flush();

    server.reachable = false;
    await expect(page.runtime.deleteAllData()).rejects.toThrow(/could not be reached/);
    expect(localDeleted).toBe(false);
    expect(await page.runtime.getPersistedVersion()).toBe(2);

    server.reachable = true;
    await page.runtime.deleteAllData();
    expect(server.deleted).toBe(true);
    expect(localDeleted).toBe(true);
    expect(await page.storage().readRecord(APP_STATE_KEY)).toBeUndefined();
  });

  it("dismisses every offered recovery and keeps that after a reload", async () => {
    const values = new MemoryKeyValueStore();
    const server = new FakeBackupServer();
    const page = await openPage(values, server);
    page.store.setState({ recoverable: [{ sessionId: SESSION, title: "", kind: "recording" }] });

    await page.runtime.clearRecoveryState();
    page.runtime.stop();

    const again = await openPage(values, server);
    expect(again.state().dismissedRecoveryIds).toEqual([SESSION]);
  });

  /** Two tabs of one browser with the same draft open, the second's edit saved on the device but not pushed yet. */
  async function twoTabsEditingOneText() {
    const values = new MemoryKeyValueStore();
    const server = new FakeBackupServer();
    server.checkpoints.set(SESSION, { version: 1, state: checkpoint("Start.") });
    const first = await openPage(values, server);
    await first.runtime.openSessionDraft(SESSION);
    await first.runtime.flush();
    const second = await openPage(values, server);
    const chapter = first.state().draft.chapters[0]!.id;
    second.state().editChapterText(chapter, "Theirs, saved first.");
    // Past the device's save delay (300 ms), well within the server push delay (2 s).
    await new Promise((resolve) => setTimeout(resolve, 450));
    first.state().editChapterText(chapter, "Mine, not saved yet.");
    await first.runtime.rehydrate();
    return { first, second };
  }

  it("keeps the other tab's value as a conflict copy when both tabs changed the same text", async () => {
    const { first } = await twoTabsEditingOneText();

    expect(first.state().draft.chapters[0]!.text).toBe("Mine, not saved yet.");
    await expect.poll(() => first.runtime.getSnapshot().backup.conflicts.length).toBe(1);
    const [copy] = first.runtime.getSnapshot().backup.conflicts;
    expect(copy).toMatchObject({ kind: "checkpoint", sessionId: SESSION });
    expect((copy!.value as SessionCheckpointState).chapters[0]!.text).toBe("Theirs, saved first.");
  });

  it("keeps one conflict copy when both tabs notice the same clash", async () => {
    const { first, second } = await twoTabsEditingOneText();

    // The second tab then loads the first one's save over its own edit, not pushed yet.
    await new Promise((resolve) => setTimeout(resolve, 450));
    await second.runtime.rehydrate();
    expect(second.state().draft.chapters[0]!.text).toBe("Mine, not saved yet.");

    await expect.poll(async () => (await first.storage().listConflicts()).length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await first.storage().listConflicts()).toHaveLength(1);
  });
});
