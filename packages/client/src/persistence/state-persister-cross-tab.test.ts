import { PERSISTED_STATE_VERSION, type PersistedAppState } from "@tidemark/shared";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appStateMigrations, type PersistedAppStateV1 } from "./app-state-migrations.ts";
import { openStateStorage } from "./open-state-storage.ts";
import { decodeRecord } from "./record-codec.ts";
import type { MergeConflict, StatePersister, StateSchema } from "./state-persister.ts";
import type { StateStorage } from "./state-storage.ts";
import {
  APP_KEY,
  appPersister,
  createTestAppStore,
  disposeAll,
  privateChannel,
  recordWrites,
  settleIo,
  statusWhere,
  type TestAppState,
} from "./test-support/persister-harness.ts";
import { LimitedKeyValueStore, openTestStateStorage } from "./test-support/storage-fakes.ts";

afterEach(() => disposeAll());

/** Schema of code one version behind: all it checks is what version 1 differs in, a draft of one text. */
const olderSchema: StateSchema<PersistedAppState> = {
  safeParse: (input) =>
    typeof (input as { draft?: { text?: unknown } } | null)?.draft?.text === "string"
      ? { success: true, data: input as PersistedAppState }
      : { success: false, error: { message: "The draft is not one text." } },
};

let channelCount = 0;

/** A version 1 draft (one text), as code of that version keeps it in its store. */
const VERSION_1_DRAFT: PersistedAppStateV1["draft"] = { sessionId: null, title: "", text: "", cursor: 0, notes: "" };

/**
 * One browser profile: tabs share its IndexedDB (or, with `storage: "localstorage"`, its
 * localStorage as the state storage) and its localStorage for emergency copies, and hear each
 * other on one channel.
 */
async function profile(options: { storage?: "indexeddb" | "localstorage" } = {}) {
  const indexedDB = new IDBFactory();
  const localStorage = new LimitedKeyValueStore();
  const channelName = `state-tabs-${process.pid}-${(channelCount += 1)}`;
  async function openStorage(): Promise<StateStorage> {
    if (options.storage === "localstorage") return openStateStorage({ name: "state-under-test", indexedDB: null, localStorage });
    return (await openTestStateStorage(indexedDB)).storage;
  }
  async function openTab(tab: { version?: number; crossTab?: false } = {}) {
    const storage = await openStorage();
    const writes = recordWrites(storage);
    const version = tab.version ?? PERSISTED_STATE_VERSION;
    // Older code keeps the draft in its own shape.
    const store = version < PERSISTED_STATE_VERSION ? createTestAppStore({ draft: VERSION_1_DRAFT as unknown as PersistedAppState["draft"] }) : createTestAppStore();
    const conflicts: Array<MergeConflict<PersistedAppState>> = [];
    const persister = appPersister(storage, store, {
      crossTab: tab.crossTab ?? privateChannel(channelName),
      version,
      emergencyStorage: localStorage,
      onMergeConflict: (conflict) => conflicts.push(conflict),
      ...(version < PERSISTED_STATE_VERSION ? { schema: olderSchema, migrations: appStateMigrations.slice(0, version) } : {}),
    });
    return { storage, store, persister, writes, conflicts };
  }
  /** Two tabs of the current code, both loaded. */
  async function twoTabs() {
    const first = await openTab();
    const second = await openTab();
    await first.persister.hydrate();
    await second.persister.hydrate();
    return { first, second };
  }
  return { openTab, twoTabs, localStorage, openStorage };
}

function editChapter(store: { getState(): TestAppState; setState(partial: Partial<TestAppState>): void }, id: string, text: string): void {
  const { draft } = store.getState();
  store.setState({ draft: { ...draft, chapters: draft.chapters.map((chapter) => (chapter.id === id ? { ...chapter, text } : chapter)) } });
}

function texts(store: { getState(): TestAppState }): string[] {
  return store.getState().draft.chapters.map((chapter) => chapter.text);
}

function setRate(store: { getState(): TestAppState; setState(partial: Partial<TestAppState>): void }, rate: number): void {
  store.setState({ parameters: { ...store.getState().parameters, rate } });
}

async function settled(persister: StatePersister<PersistedAppState>): Promise<void> {
  await settleIo();
  await persister.flush();
}

async function storedValue(storage: StateStorage): Promise<PersistedAppState> {
  const decoded = await decodeRecord(await storage.readRecord(APP_KEY));
  if (!decoded.ok) throw new Error(`stored record unreadable: ${decoded.detail}`);
  return decoded.value as PersistedAppState;
}

