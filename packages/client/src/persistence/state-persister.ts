import { openBroadcastCrossTabChannel, readCrossTabMessage, type CrossTabChannel, type CrossTabMessage } from "./cross-tab-channel.ts";
import type { KeyValueStore } from "./key-value-state-storage.ts";
import { isQuotaExceededError } from "./quota-errors.ts";
import { JsonBytesEncoder } from "./json-bytes-encoder.ts";
import { decodeRecord, encodeRecord, type StoredRecord } from "./record-codec.ts";
import { migrateState, type StateMigration } from "./state-migrations.ts";
import { changesSince, deepEqual, mergeThreeWay, readValueChanges, revertChanges, type MergeConflictPath } from "./state-merge.ts";
import { StatusFeed } from "./status-feed.ts";
import { recordStampOf, type CorruptionReason, type RecordStamp, type StateStorage, type StorageKind } from "./state-storage.ts";

export interface CorruptionReport {
  key: string;
  reason: CorruptionReason;
  detail: string;
  quarantinedAt: number;
}

export interface QuotaReport {
  at: number;
  /** What was removed to make room, each as a phrase ("3 older recent sessions"). */
  pruned: string[];
  /** One sentence for the user. */
  message: string;
}

export interface PersistenceStatus {
  storageKind: StorageKind;
  hasHydrated: boolean;
  phase: "idle" | "saving" | "saved" | "error";
  /** Epoch ms of the last local write that committed (this tab's or, once loaded, another's). */
  lastSavedAt: number | null;
  /** Schema version of what is stored, `null` when nothing is. */
  persistedVersion: number | null;
  /** Newer code wrote the stored value or runs in another tab: this tab no longer writes, and hands what it has not saved to that code. */
  outdated: boolean;
  corruption: CorruptionReport | null;
  quota: QuotaReport | null;
  error: string | null;
}

/** The status before anything is loaded from `storageKind` or saved to it. */
export function initialPersistenceStatus(storageKind: StorageKind): PersistenceStatus {
  return {
    storageKind,
    hasHydrated: false,
    phase: "idle",
    lastSavedAt: null,
    persistedVersion: null,
    outdated: false,
    corruption: null,
    quota: null,
    error: null,
  };
}

/** The part of a zustand store (or any store) the persister uses. */
export interface StorePort<S> {
  getState(): S;
  setState(partial: Partial<S>): void;
  subscribe(listener: (state: S, previous: S) => void): () => void;
}

/** What validating a value answers; a zod schema fits. */
export type SchemaCheck<P> =
  | { success: true; data: P }
  | { success: false; error: { message: string; issues?: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } };

export interface StateSchema<P> {
  safeParse(input: unknown): SchemaCheck<P>;
}

/**
 * One way to make room when storage is full, tried in the order given until the write fits.
 * Steps remove what matters least first (old conflict copies, sessions the server lists,
 * dismissed notices) and damaged copies only last, never the user's current work.
 */
export interface QuotaPruneStep<P> {
  name: string;
  /**
   * Removes what it is for. Returns the state to write (the same object when the step does not
   * touch it) and a phrase naming what went, or `null` when there was nothing to remove.
   */
  prune(context: { storage: StateStorage; state: P; now: number }): Promise<{ state: P; removed: string | null }>;
}

type TimerHandle = ReturnType<typeof setTimeout>;

/**
 * Another tab saved a change to a value this tab had also changed and not yet written. This tab's
 * value is kept (and written); the stored one is handed over here so it can be kept as a copy.
 * Loading emergency copies reports the same way: the newer side is kept, the older one handed over.
 */
export interface MergeConflict<P> {
  /** Where the two differ, e.g. `draft.chapters[chapter-3].text`. */
  paths: MergeConflictPath[];
  /** The other tab's saved value (or the older side), whole. */
  stored: P;
  /** What this tab keeps. */
  kept: P;
}

export interface StatePersisterOptions<S, P> {
  /** Record key; one key is one persisted value. */
  key: string;
  storage: StateStorage;
  /** Schema version this code writes. */
  version: number;
  schema: StateSchema<P>;
  /** Steps from every older version up to `version`. */
  migrations: readonly StateMigration[];
  defaults: () => P;
  /** Picks what is persisted from the store's state. */
  partialize: (state: S) => P;
  /** The store update that puts a persisted value into the store. */
  merge: (persisted: P, state: S) => Partial<S>;
  store: StorePort<S>;
  /** Quiet time after the last change before writing. */
  writeDelayMs?: number;
  /** Longest a change waits while changes keep coming (typing never pauses for 300 ms). */
  maxWriteDelayMs?: number;
  compressAboveBytes?: number;
  /** `true` (default): the browser's BroadcastChannel; `false`: none; or a channel of one's own. */
  crossTab?: boolean | CrossTabChannel;
  /** Where `pagehide` and `visibilitychange` arrive (the window). Default: `window` when there is one. */
  lifecycle?: EventTarget | null;
  pruneForQuota?: readonly QuotaPruneStep<P>[];
  /**
   * Where a change still unsaved when the page is hidden or closed is also written synchronously
   * (the asynchronous write may not finish before the page is gone), one copy per tab; a tab of
   * older code hands its unsaved change over here too. Default: the browser's localStorage;
   * `null`: none. Loading merges in the changes of every copy not yet written through.
   */
  emergencyStorage?: KeyValueStore | null;
  /** A zustand `persist` store written by older code: read once when nothing else is stored, then removed. */
  legacy?: { storage: KeyValueStore | null; key: string } | null;
  now?: () => number;
  setTimeout?: (callback: () => void, ms: number) => TimerHandle;
  clearTimeout?: (handle: TimerHandle) => void;
  /** This tab's id in records and messages. */
  writerId?: string;
  /** Told when merging found another tab's (or an emergency copy's) change to a value changed on both sides; the losing side is handed over. */
  onMergeConflict?: (conflict: MergeConflict<P>) => void;
}

