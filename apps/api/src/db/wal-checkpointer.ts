import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * Runs in the worker, as CommonJS: its own connection to the database file checkpoints the WAL
 * (PASSIVE: it never blocks the writer or readers) at a steady pace, until told to stop.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("synchronous = FULL");
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.stack || error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Moves WAL checkpoints off the event loop. A checkpoint copies committed pages from the WAL
 * into the database file and fsyncs both; run by the connection that happens to commit (SQLite's
 * default), those fsyncs stall every request for milliseconds. Here a worker thread with its
 * own connection checkpoints every `intervalMs`, and the main connection does none — unless the
 * worker fails, in which case SQLite's automatic checkpoints are switched back on.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;
  private readonly exited: Promise<void>;

  constructor(file: string, intervalMs: number, onFailure: (error: Error) => void) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, intervalMs, driver: createRequire(import.meta.url).resolve("better-sqlite3") },
    });
    this.worker.unref();
    this.worker.on("message", (message: { error?: string }) => {
      if (message.error) onFailure(new Error(`WAL checkpoint failed: ${message.error}`));
    });
    this.exited = new Promise((resolve) => {
      this.worker.once("error", (error) => {
        if (!this.stopped) onFailure(error);
      });
      this.worker.once("exit", (code) => {
        if (!this.stopped) onFailure(new Error(`WAL checkpointer exited with code ${code}`));
        resolve();
      });
    });
  }

  /** A last checkpoint, then the worker's connection closes. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.worker.postMessage("stop");
    }
    await this.exited;
  }
}
