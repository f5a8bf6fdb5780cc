import {
  CheckpointConflictSchema,
  PreferencesConflictSchema,
  type CheckpointDocument,
  type Preferences,
  type PreferencesDocument,
  type SessionCheckpointState,
  type TidemarkEvent,
} from "@tidemark/shared";
import { ApiError, type BackupApi } from "../api-client.ts";
import { fullJitterDelay } from "../backoff.ts";
import { deepEqual } from "./state-merge.ts";
import type { BackupKind, ConflictCopy, OutboxEntry, StateStorage } from "./state-storage.ts";
import { StatusFeed } from "./status-feed.ts";

export interface BackupStatus {
  /** Pushes waiting in the outbox. */
  pending: number;
  phase: "idle" | "syncing" | "synced" | "offline" | "error";
  /** Epoch ms of the last push the server accepted. */
  lastSyncedAt: number | null;
  /** The server's preferences version as last known here (0: none yet). */
  preferencesVersion: number;
  /** Losing sides of conflicts, oldest first, until kept or discarded. */
  conflicts: ConflictCopy[];
  /** The last failure as a sentence, while it lasts. */
  error?: string | null;
  /**
   * The last push the server refused for good (too large, invalid), as a sentence for the user:
   * that value is saved on this device only, until a later push of the same target gets through.
   */
  refused?: string | null;
}

/** A checkpoint push answered 404: the server no longer has its session (retention, or deleted elsewhere). */
export interface LostCheckpoint {
  sessionId: string;
  value: SessionCheckpointState;
}

/**
 * Gives a lost session's checkpoint a new home. Answers the id of the session it now goes to, or
 * `null` when it is kept elsewhere until one can be made (the open draft, detached from the lost
 * session). Throwing leaves the push queued, to be tried again with backoff.
 */
export type LostCheckpointHandler = (lost: LostCheckpoint) => Promise<string | null>;

type TimerHandle = ReturnType<typeof setTimeout>;

export interface ServerBackupOptions {
  api: BackupApi;
  storage: StateStorage;
  /** The server's preferences replace the store's: they changed elsewhere, or won a conflict. */
  onPreferences?: (document: PreferencesDocument) => void;
  /** Likewise for a session's checkpoint. */
  onCheckpoint?: (sessionId: string, document: CheckpointDocument) => void;
  /** Where `online` arrives (the window): a waiting retry is made at once. Default: `window` when there is one. */
  lifecycle?: EventTarget | null;
  /** Ceiling of the first retry delay. */
  retryBaseMs?: number;
  /** Longest wait between retries. */
  retryMaxMs?: number;
  now?: () => number;
  /** Returns a number in [0, 1); drives the backoff jitter. */
  random?: () => number;
  setTimeout?: (callback: () => void, ms: number) => TimerHandle;
  clearTimeout?: (handle: TimerHandle) => void;
  createId?: () => string;
}

export interface ServerBackup {
  /** Loads the outbox, conflict copies and known versions, then sends what waits. */
  start(): Promise<void>;
  /** Queues the preferences durably (replacing an older queued value) and sends in the background. */
  pushPreferences(preferences: Preferences): Promise<void>;
  /** Queues a session's checkpoint durably (replacing an older queued one) and sends in the background. */
  pushCheckpoint(sessionId: string, state: SessionCheckpointState): Promise<void>;
  /** Sends the outbox in order; resolves when it is empty or a retry is scheduled. */
  drain(): Promise<void>;
  /** `preferences.updated` / `checkpoint.updated` from another tab or device: fetches a newer value and hands it on. */
  handleEvent(event: TidemarkEvent): Promise<void>;
  /** Checks the preferences and every checkpoint with a known version again (after the event stream lost events). */
  refresh(): Promise<void>;
  /** The server's preferences, e.g. to restore from. Changes nothing here. */
  fetchPreferences(): Promise<PreferencesDocument>;
  fetchCheckpoint(sessionId: string): Promise<CheckpointDocument>;
  /**
   * Sets who takes a checkpoint whose session the server no longer has; returns a function that
   * unsets it. Without one, such a push is refused for good like any other 4xx.
   */
  handleLostSessions(handler: LostCheckpointHandler): () => void;
  /** Puts a conflict copy back: into the store, and as a new write on top of the server's version. */
  keepConflict(id: string): Promise<void>;
  discardConflict(id: string): Promise<void>;
  /**
   * Keeps a value that lost elsewhere (e.g. another tab's edit merged away on this device) as a
   * conflict copy, persisted and listed with the others, to keep or discard like them.
   */
  addConflictCopy(copy: { kind: BackupKind; sessionId: string | null; value: Preferences | SessionCheckpointState }): Promise<ConflictCopy>;
  getStatus(): BackupStatus;
  subscribeStatus(listener: (status: BackupStatus) => void): () => void;
  /** Forgets the outbox, the conflict copies and the known versions (all data is being deleted). */
  clearAll(): Promise<void>;
  dispose(): void;
}