describe("createStatePersister: tabs", () => {
  it("shows a change saved in one tab in the other, which does not write it back", async () => {
    const { twoTabs } = await profile();
    const { first, second } = await twoTabs();

    setRate(first.store, 1.4);
    await first.persister.flush();

    await vi.waitFor(() => expect(second.store.getState().parameters.rate).toBe(1.4));
    await settled(second.persister);
    expect(second.writes).toHaveLength(0);
    expect(first.writes).toHaveLength(1);
    expect(second.persister.getStatus()).toMatchObject({ persistedVersion: PERSISTED_STATE_VERSION, lastSavedAt: expect.any(Number) });
  });

  it("merges another tab's save with a change of its own not yet written, and then writes both", async () => {
    const { openTab, twoTabs } = await profile();
    const { first, second } = await twoTabs();

    second.store.setState({ engine: "browser" });
    setRate(first.store, 0.7);
    await first.persister.flush();
    await vi.waitFor(() => expect(second.store.getState().parameters.rate).toBe(0.7));
    await settled(second.persister);

    expect(second.store.getState().engine).toBe("browser");
    expect(second.writes).toHaveLength(1);
    const third = await openTab();
    await third.persister.hydrate();
    expect(third.store.getState()).toMatchObject({ engine: "browser", parameters: { rate: 0.7 } });
  });

  it("keeps both tabs' edits of different chapters made at the same time", async () => {
    const { twoTabs } = await profile();
    const { first, second } = await twoTabs();
    const chapters = [
      { id: "c1", title: "One", text: "one" },
      { id: "c2", title: "Two", text: "two" },
    ];
    first.store.setState({ draft: { ...first.store.getState().draft, chapters } });
    await first.persister.flush();
    await vi.waitFor(() => expect(texts(second.store)).toEqual(["one", "two"]));

    editChapter(first.store, "c1", "one, edited in the first tab");
    editChapter(second.store, "c2", "two, edited in the second tab");
    await first.persister.flush();

    const both = ["one, edited in the first tab", "two, edited in the second tab"];
    await vi.waitFor(() => expect(texts(second.store)).toEqual(both));
    await second.persister.flush();
    await vi.waitFor(() => expect(texts(first.store)).toEqual(both));
    expect([...first.conflicts, ...second.conflicts]).toEqual([]);
  });

  it("hands over the other tab's edit of the same chapter as a conflict instead of dropping it silently", async () => {
    const { twoTabs } = await profile();
    const { first, second } = await twoTabs();

    editChapter(first.store, "chapter-1", "the first tab's sentence");
    editChapter(second.store, "chapter-1", "the second tab's sentence");
    await first.persister.flush();

    await vi.waitFor(() => expect(second.conflicts).toHaveLength(1));
    const [conflict] = second.conflicts;
    expect(conflict?.paths).toEqual([{ path: "draft.chapters[chapter-1].text", ours: "the second tab's sentence", theirs: "the first tab's sentence" }]);
    expect(conflict?.stored.draft.chapters[0]?.text).toBe("the first tab's sentence");
    expect(texts(second.store)).toEqual(["the second tab's sentence"]);
  });

  it("stops writing in a tab of older code as soon as a tab of newer code opens, and says so", async () => {
    const { openTab } = await profile();
    const older = await openTab({ version: PERSISTED_STATE_VERSION - 1 });
    await older.persister.hydrate();
    const newer = await openTab();

    await newer.persister.hydrate();
    await statusWhere(older.persister, (status) => status.outdated);
    setRate(older.store, 1.8);
    await settled(older.persister);

    expect(older.writes).toHaveLength(0);
    expect(older.persister.getStatus()).toMatchObject({ outdated: true, persistedVersion: PERSISTED_STATE_VERSION });
    expect(newer.persister.getStatus().outdated).toBe(false);
  });

  it("tells a tab of older code that opens later not to write, before it writes anything", async () => {
    const { openTab } = await profile();
    const newer = await openTab();
    await newer.persister.hydrate();
    const older = await openTab({ version: PERSISTED_STATE_VERSION - 1 });

    await older.persister.hydrate();
    await statusWhere(older.persister, (status) => status.outdated);
    setRate(older.store, 1.8);
    await settled(older.persister);

    expect(older.writes).toHaveLength(0);
  });

  it("resets the other tabs to defaults, without writing, when one tab deletes the saved state", async () => {
    const { twoTabs } = await profile();
    const { first, second } = await twoTabs();
    setRate(first.store, 1.3);
    await first.persister.flush();
    await vi.waitFor(() => expect(second.store.getState().parameters.rate).toBe(1.3));

    await first.persister.clearPersistedState();

    await vi.waitFor(() => expect(second.store.getState().parameters.rate).toBe(1));
    await settled(second.persister);
    expect(second.writes).toHaveLength(0);
    expect(await first.persister.getPersistedVersion()).toBeNull();
    expect(second.persister.getStatus()).toMatchObject({ persistedVersion: null, lastSavedAt: null });
  });

  it("picks up a value another tab saved unheard when asked to rehydrate, keeping its own unsaved change", async () => {
    const { openTab } = await profile();
    const tab = await openTab();
    const unheard = await openTab({ crossTab: false });
    await tab.persister.hydrate();
    await unheard.persister.hydrate();

    setRate(unheard.store, 1.1);
    await unheard.persister.flush();
    await settleIo();
    expect(tab.store.getState().parameters.rate).toBe(1);
    tab.store.setState({ engine: "browser" });
    await tab.persister.rehydrate();

    expect(tab.store.getState()).toMatchObject({ engine: "browser", parameters: { rate: 1.1 } });
  });

  it("hands an older tab's unsaved change over when newer code opens, so that after the reload the newer code shows it", async () => {
    const { openTab, localStorage } = await profile();
    const older = await openTab({ version: PERSISTED_STATE_VERSION - 1 });
    await older.persister.hydrate();
    setRate(older.store, 1.8);
    const newer = await openTab();

    await newer.persister.hydrate();
    await statusWhere(older.persister, (status) => status.outdated);
    // The newer tab saves a change of its own after the hand-over: the stored value is newer than it.
    newer.store.setState({ engine: "browser" });
    await newer.persister.flush();
    older.persister.dispose();
    const reloaded = await openTab();
    await reloaded.persister.hydrate();
    await reloaded.persister.flush();

    expect(older.writes).toHaveLength(0);
    expect(reloaded.store.getState()).toMatchObject({ engine: "browser", parameters: { rate: 1.8 } });
    expect(reloaded.store.getState().draft.chapters).toEqual([{ id: "chapter-1", title: "Chapter 1", text: "" }]);
    expect(await storedValue(reloaded.storage)).toMatchObject({ engine: "browser", parameters: { rate: 1.8 } });
    expect(localStorage.length).toBe(0);
    expect(reloaded.conflicts).toEqual([]);
  });

  it("hands over a change an older tab makes after it learned it is outdated, and one whose write newer code's record refused", async () => {
    const { openTab } = await profile();
    const older = await openTab({ version: PERSISTED_STATE_VERSION - 1, crossTab: false });
    await older.persister.hydrate();
    const newer = await openTab({ crossTab: false });
    await newer.persister.hydrate();
    newer.store.setState({ engine: "browser" });
    await newer.persister.flush();

    // Not told: it learns from the refused write that newer code wrote.
    setRate(older.store, 1.6);
    await older.persister.flush();
    expect(older.persister.getStatus().outdated).toBe(true);
    older.store.setState({ voices: { ...older.store.getState().voices, selected: "Daniel" } });
    await older.persister.flush();
    older.persister.dispose();
    const reloaded = await openTab();
    await reloaded.persister.hydrate();

    expect(older.writes).toHaveLength(0);
    expect(reloaded.store.getState()).toMatchObject({ engine: "browser", parameters: { rate: 1.6 }, voices: { selected: "Daniel" } });
  });
});

