import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import type { KeyValueStore } from "../key-value-state-storage.ts";
import { openStateStorage } from "../open-state-storage.ts";
import type { StateStorage } from "../state-storage.ts";

/** A localStorage stand-in that refuses writes past `limitChars` characters, as browsers do (about 5 M). */
export class LimitedKeyValueStore implements KeyValueStore {
  readonly values = new Map<string, string>();
  limitChars: number;
  /** How to fail: Chromium and Safari throw a QuotaExceededError, old Firefox its own name. */
  failure: () => unknown = () => new DOMException("The quota has been exceeded.", "QuotaExceededError");

  constructor(limitChars = Infinity) {
    this.limitChars = limitChars;
  }

  get length(): number {
    return this.values.size;
  }

  get usedChars(): number {
    let used = 0;
    for (const [key, value] of this.values) used += key.length + value.length;
    return used;
  }

  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    const current = this.values.get(key);
    const after = this.usedChars - (current === undefined ? 0 : key.length + current.length) + key.length + value.length;
    if (after > this.limitChars) throw this.failure();
    this.values.set(key, value);
  }

  removeItem(key: string): void {
    this.values.delete(key);
  }

  key(index: number): string | null {
    return [...this.values.keys()][index] ?? null;
  }
}

/** An IndexedDB that exists but refuses to open, like Firefox's in a private window of old. */
export function refusingIndexedDB(): IDBFactory {
  const factory = new IDBFactory();
  factory.open = () => {
    throw new DOMException("A mutation operation was attempted on a database that did not allow mutations.", "InvalidStateError");
  };
  return factory;
}

/** State storage on a fresh in-memory IndexedDB, or on `indexedDB` to share it (another tab, a reload). */
export async function openTestStateStorage(indexedDB: IDBFactory = new IDBFactory()): Promise<{ storage: StateStorage; indexedDB: IDBFactory }> {
  const storage = await openStateStorage({ name: "state-under-test", indexedDB, IDBKeyRange, localStorage: null });
  return { storage, indexedDB };
}
