import type Database from "better-sqlite3";

export interface GroupCommitOptions {
  /**
   * The write's effect is already durable elsewhere and is re-created from there after a crash
   * (chunk rows: their self-describing records in the durably written chunk log), so its commit need
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

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: writes that arrive in the same turn of the event loop share one transaction,
 * so many concurrent uploads pay for one commit instead of one each. A write that throws
 * changes nothing and its caller gets the error; the others still commit. Callers are answered
 * only after the commit. Writes must depend only on the database (and state they tolerate
 * seeing twice): when one throws, the batch runs again with each write in its own savepoint.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** The connection's own level (FULL in production), restored after a relaxed batch. */
  private readonly syncLevel: number;
  /** The batch in one transaction; stops at the first write that throws (everything is rolled back). */
  private readonly runTogether: (batch: Pending[]) => Outcome[];
  /** The batch in one transaction, each write in a savepoint of its own. */
  private readonly runIsolated: (batch: Pending[]) => Outcome[];

  constructor(private readonly sqlite: Database.Database) {
    this.syncLevel = Number(sqlite.pragma("synchronous", { simple: true }));
    this.runTogether = sqlite.transaction((batch: Pending[]) => batch.map((item) => ({ ok: true as const, value: item.work() })));
    this.runIsolated = sqlite.transaction((batch: Pending[]) =>
      batch.map((item): Outcome => {
        try {
          return { ok: true, value: sqlite.transaction(item.work)() };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
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
    let outcomes: Outcome[];
    const relaxed = batch.every((item) => item.durableElsewhere);
    // Not a prepared statement: SQLite applies this pragma when it is compiled, not when it runs.
    if (relaxed) this.sqlite.exec("PRAGMA synchronous = NORMAL");
    try {
      try {
        // Savepoints cost more than the writes themselves; they are only needed once a write fails.
        outcomes = this.runTogether(batch);
      } catch {
        outcomes = this.runIsolated(batch);
      }
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
