import {
  appStateMigrations,
  appStateQuotaPruneSteps,
  createServerBackup,
  defaultPersistedAppState,
  initialPersistenceStatus,
  LEGACY_APP_STATE_STORAGE_KEY,
  createStatePersister,
  openStateStorage,
  type BackupApi,
  type BackupKind,
  type BackupStatus,
  type KeyValueStore,
  type MergeConflict,
  type PersistenceStatus,
  type RecordingApi,
  type ServerBackup,
  type StatePersister,
  type StatePersisterOptions,
  type StateStorage,
  type StorePort,
  writeDamagedCopiesFile,
} from "@tidemark/client";
import {
  PERSISTED_STATE_VERSION,
  PersistedAppStateSchema,
  type CheckpointDocument,
  type PersistedAppState,
  type Preferences,
  type PreferencesDocument,
  type SessionCheckpointState,
  type TidemarkEvent,
} from "@tidemark/shared";
import type { AppState, AppStore } from "../store/app-store.ts";
import { draftHasContent, emptyDraft } from "../store/draft-slice.ts";
import {
  checkpointOf,
  checkpointOfSaved,
  conflictKinds,
  mergePersistedState,
  partializeAppState,
  preferencesOf,
  preferencesOfSaved,
  preferencesToState,
  sameBackupValue,
} from "./app-state-mapping.ts";
import { createBackupSync, type BackupSync, type UnpushedEdits } from "./backup-sync.ts";
import { readExportFile, writeExportFile, type ImportResult } from "./export-file.ts";

/** The key the app state is stored under. */
export const APP_STATE_KEY = "app-state";

/** Where the marks of edits not yet queued for the server are kept (beside the backup's own bookkeeping). */
const UNPUSHED_EDITS_META = "web:unpushed-edits";
/** Tabs of this browser add conflict copies one at a time. */
const CONFLICT_COPIES_LOCK = "tidemark-conflict-copies";


/** What the page shows about saving: on this device, on the server, and a restore in progress. */
export interface PersistenceSnapshot {
  status: PersistenceStatus;
  backup: BackupStatus;
  /** Edits made here wait for their push delay (or a hold) before they join the backup's queue. */
  unpushedEdits: boolean;
  restore: RestoreState;
}

export type RestoreState =
  | { phase: "idle" }
  | { phase: "restoring" }
  | { phase: "restored"; message: string }
  | { phase: "failed"; message: string };

export interface PersistenceRuntimeOptions {
  store: AppStore;
  api: RecordingApi;
  backupApi: BackupApi;
  openStorage?: () => Promise<StateStorage>;
  /** Where `pagehide`, `visibilitychange` and `online` arrive; `null` in tests. */
  lifecycle?: EventTarget | null;
  /** Databases of this origin to delete with everything else (journal, identity). */
  deleteLocalDatabases?: () => Promise<void>;
  crossTab?: boolean;
  /** Where an older version of the app kept its state (localStorage), read once when nothing newer is stored. */
  legacyStorage?: KeyValueStore | null;
}

/** How the app state is kept on this device: under which key, in which schema, what of the store. */
export function appStatePersistence(store: StorePort<AppState>, storage: StateStorage) {
  return {
    key: APP_STATE_KEY,
    storage,
    version: PERSISTED_STATE_VERSION,
    schema: PersistedAppStateSchema,
    migrations: appStateMigrations,
    defaults: defaultPersistedAppState,
    partialize: partializeAppState,
    merge: mergePersistedState,
    store,
    pruneForQuota: appStateQuotaPruneSteps(),
  } satisfies StatePersisterOptions<AppState, PersistedAppState>;
}

/** Until the storage is open, the app shows the status of the storage it expects. */
const INITIAL_STATUS: PersistenceStatus = initialPersistenceStatus("indexeddb");

const INITIAL_BACKUP: BackupStatus = { pending: 0, phase: "idle", lastSyncedAt: null, preferencesVersion: 0, conflicts: [] };

/**
 * The persisted state layer of the page, beside the store: the stored copy on this device
 * (hydrate, debounced writes, cross-tab merge, corruption and quota reports) and the server
 * backup (preferences and the draft's checkpoint, conflicts), plus what the user does with them
 * (restore, export, import, delete everything).
 */
