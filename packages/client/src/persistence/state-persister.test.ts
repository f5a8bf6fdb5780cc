import { PERSISTED_STATE_VERSION, type PersistedAppState } from "@tidemark/shared";
import Dexie from "dexie";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultPersistedAppState } from "./app-state-migrations.ts";
import { decodeRecord, type StoredRecord } from "./record-codec.ts";
import type { StateStorage } from "./state-storage.ts";
import {
  APP_KEY,
  appPersister,
  createTestAppStore,
  disposeAll,
  hydratedApp,
  partializeApp,
  FakeDocument,
  recordWrites,
  settleIo,
  storeRecord,
  writesReach,
} from "./test-support/persister-harness.ts";
import { openTestStateStorage } from "./test-support/storage-fakes.ts";

afterEach(() => {
  disposeAll();
  vi.useRealTimers();
});

function withRate(state: PersistedAppState, rate: number): Pick<PersistedAppState, "parameters"> {
  return { parameters: { ...state.parameters, rate } };
}

async function storedValue(storage: StateStorage): Promise<unknown> {
  const decoded = await decodeRecord(await storage.readRecord(APP_KEY));
  if (!decoded.ok) throw new Error(`stored record unreadable: ${decoded.detail}`);
  return decoded.value;
}

describe("createStatePersister: writing", () => {
  it("writes several quick changes once, 300 ms after the last of them, with the last value", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage, writes, store, persister } = await hydratedApp();

    store.setState(withRate(store.getState(), 1.1));
    await vi.advanceTimersByTimeAsync(100);
    store.setState(withRate(store.getState(), 1.2));
    await vi.advanceTimersByTimeAsync(100);
    store.setState(withRate(store.getState(), 1.3));
    await vi.advanceTimersByTimeAsync(299);
    await settleIo();
    expect(writes).toHaveLength(0);

    await vi.advanceTimersByTimeAsync(1);
    await persister.flush();

    expect(writes).toHaveLength(1);
    expect(await storedValue(storage)).toMatchObject({ parameters: { rate: 1.3 } });
    expect(persister.getStatus()).toMatchObject({ phase: "saved", lastSavedAt: Date.now(), persistedVersion: PERSISTED_STATE_VERSION });
  });

  it("still writes within a second while changes keep coming faster than the debounce", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage, writes, store } = await hydratedApp();

    for (let keystroke = 0; keystroke < 6; keystroke += 1) {
      store.setState({ draft: { ...store.getState().draft, notes: `typed ${keystroke}` } });
      await vi.advanceTimersByTimeAsync(200);
    }
    await writesReach(writes, 1);
    await settleIo();

    // Keystrokes at 0, 200 … 1000 ms: the one at 1000 ms is the second after the first change.
    expect(writes).toHaveLength(1);
    expect(await storedValue(storage)).toMatchObject({ draft: { notes: "typed 4" } });
  });

  it("writes nothing when a store change leaves the persisted part as it was", async () => {
    const { writes, store, persister } = await hydratedApp();

    store.setState({ isGenerating: true, blobUrls: ["blob:x"] });
    await persister.flush();
    // A partialize that copies its slices on every call: equal copies are no change either.
    const copying = await hydratedApp({ partialize: (state) => structuredClone(partializeApp(state)) });
    copying.store.setState({ isGenerating: true });
    await copying.persister.flush();

    expect(writes).toHaveLength(0);
    expect(copying.writes).toHaveLength(0);
  });

  it("writes a pending change at once when the page is hidden, and on pagehide", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const document = new FakeDocument();
    const { storage, writes, store } = await hydratedApp({ lifecycle: document });

    store.setState(withRate(store.getState(), 1.4));
    document.setVisibility("hidden");
    await writesReach(writes, 1);

    document.setVisibility("visible");
    store.setState(withRate(store.getState(), 1.5));
    await settleIo();
    expect(writes).toHaveLength(1);
    document.dispatchEvent(new Event("pagehide"));
    await writesReach(writes, 2);

    expect(await storedValue(storage)).toMatchObject({ parameters: { rate: 1.5 } });
  });

  it("tries a failed write again by itself, without waiting for another change", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const writes = recordWrites(storage);
    const write = storage.writeRecordIf.bind(storage);
    storage.writeRecordIf = async () => {
      storage.writeRecordIf = write;
      throw new Dexie.UnknownError("Internal error opening backing store");
    };
    const store = createTestAppStore();
    const persister = appPersister(storage, store);
    await persister.hydrate();

    store.setState(withRate(store.getState(), 1.2));
    await persister.flush();
    expect(persister.getStatus()).toMatchObject({ phase: "error", error: expect.stringMatching(/backing store/) });

    await vi.advanceTimersByTimeAsync(2_000);
    await persister.flush();

    expect(persister.getStatus()).toMatchObject({ phase: "saved", error: null });
    expect(await storedValue(storage)).toMatchObject({ parameters: { rate: 1.2 } });
    expect(writes).toHaveLength(1);
  });

  it("writes nothing before hydration has finished, even when flushed, then writes what changed meanwhile", async () => {
    const { storage } = await openTestStateStorage();
    const writes = recordWrites(storage);
    const store = createTestAppStore();
    const persister = appPersister(storage, store);

    store.setState(withRate(store.getState(), 1.6));
    await persister.flush();
    expect(writes).toHaveLength(0);
    expect(persister.getStatus().hasHydrated).toBe(false);

    await persister.hydrate();
    await persister.flush();

    expect(writes).toHaveLength(1);
    expect(await storedValue(storage)).toMatchObject({ parameters: { rate: 1.6 } });
  });

  it("keeps a change made while the stored value loads and merges it with what was stored", async () => {
    const { storage } = await openTestStateStorage();
    const saved = defaultPersistedAppState();
    saved.engine = "browser";
    saved.voices.selected = "Samantha";
    await storeRecord(storage, saved, PERSISTED_STATE_VERSION);
    const read = storage.readRecord.bind(storage);
    let releaseRead = () => {};
    storage.readRecord = async (key) => {
      storage.readRecord = read;
      await new Promise<void>((resolve) => (releaseRead = resolve));
      return read(key);
    };
    const store = createTestAppStore();
    const persister = appPersister(storage, store);

    const hydrating = persister.hydrate();
    await settleIo();
    store.setState(withRate(store.getState(), 0.8));
    releaseRead();
    await hydrating;
    await persister.flush();

    expect(store.getState()).toMatchObject({ engine: "browser", voices: { selected: "Samantha" }, parameters: { rate: 0.8 } });
    expect(await storedValue(storage)).toMatchObject({ engine: "browser", parameters: { rate: 0.8 } });
  });

  it("restores what was written in an earlier page load and leaves runtime state alone", async () => {
    const first = await openTestStateStorage();
    const before = createTestAppStore();
    const writer = appPersister(first.storage, before);
    await writer.hydrate();
    before.setState({ ...withRate(before.getState(), 1.7), isGenerating: true });
    await writer.flush();
    writer.dispose();

    const { storage } = await openTestStateStorage(first.indexedDB);
    const after = createTestAppStore();
    const reader = appPersister(storage, after);
    await reader.hydrate();

    expect(after.getState().parameters.rate).toBe(1.7);
    expect(after.getState().isGenerating).toBe(false);
    expect(reader.getStatus()).toMatchObject({ hasHydrated: true, persistedVersion: PERSISTED_STATE_VERSION, lastSavedAt: expect.any(Number) });
  });

  it("gzips a large draft above the threshold and reads it back whole", async () => {
    const { storage, indexedDB } = await openTestStateStorage();
    const { writes, store, persister } = await hydratedApp({ storage, compressAboveBytes: 32 * 1024 });
    const chapters = Array.from({ length: 100 }, (_, index) => ({
      id: `chapter-${index + 1}`,
      title: `Chapter ${index + 1}`,
      text: `It was the best of times, it was the worst of times (${index}). `.repeat(150),
    }));

    store.setState({ draft: { ...store.getState().draft, chapters } });
    await persister.flush();
    const reloaded = createTestAppStore();
    await appPersister((await openTestStateStorage(indexedDB)).storage, reloaded).hydrate();

    expect(writes[0]?.encoding).toBe("gzip-parts");
    expect(reloaded.getState().draft.chapters).toEqual(chapters);
  });
});

