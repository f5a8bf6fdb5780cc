import { appStateMigrations, migrateState } from "@tidemark/client";
import { PERSISTED_STATE_VERSION, PersistedAppStateSchema, type PersistedAppState } from "@tidemark/shared";

/** What names a file as one of ours. */
export const EXPORT_FORMAT = "tidemark-export";

/** Larger files are refused before they are read: an export of the largest allowed draft is far smaller. */
export const IMPORT_MAX_BYTES = 200 * 1024 * 1024;

interface ExportEnvelope {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  state: unknown;
}

function isEnvelope(value: unknown): value is ExportEnvelope {
  if (typeof value !== "object" || value === null) return false;
  const envelope = value as Partial<Record<keyof ExportEnvelope, unknown>>;
  return (
    envelope.format === EXPORT_FORMAT &&
    Number.isInteger(envelope.version) &&
    (envelope.version as number) >= 0 &&
    typeof envelope.exportedAt === "string" &&
    "state" in envelope
  );
}

export type ImportResult = { ok: true; state: PersistedAppState } | { ok: false; message: string };

/** Everything saved as the text of a JSON file, with the schema version it was written in. */
export function writeExportFile(state: PersistedAppState, exportedAt: Date): string {
  return JSON.stringify({ format: EXPORT_FORMAT, version: PERSISTED_STATE_VERSION, exportedAt: exportedAt.toISOString(), state }, null, 2);
}

/**
 * Reads an exported file. Files of older versions are migrated; anything that does not fully
 * fit the shared schema is refused with a sentence saying why, so a bad file changes nothing.
 */
export function readExportFile(text: string): ImportResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, message: "This file is not a Tidemark export (it is not JSON). Nothing was changed." };
  }
  if (!isEnvelope(parsed)) return { ok: false, message: "This file is not a Tidemark export. Nothing was changed." };
  const { version, state } = parsed;
  if (version > PERSISTED_STATE_VERSION) {
    return { ok: false, message: "This file was exported by a newer version of Tidemark. Reload the page to update, then import it again." };
  }
  let current: unknown = state;
  if (version < PERSISTED_STATE_VERSION) {
    try {
      current = migrateState(state, version, PERSISTED_STATE_VERSION, appStateMigrations);
    } catch (error) {
      return { ok: false, message: `This file's data could not be brought up to date (${messageOf(error)}). Nothing was changed.` };
    }
  }
  const checked = PersistedAppStateSchema.safeParse(current);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return { ok: false, message: `This file's data is not valid (${where}${issue?.message ?? "unknown problem"}). Nothing was changed.` };
  }
  return { ok: true, state: checked.data };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
