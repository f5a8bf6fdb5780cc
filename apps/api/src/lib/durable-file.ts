import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

/** fsyncs a directory so a rename or a new entry in it survives a power cut. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates a directory (and parents) and makes the new entries durable. */
export async function ensureDirectory(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (created === undefined) return;
  // fsync every parent from the first created one upwards so each new entry is durable.
  let current = dir;
  const stop = path.dirname(created);
  while (current !== stop && current !== path.dirname(current)) {
    await fsyncDirectory(path.dirname(current));
    current = path.dirname(current);
  }
}

/**
 * Writes a file atomically and durably: a uniquely named temp file in the same directory,
 * written and fsynced, renamed over the target, then the directory fsynced. A crash at any
 * point leaves either the old file or the complete new one, never a half-written file.
 * `write` receives the open handle of the temp file.
 */
export async function writeFileAtomically(
  target: string,
  write: (handle: import("node:fs/promises").FileHandle) => Promise<void>,
): Promise<void> {
  const dir = path.dirname(target);
  await ensureDirectory(dir);
  const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx");
  try {
    await write(handle);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, target);
  await fsyncDirectory(dir);
}
