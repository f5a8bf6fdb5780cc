import { DEFAULT_STATE_DATABASE, IndexedDbStateStorage } from "./indexeddb-state-storage.ts";
import { KeyValueStateStorage, MemoryKeyValueStore, type KeyValueStore } from "./key-value-state-storage.ts";
import type { StateStorage } from "./state-storage.ts";

export interface OpenStateStorageOptions {
  /** Database name, and the key prefix in the fallbacks. */
  name?: string;
  /** `null` treats IndexedDB as unavailable; omitted means the browser's. */
  indexedDB?: IDBFactory | null;
  IDBKeyRange?: typeof IDBKeyRange;
  /** `null` treats localStorage as unavailable; omitted means the browser's. */
  localStorage?: KeyValueStore | null;
  now?: () => number;
}

/**
 * Opens the best storage this browser allows: IndexedDB, else localStorage, else memory. Each
 * candidate must accept a real write before it is chosen, because browsers that block storage
 * (private modes, disabled site data, a full disk) often expose the API and fail only on use.
 */
export async function openStateStorage(options: OpenStateStorageOptions = {}): Promise<StateStorage> {
  const name = options.name ?? DEFAULT_STATE_DATABASE;
  const now = options.now ?? Date.now;

  const indexedDB = options.indexedDB === undefined ? browserIndexedDB() : options.indexedDB;
  if (indexedDB) {
    const storage = new IndexedDbStateStorage({
      name,
      indexedDB,
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    });
    try {
      await storage.probe(now());
      return storage;
    } catch {
      storage.close();
    }
  }

  const localStorage = options.localStorage === undefined ? browserLocalStorage() : options.localStorage;
  if (localStorage) {
    const storage = new KeyValueStateStorage("localstorage", localStorage, name);
    try {
      storage.probe(now());
      return storage;
    } catch {
      // Full or blocked: memory below.
    }
  }

  return new KeyValueStateStorage("memory", new MemoryKeyValueStore(), name);
}

// Merely reading these properties throws in some browsers when site data is blocked.
function browserIndexedDB(): IDBFactory | null {
  try {
    return globalThis.indexedDB ?? null;
  } catch {
    return null;
  }
}

function browserLocalStorage(): KeyValueStore | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
