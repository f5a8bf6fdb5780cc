import type { PersistedAppState } from "@tidemark/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeRecord } from "./record-codec.ts";
import { EMERGENCY_KEY_PREFIX, fnv1a32 } from "./state-persister.ts";
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

const EMERGENCY_KEY = `${EMERGENCY_KEY_PREFIX}${APP_KEY}`;

function withRate(state: PersistedAppState, rate: number): Pick<PersistedAppState, "parameters"> {
  return { parameters: { ...state.parameters, rate } };
}

async function storedRate(storage: StateStorage): Promise<unknown> {
  const decoded = await decodeRecord(await storage.readRecord(APP_KEY));
  if (!decoded.ok) throw new Error(`stored record unreadable: ${decoded.detail}`);
  return (decoded.value as PersistedAppState).parameters.rate;
}

/** A page: a store and a persister on `storage`, with `localStorage` for emergency copies and its own document. */
async function openPage(storage: StateStorage, localStorage: LimitedKeyValueStore) {
  const document = new FakeDocument();
  const store = createTestAppStore();
  const persister = appPersister(storage, store, { lifecycle: document, emergencyStorage: localStorage });
  await persister.hydrate();
  return { document, store, persister };
}

/** Writes to storage from now on never commit: the page is gone before they would. */
function dieBeforeWrites(storage: StateStorage): () => void {
  const write = storage.writeRecord.bind(storage);
  storage.writeRecord = () => new Promise<void>(() => undefined);
  return () => {
    storage.writeRecord = write;
  };
}

/** A change, then `pagehide`, then the page dies: its writes never commit. */
async function changeThenDie(page: Awaited<ReturnType<typeof openPage>>, storage: StateStorage, rate: number): Promise<void> {
  page.store.setState(withRate(page.store.getState(), rate));
  const revive = dieBeforeWrites(storage);
  page.document.dispatchEvent(new Event("pagehide"));
  await vi.advanceTimersByTimeAsync(50);
  await settleIo();
  page.persister.dispose();
  revive();
}

describe("createStatePersister: emergency copy on pagehide", () => {
  it("keeps a change made just before the page died: the next page loads it and writes it through", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const first = await openPage(storage, localStorage);

    await changeThenDie(first, storage, 1.7);

    expect(await storage.readRecord(APP_KEY)).toBeUndefined();
    expect(localStorage.getItem(EMERGENCY_KEY)).not.toBeNull();
    const writes = recordWrites(storage);
    const second = await openPage(storage, localStorage);

    expect(second.store.getState().parameters.rate).toBe(1.7);
    await vi.advanceTimersByTimeAsync(1_000);
    await writesReach(writes, 1);
    await settleIo();
    expect(await storedRate(storage)).toBe(1.7);
    expect(localStorage.getItem(EMERGENCY_KEY)).toBeNull();
  });

  it("also writes the copy when the page is hidden while a write is still on its way, and removes it once a later write commits", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const writes = recordWrites(storage);
    const page = await openPage(storage, localStorage);

    page.store.setState(withRate(page.store.getState(), 1.3));
    page.document.setVisibility("hidden");
    expect(JSON.parse(localStorage.getItem(EMERGENCY_KEY) ?? "{}")).toMatchObject({ key: APP_KEY, schemaVersion: 2 });
    await writesReach(writes, 1);
    await settleIo();

    expect(await storedRate(storage)).toBe(1.3);
    expect(localStorage.getItem(EMERGENCY_KEY)).toBeNull();
    // Nothing pending: hiding again writes no copy.
    page.document.setVisibility("visible");
    page.document.setVisibility("hidden");
    expect(localStorage.getItem(EMERGENCY_KEY)).toBeNull();
  });

  it("ignores and removes a copy older than the stored value", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const first = await openPage(storage, localStorage);
    await changeThenDie(first, storage, 1.2);
    const copy = JSON.parse(localStorage.getItem(EMERGENCY_KEY) ?? "{}") as { savedAt: number };
    const stored = partializeApp(first.store.getState());
    await storeRecord(storage, { ...stored, parameters: { ...stored.parameters, rate: 0.9 } }, 2, copy.savedAt + 1);

    const second = await openPage(storage, localStorage);

    expect(second.store.getState().parameters.rate).toBe(0.9);
    expect(localStorage.getItem(EMERGENCY_KEY)).toBeNull();
  });

  it("never trusts a damaged copy: it is moved aside with the quarantined records and the stored value loads", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const first = await openPage(storage, localStorage);
    first.store.setState(withRate(first.store.getState(), 1.1));
    await first.persister.flush();
    await changeThenDie(first, storage, 1.9);
    const copy = JSON.parse(localStorage.getItem(EMERGENCY_KEY) ?? "{}") as { json: string };
    localStorage.setItem(EMERGENCY_KEY, JSON.stringify({ ...copy, json: copy.json.replace("1.9", "9.1") }));

    const second = await openPage(storage, localStorage);

    expect(second.store.getState().parameters.rate).toBe(1.1);
    expect(localStorage.getItem(EMERGENCY_KEY)).toBeNull();
    expect(await storage.listQuarantined()).toEqual([expect.objectContaining({ key: EMERGENCY_KEY, reason: "checksum" })]);
  });

  it("moves aside a copy whose checksum fits but whose value does not fit the schema", async () => {
    const { storage } = await openTestStateStorage();
    const localStorage = new LimitedKeyValueStore();
    const json = JSON.stringify({ parameters: "fast" });
    localStorage.setItem(EMERGENCY_KEY, JSON.stringify({ key: APP_KEY, schemaVersion: 2, savedAt: Date.now(), writerId: "x", checksum: fnv1a32(json), json }));

    const page = await openPage(storage, localStorage);

    expect(page.store.getState().parameters.rate).toBe(1);
    expect(localStorage.getItem(EMERGENCY_KEY)).toBeNull();
    expect(await storage.listQuarantined()).toEqual([expect.objectContaining({ key: EMERGENCY_KEY, reason: "schema" })]);
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

    expect(localStorage.getItem(EMERGENCY_KEY)).toBeNull();
    expect(await storedRate(storage)).toBe(1.6);
  });
});
