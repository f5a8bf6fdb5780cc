import { DEFAULT_IDENTITY_DATABASE, DEFAULT_JOURNAL_NAME } from "@tidemark/client";
import { api } from "../api.ts";
import { recordingRuntime } from "../recording/recording-runtime.ts";
import { useStore } from "../store/index.ts";
import { PersistenceRuntime } from "./persistence-runtime.ts";

/** Deletes a database of this origin; open connections (Dexie's) close themselves when asked. */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    // A connection still open (this page's, closing as it unloads) delays the deletion, which
    // then completes by itself: nothing is read from the database again before that.
    request.onblocked = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`The database ${name} could not be deleted.`));
  });
}

// Merely reading localStorage throws in some browsers when site data is blocked.
function legacyLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The page's persisted state layer, beside the page's store. */
export const pagePersistence = new PersistenceRuntime({
  store: useStore,
  api,
  backupApi: api,
  legacyStorage: legacyLocalStorage(),
  async deleteLocalDatabases() {
    recordingRuntime.journal.close();
    await Promise.all([deleteDatabase(DEFAULT_JOURNAL_NAME), deleteDatabase(DEFAULT_IDENTITY_DATABASE)]);
  },
});