describe.each(["indexeddb", "localstorage"] as const)("createStatePersister: two tabs saving at the same moment (%s)", (kind) => {
  it("keeps both changes when the tabs change different values: the later write merges the earlier one in", async () => {
    const { openTab } = await profile({ storage: kind });
    // Deaf to each other: only the write itself can notice that the other tab wrote.
    const first = await openTab({ crossTab: false });
    const second = await openTab({ crossTab: false });
    await first.persister.hydrate();
    await second.persister.hydrate();

    setRate(first.store, 1.4);
    second.store.setState({ engine: "browser" });
    await Promise.all([first.persister.flush(), second.persister.flush()]);

    const third = await openTab({ crossTab: false });
    await third.persister.hydrate();
    expect(third.store.getState()).toMatchObject({ engine: "browser", parameters: { rate: 1.4 } });
  });

  it("hands over the other tab's change of the same value as a conflict, and both tabs end with what was stored", async () => {
    const { openTab, twoTabs } = await profile({ storage: kind });
    const { first, second } = await twoTabs();

    setRate(first.store, 1.4);
    setRate(second.store, 0.6);
    await Promise.all([first.persister.flush(), second.persister.flush()]);
    await settled(first.persister);
    await settled(second.persister);

    const conflicts = [...first.conflicts, ...second.conflicts];
    expect(conflicts).toHaveLength(1);
    const [conflict] = conflicts;
    expect(conflict?.paths.map((path) => path.path)).toEqual(["parameters.rate"]);
    expect([conflict?.stored.parameters.rate, conflict?.kept.parameters.rate].sort()).toEqual([0.6, 1.4]);
    const third = await openTab();
    await third.persister.hydrate();
    const kept = conflict?.kept.parameters.rate;
    expect([first, second, third].map((tab) => tab.store.getState().parameters.rate)).toEqual([kept, kept, kept]);
  });

  it("reads back nothing from storage to save when no other tab wrote in between", async () => {
    const { openTab } = await profile({ storage: kind });
    const tab = await openTab({ crossTab: false });
    await tab.persister.hydrate();
    const read = tab.storage.readRecord.bind(tab.storage);
    let reads = 0;
    tab.storage.readRecord = (key) => {
      reads += 1;
      return read(key);
    };

    for (const rate of [1.1, 1.2, 1.3]) {
      setRate(tab.store, rate);
      await tab.persister.flush();
    }

    expect(tab.writes).toHaveLength(3);
    expect(reads).toBe(0);
  });
});
