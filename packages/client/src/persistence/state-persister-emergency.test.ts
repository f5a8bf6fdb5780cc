import type { PersistedAppState } from "@tidemark/shared";
import type { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeRecord } from "./record-codec.ts";
import { EMERGENCY_KEY_PREFIX, emergencyCopyKey, fnv1a32, type MergeConflict } from "./state-persister.ts";
import type { StateStorage } from "./state-storage.ts";
import {
  APP_KEY,
  appPersister,
  createTestAppStore,
  disposeAll,
  FakeDocument,
  partializeApp,
  recordWrites,
  settleIo,
  storeRecord,
  writesReach,
} from "./test-support/persister-harness.ts";
import { LimitedKeyValueStore, openTestStateStorage } from "./test-support/storage-fakes.ts";

afterEach(() => {
  disposeAll();
  vi.useRealTimers();
});

/** Where older code kept the one emergency copy of the app state, whichever tab wrote it. */
const SINGLE_EMERGENCY_KEY = `${EMERGENCY_KEY_PREFIX}${APP_KEY}`;

function withRate(state: PersistedAppState, rate: number): Pick<PersistedAppState, "parameters"> {
  return { parameters: { ...state.parameters, rate } };
}

async function storedRate(storage: StateStorage): Promise<unknown> {
  const decoded = await decodeRecord(await storage.readRecord(APP_KEY));
  if (!decoded.ok) throw new Error(`stored record unreadable: ${decoded.detail}`);
  return (decoded.value as PersistedAppState).parameters.rate;
}

let pageCount = 0;

/** A page: a store and a persister on `storage`, with `localStorage` for emergency copies and its own document. */
async function openPage(storage: StateStorage, localStorage: LimitedKeyValueStore, onMergeConflict?: (conflict: MergeConflict<PersistedAppState>) => void) {
  const document = new FakeDocument();
  const store = createTestAppStore();
  const writerId = `page-${(pageCount += 1)}`;
  const persister = appPersister(storage, store, { lifecycle: document, emergencyStorage: localStorage, writerId, ...(onMergeConflict ? { onMergeConflict } : {}) });
  await persister.hydrate();
  return { document, store, persister, storage, writerId, copyKey: emergencyCopyKey(APP_KEY, writerId) };
}

/** A page with storage of its own on the shared database, as another tab would have. */
async function openTab(indexedDB: IDBFactory, localStorage: LimitedKeyValueStore, onMergeConflict?: (conflict: MergeConflict<PersistedAppState>) => void) {
  return openPage((await openTestStateStorage(indexedDB)).storage, localStorage, onMergeConflict);
}

/** Two tabs of one browser profile (one database, one localStorage), on fake timers; `openNext` opens a page after them. */
async function twoTabs() {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  const { indexedDB } = await openTestStateStorage();
  const localStorage = new LimitedKeyValueStore();
  const first = await openTab(indexedDB, localStorage);
  const second = await openTab(indexedDB, localStorage);
  const openNext = (onMergeConflict?: (conflict: MergeConflict<PersistedAppState>) => void) => openTab(indexedDB, localStorage, onMergeConflict);
  return { first, second, localStorage, openNext };
}

/** Record writes wait until released, as a slow disk makes them. */
function holdWrites(storage: StateStorage): () => void {
  const write = storage.writeRecordIf.bind(storage);
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  storage.writeRecordIf = async (record, expected) => {
    await released;
    return write(record, expected);
  };
  return release;
}

/** Writes to storage from now on never commit: the page is gone before they would. */
function dieBeforeWrites(page: { storage: StateStorage; writerId: string }): void {
  const write = page.storage.writeRecordIf.bind(page.storage);
  // Only this page's writes: another page on the same storage (the next load) writes as usual.
  page.storage.writeRecordIf = (record, expected) =>
    record.writerId === page.writerId ? new Promise<boolean>(() => undefined) : write(record, expected);
}

type Page = Awaited<ReturnType<typeof openPage>>;

/** A change, then `pagehide`, then the page dies: its writes never commit. */
async function changeThenDie(page: Page, change: Partial<PersistedAppState> | number): Promise<void> {
  page.store.setState(typeof change === "number" ? withRate(page.store.getState(), change) : change);
  dieBeforeWrites(page);
  page.document.dispatchEvent(new Event("pagehide"));
  await vi.advanceTimersByTimeAsync(50);
  await settleIo();
  page.persister.dispose();
}

