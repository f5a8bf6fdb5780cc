import { exposeOnPage } from "../page-hook.ts";
import type { PersistenceRuntime } from "./persistence-runtime.ts";

/** The saving status on `window.__tidemark.persistence`, and a flush for tests that must not wait. */
export function exposePersistence(runtime: PersistenceRuntime): () => void {
  const flush = () => runtime.flush();
  return exposeOnPage("persistence", () => {
    const { status, backup, unpushedEdits } = runtime.getSnapshot();
    return {
      persistence: Object.freeze({
        storageKind: status.storageKind,
        hasHydrated: status.hasHydrated,
        phase: status.phase,
        lastSavedAt: status.lastSavedAt,
        outdated: status.outdated,
        corrupted: status.corruption !== null,
        backupPhase: backup.phase,
        backupPending: backup.pending,
        unpushedEdits,
        lastSyncedAt: backup.lastSyncedAt,
        conflicts: backup.conflicts.length,
        flush,
      }),
    };
  });
}
