import { expect, type Page } from "@playwright/test";

/** The saving status exposed read-only on `window.__tidemark.persistence`. */
export interface SavingStatus {
  storageKind: string;
  hasHydrated: boolean;
  phase: string;
  lastSavedAt: number | null;
  outdated: boolean;
  corrupted: boolean;
  backupPhase: string;
  backupPending: number;
  unpushedEdits: boolean;
  lastSyncedAt: number | null;
  conflicts: number;
}

export async function savingStatus(page: Page): Promise<SavingStatus> {
  return page.evaluate(() => {
    const { flush: _flush, ...status } = (window as unknown as { __tidemark: { persistence: SavingStatus & { flush: unknown } } }).__tidemark
      .persistence;
    return status;
  });
}

/** Waits until the page has loaded what this device saved (the setup's fields are enabled then). */
export async function waitForSavedState(page: Page): Promise<void> {
  await expect.poll(async () => (await savingStatus(page).catch(() => null))?.hasHydrated, { timeout: 15_000 }).toBe(true);
}

/** Waits until the server backup holds every edit, and has accepted a push since `since` (epoch ms). */
export async function waitForServerBackup(page: Page, since: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const status = await savingStatus(page);
        return !status.unpushedEdits && status.backupPending === 0 && status.lastSyncedAt !== null && status.lastSyncedAt >= since;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
}

/** The database, store and key the app state is saved under on this device. */
export const STATE_DATABASE = "tidemark-state";
export const STATE_RECORDS = "records";
export const STATE_RECORD_PARTS = "recordParts";
export const STATE_KEY = "app-state";

/**
 * Damages the saved app state the way a torn write or a bit flip would: one byte of the payload
 * (or of one of its parts, for a large record) changes and the checksum stays, through a second
 * connection to the page's own IndexedDB.
 */
export async function damageSavedState(page: Page): Promise<void> {
  await page.evaluate(
    ({ database, store, parts, key }) =>
      new Promise<void>((resolve, reject) => {
        const opening = indexedDB.open(database);
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
          const db = opening.result;
          const transaction = db.transaction([store, parts], "readwrite");
          const records = transaction.objectStore(store);
          const reading = records.get(key);
          const flipMiddleByte = (buffer: ArrayBuffer) => {
            const bytes = new Uint8Array(buffer.slice(0));
            const middle = Math.floor(bytes.length / 2);
            bytes[middle] = bytes[middle]! ^ 0x5a;
            return bytes.buffer;
          };
          reading.onsuccess = () => {
            const record = reading.result as { payload?: ArrayBuffer; partIds?: number[] } | undefined;
            if (!record) {
              reject(new Error("Nothing is saved to damage."));
              return;
            }
            if (record.payload) {
              records.put({ ...record, payload: flipMiddleByte(record.payload) });
              return;
            }
            // A large record keeps its payload in part rows: one of them is damaged instead.
            const partStore = transaction.objectStore(parts);
            const partKey = [key, record.partIds![0]!];
            const part = partStore.get(partKey);
            part.onsuccess = () => {
              const row = part.result as { bytes: ArrayBuffer };
              partStore.put({ ...row, bytes: flipMiddleByte(row.bytes) });
            };
          };
          transaction.oncomplete = () => {
            db.close();
            resolve();
          };
          transaction.onerror = () => reject(transaction.error);
        };
      }),
    { database: STATE_DATABASE, store: STATE_RECORDS, parts: STATE_RECORD_PARTS, key: STATE_KEY },
  );
}