export interface StatePersister<P> {
  /** Loads the stored value into the store. Idempotent; nothing is written before it finishes; never throws. */
  hydrate(): Promise<void>;
  /** Loads the stored value again, keeping local changes not yet written. */
  rehydrate(): Promise<void>;
  /** Writes a pending change now. */
  flush(): Promise<void>;
  /** Deletes the stored value and the damaged copies moved aside from it. The store is left as it is. */
  clearPersistedState(): Promise<void>;
  getPersistedVersion(): Promise<number | null>;
  /** Puts a whole value (a server backup, an imported file) into the store and writes it. Rejects an invalid value. */
  replaceState(state: P): Promise<void>;
  /** What would be persisted now. */
  exportState(): P;
  getStatus(): PersistenceStatus;
  subscribeStatus(listener: (status: PersistenceStatus) => void): () => void;
  dismissCorruption(): void;
  /** Stops listening and writing. A pending change is not written: `flush()` first. */
  dispose(): void;
}

export const STATE_PERSISTER_DEFAULTS = {
  writeDelayMs: 300,
  maxWriteDelayMs: 1_000,
  compressAboveBytes: 32 * 1024,
} as const;

/** Wait before writing again after a write failed for another reason than a full storage. */
const WRITE_RETRY_MS = 2_000;

/** Writes refused in a row (other tabs kept writing first) before waiting `WRITE_RETRY_MS`. */
const REFUSED_WRITES_IN_A_ROW = 3;

/** What reading the stored value found. */
type Loaded<P> =
  | { kind: "none" }
  | {
      kind: "value";
      value: P;
      /** What storage holds: `value` unless emergency copies were merged in, which are not stored yet. */
      baseline: P;
      stamp: RecordStamp | null;
      storedVersion: number;
      savedAt: number | null;
      needsWrite: boolean;
    }
  | { kind: "outdated"; storedVersion: number; savedAt: number | null; value: P | null }
  | { kind: "corrupt"; report: CorruptionReport; stamp: RecordStamp | null }
  | { kind: "unreadable"; error: string };

/** A stored or copied value brought to the current version, or why it could not be. */
type Upgraded<P> = { kind: "ok"; value: P; migrated: boolean } | { kind: "failed"; reason: CorruptionReason; detail: string };

/** An emergency copy read, migrated and checked, that may hold changes the stored value lacks. */
interface AdoptableCopy<P> {
  /** Its name in the emergency storage. */
  name: string;
  /** Its text as read: once written through it is removed only if its page has not replaced it since. */
  text: string;
  writerId: string;
  value: P;
  /** The value its changes were made on; `null` in a copy of older code, which did not say. */
  base: P | null;
  schemaVersion: number;
  savedAt: number;
}

/**
 * Keeps a store's persisted part in storage, beside the store rather than inside it.
 *
 * Writes are debounced and leave the main thread after one `JSON.stringify` and one encode;
 * they are flushed when the page is hidden or closed. Loading validates the checksum, migrates
 * old versions and checks the schema; anything that fails is moved aside and reported, and the
 * app starts from defaults. A value written by newer code is never overwritten. Tabs announce
 * their writes to each other and merge them in without writing them back; a write that finds
 * another tab's record in place of the one it expected is refused, merged and written again.
 */
export function createStatePersister<S, P>(options: StatePersisterOptions<S, P>): StatePersister<P> {
  return new Persister(options);
}

class Persister<S, P> implements StatePersister<P> {
  readonly #options: StatePersisterOptions<S, P>;
  readonly #storage: StateStorage;
  readonly #store: StorePort<S>;
  readonly #now: () => number;
  readonly #setTimeout: (callback: () => void, ms: number) => TimerHandle;
  readonly #clearTimeout: (handle: TimerHandle) => void;
  readonly #writerId: string;
  readonly #writeDelayMs: number;
  readonly #maxWriteDelayMs: number;
  readonly #cleanups: Array<() => void> = [];
  readonly #channel: CrossTabChannel | null;
  /** Keeps the bytes of unchanged parts between saves: a save re-encodes only what changed. */
  readonly #json = new JsonBytesEncoder();

  readonly #status: StatusFeed<PersistenceStatus>;
  #hydration: Promise<void> | null = null;
  #hydrated = false;
  /** A change to the persisted part not yet written. */
  #dirty = false;
  /** The value last known to be stored: what local changes are measured against when another value arrives. */
  #baseline: P | null = null;
  /** Reading the stored value failed: writing could destroy a value this tab never saw. */
  #readFailed = false;
  /** The stored value came from the legacy store, which goes once the value is written here. */
  #legacyPending = false;
  /** A write has begun and not yet committed: its change is not safe yet either. */
  #writing = false;
  readonly #emergency: KeyValueStore | null;
  /** When this tab last wrote its emergency copy; removed once a later write commits. */
  #emergencyAt: number | null = null;
  /** Other writers' emergency copies merged in by loading (name → text as read): removed once a write of this tab holds them. */
  readonly #adoptedCopies = new Map<string, string>();
  /**
   * Writer and time of the record this tab last read or wrote. A write goes through only while
   * that record is still the stored one; otherwise another tab wrote meanwhile and its value is merged in first.
   */
  #storedStamp: RecordStamp | null = null;
  /** Store updates made by the persister itself, which are not changes to write back. */
  #applying = 0;
  #timer: TimerHandle | null = null;
  #firstPendingAt: number | null = null;
  /** Loads and writes run one at a time, in order. */
  #queue: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(options: StatePersisterOptions<S, P>) {
    this.#options = options;
    this.#storage = options.storage;
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    // Called through wrappers: browsers reject a native setTimeout invoked with a foreign `this`.
    const schedule = options.setTimeout ?? ((callback: () => void, ms: number) => globalThis.setTimeout(callback, ms));
    const cancel = options.clearTimeout ?? ((handle: TimerHandle) => globalThis.clearTimeout(handle));
    this.#setTimeout = (callback, ms) => schedule(callback, ms);
    this.#clearTimeout = (handle) => cancel(handle);
    this.#writerId = options.writerId ?? globalThis.crypto.randomUUID();
    this.#writeDelayMs = options.writeDelayMs ?? STATE_PERSISTER_DEFAULTS.writeDelayMs;
    this.#maxWriteDelayMs = Math.max(this.#writeDelayMs, options.maxWriteDelayMs ?? STATE_PERSISTER_DEFAULTS.maxWriteDelayMs);
    this.#status = new StatusFeed<PersistenceStatus>(initialPersistenceStatus(options.storage.kind));