describe("createStatePersister: damaged or foreign data", () => {
  it("moves a record whose checksum fails into quarantine, starts from defaults, and restores with replaceState", async () => {
    const { storage } = await openTestStateStorage();
    const saved = { ...defaultPersistedAppState(), engine: "browser" as const };
    const record = await storeRecord(storage, saved, PERSISTED_STATE_VERSION);
    const damaged: StoredRecord = { ...record, payload: record.payload.slice(0) };
    new Uint8Array(damaged.payload).fill(0x41, 10, 20);
    await storage.writeRecord(damaged);
    const store = createTestAppStore();
    const persister = appPersister(storage, store);

    await persister.hydrate();

    const status = persister.getStatus();
    expect(status.hasHydrated).toBe(true);
    expect(status.corruption).toMatchObject({ key: APP_KEY, reason: "checksum" });
    expect(store.getState().engine).toBe("flite");
    expect(await storage.readRecord(APP_KEY)).toBeUndefined();
    const [quarantined] = await storage.listQuarantined();
    expect(quarantined).toMatchObject({ key: APP_KEY, reason: "checksum", record: damaged });

    const backup = { ...defaultPersistedAppState(), engine: "browser" as const, voices: { selected: "Daniel", saved: [] } };
    await persister.replaceState(backup);

    expect(store.getState()).toMatchObject({ engine: "browser", voices: { selected: "Daniel" } });
    expect(await storedValue(storage)).toEqual(backup);
    expect(persister.getStatus().corruption).toBeNull();
    expect(await storage.listQuarantined()).toHaveLength(1);
  });

  it("moves a record that decodes but breaks the schema into quarantine with the reason", async () => {
    const { storage } = await openTestStateStorage();
    await storeRecord(storage, { ...defaultPersistedAppState(), parameters: { rate: 9, pitch: 1, volume: 1, paragraphPauseMs: 0 } }, PERSISTED_STATE_VERSION);
    const store = createTestAppStore();
    const persister = appPersister(storage, store);

    await persister.hydrate();

    expect(persister.getStatus().corruption).toMatchObject({ reason: "schema", detail: expect.stringContaining("parameters.rate") });
    expect(store.getState().parameters.rate).toBe(1);
    expect(await storage.listQuarantined()).toHaveLength(1);
  });

  it("moves something that is not a record at all into quarantine as undecodable", async () => {
    const { storage } = await openTestStateStorage();
    const write = storage.writeRecord.bind(storage);
    await write({ key: APP_KEY, schemaVersion: 2, savedAt: 1, writerId: "x", encoding: "json", payload: "oops", checksum: "" } as unknown as StoredRecord);
    const persister = appPersister(storage, createTestAppStore());

    await persister.hydrate();

    expect(persister.getStatus().corruption?.reason).toBe("decode");
  });

  it("never throws out of hydrate when storage cannot be read, and then does not write over what it could not see", async () => {
    const { storage } = await openTestStateStorage();
    const writes = recordWrites(storage);
    storage.readRecord = async () => {
      throw new Dexie.DatabaseClosedError("Database has been closed");
    };
    const store = createTestAppStore();
    const persister = appPersister(storage, store);

    await expect(persister.hydrate()).resolves.toBeUndefined();
    store.setState(withRate(store.getState(), 1.2));
    await persister.flush();

    expect(persister.getStatus()).toMatchObject({ hasHydrated: true, phase: "error", error: expect.stringMatching(/could not be read/) });
    expect(writes).toHaveLength(0);
  });

  it("refuses to replace the state with a value that breaks the schema", async () => {
    const { storage } = await openTestStateStorage();
    const persister = appPersister(storage, createTestAppStore());
    await persister.hydrate();

    await expect(persister.replaceState({ engine: "chatterbox" } as unknown as PersistedAppState)).rejects.toThrow(/does not fit/);
  });
});

