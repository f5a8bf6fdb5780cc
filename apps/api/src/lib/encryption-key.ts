import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { writeFileAtomically } from "./durable-file.ts";

export const ENCRYPTION_KEY_BYTES = 32;
export const ENCRYPTION_KEY_FORMAT = "must be the base64 encoding of exactly 32 bytes (e.g. `openssl rand -base64 32`)";

/** A 256-bit key from its base64 text (surrounding whitespace ignored), or null when the text is not exactly that. */
export function decodeEncryptionKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed, "base64");
  return key.length === ENCRYPTION_KEY_BYTES ? key : null;
}

/**
 * The key kept in `file`, generated there on first use: random, base64 text, mode 0600,
 * written atomically (temp file, fsync, rename, directory fsync) so a crash never leaves a
 * half-written key. A file that holds something else is an error, never replaced: the values
 * encrypted with the key it held would become unreadable. For the same reason no key is
 * generated while `holdsEncryptedValues()` says values written with some earlier key exist.
 */
export async function loadOrCreateKeyFile(file: string, holdsEncryptedValues: () => boolean = () => false): Promise<Buffer> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  if (holdsEncryptedValues()) {
    throw new Error(
      `The encryption key file ${file} is missing, ENCRYPTION_KEY is not set, and the database holds values encrypted ` +
        "with a key. Restore the key file from a backup or set ENCRYPTION_KEY to that key.",
    );
  }
  const key = randomBytes(ENCRYPTION_KEY_BYTES);
  await writeFileAtomically(file, async (handle) => {
    // Restricted before the key is written, whatever the umask made of the new file.
    await handle.chmod(0o600);
    await handle.writeFile(`${key.toString("base64")}\n`);
  });
  return key;
}

async function readKeyFile(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`Cannot read the encryption key file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const key = decodeEncryptionKey(text);
  if (!key) {
    throw new Error(
      `The encryption key file ${file} ${ENCRYPTION_KEY_FORMAT}. Restore the original file or set ENCRYPTION_KEY; ` +
        "it is not replaced automatically because stored preferences and checkpoints need the key they were written with.",
    );
  }
  return key;
}