    // Subscribed at once, not after loading: a change made while loading must not be lost.
    this.#cleanups.push(this.#store.subscribe((state, previous) => this.#onStoreChange(state, previous)));

    const crossTab = options.crossTab ?? true;
    this.#channel = crossTab === true ? openBroadcastCrossTabChannel() : crossTab === false ? null : crossTab;
    if (this.#channel) {
      const channel = this.#channel;
      this.#cleanups.push(channel.subscribe((message) => this.#onMessage(message)));
      if (crossTab === true) this.#cleanups.push(() => channel.close());
    }

    this.#emergency = options.emergencyStorage === undefined ? browserLocalStorage() : options.emergencyStorage;
    const lifecycle = options.lifecycle === undefined ? defaultLifecycleTarget() : options.lifecycle;
    if (lifecycle) {
      const onPageHide = () => this.#flushOnHide();
      const onVisibilityChange = (event: Event) => {
        if (isHidden(event, lifecycle)) this.#flushOnHide();
      };
      lifecycle.addEventListener("pagehide", onPageHide);
      lifecycle.addEventListener("visibilitychange", onVisibilityChange);
      this.#cleanups.push(() => {
        lifecycle.removeEventListener("pagehide", onPageHide);
        lifecycle.removeEventListener("visibilitychange", onVisibilityChange);
      });
    }
  }

  hydrate(): Promise<void> {
    this.#hydration ??= this.#enqueue(async () => {
      await this.#loadSafely();
      this.#post({ type: "hello", key: this.#options.key, writerId: this.#writerId, schemaVersion: this.#options.version });
    });
    return this.#hydration;
  }

  async rehydrate(): Promise<void> {
    await this.hydrate();
    await this.#enqueue(() => this.#loadSafely());
  }

  async flush(): Promise<void> {
    this.#cancelTimer();
    await this.#enqueue(() => this.#write());
  }

  async clearPersistedState(): Promise<void> {
    await this.#enqueue(async () => {
      this.#cancelTimer();
      this.#dirty = false;
      const key = this.#options.key;
      try {
        await this.#storage.removeRecord(key);
        for (const copy of await this.#storage.listQuarantined()) {
          if (copy.key === key) await this.#storage.removeQuarantined(copy.id);
        }
      } catch (error) {
        this.#setStatus({ phase: "error", error: `The saved data could not be deleted: ${describe(error)}` });
        throw error;
      }
      // Every tab's copy goes, or the next load would bring the deleted value back.
      this.#removeEmergencyCopies(this.#emergencyCopyNames());
      this.#storedStamp = null;
      this.#baseline = this.exportState();
      this.#readFailed = false;
      this.#setStatus({ phase: "idle", lastSavedAt: null, persistedVersion: null, corruption: null, quota: null, error: null });
      this.#post({ type: "cleared", key, writerId: this.#writerId, schemaVersion: this.#options.version });
    });
  }

  async getPersistedVersion(): Promise<number | null> {
    try {
      return claimedVersion(await this.#storage.readRecord(this.#options.key));
    } catch {
      return this.#status.current.persistedVersion;
    }
  }

  async replaceState(state: P): Promise<void> {
    const checked = this.#options.schema.safeParse(state);
    if (!checked.success) throw new Error(`The data does not fit this version of the app: ${summarize(checked.error)}`);
    await this.hydrate();
    await this.#enqueue(async () => {
      this.#apply(checked.data);
      this.#dirty = true;
      this.#setStatus({ corruption: null });
      await this.#write();
    });
  }

  exportState(): P {
    return this.#options.partialize(this.#store.getState());
  }

  getStatus(): PersistenceStatus {
    return this.#status.current;
  }

  subscribeStatus(listener: (status: PersistenceStatus) => void): () => void {
    return this.#status.subscribe(listener);
  }

  dismissCorruption(): void {
    this.#setStatus({ corruption: null });
  }

  dispose(): void {
    this.#disposed = true;
    this.#cancelTimer();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#status.clear();
  }

  // ---- loading -------------------------------------------------------------------------------

  /** Loading never throws: the app must start whatever storage holds. */
  async #loadSafely(): Promise<void> {
    try {
      await this.#load();
    } catch (error) {
      this.#readFailed = true;
      this.#hydrated = true;
      this.#setStatus({ hasHydrated: true, phase: "error", error: `The saved data could not be loaded: ${describe(error)}` });
    }
  }

  /** Reads the stored value and merges it into the store, keeping local changes made since `#baseline`. */
  async #load(): Promise<void> {
    const base = this.#baseline ?? this.exportState();
    const loaded = await this.#read();
    switch (loaded.kind) {
      case "none":
        this.#readFailed = false;
        this.#baseline = base;
        this.#storedStamp = null;
        this.#setStatus({ persistedVersion: null });
        break;
      case "value":
        this.#readFailed = false;
        this.#dirty = this.#mergeIn(base, loaded.value, true) || loaded.needsWrite;
        this.#baseline = loaded.baseline;
        this.#storedStamp = loaded.stamp;
        this.#setStatus({ persistedVersion: loaded.storedVersion, lastSavedAt: loaded.savedAt ?? this.#status.current.lastSavedAt });
        break;
      case "outdated":
        this.#readFailed = false;
        this.#becomeOutdated(loaded.storedVersion);
        if (loaded.value) this.#mergeIn(base, loaded.value);
        this.#setStatus({ persistedVersion: loaded.storedVersion, lastSavedAt: loaded.savedAt ?? this.#status.current.lastSavedAt });
        break;
      case "corrupt": {
        this.#readFailed = false;
        const defaults = this.#options.defaults();
        this.#dirty = this.#mergeIn(base, defaults);
        this.#baseline = defaults;
        this.#storedStamp = loaded.stamp;
        this.#setStatus({ corruption: loaded.report, persistedVersion: null });
        break;
      }
      case "unreadable":
        this.#readFailed = true;
        this.#setStatus({ phase: "error", error: loaded.error });
        break;
    }
    this.#hydrated = true;
    this.#setStatus({ hasHydrated: true });
    if (this.#dirty) this.#schedule();
  }

  /**
   * The stored value, with the emergency copies merged in that may hold changes it lacks: those
   * of pages that went away before their write committed, and those tabs of older code handed
   * over. Each copy says what its changes were made on, so only its changes are merged, never
   * its older view of the rest; they merge oldest first, and where a copy and the value so far
   * changed the same thing the newer side wins and the other goes to `onMergeConflict`.
   */
  async #read(): Promise<Loaded<P>> {
    const loaded = await this.#readStored();
    if (loaded.kind === "unreadable" || loaded.kind === "outdated") return loaded;
    const stored = loaded.kind === "value" ? loaded : null;
    const copies = await this.#readEmergencyCopies(stored);
    const newest = copies[copies.length - 1];
    if (!newest) return loaded;
    const baseline = stored?.value ?? this.#options.defaults();
    let value = baseline;
    let valueAt = stored?.savedAt ?? Number.NEGATIVE_INFINITY;
    for (const copy of copies) {
      const newer = copy.savedAt > valueAt;
      const [ours, theirs] = newer ? [copy.value, value] : [value, copy.value];
      // Older code's copies do not say what they were made on: the stored value, as it assumed.
      const merged = this.#merge(copy.base ?? baseline, ours, theirs);
      const next = merged?.value ?? ours;
      if (merged) this.#reportConflicts(merged.conflicts, theirs, next);
      value = next;
      valueAt = Math.max(valueAt, copy.savedAt);
      this.#adoptedCopies.set(copy.name, copy.text);
    }
    if (deepEqual(value, baseline)) {
      // Nothing in them that is not stored already: written through as they are.
      this.#removeAdoptedCopies();
      return loaded;
    }
    return {
      kind: "value",
      value,
      baseline,
      stamp: loaded.kind === "none" ? null : loaded.stamp,
      storedVersion: stored?.storedVersion ?? newest.schemaVersion,
      savedAt: Math.max(stored?.savedAt ?? newest.savedAt, newest.savedAt),
      needsWrite: true,
    };
  }

  async #readStored(): Promise<Loaded<P>> {
    const { key, version } = this.#options;
    let raw: unknown;
    try {
      raw = await this.#storage.readRecord(key);
    } catch (error) {
      return {
        kind: "unreadable",
        error: `The saved data could not be read (${describe(error)}). Changes are kept in this tab only until it can.`,
      };
    }
    if (raw === undefined) return this.#readLegacy();

    const decoded = await decodeRecord(raw);
    const claimed = claimedVersion(raw);
    if (claimed !== null && claimed > version) {
      // Newer code's value, perhaps in a form this code cannot even decode: shown if it can be
      // read, never moved aside and never written over.
      const checked = decoded.ok ? this.#options.schema.safeParse(decoded.value) : null;
      const savedAt = decoded.ok ? decoded.record.savedAt : null;
      return { kind: "outdated", storedVersion: claimed, savedAt, value: checked?.success ? checked.data : null };
    }
    if (!decoded.ok) return this.#quarantine(raw, decoded.reason, decoded.detail);
    const { record } = decoded;
    const result = this.#upgrade(decoded.value, record.schemaVersion);
    if (result.kind === "failed") return this.#quarantine(raw, result.reason, result.detail);
    return {
      kind: "value",
      value: result.value,
      baseline: result.value,
      stamp: { writerId: record.writerId, savedAt: record.savedAt },
      storedVersion: record.schemaVersion,
      savedAt: record.savedAt,
      needsWrite: result.migrated,
    };
  }

  /** A value stored by a zustand `persist` store (`{ state, version }` JSON), read when nothing newer is stored. */
  async #readLegacy(): Promise<Loaded<P>> {
    const legacy = this.#options.legacy;
    if (!legacy?.storage) return { kind: "none" };
    let text: string | null;
    try {
      text = legacy.storage.getItem(legacy.key);
    } catch {
      return { kind: "none" };
    }
    if (text === null) return { kind: "none" };
    let stored: unknown;
    try {
      stored = JSON.parse(text);
    } catch {
      stored = undefined;
    }
    const envelope = stored as { state?: unknown; version?: unknown } | undefined;
    const legacyVersion = envelope?.version ?? 0;
    const result =
      typeof envelope !== "object" || envelope === null || !("state" in envelope) || !Number.isInteger(legacyVersion)
        ? ({ kind: "failed", reason: "decode", detail: "The legacy value is not a zustand persist record." } as const)
        : this.#upgrade(envelope.state, legacyVersion as number);
    if (result.kind === "failed") {
      const quarantinedAt = this.#now();
      try {
        await this.#storage.addQuarantined({ key: `legacy:${legacy.key}`, reason: result.reason, detail: result.detail, quarantinedAt, record: text });
        legacy.storage.removeItem(legacy.key);
      } catch {
        // Left where it is: still readable, and tried again on the next load.
      }
      return { kind: "corrupt", report: { key: legacy.key, reason: result.reason, detail: result.detail, quarantinedAt }, stamp: null };
    }
    this.#legacyPending = true;
    return { kind: "value", value: result.value, baseline: result.value, stamp: null, storedVersion: legacyVersion as number, savedAt: null, needsWrite: true };
  }

  /** Brings a decoded value to the current version and checks it against the schema. */
  #upgrade(value: unknown, fromVersion: number): Upgraded<P> {
    const { version, migrations, schema } = this.#options;
    let current = value;
    if (fromVersion < version) {
      try {
        current = migrateState(value, fromVersion, version, migrations);
      } catch (error) {
        return { kind: "failed", reason: "migration", detail: describe(error) };
      }
    }
    const checked = schema.safeParse(current);
    if (!checked.success) {
      return { kind: "failed", reason: "schema", detail: `The saved data does not fit the schema: ${summarize(checked.error)}` };
    }
    return { kind: "ok", value: checked.data, migrated: fromVersion < version };
  }

  /** Moves the stored record `raw` aside (kept, not deleted) and reports it. */
  async #quarantine(raw: unknown, reason: CorruptionReason, detail: string): Promise<Loaded<P>> {
    const quarantinedAt = this.#now();
    let stamp: RecordStamp | null = null;
    try {
      await this.#storage.quarantineRecord(this.#options.key, { reason, detail, quarantinedAt });
    } catch {
      // It stays under its key and is overwritten by the next save; the report still goes out.
      stamp = recordStampOf(raw);
    }
    return { kind: "corrupt", report: { key: this.#options.key, reason, detail, quarantinedAt }, stamp };
  }

  /**
   * Puts `incoming` into the store, keeping local changes made since `base`. Returns whether the
   * store now differs from `incoming`, i.e. holds local changes still to be written.
   */
  #mergeIn(base: P, incoming: P, reportConflicts = false): boolean {
    const current = this.exportState();
    const merged = this.#merge(base, current, incoming);
    const value = merged?.value ?? incoming;
    if (!deepEqual(value, current)) this.#apply(value);
    if (reportConflicts && merged) this.#reportConflicts(merged.conflicts, incoming, value);
    return !deepEqual(value, incoming);
  }

  /**
   * `mergeThreeWay` checked against the schema. Two valid values merged key by key are valid in
   * practice; when not, this answers `null` and the caller takes one side whole.
   */
  #merge(base: P, ours: P, theirs: P): { value: P; conflicts: MergeConflictPath[] } | null {
    const conflicts: MergeConflictPath[] = [];
    const checked = this.#options.schema.safeParse(mergeThreeWay(base, ours, theirs, conflicts));
    return checked.success ? { value: checked.data, conflicts } : null;
  }

  /** Hands the side that lost a merge to `onMergeConflict`, so it can be kept as a copy rather than lost. */
  #reportConflicts(paths: MergeConflictPath[], stored: P, kept: P): void {
    if (paths.length === 0) return;
    try {
      this.#options.onMergeConflict?.({ paths, stored, kept });
    } catch {
      // The listener's failure must not stop loading.
    }
  }

  #apply(value: P): void {
    this.#applying += 1;
    try {
      this.#store.setState(this.#options.merge(value, this.#store.getState()));
    } finally {
      this.#applying -= 1;
    }
  }

  // ---- writing -------------------------------------------------------------------------------

  #onStoreChange(state: S, previous: S): void {
    if (this.#applying > 0 || this.#disposed) return;
    if (samePersistedPart(this.#options.partialize(state), this.#options.partialize(previous))) return;
    this.#dirty = true;
    if (this.#hydrated) this.#schedule();
  }

  #schedule(): void {
    if (!this.#canSave()) return;
    const now = this.#now();
    this.#firstPendingAt ??= now;
    const delay = Math.max(0, Math.min(this.#writeDelayMs, this.#firstPendingAt + this.#maxWriteDelayMs - now));
    if (this.#timer !== null) this.#clearTimeout(this.#timer);
    this.#timer = this.#setTimeout(() => {
      this.#timer = null;
      this.#firstPendingAt = null;
      void this.#enqueue(() => this.#write());
    }, delay);
  }

  /** Whether a pending change can go anywhere: into storage, or (outdated) to the newer code. */
  #canSave(): boolean {
    return this.#hydrated && !this.#disposed && !this.#readFailed;
  }

  #canWrite(): boolean {
    return this.#canSave() && !this.#status.current.outdated;
  }

  /**
   * Writes the pending change. A write is refused when another tab wrote since this one last
   * read; then that value is loaded and merged (this tab's change on top, conflicts handed over)
   * and the merge is written in its place, so that neither tab's change is lost.
   */
  async #write(): Promise<void> {
    let refused = 0;
    while (this.#dirty && this.#canSave()) {
      if (this.#status.current.outdated) {
        this.#handOver();
        return;
      }
      if ((await this.#writeOnce()) !== "refused") return;
      refused += 1;
      if (refused === REFUSED_WRITES_IN_A_ROW) {
        this.#scheduleRetry();
        return;
      }
      await this.#loadSafely();
      // The merge is written at once, not after another quiet time.
      this.#cancelTimer();
    }
  }

  /** Encodes and writes the current value once; `"refused"` when another writer's record has replaced the expected one. */
  async #writeOnce(): Promise<"written" | "refused" | "failed"> {
    this.#dirty = false;
    this.#writing = true;
    let value = this.exportState();
    this.#setStatus({ phase: "saving" });
    try {
      const savedAt = this.#now();
      const record = await this.#encode(value, savedAt);
      const written = await this.#writeWithinQuota(record, value);
      if (written === null) {
        this.#dirty = true;
        return "refused";
      }
      value = written;
      this.#baseline = value;
      this.#storedStamp = { writerId: this.#writerId, savedAt };
      // An outdated tab's copy is its hand-over to the newer code: it stays.
      if (this.#emergencyAt !== null && savedAt >= this.#emergencyAt && !this.#status.current.outdated) this.#removeOwnEmergencyCopy();
      this.#removeAdoptedCopies();
      this.#setStatus({ phase: "saved", lastSavedAt: savedAt, persistedVersion: this.#options.version, error: null });
      this.#post({ type: "saved", key: this.#options.key, writerId: this.#writerId, schemaVersion: this.#options.version, savedAt });
      if (this.#legacyPending) this.#removeLegacy();
      return "written";
    } catch (error) {
      // The change stays pending, so the next change or flush tries again; nothing is dropped.
      this.#dirty = true;
      const full = error instanceof QuotaError;
      this.#setStatus({ phase: "error", error: full ? error.message : `Saving on this device failed: ${describe(error)}` });
      // A passing failure (a busy disk, a worker that stopped) is tried again without waiting for another change.
      if (!full) this.#scheduleRetry();
      return "failed";
    } finally {
      this.#writing = false;
    }
  }

  // ---- emergency copies ----------------------------------------------------------------------

  /**
   * The page is hidden or going away: an unsaved change is written at once, synchronously, as an
   * emergency copy (the page may be gone before the asynchronous write commits), and flushed as usual.
   */
  #flushOnHide(): void {
    if (this.#status.current.outdated) {
      this.#handOver();
      return;
    }
    if ((this.#dirty || this.#writing) && this.#canWrite()) this.#writeEmergencyCopy();
    void this.flush();
  }

  /**
   * This tab runs older code and writes no more, so its unsaved change is handed over as an
   * emergency copy in this tab's schema version. The newer code (after the reload this tab asks
   * for) migrates it and merges its changes into whatever is stored by then, however much newer.
   */
  #handOver(): void {
    if (!(this.#dirty || this.#writing) || !this.#canSave()) return;
    this.#cancelTimer();
    if (this.#writeEmergencyCopy()) {
      this.#dirty = false;
      if (this.#status.current.phase === "error") this.#setStatus({ phase: "idle", error: null });
    } else {
      this.#setStatus({
        phase: "error",
        error: "This tab runs an older version of the app and could not keep its unsaved changes for the newer one: export your data before reloading.",
      });
    }
  }

  /**
   * Writes this tab's emergency copy synchronously: the value, and its changes since the value
   * last known to be stored, so that a later load merges only those. `false` when there is
   * nowhere to write it or it does not fit.
   */
  #writeEmergencyCopy(): boolean {
    const storage = this.#emergency;
    if (!storage) return false;
    const savedAt = this.#now();
    const value = this.exportState();
    try {
      const copy: EmergencyCopy = {
        key: this.#options.key,
        schemaVersion: this.#options.version,
        savedAt,
        writerId: this.#writerId,
        ...checksummedJson(value),
        changes: checksummedJson(changesSince(this.#baseline ?? this.#options.defaults(), value)),
      };
      const name = this.#ownCopyName();
      storage.setItem(name, JSON.stringify(copy));
      // Now this tab's own copy: no longer one of another page's, waiting to be written through.
      this.#adoptedCopies.delete(name);
      this.#emergencyAt = savedAt;
      return true;
    } catch {
      // Too large for what is left of the quota (or storage refused): the asynchronous write is all there is.
      return false;
    }
  }

  /**
   * The emergency copies of pages that may hold changes the stored record lacks, oldest first.
   * Copies known to be written through are removed instead: their page's own later write is
   * stored, or (a copy of older code) the stored value is newer, as older code assumed then.
   */
  async #readEmergencyCopies(stored: { stamp: RecordStamp | null; savedAt: number | null } | null): Promise<Array<AdoptableCopy<P>>> {
    const storage = this.#emergency;
    if (!storage) return [];
    const own = this.#ownCopyName();
    const storedAt = stored?.savedAt ?? null;
    const copies: Array<AdoptableCopy<P>> = [];
    for (const name of this.#emergencyCopyNames()) {
      // This tab's own copy holds what its store holds; adopted ones already are in the store.
      if ((name === own && this.#emergencyAt !== null) || this.#adoptedCopies.has(name)) continue;
      const copy = await this.#readEmergencyCopy(storage, name);
      if (!copy) continue;
      const writtenThrough =
        storedAt !== null && storedAt >= copy.savedAt && (copy.base === null || stored?.stamp?.writerId === copy.writerId);
      if (writtenThrough) removeQuietly(storage, name);
      else copies.push(copy);
    }
    return copies.sort((a, b) => a.savedAt - b.savedAt);
  }

  /**
   * The copy under `name`, migrated and checked, or `null`. A damaged one (checksum, decode,
   * schema, failed migration) is moved aside with the quarantined records and never used; one
   * written by newer code is left alone.
   */
  async #readEmergencyCopy(storage: KeyValueStore, name: string): Promise<AdoptableCopy<P> | null> {
    let text: string | null;
    try {
      text = storage.getItem(name);
    } catch {
      return null;
    }
    if (text === null) return null;
    const copy = readEmergencyCopy(text, this.#options.key);
    if (typeof copy === "string") return this.#setDamagedCopyAside(storage, name, text, { reason: "decode", detail: copy });
    if (copy.schemaVersion > this.#options.version) return null;
    if (fnv1a32(copy.json) !== copy.checksum || (copy.changes && fnv1a32(copy.changes.json) !== copy.changes.checksum)) {
      return this.#setDamagedCopyAside(storage, name, text, { reason: "checksum", detail: "The emergency copy does not match its checksum." });
    }
    const raw = parseJson(copy.json);
    const changes = copy.changes ? readValueChanges(parseJson(copy.changes.json)) : null;
    if (copy.changes && !changes) return this.#setDamagedCopyAside(storage, name, text, { reason: "decode", detail: "The emergency copy's changes are not readable." });
    const value = this.#upgrade(raw, copy.schemaVersion);
    if (value.kind === "failed") return this.#setDamagedCopyAside(storage, name, text, value);
    // What the changes were made on is rebuilt in the copy's own version, then brought up like the value.
    const base = changes ? this.#upgrade(revertChanges(raw, changes), copy.schemaVersion) : null;
    if (base?.kind === "failed") return this.#setDamagedCopyAside(storage, name, text, base);
    return {
      name,
      text,
      writerId: copy.writerId,
      value: value.value,
      base: base?.value ?? null,
      schemaVersion: copy.schemaVersion,
      savedAt: copy.savedAt,
    };
  }

  async #setDamagedCopyAside(storage: KeyValueStore, name: string, text: string, failure: { reason: CorruptionReason; detail: string }): Promise<null> {
    try {
      await this.#storage.addQuarantined({ key: name, reason: failure.reason, detail: failure.detail, quarantinedAt: this.#now(), record: text });
    } catch {
      // Not kept then; it is still never used.
    }
    removeQuietly(storage, name);
    return null;
  }

  #removeOwnEmergencyCopy(): void {
    this.#emergencyAt = null;
    removeQuietly(this.#emergency, this.#ownCopyName());
  }

  /** Removes the adopted copies this tab's write now holds, unless their page has written a new one since. */
  #removeAdoptedCopies(): void {
    const storage = this.#emergency;
    for (const [name, text] of this.#adoptedCopies) {
      try {
        if (storage?.getItem(name) === text) storage.removeItem(name);
      } catch {
        // Ignored at a later load once an equal or newer value is stored.
      }
    }
    this.#adoptedCopies.clear();
  }

  #removeEmergencyCopies(names: readonly string[]): void {
    for (const name of names) removeQuietly(this.#emergency, name);
    this.#emergencyAt = null;
    this.#adoptedCopies.clear();
  }

  #ownCopyName(): string {
    return emergencyCopyKey(this.#options.key, this.#writerId);
  }

  #emergencyCopyNames(): string[] {
    return this.#emergency ? emergencyCopyNames(this.#emergency, this.#options.key) : [];
  }

  // ---- storage -------------------------------------------------------------------------------

  #scheduleRetry(): void {
    if (this.#timer !== null || !this.#canWrite()) return;
    this.#timer = this.#setTimeout(() => {
      this.#timer = null;
      void this.#enqueue(() => this.#write());
    }, WRITE_RETRY_MS);
  }

  /**
   * The synchronous part of a save ends with the bytes of the JSON that changed since the last
   * save (the compression worker rebuilds the rest from its copy); compressing, hashing and
   * writing are asynchronous and leave the main thread free.
   */
  #encode(value: P, savedAt: number): Promise<StoredRecord> {
    return encodeRecord(this.#json.encodeChange(value), {
      key: this.#options.key,
      schemaVersion: this.#options.version,
      savedAt,
      writerId: this.#writerId,
      compressAboveBytes: this.#options.compressAboveBytes ?? STATE_PERSISTER_DEFAULTS.compressAboveBytes,
    });
  }

  /**
   * Writes the record unless another writer's has replaced the one this tab last read or wrote
   * (then answers `null`); when storage is full, prunes step by step and tries again. Returns what was written.
   */
  async #writeWithinQuota(record: StoredRecord, value: P): Promise<P | null> {
    try {
      return (await this.#storage.writeRecordIf(record, this.#storedStamp)) ? value : null;
    } catch (error) {
      if (!isQuotaExceededError(error)) throw error;
    }
    const pruned: string[] = [];
    let state = value;
    let attempt = record;
    for (const step of this.#options.pruneForQuota ?? []) {
      let result: { state: P; removed: string | null };
      try {
        result = await step.prune({ storage: this.#storage, state, now: this.#now() });
      } catch {
        continue;
      }
      if (result.removed === null) continue;
      pruned.push(result.removed);
      if (result.state !== state) {
        state = result.state;
        attempt = await this.#encode(state, record.savedAt);
      }
      try {
        if (!(await this.#storage.writeRecordIf(attempt, this.#storedStamp))) return null;
      } catch (error) {
        if (!isQuotaExceededError(error)) throw error;
        continue;
      }
      // The store shows what is saved: what was pruned goes from it too, edits made meanwhile stay.
      if (state !== value && this.#mergeIn(value, state)) this.#dirty = true;
      this.#setStatus({
        quota: {
          at: this.#now(),
          pruned,
          message: `Storage on this device was full, so ${joinPhrases(pruned)} ${pruned.length === 1 ? "was" : "were"} removed to save your work.`,
        },
      });
      return state;
    }
    const message =
      pruned.length === 0
        ? "Storage on this device is full. Your changes are kept in this tab only: free some space or export your data."
        : `Storage on this device is full even after removing ${joinPhrases(pruned)}. Your changes are kept in this tab only: free some space or export your data.`;
    this.#setStatus({ quota: { at: this.#now(), pruned, message } });
    throw new QuotaError(message);
  }

  #removeLegacy(): void {
    this.#legacyPending = false;
    const legacy = this.#options.legacy;
    try {
      legacy?.storage?.removeItem(legacy.key);
    } catch {
      // Read again next time only if nothing is stored here, which is no longer the case.
    }
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#clearTimeout(this.#timer);
    this.#timer = null;
    this.#firstPendingAt = null;
  }

  // ---- other tabs ----------------------------------------------------------------------------

  #onMessage(raw: unknown): void {
    const message = readCrossTabMessage(raw);
    if (!message || message.key !== this.#options.key || message.writerId === this.#writerId || this.#disposed) return;
    const { version } = this.#options;
    if (message.schemaVersion > version) {
      this.#becomeOutdated(message.schemaVersion);
      return;
    }
    // A tab that loaded older code learns at once that it must not write.
    if (message.type === "hello" && message.schemaVersion < version) {
      this.#post({ type: "hello", key: this.#options.key, writerId: this.#writerId, schemaVersion: version });
      return;
    }
    if (!this.#hydration) return; // Not loaded yet: loading will read the newest value anyway.
    if (message.type === "saved") void this.#enqueue(() => this.#load());
    if (message.type === "cleared") void this.#enqueue(async () => this.#onClearedElsewhere());
  }

  #onClearedElsewhere(): void {
    this.#cancelTimer();
    this.#dirty = false;
    // The clearing tab removed the record and every emergency copy.
    this.#storedStamp = null;
    this.#adoptedCopies.clear();
    const defaults = this.#options.defaults();
    this.#baseline = defaults;
    this.#apply(defaults);
    this.#setStatus({ lastSavedAt: null, persistedVersion: null, corruption: null, quota: null });
  }

  #becomeOutdated(storedVersion: number): void {
    this.#cancelTimer();
    if (this.#status.current.outdated) return;
    this.#setStatus({ outdated: true, persistedVersion: Math.max(storedVersion, this.#status.current.persistedVersion ?? 0) });
    // The tab now asks for a reload, which must not throw away what it has not written yet.
    this.#handOver();
  }

  #post(message: CrossTabMessage): void {
    if (!this.#disposed) this.#channel?.post(message);
  }

  // ---- plumbing ------------------------------------------------------------------------------

  #enqueue(task: () => Promise<void> | void): Promise<void> {
    const run = this.#queue.then(async () => {
      if (!this.#disposed) await task();
    });
    // A failed task must not stop the ones after it; its caller still sees the failure.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #setStatus(patch: Partial<PersistenceStatus>): void {
    this.#status.update(patch);
  }
}

