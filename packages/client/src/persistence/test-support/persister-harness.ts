import { PERSISTED_STATE_VERSION, PersistedAppStateSchema, type PersistedAppState } from "@tidemark/shared";
import { appStateMigrations, defaultPersistedAppState } from "../app-state-migrations.ts";
import { openBroadcastCrossTabChannel, type CrossTabChannel } from "../cross-tab-channel.ts";
import { encodeRecord, serializeValue, type StoredRecord } from "../record-codec.ts";
import {
  createStatePersister,
  type PersistenceStatus,
  type StatePersister,
  type StatePersisterOptions,
  type StorePort,
} from "../state-persister.ts";
import type { StateStorage } from "../state-storage.ts";
import { openTestStateStorage } from "./storage-fakes.ts";

export const APP_KEY = "app-state";

/** The app's store as the persister sees it: the persisted slices plus runtime state that is never saved. */
export interface TestAppState extends PersistedAppState {
  isGenerating: boolean;
  blobUrls: string[];
}

/** A minimal zustand-like store: shallow-merging `setState`, listeners told of every change. */
export function createTestStore<S extends object>(initial: S): StorePort<S> & { changes: number } {
  let state = initial;
  const listeners = new Set<(state: S, previous: S) => void>();
  const store = {
    changes: 0,
    getState: () => state,
    setState(partial: Partial<S>) {
      const previous = state;
      state = { ...state, ...partial };
      store.changes += 1;
      for (const listener of listeners) listener(state, previous);
    },
    subscribe(listener: (state: S, previous: S) => void) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return store;
}

export function createTestAppStore(initial: Partial<TestAppState> = {}) {
  return createTestStore<TestAppState>({ ...defaultPersistedAppState(), isGenerating: false, blobUrls: [], ...initial });
}

export function partializeApp(state: TestAppState): PersistedAppState {
  const { parameters, engine, voices, sessions, preferences, recovery, draft } = state;
  return { parameters, engine, voices, sessions, preferences, recovery, draft };
}

const persisters: Array<StatePersister<unknown>> = [];
const channels: CrossTabChannel[] = [];

/** Disposes every persister and channel made by the functions here; call from `afterEach`. */
export function disposeAll(): void {
  for (const persister of persisters.splice(0)) persister.dispose();
  for (const channel of channels.splice(0)) channel.close();
}

/** A cross-tab channel name of its own, so tests running side by side do not hear each other. */
export function privateChannel(name: string): CrossTabChannel {
  const channel = openBroadcastCrossTabChannel(name);
  if (!channel) throw new Error("BroadcastChannel is missing");
  channels.push(channel);
  return channel;
}

export function appPersister(
  storage: StateStorage,
  store: StorePort<TestAppState>,
  options: Partial<StatePersisterOptions<TestAppState, PersistedAppState>> = {},
): StatePersister<PersistedAppState> {
  // No type arguments: they must follow from the zod schema and the store, as in an app.
  const persister = createStatePersister({
    key: APP_KEY,
    storage,
    version: PERSISTED_STATE_VERSION,
    schema: PersistedAppStateSchema,
    migrations: appStateMigrations,
    defaults: defaultPersistedAppState,
    partialize: partializeApp,
    merge: (persisted) => persisted,
    store,
    crossTab: false,
    lifecycle: null,
    ...options,
  });
  persisters.push(persister as StatePersister<unknown>);
  return persister;
}

/** A persister over the app store on `storage` (a fresh IndexedDB unless given), hydrated, its writes recorded. */
export async function hydratedApp(
  options: Partial<StatePersisterOptions<TestAppState, PersistedAppState>> & { storage?: StateStorage } = {},
) {
  const { storage: given, ...persisterOptions } = options;
  const storage = given ?? (await openTestStateStorage()).storage;
  const writes = recordWrites(storage);
  const store = createTestAppStore();
  const persister = appPersister(storage, store, persisterOptions);
  await persister.hydrate();
  return { storage, writes, store, persister };
}

/** Records every committed record write a persister makes on `storage` (all of them are conditional). */
export function recordWrites(storage: StateStorage): StoredRecord[] {
  const writes: StoredRecord[] = [];
  const write = storage.writeRecordIf.bind(storage);
  storage.writeRecordIf = async (record, expected) => {
    const written = await write(record, expected);
    if (written) writes.push(record);
    return written;
  };
  return writes;
}

/** Stores `value` under the app key as a record of `schemaVersion`, as older or newer code would have. */
export async function storeRecord(storage: StateStorage, value: unknown, schemaVersion: number, savedAt = 500): Promise<StoredRecord> {
  const record = await encodeRecord(serializeValue(value), {
    key: APP_KEY,
    schemaVersion,
    savedAt,
    writerId: "earlier-page",
    compressAboveBytes: 32 * 1024,
  });
  await storage.writeRecord(record);
  return record;
}

/** Resolves with the first status that satisfies `predicate` (the current one included). */
export function statusWhere(persister: StatePersister<unknown>, predicate: (status: PersistenceStatus) => boolean, timeoutMs = 2_000): Promise<PersistenceStatus> {
  if (predicate(persister.getStatus())) return Promise.resolve(persister.getStatus());
  return new Promise((resolve, reject) => {
    const timeout = setTimeoutReal(() => {
      unsubscribe();
      reject(new Error(`status never matched; last: ${JSON.stringify(persister.getStatus())}`));
    }, timeoutMs);
    const unsubscribe = persister.subscribeStatus((status) => {
      if (!predicate(status)) return;
      clearTimeoutReal(timeout);
      unsubscribe();
      resolve(status);
    });
  });
}

// Kept before any test fakes the timers.
const setTimeoutReal = globalThis.setTimeout.bind(globalThis);
const clearTimeoutReal = globalThis.clearTimeout.bind(globalThis);

/** Lets IndexedDB work and promise chains run, without relying on (possibly faked) timers. */
export async function settleIo(rounds = 30): Promise<void> {
  for (let index = 0; index < rounds; index += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once `writes` holds `count` records; IndexedDB, hashing and compression finish in their own time. */
export async function writesReach(writes: readonly unknown[], count: number, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (writes.length < count) {
    if (performance.now() > deadline) throw new Error(`${writes.length} of ${count} writes after ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A document stand-in: an event target with a visibility state. */
export class FakeDocument extends EventTarget {
  visibilityState: "visible" | "hidden" = "visible";

  setVisibility(state: "visible" | "hidden"): void {
    this.visibilityState = state;
    this.dispatchEvent(new Event("visibilitychange"));
  }
}

/** A session as the server lists it, numbered so each differs. */
export function listedSession(index: number) {
  const suffix = String(index).padStart(12, "0");
  return {
    id: `0190f5d2-8c4e-7a3b-9d2f-${suffix}`,
    kind: "synthesis" as const,
    title: `Session ${index}`,
    status: "completed" as const,
    createdAt: "2025-01-01T12:00:00.000Z",
    updatedAt: "2025-01-01T12:00:00.000Z",
    lastHeartbeat: null,
    completedAt: "2025-01-01T12:30:00.000Z",
  };
}
