import type { Page } from "@playwright/test";

/** The page's local chunk journal (IndexedDB), read and damaged through a second connection. */
const JOURNAL_DATABASE = "tidemark-journal";

/** A track's counters as the journal keeps them, updated in the same transaction as every chunk it stores. */
export interface JournalTrackCounters {
  track: number;
  /** The seq the next chunk would get: one more than the last seq this device recorded. */
  nextSeq: number;
  /** Chunks this device holds (uploaded or not) and their bytes. */
  localChunks: number;
  localBytes: number;
}

/** The journal's counters of one session's tracks, or undefined when the journal does not hold it. */
export async function journalTracks(page: Page, sessionId: string): Promise<JournalTrackCounters[] | undefined> {
  return page.evaluate(
    async ({ database, sessionId }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(database);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      try {
        const session = await new Promise<{ tracks: JournalTrackCounters[] } | undefined>((resolve, reject) => {
          const request = db.transaction("sessions", "readonly").objectStore("sessions").get(sessionId);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        return session?.tracks.map(({ track, nextSeq, localChunks, localBytes }) => ({ track, nextSeq, localChunks, localBytes }));
      } finally {
        db.close();
      }
    },
    { database: JOURNAL_DATABASE, sessionId },
  );
}

/** Deletes one chunk (metadata and audio) of track 0 from the page's journal, as damaged storage would. */
export async function loseLocalChunk(page: Page, sessionId: string, seq: number): Promise<void> {
  await page.evaluate(
    async ({ database, sessionId, seq }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(database);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(["chunks", "audio"], "readwrite");
        tx.objectStore("chunks").delete([sessionId, 0, seq]);
        tx.objectStore("audio").delete([sessionId, 0, seq]);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { database: JOURNAL_DATABASE, sessionId, seq },
  );
}