/** Prefix of the localStorage key under which older code kept the one emergency copy of a key, whichever tab wrote it. */
export const EMERGENCY_KEY_PREFIX = "tidemark-emergency:";

/** Prefix of the localStorage keys of emergency copies, one per writer (page) and key. */
export const EMERGENCY_COPY_PREFIX = "tidemark-emergency-copy:";

/**
 * Where `writerId` keeps its emergency copy of `key`. One per writer, so tabs closing together
 * never overwrite or remove each other's copy. Both parts are URI-encoded: `:` separates them.
 */
export function emergencyCopyKey(key: string, writerId: string): string {
  return `${EMERGENCY_COPY_PREFIX}${encodeURIComponent(key)}:${encodeURIComponent(writerId)}`;
}

/** The names of every emergency copy of `key` in `storage`: each writer's, and the one older code wrote. */
function emergencyCopyNames(storage: KeyValueStore, key: string): string[] {
  const single = `${EMERGENCY_KEY_PREFIX}${key}`;
  const perWriter = `${EMERGENCY_COPY_PREFIX}${encodeURIComponent(key)}:`;
  const names: string[] = [];
  try {
    for (let index = 0; index < storage.length; index += 1) {
      const name = storage.key(index);
      if (name === null) continue;
      if (name === single || (name.startsWith(perWriter) && !name.includes(":", perWriter.length))) names.push(name);
    }
  } catch {
    // Storage went away or is blocked: there is nothing to read.
  }
  return names;
}

