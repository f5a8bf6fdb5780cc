/** What one plain IndexedDB read found: the value (maybe absent), or why it could not look. */
export type DirectRecordRead<T> = { found: "value"; value: T | undefined } | { found: "no-database" } | { found: "no-store" };

/**
 * Reads one record of an IndexedDB database with a plain connection, opened at whatever
 * version the database has and closed right after. For a read on page load that must not wait
 * for a full Dexie open (which reads and checks the whole schema first and costs several times
 * the read itself).
 *
 * Never creates anything: a database that does not exist yet is not made (its creation is
 * aborted), so the owner's own versioned open later finds nothing in its way.
 */
export function readRecordDirect<T>(factory: IDBFactory, database: string, store: string, key: IDBValidKey): Promise<DirectRecordRead<T>> {
  return new Promise((resolve, reject) => {
    let missing = false;
    const open = factory.open(database);
    open.onupgradeneeded = (event) => {
      // Only a database that did not exist asks for an upgrade on an unversioned open.
      if (event.oldVersion === 0) {
        missing = true;
        open.transaction?.abort();
      }
    };
    open.onerror = (event) => {
      event.preventDefault();
      if (missing) resolve({ found: "no-database" });
      else reject(open.error ?? new Error(`Could not open ${database}.`));
    };
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(store)) {
        db.close();
        resolve({ found: "no-store" });
        return;
      }
      let request: IDBRequest;
      try {
        request = db.transaction(store, "readonly").objectStore(store).get(key);
      } catch (error) {
        db.close();
        reject(error);
        return;
      }
      request.onsuccess = () => {
        db.close();
        resolve({ found: "value", value: request.result as T | undefined });
      };
      request.onerror = (event) => {
        event.preventDefault();
        db.close();
        reject(request.error ?? new Error(`Could not read ${store} of ${database}.`));
      };
    };
  });
}