export const SERVER_BACKUP_DEFAULTS = {
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
} as const;

/** Where the server versions last seen are kept, per target. */
const KNOWN_VERSIONS_META = "backup:known-versions";
/** How many unanswered earlier values an entry remembers for recognising its own writes. */
const UNCONFIRMED_KEPT = 3;
/** Sends of one entry on top of a newly learned version before backing off (a server that keeps moving). */
const MAX_RESENDS = 3;

type BackupValue = Preferences | SessionCheckpointState;
type SendOutcome = "done" | "again" | "wait";

/**
 * The server's copy of the preferences and of each session's open work, kept through a durable
 * outbox: a push is committed locally first, replaces an older queued push of the same target,
 * and is sent in queue order; offline, it waits and is retried with backoff.
 *
 * Every write names the version it builds on. A 409 whose current value is what was sent is this
 * device's own write whose answer got lost: its version is adopted. Any other 409 is a real
 * conflict: the server's value wins in the store and the local one becomes a conflict copy the
 * user can keep or discard. Nothing is overwritten or dropped without being shown.
 */
export function createServerBackup(options: ServerBackupOptions): ServerBackup {
  return new Backup(options);
}

class Backup implements ServerBackup {
  readonly #api: BackupApi;
  readonly #storage: StateStorage;
  readonly #options: ServerBackupOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #setTimeout: (callback: () => void, ms: number) => TimerHandle;
  readonly #clearTimeout: (handle: TimerHandle) => void;
  readonly #createId: () => string;
  readonly #cleanups: Array<() => void> = [];

