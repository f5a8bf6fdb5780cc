import { deepEqual, type LostCheckpoint, type LostCheckpointHandler } from "@tidemark/client";
import { CHECKPOINT_INTERVAL_MS, type Preferences, type SessionCheckpointState } from "@tidemark/shared";
import type { AppState, AppStore } from "../store/app-store.ts";
import { draftHasContent } from "../store/draft-slice.ts";
import { checkpointOf, preferencesOf, sameBackupValue } from "./app-state-mapping.ts";

/** The server backup's two pushes (a persistent outbox behind them). */
export interface BackupPushes {
  pushPreferences(preferences: Preferences): Promise<void>;
  pushCheckpoint(sessionId: string, state: SessionCheckpointState): Promise<void>;
  /** Where a checkpoint whose session the server no longer has is handed to get a new one. */
  handleLostSessions?(handler: LostCheckpointHandler): () => void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BackupSyncOptions {
  store: AppStore;
  backup: BackupPushes;
  /** Creates the server session a draft is backed up under; answers its id. */
  createDraftSession: (title: string) => Promise<string>;
  /** True while the store takes state that came from elsewhere (storage, another tab, the server). */
  isRemoteChange: () => boolean;
  /** Where the marks of edits not yet pushed are kept between page loads; in memory when omitted. */
  unpushed?: UnpushedEditsStore;
  /**
   * True while the preferences must not be pushed: this device's copy was found damaged and the
   * store holds defaults, which would overwrite the server's good backup before the user chose.
   */
  holdPreferences?: () => boolean;
  now?: () => Date;
  timers?: Timers;
  preferencesDelayMs?: number;
  /** Quiet time after the last edit before the draft's checkpoint is pushed. */
  checkpointDelayMs?: number;
  /** While edits go on without a pause, the checkpoint is still pushed this often. */
  checkpointMaxWaitMs?: number;
  onError?: (error: unknown) => void;
  /** Told when edits start or stop waiting to be queued for the server. */
  onUnpushedChange?: (waiting: boolean) => void;
  /** An edit of this page, not pushed yet, was replaced by another tab's save: keep it as a conflict copy. */
  onOverwritten?: (edit: OverwrittenEdit) => void;
}

export type OverwrittenEdit =
  | { kind: "preferences"; sessionId: null; value: Preferences }
  | { kind: "checkpoint"; sessionId: string; value: SessionCheckpointState };

/**
 * Edits made here that are not in the backup's outbox yet. Kept on the device, so an edit whose
 * push delay the page did not live through (a crash, a closed tab) still goes out next time.
 */
export interface UnpushedEdits {
  preferences: boolean;
  /** The session whose checkpoint has such edits. */
  checkpoint: string | null;
}

export interface UnpushedEditsStore {
  read(): Promise<UnpushedEdits | undefined>;
  write(edits: UnpushedEdits): Promise<void>;
}

export interface BackupSync {
  /**
   * Starts pushing: the store is hydrated and the device is known to the server. Edits made
   * before (offline at load, or marked by an earlier page that closed too soon) go out now.
   */
  start(): Promise<void>;
  /**
   * Pushes whatever waits for its delay or was held back now (the page is being hidden or
   * closed, the network came back, the hold ended), and retries giving the draft a session.
   */
  flush(): Promise<void>;
  stop(): void;
}

const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function memoryEdits(): UnpushedEditsStore {
  let kept: UnpushedEdits | undefined;
  return { read: async () => kept, write: async (edits) => void (kept = edits) };
}

/**
 * Pushes what the user changes to the server backup: the preferences a second after they change,
 * and the open draft's checkpoint once editing pauses (at least every 30 s while it goes on).
 * Changes that came from elsewhere are not pushed back. A draft with content but no session
 * gets one, so it has somewhere to be backed up, and so does a draft whose session the server
 * has since lost. Listens from the moment it is created, so no edit is missed before `start`.
 */
export function createBackupSync({
  store,
  backup,
  createDraftSession,
  isRemoteChange,
  holdPreferences = () => false,
  unpushed = memoryEdits(),
  now = () => new Date(),
  timers = defaultTimers,
  preferencesDelayMs = 1_000,
  checkpointDelayMs = 2_000,
  checkpointMaxWaitMs = CHECKPOINT_INTERVAL_MS,
  onError = (error) => console.warn("Server backup:", error),
  onUnpushedChange = () => {},
  onOverwritten = () => {},
}: BackupSyncOptions): BackupSync {
  let started = false;
  let stopped = false;
  // What the server has or has queued, as far as this page knows; `null` when it does not.
  let knownPreferences: Preferences | null = null;
  let knownCheckpoint: { sessionId: string; state: SessionCheckpointState } | null = null;
  const edits: UnpushedEdits = { preferences: false, checkpoint: null };
  let writtenEdits = JSON.stringify(edits);
  let editsWrite: Promise<void> = Promise.resolve();

  let preferencesTimer: unknown = null;
  let checkpointTimer: unknown = null;
  let checkpointDeadline: number | null = null;
  let creatingSession: Promise<void> | null = null;

  let waiting = false;

  /** Keeps the marks on the device, in order, only when they changed. */
  function saveEdits(): Promise<void> {
    const nowWaiting = edits.preferences || edits.checkpoint !== null;
    if (nowWaiting !== waiting) {
      waiting = nowWaiting;
      onUnpushedChange(waiting);
    }
    const json = JSON.stringify(edits);
    if (json === writtenEdits) return editsWrite;
    writtenEdits = json;
    const snapshot: UnpushedEdits = { ...edits };
    editsWrite = editsWrite.then(() => unpushed.write(snapshot)).catch(onError);
    return editsWrite;
  }

  async function pushPreferencesNow(): Promise<void> {
    cancel(preferencesTimer);
    preferencesTimer = null;
    if (!edits.preferences || holdPreferences()) return;
    const preferences = preferencesOf(store.getState());
    edits.preferences = false;
    if (knownPreferences === null || !sameBackupValue(preferences, knownPreferences)) await sendPreferences(preferences);
    await saveEdits();
  }

  async function sendPreferences(preferences: Preferences): Promise<void> {
    try {
      await backup.pushPreferences(preferences);
      knownPreferences = preferences;
    } catch (error) {
      edits.preferences = true;
      onError(error);
    }
  }


  async function pushCheckpointNow(): Promise<void> {
    cancel(checkpointTimer);
    checkpointTimer = null;
    checkpointDeadline = null;
    const state = store.getState();
    const sessionId = state.draft.sessionId;
    if (sessionId === null) return ensureDraftSession();
    if (edits.checkpoint !== sessionId) return;
    const checkpoint = checkpointOf(state, now());
    edits.checkpoint = null;
    if (knownCheckpoint?.sessionId !== sessionId || !sameBackupValue(knownCheckpoint.state, checkpoint)) {
      await sendCheckpoint(sessionId, checkpoint);
    }
    await saveEdits();
  }

  async function sendCheckpoint(sessionId: string, checkpoint: SessionCheckpointState): Promise<void> {
    try {
      await backup.pushCheckpoint(sessionId, checkpoint);
      knownCheckpoint = { sessionId, state: checkpoint };
    } catch (error) {
      edits.checkpoint = sessionId;
      onError(error);
    }
  }

  /**
   * A change from elsewhere (another tab's save merged in) replaced an edit of this page that was
   * not pushed yet: the other tab's value stays, and this one is kept as a conflict copy the user
   * can keep or discard. Without this, the edit would be gone unseen: two tabs that save at the
   * same moment each write over the other without a merge (the tabs of one browser share one copy
   * on the device and one writer towards the server).
   */
  function keepOverwrittenEdits(state: AppState, previous: AppState): void {
    if (edits.preferences && !holdPreferences()) {
      const mine = preferencesOf(previous);
      if (overwritten(knownPreferences, mine, preferencesOf(state), PREFERENCE_FIELDS)) {
        cancel(preferencesTimer);
        preferencesTimer = null;
        edits.preferences = false;
        onOverwritten({ kind: "preferences", sessionId: null, value: mine });
      }
    }
    const sessionId = previous.draft.sessionId;
    if (sessionId !== null && edits.checkpoint === sessionId && state.draft.sessionId === sessionId) {
      const mine = checkpointOf(previous, now());
      const known = knownCheckpoint?.sessionId === sessionId ? knownCheckpoint.state : null;
      if (overwritten(known, mine, checkpointOf(state, now()), CHECKPOINT_FIELDS)) {
        cancel(checkpointTimer);
        checkpointTimer = null;
        checkpointDeadline = null;
        edits.checkpoint = null;
        onOverwritten({ kind: "checkpoint", sessionId, value: mine });
      }
    }
    void saveEdits();
  }

  function ensureDraftSession(): Promise<void> {
    const { draft } = store.getState();
    if (draft.sessionId !== null || !draftHasContent(draft) || creatingSession) return creatingSession ?? Promise.resolve();
    creatingSession = createDraftSession(draft.title.trim())
      .then((sessionId) => {
        const current = store.getState();
        // Another tab may have attached a session meanwhile; the draft keeps that one.
        if (current.draft.sessionId === null) current.attachDraftSession(sessionId);
      })
      .catch(onError)
      .finally(() => {
        creatingSession = null;
      });
    return creatingSession;
  }

  /**
   * The server no longer has the session a checkpoint was pushed to (it was deleted: left alone
   * past retention, or on another device). The open draft leaves that session like a draft that
   * never had one, so it gets a new session and is pushed there; if none can be made now, it
   * stays detached, saved on this device, and the next push, flush or page load tries again. A
   * draft no longer open (its push waited in the queue) gets a session of its own for that value.
   */
  async function rehomeLostCheckpoint({ sessionId, value }: LostCheckpoint): Promise<string | null> {
    const state = store.getState();
    if (state.draft.sessionId !== sessionId) {
      const replacement = await createDraftSession(value.title.trim());
      await backup.pushCheckpoint(replacement, value);
      return replacement;
    }
    // There is no store action for this: only a lost session is ever let go of while the draft stays.
    store.setState({ draft: { ...state.draft, sessionId: null } });
    if (state.currentSessionId === sessionId) state.setCurrentSession(null);
    await pushCheckpointNow();
    const replacement = store.getState().draft.sessionId;
    if (replacement !== null) await pushCheckpointNow();
    return replacement;
  }

  function schedulePreferences(): void {
    cancel(preferencesTimer);
    preferencesTimer = timers.setTimeout(() => void pushPreferencesNow(), preferencesDelayMs);
  }

  function scheduleCheckpoint(): void {
    const at = now().getTime();
    checkpointDeadline ??= at + checkpointMaxWaitMs;
    const delay = Math.max(0, Math.min(checkpointDelayMs, checkpointDeadline - at));
    cancel(checkpointTimer);
    checkpointTimer = timers.setTimeout(() => void pushCheckpointNow(), delay);
  }

  function cancel(handle: unknown): void {
    if (handle !== null) timers.clearTimeout(handle);
  }

  /** What came from elsewhere is what the server has, unless an edit of this page is still on top of it. */
  function adoptRemote(state: AppState): void {
    if (!edits.preferences) knownPreferences = preferencesOf(state);
    const sessionId = state.draft.sessionId;
    if (sessionId === null) knownCheckpoint = null;
    else if (edits.checkpoint !== sessionId) knownCheckpoint = { sessionId, state: checkpointOf(state, now()) };
  }

  function onChange(state: AppState, previous: AppState): void {
    if (stopped) return;
    if (isRemoteChange()) {
      keepOverwrittenEdits(state, previous);
      adoptRemote(state);
      return;
    }
    if (preferencesChanged(state, previous)) {
      edits.preferences = true;
      if (started) schedulePreferences();
    }
    if (checkpointChanged(state, previous)) {
      edits.checkpoint = state.draft.sessionId;
      if (started) scheduleCheckpoint();
    }
    void saveEdits();
  }

  const unsubscribe = store.subscribe(onChange);
  const releaseLostSessions = backup.handleLostSessions?.(rehomeLostCheckpoint) ?? (() => {});

  return {
    async start() {
      if (started || stopped) return;
      const kept = await unpushed.read().catch(() => undefined);
      if (kept) writtenEdits = JSON.stringify({ preferences: kept.preferences, checkpoint: kept.checkpoint });
      started = true;
      const { draft } = store.getState();
      edits.preferences ||= kept?.preferences === true;
      // Marks for a session whose draft is no longer open cannot be pushed from here: its text is gone from the store.
      if (edits.checkpoint === null && kept?.checkpoint === draft.sessionId) edits.checkpoint = kept.checkpoint;
      if (edits.checkpoint !== draft.sessionId) edits.checkpoint = null;
      adoptRemote(store.getState());
      await Promise.all([pushPreferencesNow(), pushCheckpointNow()]);
      await saveEdits();
    },
    async flush() {
      if (!started) return;
      await Promise.all([pushPreferencesNow(), pushCheckpointNow()]);
    },
    stop() {
      stopped = true;
      unsubscribe();
      releaseLostSessions();
      cancel(preferencesTimer);
      cancel(checkpointTimer);
      preferencesTimer = checkpointTimer = null;
    },
  };
}
const PREFERENCE_FIELDS = ["engine", "voice", "parameters", "savedVoices", "devices", "recoveryPrompts"] as const;
// The position is where the caret was: not an edit worth a conflict.
const CHECKPOINT_FIELDS = ["title", "chapters", "notes", "engine", "voice", "parameters"] as const;

/** Some field this page changed (away from what the server has) was changed again by `next`. */
function overwritten<T extends object>(known: T | null, mine: T, next: T, fields: ReadonlyArray<keyof T>): boolean {
  return fields.some((field) => (known === null || !deepEqual(mine[field], known[field])) && !deepEqual(next[field], mine[field]));
}

function preferencesChanged(state: AppState, previous: AppState): boolean {
  return (
    state.engine !== previous.engine ||
    state.voice !== previous.voice ||
    state.parameters !== previous.parameters ||
    state.savedVoices !== previous.savedVoices ||
    state.devices !== previous.devices ||
    state.recoveryPrompts !== previous.recoveryPrompts
  );
}

function checkpointChanged(state: AppState, previous: AppState): boolean {
  return (
    state.draft !== previous.draft ||
    state.engine !== previous.engine ||
    state.voice !== previous.voice ||
    state.parameters !== previous.parameters
  );
}
