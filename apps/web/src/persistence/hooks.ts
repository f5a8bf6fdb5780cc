import { useSyncExternalStore } from "react";
import { pagePersistence } from "./page-persistence.ts";
import type { PersistenceSnapshot } from "./persistence-runtime.ts";

function usePersistenceSnapshot(): PersistenceSnapshot {
  return useSyncExternalStore(pagePersistence.subscribe, pagePersistence.getSnapshot);
}

/** Saving on this device: whether the saved state is loaded, its status, and the seed's operations. */
export function usePersistence() {
  const { status } = usePersistenceSnapshot();
  return {
    hasHydrated: status.hasHydrated,
    status,
    rehydrate: () => pagePersistence.rehydrate(),
    clearPersistedState: () => pagePersistence.clearPersistedState(),
    getPersistedVersion: () => pagePersistence.getPersistedVersion(),
  };
}

/** The seed's recovery operations. */
export function useRecovery() {
  return {
    recoverFromCrash: () => pagePersistence.recoverFromCrash(),
    clearRecoveryState: () => pagePersistence.clearRecoveryState(),
  };
}

/** The server backup: queued pushes, last sync, conflict copies. */
export function useBackupStatus() {
  return usePersistenceSnapshot().backup;
}

/** Losing sides of conflicts with another device or another tab, until kept or discarded. */
export function useConflicts() {
  return usePersistenceSnapshot().backup.conflicts;
}

/** Edits of this page that wait for their push delay before they join the backup's queue. */
export function useUnpushedEdits() {
  return usePersistenceSnapshot().unpushedEdits;
}

/** A restore from the server backup in progress, done or failed. */
export function useRestoreState() {
  return usePersistenceSnapshot().restore;
}
