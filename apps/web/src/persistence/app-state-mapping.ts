import { deepEqual } from "@tidemark/client";
import {
  RECENT_SESSIONS_PERSISTED,
  type Preferences,
  type PersistedAppState,
  type SessionCheckpointState,
} from "@tidemark/shared";
import type { AppState } from "../store/app-store.ts";
import { upsertSession } from "../store/session-list.ts";

/**
 * What of the store is saved between visits, and how it comes back. Only what the user made or
 * chose is saved (parameters, engine, voices, device choices, the draft, recent sessions,
 * dismissed recoveries); the recorder, levels, errors and connection state are runtime only.
 */
export function partializeAppState(state: AppState): PersistedAppState {
  return {
    parameters: state.parameters,
    engine: state.engine,
    voices: voicesOf(state.voice, state.savedVoices),
    sessions: sessionsOf(state.sessions, state.currentSessionId),
    preferences: preferencesPartOf(state.devices, state.recoveryPrompts),
    recovery: recoveryOf(state.dismissedRecoveryIds),
    draft: state.draft,
  };
}

/**
 * The saved state put back into the store. The sessions saved at the last visit show until the
 * server answers; a list the server already sent is newer and stays.
 */
export function mergePersistedState(persisted: PersistedAppState, state: AppState): Partial<AppState> {
  return {
    parameters: persisted.parameters,
    engine: persisted.engine,
    voice: persisted.voices.selected,
    savedVoices: persisted.voices.saved,
    devices: persisted.preferences.devices,
    recoveryPrompts: persisted.preferences.recoveryPrompts,
    dismissedRecoveryIds: persisted.recovery.dismissedSessionIds,
    draft: persisted.draft,
    currentSessionId: persisted.sessions.currentSessionId,
    ...(state.loaded ? {} : { sessions: persisted.sessions.recent.reduce(upsertSession, state.sessions) }),
  };
}

/** The user's preferences as the server keeps them (one copy for all their devices). */
export function preferencesOf(state: AppState): Preferences {
  return preferencesOfSaved(partializeAppState(state));
}

/** The same, from a saved state (e.g. another tab's). */
export function preferencesOfSaved(saved: PersistedAppState): Preferences {
  return {
    engine: saved.engine,
    voice: saved.voices.selected,
    parameters: saved.parameters,
    savedVoices: saved.voices.saved,
    devices: saved.preferences.devices,
    recoveryPrompts: saved.preferences.recoveryPrompts,
  };
}

/** Preferences from the server (another tab or device changed them) as a store change. */
export function preferencesToState(preferences: Preferences): Partial<AppState> {
  return {
    engine: preferences.engine,
    voice: preferences.voice,
    parameters: preferences.parameters,
    savedVoices: preferences.savedVoices,
    devices: preferences.devices,
    recoveryPrompts: preferences.recoveryPrompts,
  };
}

/** The draft's work as a checkpoint of its session, stamped `savedAt`. */
export function checkpointOf(state: AppState, savedAt: Date): SessionCheckpointState {
  return checkpointOfSaved(partializeAppState(state), savedAt);
}

/** The same, from a saved state (e.g. another tab's). */
export function checkpointOfSaved(saved: PersistedAppState, savedAt: Date): SessionCheckpointState {
  const { draft } = saved;
  return {
    title: draft.title,
    chapters: draft.chapters,
    engine: saved.engine,
    voice: saved.voices.selected,
    parameters: saved.parameters,
    position: draft.position,
    notes: draft.notes,
    savedAt: savedAt.toISOString(),
  };
}

/**
 * Which backed-up values a merge conflict between two tabs touched (paths like
 * `draft.chapters[c1].text` or `parameters.rate`): the preferences, the draft's checkpoint, both
 * or neither (the recent sessions and dismissals are no one's work).
 */
export function conflictKinds(paths: readonly string[]): { preferences: boolean; checkpoint: boolean } {
  const under = (prefixes: string[]) => paths.some((path) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)));
  return {
    preferences: under(["parameters", "engine", "voices", "preferences"]),
    checkpoint: under(["draft", "parameters", "engine", "voices.selected"]),
  };
}

/** The same backed-up value (the preferences, or a checkpoint whenever it was taken). */
export function sameBackupValue(a: Preferences | SessionCheckpointState, b: Preferences | SessionCheckpointState): boolean {
  const content = (value: Preferences | SessionCheckpointState) => ("savedAt" in value ? { ...value, savedAt: "" } : value);
  return deepEqual(content(a), content(b));
}

// The parts below are rebuilt only when what they are made of changes, so one save's state
// shares its unchanged parts with the previous one (cheap to compare, nothing copied).

function memoize<A extends unknown[], R>(build: (...args: A) => R): (...args: A) => R {
  let lastArgs: A | undefined;
  let lastResult: R | undefined;
  return (...args) => {
    if (lastArgs && args.length === lastArgs.length && args.every((arg, index) => Object.is(arg, lastArgs![index]))) {
      return lastResult as R;
    }
    lastArgs = args;
    lastResult = build(...args);
    return lastResult;
  };
}

const voicesOf = memoize((selected: string, saved: AppState["savedVoices"]) => ({ selected, saved }));
const sessionsOf = memoize((sessions: AppState["sessions"], currentSessionId: string | null) => ({
  recent: sessions.slice(0, RECENT_SESSIONS_PERSISTED),
  currentSessionId,
}));
const preferencesPartOf = memoize((devices: AppState["devices"], recoveryPrompts: boolean) => ({ devices, recoveryPrompts }));
const recoveryOf = memoize((dismissedSessionIds: string[]) => ({ dismissedSessionIds }));
