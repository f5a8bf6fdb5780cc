import { CHECKPOINT_INTERVAL_MS, type Preferences, type SessionCheckpointState } from "@tidemark/shared";
import type { AppState, AppStore } from "../store/app-store.ts";
import { draftHasContent } from "../store/draft-slice.ts";
import { checkpointOf, preferencesOf, sameCheckpointContent } from "./app-state-mapping.ts";

/** The server backup's two pushes (a persistent outbox behind them). */
export interface BackupPushes {
  pushPreferences(preferences: Preferences): Promise<void>;
  pushCheckpoint(sessionId: string, state: SessionCheckpointState): Promise<void>;
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
  now?: () => Date;
  timers?: Timers;
  preferencesDelayMs?: number;
  /** Quiet time after the last edit before the draft's checkpoint is pushed. */
  checkpointDelayMs?: number;
  /** While edits go on without a pause, the checkpoint is still pushed this often. */
  checkpointMaxWaitMs?: number;
  onError?: (error: unknown) => void;
}

export interface BackupSync {
  /** Starts pushing: the store is hydrated and the device is known to the server. */
  start(): void;
  /**
   * Pushes whatever waits for its delay now (the page is being hidden or closed, the network
   * came back), and retries giving the draft a session.
   */
  flush(): Promise<void>;
  stop(): void;
}

const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Pushes what the user changes to the server backup: the preferences a second after they change,
 * and the open draft's checkpoint once editing pauses (at least every 30 s while it goes on).
 * Changes that came from elsewhere are not pushed back. A draft with content but no session
 * gets one, so it has somewhere to be backed up.
 */
export function createBackupSync({
  store,
  backup,
  createDraftSession,
  isRemoteChange,
  now = () => new Date(),
  timers = defaultTimers,
  preferencesDelayMs = 1_000,
  checkpointDelayMs = 2_000,
  checkpointMaxWaitMs = CHECKPOINT_INTERVAL_MS,
  onError = (error) => console.warn("Server backup:", error),
}: BackupSyncOptions): BackupSync {
  let started = false;
  let unsubscribe: (() => void) | null = null;
  // What the server has (or has queued) last, to push only real changes.
  let knownPreferences = JSON.stringify(preferencesOf(store.getState()));
  let knownCheckpoint: { sessionId: string; state: SessionCheckpointState } | null = null;

  let preferencesTimer: unknown = null;
  let checkpointTimer: unknown = null;
  let checkpointDeadline: number | null = null;
  let creatingSession: Promise<void> | null = null;

  function pushPreferencesNow(): Promise<void> {
    cancel(preferencesTimer);
    preferencesTimer = null;
    const preferences = preferencesOf(store.getState());
    const json = JSON.stringify(preferences);
    if (json === knownPreferences) return Promise.resolve();
    knownPreferences = json;
    return backup.pushPreferences(preferences).catch(onError);
  }

  function pushCheckpointNow(): Promise<void> {
    cancel(checkpointTimer);
    checkpointTimer = null;
    checkpointDeadline = null;
    const state = store.getState();
    const sessionId = state.draft.sessionId;
    if (sessionId === null) return ensureDraftSession();
    const checkpoint = checkpointOf(state, now());
    if (knownCheckpoint?.sessionId === sessionId && sameCheckpointContent(knownCheckpoint.state, checkpoint)) {
      return Promise.resolve();
    }
    knownCheckpoint = { sessionId, state: checkpoint };
    return backup.pushCheckpoint(sessionId, checkpoint).catch(onError);
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

  function adoptRemote(state: AppState): void {
    knownPreferences = JSON.stringify(preferencesOf(state));
    const sessionId = state.draft.sessionId;
    knownCheckpoint = sessionId === null ? null : { sessionId, state: checkpointOf(state, now()) };
  }

  function onChange(state: AppState, previous: AppState): void {
    if (isRemoteChange()) {
      adoptRemote(state);
      return;
    }
    if (!started) return;
    if (preferencesChanged(state, previous)) schedulePreferences();
    if (checkpointChanged(state, previous)) scheduleCheckpoint();
  }

  return {
    start() {
      if (started) return;
      started = true;
      adoptRemote(store.getState());
      unsubscribe = store.subscribe(onChange);
      // Work made before the device was known (offline, or the server was down) still needs a session.
      void ensureDraftSession();
    },
    async flush() {
      if (!started) return;
      const pending: Promise<void>[] = [ensureDraftSession()];
      if (preferencesTimer !== null) pending.push(pushPreferencesNow());
      if (checkpointTimer !== null) pending.push(pushCheckpointNow());
      await Promise.all(pending);
    },
    stop() {
      started = false;
      unsubscribe?.();
      unsubscribe = null;
      cancel(preferencesTimer);
      cancel(checkpointTimer);
      preferencesTimer = checkpointTimer = null;
    },
  };
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
