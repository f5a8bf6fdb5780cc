/**
 * Digests of chunk bodies. The server verifies every chunk against the digest the client sends
 * (RFC 9530 `Content-Digest`), so a body damaged on the way, or in local storage, is refused
 * instead of being stored as if it were whole.
 */
import { bytesToBase64 } from "./base64.ts";

/** Base64 of the SHA-256 of `data`. */
export async function sha256Base64(data: ArrayBuffer): Promise<string> {
  const hash = await globalThis.crypto.subtle.digest("SHA-256", data);
  return bytesToBase64(new Uint8Array(hash));
}

/** The `Content-Digest` header value for a base64 SHA-256: `sha-256=:<base64>:`. */
export function contentDigest(sha256Base64: string): string {
  return `sha-256=:${sha256Base64}:`;
}
