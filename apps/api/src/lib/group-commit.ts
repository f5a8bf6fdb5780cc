import type Database from "better-sqlite3";

export interface GroupCommitOptions {
  /**
   * The write's effect is already durable elsewhere and is re-created from there after a crash
   * (chunk rows: their self-describing records in the fdatasynced chunk log), so its commit need
   * not wait for an fsync. A batch commits with synchronous=NORMAL — no fsync on the event loop;
   * the WAL reaches the disk with the next synchronous commit or checkpoint — only when every
   * write in it says so.
   */
  durableElsewhere?: boolean;
}

interface Pending {
  work: () => unknown;
  durableElsewhere: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: writes that arrive in the same turn of the event loop share one transaction,
 * so many concurrent uploads pay for one commit instead of one each. Every write runs in its
 * own savepoint: one that throws is rolled back alone and its caller gets the error; the others
 * still commit. Callers are answered only after the commit.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** The connection's own level (FULL in production), restored after a relaxed batch. */
  private readonly syncLevel: number;

  constructor(private readonly sqlite: Database.Database) {
    this.syncLevel = Number(sqlite.pragma("synchronous", { simple: true }));
  }

  run<T>(work: () => T, options: GroupCommitOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, durableElsewhere: options.durableElsewhere === true, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const relaxed = batch.every((item) => item.durableElsewhere);
    // Not a prepared statement: SQLite applies this pragma when it is compiled, not when it runs.
    if (relaxed) this.sqlite.exec("PRAGMA synchronous = NORMAL");
    try {
      this.sqlite.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.sqlite.transaction(item.work)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      // The commit itself failed: nothing in the batch is committed.
      for (const item of batch) item.reject(error);
      return;
    } finally {
      if (relaxed) this.sqlite.exec(`PRAGMA synchronous = ${this.syncLevel}`);
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