function removeQuietly(storage: KeyValueStore | null, name: string): void {
  try {
    storage?.removeItem(name);
  } catch {
    // Ignored at a later load once an equal or newer value is stored.
  }
}

/** JSON text checked by a 32-bit FNV-1a of that text. */
interface ChecksummedJson {
  /** FNV-1a (32-bit, over UTF-16 code units) of `json`, as 8 hex digits. */
  checksum: string;
  json: string;
}

function checksummedJson(value: unknown): ChecksummedJson {
  const json = JSON.stringify(value);
  return { checksum: fnv1a32(json), json };
}

/** What `pagehide` writes synchronously (and what an outdated tab hands over): the value's JSON. */
interface EmergencyCopy extends ChecksummedJson {
  key: string;
  schemaVersion: number;
  savedAt: number;
  writerId: string;
  /**
   * `changesSince` the value last known to be stored, as JSON: the value the copy was made on is
   * rebuilt from them, so that only the copy's own changes are merged. Older code wrote none.
   */
  changes?: ChecksummedJson;
}

/** The emergency copy in `text`, or a sentence saying why it is not one. */
function readEmergencyCopy(text: string, key: string): EmergencyCopy | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return "The emergency copy is not valid JSON.";
  }
  if (typeof raw !== "object" || raw === null) return "The emergency copy is not a record.";
  const copy = raw as Partial<Record<keyof EmergencyCopy, unknown>>;
  if (copy.key !== key) return "The emergency copy belongs to another key.";
  if (!Number.isInteger(copy.schemaVersion) || (copy.schemaVersion as number) < 0) return "The emergency copy has no valid schema version.";
  if (typeof copy.savedAt !== "number" || typeof copy.writerId !== "string") return "The emergency copy does not say when or by whom it was written.";
  if (typeof copy.checksum !== "string" || typeof copy.json !== "string") return "The emergency copy has no checksum or no value.";
  if (copy.changes !== undefined && !isChecksummedJson(copy.changes)) return "The emergency copy's changes have no checksum or no value.";
  return copy as EmergencyCopy;
}

