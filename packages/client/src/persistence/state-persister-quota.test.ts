import { DEFAULT_PREFERENCES, type PersistedAppState } from "@tidemark/shared";
import Dexie from "dexie";
import { afterEach, describe, expect, it } from "vitest";
import { defaultPersistedAppState } from "./app-state-migrations.ts";
import { openStateStorage } from "./open-state-storage.ts";
import { appStateQuotaPruneSteps, CONFLICT_COPY_PRUNE_AGE_MS } from "./quota-prune-steps.ts";
import { decodeRecord, encodeRecord, serializeValue } from "./record-codec.ts";
import type { StateStorage } from "./state-storage.ts";
import { APP_KEY, appPersister, createTestAppStore, disposeAll, listedSession, recordWrites } from "./test-support/persister-harness.ts";
import { LimitedKeyValueStore, openTestStateStorage } from "./test-support/storage-fakes.ts";

afterEach(() => disposeAll());

const NOW = Date.UTC(2025, 5, 1);
const DAY_MS = 24 * 60 * 60 * 1_000;

/** How Chromium reports a full disk through Dexie: the transaction aborts, the quota error is its `inner`. */
function abortedForQuota(): Error {
  return new Dexie.AbortError("Transaction aborted", new DOMException("The quota has been exceeded.", "QuotaExceededError"));
}

/** Makes record writes fail for quota while `isFull` says so, given the recent sessions the record holds. */
function fillUp(storage: StateStorage, isFull: (recentSessions: number) => Promise<boolean>): void {
  const write = storage.writeRecordIf.bind(storage);
  storage.writeRecordIf = async (record, expected) => {
    const decoded = await decodeRecord(record);
    const recent = decoded.ok ? (decoded.value as PersistedAppState).sessions.recent.length : 0;
    if (await isFull(recent)) throw abortedForQuota();
    return write(record, expected);
  };
}

async function withDamagedCopyAndConflicts(storage: StateStorage): Promise<void> {
  await storage.addQuarantined({ key: APP_KEY, reason: "checksum", detail: "", quarantinedAt: NOW - DAY_MS, record: "old bytes" });
  const copy = { kind: "preferences" as const, sessionId: null, value: DEFAULT_PREFERENCES, serverVersion: 4 };
  await storage.putConflict({ ...copy, id: "old", createdAt: NOW - CONFLICT_COPY_PRUNE_AGE_MS - DAY_MS });
  await storage.putConflict({ ...copy, id: "fresh", createdAt: NOW - DAY_MS });
}

function stateWithSessions(count: number): Partial<PersistedAppState> {
  const state = defaultPersistedAppState();
  return { sessions: { ...state.sessions, recent: Array.from({ length: count }, (_, index) => listedSession(index + 1)) } };
}

/** A persister with the app's prune steps over `storage`, hydrated, after it saved one change of `store`. */
async function saveAChange(storage: StateStorage, store = createTestAppStore()) {
  const persister = appPersister(storage, store, { pruneForQuota: appStateQuotaPruneSteps(), now: () => NOW });
  await persister.hydrate();
  store.setState({ engine: "browser" });
  await persister.flush();
  return { persister, store };
}

/** What the persister reports when the damaged copies had to go too. */
const LAST_DAMAGED_COPY = "the last copy of saved data set aside as damaged (only because nothing else made enough room)";

