import type { PersistedAppState } from "@tidemark/shared";
import type { QuotaPruneStep } from "./state-persister.ts";

const DAY_MS = 24 * 60 * 60 * 1_000;

/** Conflict copies the user left alone this long may go when storage is full. */
export const CONFLICT_COPY_PRUNE_AGE_MS = 7 * DAY_MS;
/** Recent sessions kept when storage is full; the server lists them all anyway. */
export const RECENT_SESSIONS_KEPT_WHEN_FULL = 3;
/** Dismissed recovery notices kept when storage is full (the newest). */
export const DISMISSED_RECOVERY_KEPT_WHEN_FULL = 100;

/** Removes every record moved aside as damaged: kept for inspection, never needed to run. */
export function pruneQuarantinedRecords<P>(): QuotaPruneStep<P> {
  return {
    name: "quarantined records",
    async prune({ storage, state }) {
      const copies = await storage.listQuarantined();
      for (const copy of copies) await storage.removeQuarantined(copy.id);
      return { state, removed: copies.length === 0 ? null : `${count(copies.length, "damaged copy", "damaged copies")} of saved data set aside earlier` };
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
 * first: damaged copies set aside, conflict copies untouched for a week, recent sessions beyond
 * the newest three (the server lists them all), then dismissed recovery notices beyond the newest
 * hundred (at worst a notice shows again). The draft, the parameters and the saved voices are
 * never pruned: they are the user's work and settings.
 */
export function appStateQuotaPruneSteps(): QuotaPruneStep<PersistedAppState>[] {
  return [
    pruneQuarantinedRecords(),
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
  ];
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