function isChecksummedJson(value: unknown): value is ChecksummedJson {
  if (typeof value !== "object" || value === null) return false;
  const { checksum, json } = value as Partial<Record<keyof ChecksummedJson, unknown>>;
  return typeof checksum === "string" && typeof json === "string";
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** 32-bit FNV-1a over the string's UTF-16 code units, as 8 hex digits: fast and synchronous. */
export function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function browserLocalStorage(): KeyValueStore | null {
  try {
    return (globalThis as { localStorage?: KeyValueStore }).localStorage ?? null;
  } catch {
    // Access itself throws where storage is blocked.
    return null;
  }
}

class QuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QuotaError";
  }
}

/**
 * Whether a store change left the persisted part as it was. Slices are compared by reference
 * first; a `partialize` that builds new objects on every call is then compared by value, so a
 * change to runtime state alone writes nothing.
 */
function samePersistedPart(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => Object.is(left[key], right[key]) || deepEqual(left[key], right[key]));
}

/** The schema version a stored value claims, read without trusting anything else in it. */
function claimedVersion(raw: unknown): number | null {
  if (typeof raw !== "object" || raw === null) return null;
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  return Number.isInteger(version) && (version as number) >= 0 ? (version as number) : null;
}

function defaultLifecycleTarget(): EventTarget | null {
  return typeof window === "undefined" ? null : window;
}

// `visibilitychange` fires at the document and bubbles to the window.
function isHidden(event: Event, lifecycle: EventTarget): boolean {
  for (const candidate of [event.target, lifecycle, globalThis.document]) {
    const state = (candidate as { visibilityState?: unknown } | null | undefined)?.visibilityState;
    if (typeof state === "string") return state === "hidden";
  }
  return false;
}

function joinPhrases(phrases: string[]): string {
  if (phrases.length <= 1) return phrases[0] ?? "";
  return `${phrases.slice(0, -1).join(", ")} and ${phrases[phrases.length - 1]}`;
}

function summarize(error: { message: string; issues?: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): string {
  const issue = error.issues?.[0];
  if (!issue) return error.message;
  const path = issue.path.map(String).join(".");
  const more = (error.issues?.length ?? 1) > 1 ? ` (and ${(error.issues?.length ?? 1) - 1} more)` : "";
  return `${path === "" ? "" : `${path}: `}${issue.message}${more}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
