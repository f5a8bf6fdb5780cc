import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ENCRYPTION_KEY_BYTES } from "../lib/encryption-key.ts";

const ALGORITHM = "aes-256-gcm";
/** 96-bit IVs, the size GCM is built for; random per write, so a key may seal ~2^32 values safely. */
const IV_BYTES = 12;
const AUTH_TAG_BYTES = 16;

/** What is stored for an encrypted value. */
export interface SealedValue {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
}

/** The value was altered, moved to another row, or sealed with another key. */
export class UnsealError extends Error {
  constructor(cause: unknown) {
    super("Encrypted value failed authentication", { cause });
    this.name = "UnsealError";
  }
}

/**
 * AES-256-GCM for values kept at rest. Every value is sealed with associated data naming
 * where it belongs (its owner, its kind, its session, its version): the same bytes opened
 * anywhere else fail authentication, so a ciphertext copied to another row is as useless as a
 * tampered one.
 */
export class ValueCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== ENCRYPTION_KEY_BYTES) throw new Error(`Encryption key must be ${ENCRYPTION_KEY_BYTES} bytes`);
  }

  seal(plaintext: string, associatedData: string): SealedValue {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: AUTH_TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return { ciphertext, iv, authTag: cipher.getAuthTag() };
  }

  /** The plaintext of a sealed value; throws `UnsealError` unless it is intact and belongs to `associatedData`. */
  open(sealed: SealedValue, associatedData: string): string {
    try {
      const decipher = createDecipheriv(ALGORITHM, this.key, sealed.iv, { authTagLength: AUTH_TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, "utf8"));
      decipher.setAuthTag(sealed.authTag);
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString("utf8");
    } catch (error) {
      throw new UnsealError(error);
    }
  }
}