export class PersistenceRuntime {
  readonly #options: PersistenceRuntimeOptions;
  readonly #store: AppStore;
  readonly #listeners = new Set<() => void>();
  #snapshot: PersistenceSnapshot = { status: INITIAL_STATUS, backup: INITIAL_BACKUP, unpushedEdits: false, restore: { phase: "idle" } };
  #persister: StatePersister<PersistedAppState> | null = null;
  #backup: ServerBackup | null = null;
  #sync: BackupSync | null = null;
  #starting: Promise<void> | null = null;
  #deviceReady = false;
  #backupStarted: Promise<void> | null = null;
  #storage: StateStorage | null = null;
  /** The checkpoint version the open draft was last taken from the server as a whole. */
  #openedCheckpoint: { sessionId: string; version: number } | null = null;
  /** Store updates that came from elsewhere (storage, another tab, the server): not pushed back. */
  #remote = 0;
  readonly #cleanups: Array<() => void> = [];

  constructor(options: PersistenceRuntimeOptions) {
    this.#options = options;
    this.#store = options.store;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Opens the storage and loads what it holds into the store. Never throws: failures show in the status. */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const storage = await (this.#options.openStorage ?? (() => openStateStorage()))();
    this.#storage = storage;
    const port: StorePort<AppState> = {
      getState: () => this.#store.getState(),
      setState: (partial) => this.#asRemote(() => this.#store.setState(partial)),
      subscribe: (listener) => this.#store.subscribe(listener),
    };
    const persister = createStatePersister({
      ...appStatePersistence(port, storage),
      onMergeConflict: (conflict) => this.#keepMergeConflict(conflict),
      crossTab: this.#options.crossTab ?? true,
      ...(this.#options.lifecycle !== undefined ? { lifecycle: this.#options.lifecycle } : {}),
      ...(this.#options.legacyStorage !== undefined ? { legacy: { storage: this.#options.legacyStorage, key: LEGACY_APP_STATE_STORAGE_KEY } } : {}),
    });
    this.#persister = persister;
    this.#cleanups.push(
      persister.subscribeStatus((status) => {
        const resolved = this.#snapshot.status.corruption !== null && status.corruption === null;
        this.#update({ status });
        // Restored or kept: what was held back may go to the server now.
        if (resolved) void this.#sync?.flush();
      }),
    );
    this.#update({ status: persister.getStatus() });

    const backup = createServerBackup({
      api: this.#options.backupApi,
      storage,
      ...(this.#options.lifecycle !== undefined ? { lifecycle: this.#options.lifecycle } : {}),
      onPreferences: (document) => this.#adoptPreferences(document),
      onCheckpoint: (sessionId, document) => this.#adoptCheckpoint(sessionId, document),
    });
    this.#backup = backup;
    this.#cleanups.push(backup.subscribeStatus((status) => this.#update({ backup: status })));
    this.#update({ backup: backup.getStatus() });

    this.#sync = createBackupSync({
      store: this.#store,
      backup,
      createDraftSession: async (title) => (await this.#options.api.createSession({ kind: "synthesis", ...(title === "" ? {} : { title }) })).id,
      isRemoteChange: () => this.#remote > 0,
      // Defaults stand in for a damaged copy until the user restores or keeps them.
      holdPreferences: () => this.#snapshot.status.corruption !== null,
      onUnpushedChange: (unpushedEdits) => this.#update({ unpushedEdits }),
      onOverwritten: (edit) => void this.#keepConflictCopyOnce(edit.kind, edit.sessionId, edit.value),
      unpushed: {
        read: () => storage.readMeta<UnpushedEdits>(UNPUSHED_EDITS_META),
        write: (edits) => storage.writeMeta(UNPUSHED_EDITS_META, edits),
      },
    });

    const lifecycle = this.#options.lifecycle === undefined ? (typeof window === "undefined" ? null : window) : this.#options.lifecycle;
    if (lifecycle) {
      const flush = () => void this.#sync?.flush();
      const onVisibility = () => {
        if (typeof document !== "undefined" && document.visibilityState === "hidden") flush();
      };
      lifecycle.addEventListener("pagehide", flush);
      lifecycle.addEventListener("visibilitychange", onVisibility);
      // Back online: a draft that could not get a session yet gets one (the backup retries by itself).
      lifecycle.addEventListener("online", flush);
      this.#cleanups.push(() => {
        lifecycle.removeEventListener("pagehide", flush);
        lifecycle.removeEventListener("visibilitychange", onVisibility);
        lifecycle.removeEventListener("online", flush);
      });
    }

