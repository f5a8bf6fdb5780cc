import { PERSISTED_STATE_VERSION, type PersistedAppState } from "@tidemark/shared";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appStateMigrations } from "./app-state-migrations.ts";
import type { MergeConflict, StatePersister, StateSchema } from "./state-persister.ts";
import {
  appPersister,
  createTestAppStore,
  disposeAll,
  privateChannel,
  recordWrites,
  settleIo,
  statusWhere,
  type TestAppState,
} from "./test-support/persister-harness.ts";
import { openTestStateStorage } from "./test-support/storage-fakes.ts";

afterEach(() => disposeAll());

/** Schema of code one version behind: it cannot check today's shape, so it takes anything. */
const olderSchema: StateSchema<PersistedAppState> = { safeParse: (input) => ({ success: true, data: input as PersistedAppState }) };

let channelCount = 0;

/** One browser profile: tabs share its IndexedDB and hear each other on one channel. */
async function profile() {
  const indexedDB = new IDBFactory();
  const channelName = `state-tabs-${process.pid}-${(channelCount += 1)}`;
  async function openTab(options: { version?: number; crossTab?: false } = {}) {
    const { storage } = await openTestStateStorage(indexedDB);
    const writes = recordWrites(storage);
    const store = createTestAppStore();
    const version = options.version ?? PERSISTED_STATE_VERSION;
    const conflicts: Array<MergeConflict<PersistedAppState>> = [];
    const persister = appPersister(storage, store, {
      crossTab: options.crossTab ?? privateChannel(channelName),
      version,
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
  return { openTab, twoTabs };
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
});