describe("createStatePersister: versions", () => {
  it("shows a record written by newer code read-only: it never writes over it and reports outdated", async () => {
    const { storage } = await openTestStateStorage();
    const newer = { ...defaultPersistedAppState(), engine: "browser" as const };
    const stored = await storeRecord(storage, newer, PERSISTED_STATE_VERSION + 1);
    const writes = recordWrites(storage);
    const store = createTestAppStore();
    const persister = appPersister(storage, store);

    await persister.hydrate();
    expect(store.getState().engine).toBe("browser");
    store.setState(withRate(store.getState(), 1.9));
    await persister.flush();
    await persister.replaceState(defaultPersistedAppState());

    expect(persister.getStatus()).toMatchObject({ outdated: true, persistedVersion: PERSISTED_STATE_VERSION + 1, corruption: null });
    expect(writes).toHaveLength(0);
    expect(await storage.readRecord(APP_KEY)).toEqual(stored);
    expect(await persister.getPersistedVersion()).toBe(PERSISTED_STATE_VERSION + 1);
  });

  it("never moves aside a newer record it cannot decode", async () => {
    const { storage } = await openTestStateStorage();
    const write = storage.writeRecord.bind(storage);
    const future = { key: APP_KEY, schemaVersion: 7, savedAt: 1, writerId: "x", encoding: "brotli", payload: new ArrayBuffer(4), checksum: "?" };
    await write(future as unknown as StoredRecord);
    const persister = appPersister(storage, createTestAppStore());

    await persister.hydrate();

    expect(persister.getStatus()).toMatchObject({ outdated: true, corruption: null, persistedVersion: 7 });
    expect(await storage.listQuarantined()).toEqual([]);
  });
});