    await persister.hydrate();
  }

  /** The device is known to the server: the backup can send and fetch. Resolves once it has started. */
  async deviceReady(): Promise<void> {
    this.#deviceReady = true;
    await this.start();
    await this.#startBackup();
  }

  #startBackup(): Promise<void> {
    this.#backupStarted ??= (async () => {
      const backup = this.#backup!;
      await backup.start();
      // Edits waiting from before go out first; then whatever changed elsewhere meanwhile comes in.
      await this.#sync!.start();
      await backup.drain();
      await backup.refresh();
    })().catch((error) => console.warn("Server backup could not start:", error));
    return this.#backupStarted;
  }

  /**
   * A live event: another tab or device changed the preferences or a checkpoint. Edits of this
   * tab still waiting for their push delay are queued first, so that a newer value from
   * elsewhere turns them into a conflict copy instead of silently replacing them.
   */
  handleEvent(event: TidemarkEvent): void {
    if (event.type !== "preferences.updated" && event.type !== "checkpoint.updated") return;
    void (async () => {
      await this.#sync?.flush();
      // Sent (or settled as a conflict) before the newer value is looked at, never alongside it.
      await this.#backup?.drain();
      await this.#backup?.handleEvent(event);
    })().catch((error) => console.warn("Server backup event:", error));
  }

  /** The event stream lost events: every backed-up value is checked again. */
  resync(): void {
    void (async () => {
      await this.#sync?.flush();
      await this.#backup?.drain();
      await this.#backup?.refresh();
    })().catch((error) => console.warn("Server backup refresh:", error));
  }

  stop(): void {
    this.#sync?.stop();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#backup?.dispose();
    this.#persister?.dispose();
  }

  // ---- state the page shows ------------------------------------------------------------------

  getSnapshot = (): PersistenceSnapshot => this.#snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  #update(patch: Partial<PersistenceSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    for (const listener of this.#listeners) listener();
  }

  #asRemote(change: () => void): void {
    this.#remote += 1;
    try {
      change();
    } finally {
      this.#remote -= 1;
    }
  }

  // ---- the seed's persistence API ------------------------------------------------------------

  async rehydrate(): Promise<void> {
    await this.start();
    await this.#persister?.rehydrate();
  }

  async clearPersistedState(): Promise<void> {
    await this.start();
    await this.#persister?.clearPersistedState();
  }

  async getPersistedVersion(): Promise<number | null> {
    await this.start();
    return (await this.#persister?.getPersistedVersion()) ?? null;
  }

  /** Writes what waits (locally and to the server) now. */
  async flush(): Promise<void> {
    await Promise.all([this.#persister?.flush(), this.#sync?.flush()]);
  }

  dismissCorruption(): void {
    this.#persister?.dismissCorruption();
  }

  // ---- the server's copies -------------------------------------------------------------------

  #adoptPreferences(document: PreferencesDocument): void {
    this.#asRemote(() => this.#store.setState(preferencesToState(document.preferences)));
  }

  #adoptCheckpoint(sessionId: string, document: CheckpointDocument): void {
    if (document.state === null || this.#store.getState().draft.sessionId !== sessionId) return;
    // The version the draft was just opened or restored from: already in the store.
    if (this.#openedCheckpoint?.sessionId === sessionId && this.#openedCheckpoint.version === document.version) return;
    const checkpoint = document.state;
    this.#asRemote(() => this.#store.getState().openCheckpoint(sessionId, checkpoint));
  }

  /**
   * After the copy on this device was found damaged (or is simply wanted back): the preferences
   * and the newest draft from the server replace what this device holds.
   */
  async restoreFromServerBackup(): Promise<void> {
    await this.start();
    const backup = this.#backup;
    const persister = this.#persister;
    if (!backup || !persister) return;
    this.#update({ restore: { phase: "restoring" } });
    try {
      const preferences = await backup.fetchPreferences();
      const restored = await this.#newestDraftOnServer();
      const current = persister.exportState();
      const state: PersistedAppState = {
        ...current,
        parameters: preferences.preferences.parameters,
        engine: preferences.preferences.engine,
        voices: { selected: preferences.preferences.voice, saved: preferences.preferences.savedVoices },
        preferences: { devices: preferences.preferences.devices, recoveryPrompts: preferences.preferences.recoveryPrompts },
        ...(restored
          ? {
              draft: {
                sessionId: restored.sessionId,
                title: restored.state.title,
                chapters: restored.state.chapters,
                position: restored.state.position,
                notes: restored.state.notes,
              },
              sessions: { ...current.sessions, currentSessionId: restored.sessionId },
            }
          : {}),
      };
      await persister.replaceState(state);
      if (restored) await this.#learnVersion(restored.sessionId, restored.document);
      const what = preferences.version === 0 ? "The server had no saved settings yet" : "Your settings";
      this.#update({
        restore: {
          phase: "restored",
          message: restored ? `${what} and the draft “${restored.title}” were restored from the server.` : `${what} were restored from the server.`,
        },
      });
    } catch (error) {
      this.#update({ restore: { phase: "failed", message: `Restoring from the server failed: ${messageOf(error)}` } });
    }
  }

  /** The newest synthesis session with a checkpoint, of the few newest the server lists. */
  async #newestDraftOnServer() {
    const sessions = (await this.#options.api.listSessions()).filter((session) => session.kind === "synthesis").slice(0, 5);
    for (const session of sessions) {
      const document = await this.#backup!.fetchCheckpoint(session.id);
      if (document.state) return { sessionId: session.id, title: session.title === "" ? "Untitled" : session.title, state: document.state, document };
    }
    return null;
  }

  /**
   * Opens a session's saved draft from the server in the studio (restoring an interrupted
   * synthesis session). What this device holds of the current draft is pushed first.
   */
  async openSessionDraft(sessionId: string): Promise<void> {
    await this.start();
    const { draft } = this.#store.getState();
    if (draft.sessionId === sessionId) return;
    if (draft.sessionId === null && draftHasContent(draft)) {
      throw new Error("The draft open now is not backed up on the server yet. Try again once it is (it needs a connection).");
    }
    await this.#sync?.flush();
    const document = await this.#backup!.fetchCheckpoint(sessionId);
    this.#asRemote(() => {
      const state = this.#store.getState();
      if (document.state) state.openCheckpoint(sessionId, document.state);
      else {
        this.#store.setState({ draft: { ...emptyDraft(), sessionId } });
        state.setCurrentSession(sessionId);
      }
    });
    await this.#learnVersion(sessionId, document);
  }

  /**
   * Tells the backup which version of a checkpoint the store now holds, so the next edit builds
   * on it instead of meeting a conflict. Told as the event another device's write would send: the
   * backup looks the checkpoint up again and hands on anything newer than what was opened.
   */
  async #learnVersion(sessionId: string, document: CheckpointDocument): Promise<void> {
    if (document.version === 0) return;
    this.#openedCheckpoint = { sessionId, version: document.version };
    await this.#backup?.handleEvent({ id: 0, at: new Date().toISOString(), type: "checkpoint.updated", sessionId, version: document.version });
  }

  /** Continues an interrupted synthesis session: its draft opens in the studio and the session is active again. */
  async resumeSynthesisSession(sessionId: string): Promise<void> {
    try {
      await this.openSessionDraft(sessionId);
    } catch (error) {
      this.#store.getState().reportError(error);
      return;
    }
    const session = this.#store.getState().sessions.find((candidate) => candidate.id === sessionId);
    if (session?.status === "incomplete") await this.#store.getState().resume(sessionId);
  }

  /** The server's checkpoint of a session, for showing what it holds. */
  fetchCheckpoint(sessionId: string): Promise<CheckpointDocument> {
    return this.#backup!.fetchCheckpoint(sessionId);
  }

  /** Makes a conflict copy the current value again (here and, through the backup, on the server). */
  keepConflict(id: string): Promise<void> {
    return this.#backup!.keepConflict(id);
  }

  discardConflict(id: string): Promise<void> {
    return this.#backup!.discardConflict(id);
  }

  /**
   * Two tabs changed the same value at once: this tab's value stays, and the other tab's saved
   * value is kept as a conflict copy (of the preferences, of the draft, or both), never dropped.
   */
  #keepMergeConflict({ paths, stored, kept }: MergeConflict<PersistedAppState>): void {
    const touched = conflictKinds(paths.map((conflict) => conflict.path));
    if (touched.preferences) void this.#keepConflictCopyOnce("preferences", null, preferencesOfSaved(stored));
    const sessionId = stored.draft.sessionId;
    // A draft of another session is that session's own work, backed up under it.
    if (touched.checkpoint && sessionId !== null && sessionId === kept.draft.sessionId) {
      void this.#keepConflictCopyOnce("checkpoint", sessionId, checkpointOfSaved(stored, new Date()));
    }
  }

  /**
   * Keeps a conflict copy unless the same value is kept already: both tabs may notice the same
   * clash (one while merging the other's save, the other when its edit is replaced), and the
   * user should see it once. The tabs take turns through a Web Lock.
   */
  async #keepConflictCopyOnce(kind: BackupKind, sessionId: string | null, value: Preferences | SessionCheckpointState): Promise<void> {
    const backup = this.#backup;
    const storage = this.#storage;
    if (!backup || !storage) return;
    const keep = async () => {
      const kept = await storage.listConflicts();
      if (kept.some((copy) => copy.kind === kind && copy.sessionId === sessionId && sameBackupValue(copy.value, value))) return;
      await backup.addConflictCopy({ kind, sessionId, value });
    };
    try {
      if (typeof navigator !== "undefined" && navigator.locks) await navigator.locks.request(CONFLICT_COPIES_LOCK, keep);
      else await keep();
    } catch (error) {
      console.warn("A conflict copy could not be kept:", error);
    }
  }

  // ---- files and deletion --------------------------------------------------------------------

  /** The damaged copies set aside on this device as one file, or `null` when there are none. */
  async damagedCopiesFile(now = new Date()): Promise<string | null> {
    const entries = (await this.#storage?.listQuarantined()) ?? [];
    return entries.length === 0 ? null : writeDamagedCopiesFile(entries, now);
  }

  /** Everything saved, as the text of a JSON file. */
  exportFile(now = new Date()): string {
    return writeExportFile(partializeAppState(this.#store.getState()), now);
  }

  /** Replaces everything saved with an exported file's content, after validating all of it. */
  async importFile(text: string): Promise<ImportResult> {
    const result = readExportFile(text);
    if (!result.ok) return result;
    await this.start();
    try {
      await this.#persister!.replaceState(result.state);
    } catch (error) {
      return { ok: false, message: `The file could not be imported: ${messageOf(error)}` };
    }
    // An import is the user's own change: the server backup gets it too.
    const state = this.#store.getState();
    await this.#backup?.pushPreferences(preferencesOf(state)).catch(() => undefined);
    if (state.draft.sessionId !== null) {
      await this.#backup?.pushCheckpoint(state.draft.sessionId, checkpointOf(state, new Date())).catch(() => undefined);
    }
    return result;
  }

  /**
   * Deletes all of the user's data: on the server first (so nothing is left behind when this
   * device cannot reach it), then on this device (saved state, backup queue, journal, identity).
   * The page has to be reloaded afterwards.
   */
  async deleteAllData(): Promise<void> {
    await this.start();
    await this.#options.backupApi.deleteMyData();
    this.#sync?.stop();
    await this.#persister?.clearPersistedState();
    await this.#backup?.clearAll();
    // Nothing may write the old state back while the page unloads.
    this.stop();
    await this.#options.deleteLocalDatabases?.();
  }

  // ---- the seed's recovery API ---------------------------------------------------------------

  /**
   * Re-reads what this device saved and the sessions that can be recovered. When the saved copy
   * is damaged, the server's backup is restored instead.
   */
  async recoverFromCrash(): Promise<void> {
    await this.rehydrate();
    if (this.#persister?.getStatus().corruption) await this.restoreFromServerBackup();
    const state = this.#store.getState();
    await state.detectLocalRecovery();
    if (this.#deviceReady) await state.detectServerRecovery();
  }

  /** Stops offering the sessions offered now (their audio and history stay). */
  async clearRecoveryState(): Promise<void> {
    this.#store.getState().dismissAllRecoveries();
    await this.#persister?.flush();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
