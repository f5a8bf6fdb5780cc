/** One step of a persisted value's schema, from version `from` to `from + 1`. */
export interface StateMigration {
  from: number;
  /** What the step changes, named in the report when it fails. */
  description: string;
  /** Returns the value in the next version's shape; throws when the value cannot be carried over. */
  migrate(state: unknown): unknown;
}

/** A stored value could not be brought to the current schema; the stored copy is left as it was. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MigrationError";
  }
}

/** Runs every step from `fromVersion` up to `toVersion`, in order. Throws a MigrationError naming the step that failed. */
export function migrateState(state: unknown, fromVersion: number, toVersion: number, migrations: readonly StateMigration[]): unknown {
  let value = state;
  for (let version = fromVersion; version < toVersion; version += 1) {
    const step = migrations.find((migration) => migration.from === version);
    if (!step) throw new MigrationError(`No migration reads version ${version}.`);
    try {
      value = step.migrate(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new MigrationError(`Migration ${version} → ${version + 1} (${step.description}) failed: ${reason}`, { cause: error });
    }
  }
  return value;
}