describe("createStatePersister: full storage", () => {
  it("prunes in the defined order until the write fits, damaged copies last, reports what went, and shows the saved state", async () => {
    const { storage } = await openTestStateStorage();
    await withDamagedCopyAndConflicts(storage);
    fillUp(storage, async (recent) => (await storage.listQuarantined()).length > 0 || recent > 3);
    const writes = recordWrites(storage);
    const { persister, store } = await saveAChange(storage, createTestAppStore(stateWithSessions(8)));

    const { quota, phase, error } = persister.getStatus();
    expect(phase).toBe("saved");
    expect(error).toBeNull();
    expect(quota?.pruned).toEqual([
      "1 conflict copy older than 7 days",
      "5 older entries of the recent sessions list (the server still has them)",
      LAST_DAMAGED_COPY,
    ]);
    expect(quota?.message).toMatch(/^Storage on this device was full, so 1 conflict copy .* \(only because nothing else made enough room\) were removed to save your work\.$/);
    expect(await storage.listQuarantined()).toEqual([]);
    expect((await storage.listConflicts()).map((copy) => copy.id)).toEqual(["fresh"]);
    expect(store.getState().sessions.recent.map((session) => session.title)).toEqual(["Session 1", "Session 2", "Session 3"]);
    expect(store.getState().engine).toBe("browser");
    expect(writes).toHaveLength(1);
  });

  it("keeps the damaged copies when pruning everything else makes enough room", async () => {
    const { storage } = await openTestStateStorage();
    await withDamagedCopyAndConflicts(storage);
    fillUp(storage, async (recent) => recent > 3);
    const { persister } = await saveAChange(storage, createTestAppStore(stateWithSessions(8)));

    expect(persister.getStatus()).toMatchObject({ phase: "saved", error: null });
    expect(persister.getStatus().quota?.pruned).toEqual([
      "1 conflict copy older than 7 days",
      "5 older entries of the recent sessions list (the server still has them)",
    ]);
    expect(await storage.listQuarantined()).toHaveLength(1);
  });

  it("removes the older damaged copies before the newest one, which goes only if there is still no room", async () => {
    const { storage } = await openTestStateStorage();
    const damaged = { key: APP_KEY, reason: "checksum" as const, detail: "", record: "bytes" };
    // Set aside in another order than their age: the newest comes first.
    await storage.addQuarantined({ ...damaged, quarantinedAt: NOW - DAY_MS });
    await storage.addQuarantined({ ...damaged, quarantinedAt: NOW - 3 * DAY_MS });
    await storage.addQuarantined({ ...damaged, quarantinedAt: NOW - 2 * DAY_MS });
    fillUp(storage, async () => (await storage.listQuarantined()).length > 1);
    const { persister } = await saveAChange(storage);

    expect(persister.getStatus()).toMatchObject({
      phase: "saved",
      quota: { pruned: ["2 older copies of saved data set aside as damaged (only because nothing else made enough room)"] },
    });
    expect((await storage.listQuarantined()).map((copy) => copy.quarantinedAt)).toEqual([NOW - DAY_MS]);
  });

  it("keeps the state in memory and says so when nothing more can be pruned, then saves once there is room", async () => {
    const { storage } = await openTestStateStorage();
    let full = true;
    fillUp(storage, async () => full);
    const writes = recordWrites(storage);
    const { persister, store } = await saveAChange(storage);

    expect(persister.getStatus()).toMatchObject({
      phase: "error",
      error: "Storage on this device is full. Your changes are kept in this tab only: free some space or export your data.",
    });
    expect(store.getState().engine).toBe("browser");
    expect(writes).toHaveLength(0);

    full = false;
    await persister.flush();

    expect(persister.getStatus()).toMatchObject({ phase: "saved", error: null });
    expect(writes).toHaveLength(1);
  });

  it("makes room in a full localStorage by removing the damaged copies it holds, whatever name the browser gives the error", async () => {
    const local = new LimitedKeyValueStore();
    local.failure = () => Object.assign(new Error("Persistent storage maximum size reached"), { name: "NS_ERROR_DOM_QUOTA_REACHED", code: 1014 });
    const storage = await openStateStorage({ name: "state-under-test", indexedDB: null, localStorage: local });
    const damaged = await encodeRecord(serializeValue({ junk: "x".repeat(20_000) }), {
      key: APP_KEY,
      schemaVersion: 2,
      savedAt: 1,
      writerId: "old",
      compressAboveBytes: Infinity,
    });
    await storage.addQuarantined({ key: APP_KEY, reason: "checksum", detail: "", quarantinedAt: 1, record: damaged });
    local.limitChars = local.usedChars + 5_000;
    const store = createTestAppStore();
    const persister = appPersister(storage, store, { pruneForQuota: appStateQuotaPruneSteps() });
    await persister.hydrate();

    store.setState({ draft: { ...store.getState().draft, notes: "n".repeat(9_000) } });
    await persister.flush();

    expect(storage.kind).toBe("localstorage");
    expect(persister.getStatus()).toMatchObject({ phase: "saved", quota: { pruned: [LAST_DAMAGED_COPY] } });
    expect(await storage.listQuarantined()).toEqual([]);
    const stored = await decodeRecord(await storage.readRecord(APP_KEY));
    expect(stored.ok && (stored.value as PersistedAppState).draft.notes).toHaveLength(9_000);
  });

  it("trims dismissed recovery notices to the newest hundred as the last step before the damaged copies", async () => {
    const steps = appStateQuotaPruneSteps();
    expect(steps.map((step) => step.name)).toEqual([
      "old conflict copies",
      "older recent sessions",
      "dismissed recovery notices",
      "older damaged copies",
      "newest damaged copy",
    ]);
    const { storage } = await openTestStateStorage();
    const ids = Array.from({ length: 150 }, (_, index) => listedSession(index).id);
    const state = { ...defaultPersistedAppState(), recovery: { dismissedSessionIds: ids } };

    const result = await steps[2]?.prune({ storage, state, now: NOW });

    expect(result?.state.recovery.dismissedSessionIds).toEqual(ids.slice(50));
    expect(result?.removed).toBe("50 dismissed recovery notices (they may show again)");
  });
});