  readonly #status = new StatusFeed<BackupStatus>({
    pending: 0,
    phase: "idle",
    lastSyncedAt: null,
    preferencesVersion: 0,
    conflicts: [],
    error: null,
    refused: null,
  });
  /** Server version last seen per target (`preferences`, `checkpoint:<id>`). */
  #versions: Record<string, number> = {};
  #started: Promise<void> | null = null;
  #draining: Promise<void> | null = null;
  #drainWanted = false;
  #retryTimer: TimerHandle | null = null;
  #retryAttempt = 0;
  /** Pushes the server refused for good, per target, reported until that target is backed up again. */
  readonly #refusals = new Map<string, string>();
  #lostSessionHandler: LostCheckpointHandler | null = null;
  /**
   * Sessions made here for a lost session's checkpoint. One of them answering 404 as well is
   * refused rather than given yet another session: something other than a deleted session is
   * wrong, and making sessions in a loop would not fix it.
   */
  readonly #replacementSessions = new Set<string>();
  /** Sends, event handling and conflict actions run one at a time. */
  #lock: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(options: ServerBackupOptions) {
    this.#options = options;
    this.#api = options.api;
    this.#storage = options.storage;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    // Called through wrappers: browsers reject a native setTimeout invoked with a foreign `this`.
    const schedule = options.setTimeout ?? ((callback: () => void, ms: number) => globalThis.setTimeout(callback, ms));
    const cancel = options.clearTimeout ?? ((handle: TimerHandle) => globalThis.clearTimeout(handle));
    this.#setTimeout = (callback, ms) => schedule(callback, ms);
    this.#clearTimeout = (handle) => cancel(handle);
    this.#createId = options.createId ?? (() => globalThis.crypto.randomUUID());
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.#loadKnownVersions();
      const [conflicts, outbox] = await Promise.all([this.#storage.listConflicts(), this.#storage.listOutbox()]);
      this.#setStatus({ conflicts, pending: outbox.length, preferencesVersion: this.#versions.preferences ?? 0 });
      const lifecycle = this.#options.lifecycle === undefined ? defaultLifecycleTarget() : this.#options.lifecycle;
      if (lifecycle) {
        const onOnline = () => void this.#retryNow();
        lifecycle.addEventListener("online", onOnline);
        this.#cleanups.push(() => lifecycle.removeEventListener("online", onOnline));
      }
      await this.drain();
    })();
    return this.#started;
  }

  pushPreferences(preferences: Preferences): Promise<void> {
    return this.#push("preferences", null, preferences);
  }

  pushCheckpoint(sessionId: string, state: SessionCheckpointState): Promise<void> {
    return this.#push("checkpoint", sessionId, state);
  }

  drain(): Promise<void> {
    this.#drainWanted = true;
    this.#draining ??= this.#drainWhileWanted().finally(() => {
      this.#draining = null;
      // A push that came in just as the last round ended still gets sent.
      if (this.#drainWanted && this.#retryTimer === null && !this.#disposed) void this.drain();
    });
    return this.#draining;
  }

  async handleEvent(event: TidemarkEvent): Promise<void> {
    // Before `start` the known versions are not loaded; start fetches nothing, a later event or refresh does.
    if (!this.#started) return;
    await this.#started;
    if (event.type === "preferences.updated") {
      return this.#exclusive(async () => {
        if (event.version <= this.#known("preferences")) return;
        await this.#adoptServerValue("preferences", null, await this.#api.getPreferences());
      });
    }
    if (event.type === "checkpoint.updated") {
      return this.#exclusive(async () => {
        if (event.version <= this.#known(checkpointTarget(event.sessionId))) return;
        await this.#adoptServerValue("checkpoint", event.sessionId, await this.#api.getCheckpoint(event.sessionId));
      });
    }
  }

  async refresh(): Promise<void> {
    if (!this.#started) return;
    await this.#started;
    await this.#exclusive(async () => {
      await this.#adoptServerValue("preferences", null, await this.#api.getPreferences());
      for (const target of Object.keys(this.#versions)) {
        const sessionId = sessionIdOf(target);
        if (sessionId === null) continue;
        const document = await this.#api.getCheckpoint(sessionId).catch(async (error: unknown) => {
          // A session deleted since (retention, another device): nothing to check there any more.
          if (!(error instanceof ApiError && error.status === 404)) throw error;
          await this.#forgetKnown(target);
          return null;
        });
        if (document) await this.#adoptServerValue("checkpoint", sessionId, document);
      }
    });
  }

  fetchPreferences(): Promise<PreferencesDocument> {
    return this.#api.getPreferences();
  }

  fetchCheckpoint(sessionId: string): Promise<CheckpointDocument> {
    return this.#api.getCheckpoint(sessionId);
  }

  async keepConflict(id: string): Promise<void> {
    await this.#exclusive(async () => {
      const copy = this.#status.current.conflicts.find((candidate) => candidate.id === id);
      if (!copy) return;
      const target = targetOf(copy.kind, copy.sessionId);
      // Queued before the copy goes: a crash in between leaves both, never neither.
      await this.#enqueue(copy.kind, copy.sessionId, copy.value);
      await this.#storage.removeConflict(id);
      this.#setStatus({ conflicts: this.#status.current.conflicts.filter((candidate) => candidate.id !== id) });
      this.#handOn(copy.kind, copy.sessionId, this.#known(target), copy.value);
    });
    void this.drain();
  }

  async discardConflict(id: string): Promise<void> {
    await this.#exclusive(async () => {
      await this.#storage.removeConflict(id);
      this.#setStatus({ conflicts: this.#status.current.conflicts.filter((candidate) => candidate.id !== id) });
    });
  }

  handleLostSessions(handler: LostCheckpointHandler): () => void {
    this.#lostSessionHandler = handler;
    return () => {
      if (this.#lostSessionHandler === handler) this.#lostSessionHandler = null;
    };
  }

  addConflictCopy(input: { kind: BackupKind; sessionId: string | null; value: BackupValue }): Promise<ConflictCopy> {
    return this.#exclusive(() =>
      this.#recordConflict(input.kind, input.sessionId, input.value, this.#known(targetOf(input.kind, input.sessionId))),
    );
  }

  getStatus(): BackupStatus {
    return this.#status.current;
  }

  subscribeStatus(listener: (status: BackupStatus) => void): () => void {
    return this.#status.subscribe(listener);
  }

  async clearAll(): Promise<void> {
    await this.#exclusive(async () => {
      this.#cancelRetry();
      this.#drainWanted = false;
      await this.#storage.clearBackup();
      this.#versions = {};
      this.#refusals.clear();
      this.#setStatus({ pending: 0, phase: "idle", lastSyncedAt: null, preferencesVersion: 0, conflicts: [], error: null, refused: null });
    });
  }

  dispose(): void {
    this.#disposed = true;
    this.#cancelRetry();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#status.clear();
  }

  // ---- queueing ------------------------------------------------------------------------------

  async #push(kind: BackupKind, sessionId: string | null, value: BackupValue): Promise<void> {
    await this.#enqueue(kind, sessionId, value);
    // While a retry waits, it takes this push along; pushing does not skip the backoff.
    if (this.#started && this.#retryTimer === null) void this.drain();
  }

  async #enqueue(kind: BackupKind, sessionId: string | null, value: BackupValue): Promise<void> {
    await this.#storage.enqueueOutbox(targetOf(kind, sessionId), (previous) => ({
      target: targetOf(kind, sessionId),
      kind,
      sessionId,
      value,
      createdAt: this.#now(),
      attempts: 0,
      // A replaced value that was already sent may have reached the server unanswered.
      unconfirmed: previous ? [...previous.unconfirmed, ...(previous.attempts > 0 ? [previous.value] : [])].slice(-UNCONFIRMED_KEPT) : [],
    }));
    await this.#countPending();
  }

  async #countPending(): Promise<void> {
    this.#setStatus({ pending: (await this.#storage.listOutbox()).length });
  }

  // ---- sending -------------------------------------------------------------------------------

  async #drainWhileWanted(): Promise<void> {
    this.#cancelRetry();
    while (this.#drainWanted && !this.#disposed) {
      this.#drainWanted = false;
      let resends = 0;
      for (;;) {
        const queue = await this.#storage.listOutbox();
        this.#setStatus({ pending: queue.length });
        const entry = queue[0];
        if (!entry) {
          if (this.#status.current.phase === "syncing") this.#setStatus({ phase: this.#refusals.size > 0 ? "error" : "synced" });
          break;
        }
        this.#setStatus({ phase: "syncing" });
        const outcome = await this.#exclusive(() => this.#send(entry));
        if (outcome === "wait" || this.#disposed) return;
        resends = outcome === "again" ? resends + 1 : 0;
        if (resends > MAX_RESENDS) {
          this.#scheduleRetry("error", "The server keeps refusing the backup's version; it is retried later.");
          return;
        }
      }
    }
  }

  /** Sends one entry and settles what its answer means. */
  async #send(entry: OutboxEntry): Promise<SendOutcome> {
    await this.#refreshKnownVersions();
    const target = entry.target;
    const baseVersion = this.#known(target);
    await this.#storage.markOutboxAttempt(entry.id);
    try {
      const document =
        entry.kind === "preferences"
          ? await this.#api.putPreferences({ baseVersion, preferences: entry.value as Preferences })
          : await this.#api.putCheckpoint(requireSessionId(entry), { baseVersion, state: entry.value as SessionCheckpointState });
      await this.#setKnown(target, document.version);
      await this.#storage.removeOutbox(entry.id);
      this.#synced(target);
      return "done";
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return this.#settleConflict(entry, error);
      return this.#settleFailure(entry, error);
    }
  }

  async #settleConflict(entry: OutboxEntry, error: ApiError): Promise<SendOutcome> {
    const current = await this.#currentOf(entry, error);
    if (current.value === null || deepEqual(current.value, entry.value)) {
      // Our own write landed and its answer was lost (or another tab of this device sent the same).
      await this.#setKnown(entry.target, current.version);
      if (current.value !== null) {
        await this.#storage.removeOutbox(entry.id);
        this.#synced(entry.target);
        return "done";
      }
      return "again";
    }
    if (entry.unconfirmed.some((earlier) => deepEqual(current.value, earlier))) {
      // An earlier value of ours is what the server holds: the newer one goes on top of it.
      await this.#setKnown(entry.target, current.version);
      return "again";
    }
    await this.#keepAsConflict(entry, current.version, current.value);
    return "done";
  }

  /** The server's current value named by a 409, fetched when the answer did not carry it. */
  async #currentOf(entry: OutboxEntry, error: ApiError): Promise<{ version: number; value: BackupValue | null }> {
    if (entry.kind === "preferences") {
      const parsed = PreferencesConflictSchema.safeParse(error.conflict);
      const document = parsed.success ? parsed.data : await this.#api.getPreferences();
      return { version: document.version, value: document.preferences };
    }
    const parsed = CheckpointConflictSchema.safeParse(error.conflict);
    const document = parsed.success ? parsed.data : await this.#api.getCheckpoint(requireSessionId(entry));
    return { version: document.version, value: document.state };
  }

  /** The server's value wins in the store; ours is kept as a conflict copy, visible until the user decides. */
  async #keepAsConflict(entry: OutboxEntry, serverVersion: number, serverValue: BackupValue): Promise<void> {
    // Kept before the push goes: a crash in between leaves both, never neither.
    await this.#recordConflict(entry.kind, entry.sessionId, entry.value, serverVersion);
    await this.#storage.removeOutbox(entry.id);
    await this.#setKnown(entry.target, serverVersion);
    this.#handOn(entry.kind, entry.sessionId, serverVersion, serverValue);
  }

  async #recordConflict(kind: BackupKind, sessionId: string | null, value: BackupValue, serverVersion: number): Promise<ConflictCopy> {
    const copy: ConflictCopy = { id: this.#createId(), kind, sessionId, value, serverVersion, createdAt: this.#now() };
    await this.#storage.putConflict(copy);
    this.#setStatus({ conflicts: [...this.#status.current.conflicts, copy] });
    return copy;
  }

  async #settleFailure(entry: OutboxEntry, error: unknown): Promise<SendOutcome> {
    const status = error instanceof ApiError ? error.status : 0;
    const message = error instanceof Error ? error.message : String(error);
    if (status === 0) {
      this.#scheduleRetry("offline", "The server cannot be reached; changes wait on this device and are sent when it can.");
      return "wait";
    }
    if (status === 401 || status === 408 || status === 429 || status >= 500) {
      this.#scheduleRetry("error", `The server backup is retrying: ${message}`);
      return "wait";
    }
    const handler = this.#lostSessionHandler;
    if (status === 404 && entry.kind === "checkpoint" && handler && !this.#replacementSessions.has(requireSessionId(entry))) {
      return this.#rehome(entry, handler);
    }
    // Refused for good (too large, invalid): the value stays on this device, in the persisted
    // state, but cannot be backed up; the queue moves on and the user is told.
    await this.#storage.removeOutbox(entry.id);
    this.#refusals.set(entry.target, describeRefusal(entry, status, message));
    this.#setStatus({ phase: "error", ...this.#refusalStatus() });
    return "done";
  }

  /**
   * The checkpoint's session is gone from the server: the handler gives the value a new session
   * (it is queued there) before this push leaves the queue, so a crash in between leaves both,
   * never neither.
   */
  async #rehome(entry: OutboxEntry, handler: LostCheckpointHandler): Promise<SendOutcome> {
    let replacement: string | null;
    try {
      replacement = await handler({ sessionId: requireSessionId(entry), value: entry.value as SessionCheckpointState });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#scheduleRetry("error", `The draft's session is gone from the server and a new one could not be made yet: ${message}`);
      return "wait";
    }
    if (replacement !== null) this.#replacementSessions.add(replacement);
    await this.#storage.removeOutbox(entry.id);
    await this.#forgetKnown(entry.target);
    this.#refusals.delete(entry.target);
    this.#setStatus(this.#refusalStatus());
    return "done";
  }

  #synced(target: string): void {
    this.#retryAttempt = 0;
    this.#refusals.delete(target);
    this.#setStatus({ lastSyncedAt: this.#now(), ...this.#refusalStatus() });
  }

  #refusalStatus(): Pick<BackupStatus, "error" | "refused"> {
    const refused = this.#lastRefusal();
    return { error: refused, refused };
  }

  #lastRefusal(): string | null {
    return [...this.#refusals.values()].pop() ?? null;
  }

  #scheduleRetry(phase: "offline" | "error", error: string): void {
    const delay = fullJitterDelay(this.#retryAttempt, {
      baseMs: this.#options.retryBaseMs ?? SERVER_BACKUP_DEFAULTS.retryBaseMs,
      maxMs: this.#options.retryMaxMs ?? SERVER_BACKUP_DEFAULTS.retryMaxMs,
    }, this.#random);
    this.#retryAttempt += 1;
    this.#setStatus({ phase, error });
    this.#cancelRetry();
    this.#retryTimer = this.#setTimeout(() => {
      this.#retryTimer = null;
      void this.drain();
    }, delay);
  }

  #retryNow(): void {
    if (this.#retryTimer === null) return;
    this.#cancelRetry();
    void this.drain();
  }

  #cancelRetry(): void {
    if (this.#retryTimer !== null) this.#clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  // ---- values from the server ----------------------------------------------------------------

  /**
   * A value the server holds, newer than what was known here. A queued push of the same target
   * that differs from it is a conflict (sending it would overwrite a change this device never
   * saw); one that equals it was ours and is done.
   */
  async #adoptServerValue(
    kind: BackupKind,
    sessionId: string | null,
    document: PreferencesDocument | CheckpointDocument,
  ): Promise<void> {
    const target = targetOf(kind, sessionId);
    if (document.version <= this.#known(target)) return;
    const value = "preferences" in document ? document.preferences : document.state;
    const pending = (await this.#storage.listOutbox()).find((entry) => entry.target === target);
    if (pending && value !== null) {
      if (deepEqual(value, pending.value)) {
        await this.#storage.removeOutbox(pending.id);
        await this.#setKnown(target, document.version);
        await this.#countPending();
        return;
      }
      if (pending.unconfirmed.some((earlier) => deepEqual(value, earlier))) {
        await this.#setKnown(target, document.version);
        return;
      }
      await this.#keepAsConflict(pending, document.version, value);
      await this.#countPending();
      return;
    }
    await this.#setKnown(target, document.version);
    if (value !== null) this.#handOn(kind, sessionId, document.version, value);
  }

  #handOn(kind: BackupKind, sessionId: string | null, version: number, value: BackupValue): void {
    try {
      if (kind === "preferences") this.#options.onPreferences?.({ version, preferences: value as Preferences });
      else if (sessionId !== null) this.#options.onCheckpoint?.(sessionId, { version, state: value as SessionCheckpointState });
    } catch {
      // The store's listener failing must not lose the backup's bookkeeping.
    }
  }

  // ---- versions ------------------------------------------------------------------------------

  #known(target: string): number {
    return this.#versions[target] ?? 0;
  }

  async #loadKnownVersions(): Promise<void> {
    this.#versions = { ...((await this.#storage.readMeta<Record<string, number>>(KNOWN_VERSIONS_META)) ?? {}) };
  }

  /** Other tabs of this device share the store: take any version they have seen that is newer. */
  async #refreshKnownVersions(): Promise<void> {
    const stored = (await this.#storage.readMeta<Record<string, number>>(KNOWN_VERSIONS_META)) ?? {};
    for (const [target, version] of Object.entries(stored)) {
      if (version > this.#known(target)) this.#versions[target] = version;
    }
  }

  /** A target whose session is gone: its version means nothing any more. */
  async #forgetKnown(target: string): Promise<void> {
    if (!(target in this.#versions)) return;
    const { [target]: _gone, ...rest } = this.#versions;
    this.#versions = rest;
    await this.#storage.writeMeta(KNOWN_VERSIONS_META, this.#versions);
  }

  async #setKnown(target: string, version: number): Promise<void> {
    if (version === this.#known(target)) return;
    this.#versions = { ...this.#versions, [target]: Math.max(version, this.#known(target)) };
    await this.#storage.writeMeta(KNOWN_VERSIONS_META, this.#versions);
    if (target === "preferences") this.#setStatus({ preferencesVersion: this.#versions.preferences ?? 0 });
  }

  // ---- plumbing ------------------------------------------------------------------------------

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #setStatus(patch: Partial<BackupStatus>): void {
    this.#status.update(patch);
  }
}

function targetOf(kind: BackupKind, sessionId: string | null): string {
  return kind === "preferences" ? "preferences" : checkpointTarget(sessionId ?? "");
}

function checkpointTarget(sessionId: string): string {
  return `checkpoint:${sessionId}`;
}

function sessionIdOf(target: string): string | null {
  return target.startsWith("checkpoint:") ? target.slice("checkpoint:".length) : null;
}

function requireSessionId(entry: OutboxEntry): string {
  if (entry.sessionId === null) throw new Error("A checkpoint push has no session.");
  return entry.sessionId;
}

function describeTarget(entry: OutboxEntry): string {
  return entry.kind === "preferences" ? "your settings" : "the draft";
}

/** What the user is told of a push refused for good. */
function describeRefusal(entry: OutboxEntry, status: number, message: string): string {
  const reason = status === 413 ? "it is larger than the server accepts" : message.replace(/\.$/, "");
  return `The server refused the backup of ${describeTarget(entry)} (${reason}). It is saved on this device only.`;
}

function defaultLifecycleTarget(): EventTarget | null {
  return typeof window === "undefined" ? null : window;
}
