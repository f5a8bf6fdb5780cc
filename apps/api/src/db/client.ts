import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema.ts";
import { WalCheckpointer } from "./wal-checkpointer.ts";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/**
 * Finds the committed drizzle-kit migrations. They sit in the package's `drizzle/` folder,
 * which is one level above the bundle (`dist/`) and two above this source file.
 */
function migrationsFolder(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth += 1) {
    const candidate = path.join(dir, "drizzle");
    if (existsSync(path.join(candidate, "meta", "_journal.json"))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error("Database migrations folder (drizzle/) not found next to the API package");
}

/** How often the WAL is checkpointed into the database file (SQLite's own default is every 1 000 pages). */
const CHECKPOINT_INTERVAL_MS = 250;
/** The number of pages after which SQLite checkpoints by itself (its default). */
const AUTOCHECKPOINT_PAGES = 1_000;

const checkpointers = new WeakMap<Database.Database, WalCheckpointer>();

/**
 * Opens (creating if needed) the SQLite database and brings it to the latest schema.
 * WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
 * before it returns, which the durability rules require (writes that are durable elsewhere
 * may relax it for their own transaction, see GroupCommit). A database file gets its WAL
 * checkpoints from a worker thread, so their fsyncs never stall the event loop.
 */
export function openDatabase(file: string): Db {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: migrationsFolder() });
  if (file !== ":memory:") {
    sqlite.pragma("wal_autocheckpoint = 0");
    const checkpointer = new WalCheckpointer(file, CHECKPOINT_INTERVAL_MS, (error) => {
      // Without the worker, SQLite checkpoints on the event loop again rather than let the WAL grow.
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      console.error(error);
    });
    checkpointers.set(sqlite, checkpointer);
  }
  return db;
}

/** Stops the WAL checkpointer, then closes the connection (which checkpoints what is left). */
export async function closeDatabase(db: Db): Promise<void> {
  await checkpointers.get(db.$client)?.stop();
  checkpointers.delete(db.$client);
  db.$client.close();
}