describe("createStatePersister: emergency copy on pagehide", () => {
  it("keeps a change made just before the page died: the next page loads it and writes it through", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const first = await openPage(storage, localStorage);

    await changeThenDie(first, 1.7);

    expect(await storage.readRecord(APP_KEY)).toBeUndefined();
    expect(localStorage.getItem(first.copyKey)).not.toBeNull();
    const writes = recordWrites(storage);
    const second = await openPage(storage, localStorage);

    expect(second.store.getState().parameters.rate).toBe(1.7);
    await vi.advanceTimersByTimeAsync(1_000);
    await writesReach(writes, 1);
    await settleIo();
    expect(await storedRate(storage)).toBe(1.7);
    expect(localStorage.getItem(first.copyKey)).toBeNull();
  });

  it("also writes the copy when the page is hidden while a write is still on its way, and removes it once a later write commits", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const writes = recordWrites(storage);
    const page = await openPage(storage, localStorage);

    page.store.setState(withRate(page.store.getState(), 1.3));
    page.document.setVisibility("hidden");
    expect(JSON.parse(localStorage.getItem(page.copyKey) ?? "{}")).toMatchObject({ key: APP_KEY, schemaVersion: 2 });
    await writesReach(writes, 1);
    await settleIo();

    expect(await storedRate(storage)).toBe(1.3);
    expect(localStorage.getItem(page.copyKey)).toBeNull();
    // Nothing pending: hiding again writes no copy.
    page.document.setVisibility("visible");
    page.document.setVisibility("hidden");
    expect(localStorage.length).toBe(0);
  });

  it("lets a newer stored value win over an older copy's change of the same value, and removes the copy", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const first = await openPage(storage, localStorage);
    await changeThenDie(first, 1.2);
    const copy = JSON.parse(localStorage.getItem(first.copyKey) ?? "{}") as { savedAt: number };
    const stored = partializeApp(first.store.getState());
    await storeRecord(storage, { ...stored, parameters: { ...stored.parameters, rate: 0.9 } }, 2, copy.savedAt + 1);

    const second = await openPage(storage, localStorage);

    expect(second.store.getState().parameters.rate).toBe(0.9);
    expect(localStorage.getItem(first.copyKey)).toBeNull();
  });

  it("never trusts a damaged copy: it is moved aside with the quarantined records and the stored value loads", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const first = await openPage(storage, localStorage);
    first.store.setState(withRate(first.store.getState(), 1.1));
    await first.persister.flush();
    await changeThenDie(first, 1.9);
    const copy = JSON.parse(localStorage.getItem(first.copyKey) ?? "{}") as { json: string };
    localStorage.setItem(first.copyKey, JSON.stringify({ ...copy, json: copy.json.replace("1.9", "9.1") }));

    const second = await openPage(storage, localStorage);

    expect(second.store.getState().parameters.rate).toBe(1.1);
    expect(localStorage.getItem(first.copyKey)).toBeNull();
    expect(await storage.listQuarantined()).toEqual([expect.objectContaining({ key: first.copyKey, reason: "checksum" })]);
  });

  it("moves aside a copy whose checksum fits but whose value does not fit the schema, in the single key older code wrote too", async () => {
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const json = JSON.stringify({ parameters: "fast" });
    localStorage.setItem(SINGLE_EMERGENCY_KEY, JSON.stringify({ key: APP_KEY, schemaVersion: 2, savedAt: Date.now(), writerId: "x", checksum: fnv1a32(json), json }));

    const page = await openPage(storage, localStorage);

    expect(page.store.getState().parameters.rate).toBe(1);
    expect(localStorage.getItem(SINGLE_EMERGENCY_KEY)).toBeNull();
    expect(await storage.listQuarantined()).toEqual([expect.objectContaining({ key: SINGLE_EMERGENCY_KEY, reason: "schema" })]);
  });

  it("still adopts a valid copy in the single key older code wrote, and removes it once written through", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const json = JSON.stringify({ ...partializeApp(createTestAppStore().getState()), engine: "browser" });
    localStorage.setItem(SINGLE_EMERGENCY_KEY, JSON.stringify({ key: APP_KEY, schemaVersion: 2, savedAt: Date.now(), writerId: "x", checksum: fnv1a32(json), json }));

    const page = await openPage(storage, localStorage);
    await page.persister.flush();

    expect(page.store.getState().engine).toBe("browser");
    expect(localStorage.getItem(SINGLE_EMERGENCY_KEY)).toBeNull();
  });

  it("skips the copy silently when it does not fit in localStorage, and still writes as usual", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore(100);
    const writes = recordWrites(storage);
    const page = await openPage(storage, localStorage);

    page.store.setState(withRate(page.store.getState(), 1.6));
    expect(() => page.document.dispatchEvent(new Event("pagehide"))).not.toThrow();
    await writesReach(writes, 1);

    expect(localStorage.length).toBe(0);
    expect(await storedRate(storage)).toBe(1.6);
  });

  it("keeps the changes of two tabs that closed together, each from its own copy", async () => {
    const { first, second, localStorage, openNext } = await twoTabs();

    await changeThenDie(first, 1.4);
    await changeThenDie(second, { engine: "browser" });

    expect(localStorage.getItem(first.copyKey)).not.toBeNull();
    const next = await openNext();
    await next.persister.flush();
    expect(next.store.getState()).toMatchObject({ engine: "browser", parameters: { rate: 1.4 } });
    expect(localStorage.length).toBe(0);
  });

  it("removes only its own copy when its save commits, never the copy of a tab that died meanwhile", async () => {
    const { first, second, localStorage, openNext } = await twoTabs();
    const writes = recordWrites(first.storage);
    const release = holdWrites(first.storage);

    first.store.setState(withRate(first.store.getState(), 1.3));
    first.document.setVisibility("hidden");
    await vi.advanceTimersByTimeAsync(10);
    await changeThenDie(second, { engine: "browser" });
    release();
    await writesReach(writes, 1);
    await settleIo();

    expect(localStorage.getItem(first.copyKey)).toBeNull();
    expect(localStorage.getItem(second.copyKey)).not.toBeNull();
    const next = await openNext();
    expect(next.store.getState()).toMatchObject({ engine: "browser", parameters: { rate: 1.3 } });
  });

  it("lets the newest change of a value win, in whatever order the copies are listed, and hands the older one over as a conflict", async () => {
    const { first, second, openNext } = await twoTabs();
    dieBeforeWrites(first);
    first.store.setState(withRate(first.store.getState(), 1.2));
    first.document.setVisibility("hidden");
    first.document.setVisibility("visible");
    await vi.advanceTimersByTimeAsync(10);

    await changeThenDie(second, 1.5);
    // The first tab's copy is written again, later, under its name: still listed before the second's.
    await changeThenDie(first, 1.8);

    const conflicts: Array<MergeConflict<PersistedAppState>> = [];
    const next = await openNext((conflict) => conflicts.push(conflict));
    expect(next.store.getState().parameters.rate).toBe(1.8);
    expect(conflicts.map((conflict) => conflict.paths)).toEqual([[{ path: "parameters.rate", ours: 1.8, theirs: 1.5 }]]);
  });

  it("merges only the dead tab's own changes to chapters (edited, removed, added) into what another tab saved after it", async () => {
    const { first, second, openNext } = await twoTabs();
    const chapter = (id: string, text: string) => ({ id, title: id, text });
    const withChapters = (chapters: Array<ReturnType<typeof chapter>>) => ({ draft: { ...first.store.getState().draft, chapters } });
    first.store.setState(withChapters([chapter("c1", "one"), chapter("c2", "two"), chapter("c3", "three")]));
    await first.persister.flush();
    await second.persister.rehydrate();

    await changeThenDie(second, withChapters([chapter("c1", "one, edited before the tab died"), chapter("c2", "two"), chapter("c4", "four")]));
    await vi.advanceTimersByTimeAsync(10);
    first.store.setState(withChapters([chapter("c1", "one"), chapter("c2", "two, edited later"), chapter("c3", "three")]));
    await first.persister.flush();

    const next = await openNext();
    expect(next.store.getState().draft.chapters).toEqual([
      chapter("c1", "one, edited before the tab died"),
      chapter("c2", "two, edited later"),
      chapter("c4", "four"),
    ]);
  });
});
