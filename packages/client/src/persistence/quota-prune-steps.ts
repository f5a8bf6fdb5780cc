import type { PersistedAppState } from "@tidemark/shared";
import type { QuotaPruneStep } from "./state-persister.ts";

const DAY_MS = 24 * 60 * 60 * 1_000;

/** Conflict copies the user left alone this long may go when storage is full. */
export const CONFLICT_COPY_PRUNE_AGE_MS = 7 * DAY_MS;
/** Recent sessions kept when storage is full; the server lists them all anyway. */
export const RECENT_SESSIONS_KEPT_WHEN_FULL = 3;
/** Dismissed recovery notices kept when storage is full (the newest). */
export const DISMISSED_RECOVERY_KEPT_WHEN_FULL = 100;

/**
 * Removes records moved aside as damaged. Such a record could not be read, but it may be the only
 * copy of work the server never had (a draft typed offline), so this is the last resort: `older`
 * removes every damaged copy but the newest, `newest` then that one too (it is the likeliest to
 * hold the latest work). The phrase says they went only because nothing else made room.
 */
export function pruneQuarantinedRecords<P>(which: "older" | "newest"): QuotaPruneStep<P> {
  return {
    name: which === "older" ? "older damaged copies" : "newest damaged copy",
    async prune({ storage, state }) {
      const copies = [...(await storage.listQuarantined())].sort((a, b) => a.quarantinedAt - b.quarantinedAt || a.id - b.id);
      const doomed = which === "older" ? copies.slice(0, -1) : copies.slice(-1);
      for (const copy of doomed) await storage.removeQuarantined(copy.id);
      if (doomed.length === 0) return { state, removed: null };
      const what = which === "older" ? count(doomed.length, "older copy", "older copies") : "the last copy";
      return { state, removed: `${what} of saved data set aside as damaged (only because nothing else made enough room)` };
    },
  };
}

/** Removes conflict copies older than `maxAgeMs` that the user neither kept nor discarded. */
export function pruneConflictCopiesOlderThan<P>(maxAgeMs: number): QuotaPruneStep<P> {
  return {
    name: "old conflict copies",
    async prune({ storage, state, now }) {
      const old = (await storage.listConflicts()).filter((copy) => now - copy.createdAt > maxAgeMs);
      for (const copy of old) await storage.removeConflict(copy.id);
      const days = Math.round(maxAgeMs / DAY_MS);
      return { state, removed: old.length === 0 ? null : `${count(old.length, "conflict copy", "conflict copies")} older than ${count(days, "day", "days")}` };
    },
  };
}

/**
 * The order in which the app's persisted state makes room when storage is full, least valuable
 * first: conflict copies untouched for a week, recent sessions beyond the newest three (the
 * server lists them all), dismissed recovery notices beyond the newest hundred (at worst a notice
 * shows again), and only when all that was not enough, damaged copies set aside, the older ones
 * before the newest. The draft, the parameters and the saved voices are never pruned: they are
 * the user's work and settings.
 */
export function appStateQuotaPruneSteps(): QuotaPruneStep<PersistedAppState>[] {
  return [
    pruneConflictCopiesOlderThan(CONFLICT_COPY_PRUNE_AGE_MS),
    {
      name: "older recent sessions",
      async prune({ state }) {
        const extra = state.sessions.recent.length - RECENT_SESSIONS_KEPT_WHEN_FULL;
        if (extra <= 0) return { state, removed: null };
        return {
          state: { ...state, sessions: { ...state.sessions, recent: state.sessions.recent.slice(0, RECENT_SESSIONS_KEPT_WHEN_FULL) } },
          removed: `${count(extra, "older entry", "older entries")} of the recent sessions list (the server still has them)`,
        };
      },
    },
    {
      name: "dismissed recovery notices",
      async prune({ state }) {
        const dismissed = state.recovery.dismissedSessionIds;
        const extra = dismissed.length - DISMISSED_RECOVERY_KEPT_WHEN_FULL;
        if (extra <= 0) return { state, removed: null };
        return {
          state: { ...state, recovery: { dismissedSessionIds: dismissed.slice(-DISMISSED_RECOVERY_KEPT_WHEN_FULL) } },
          removed: `${count(extra, "dismissed recovery notice", "dismissed recovery notices")} (they may show again)`,
        };
      },
    },
    pruneQuarantinedRecords("older"),
    pruneQuarantinedRecords("newest"),
  ];
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
