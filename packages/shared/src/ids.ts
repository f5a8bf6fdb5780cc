let lastMs = -1;
let lastCounter = 0;

/**
 * UUIDv7 (RFC 9562): 48 bits of milliseconds, a 12-bit counter, then 62 random bits (from Web
 * Crypto, which Node and browsers both have). Ids are unguessable and strictly increasing within
 * this process or page (the counter orders ids made in the same millisecond), so sorting by id
 * sorts by creation. The server makes them, and so does a browser that records before it reaches
 * the server.
 */
export function uuidv7(now: number = Date.now()): string {
  let ms = Math.max(now, lastMs);
  let counter = 0;
  if (ms === lastMs) {
    counter = lastCounter + 1;
    if (counter > 0xfff) {
      ms += 1;
      counter = 0;
    }
  } else {
    counter = randomBytes(2).reduce((high, low) => (high << 8) | low) & 0x7ff; // random start, room to count up
  }
  lastMs = ms;
  lastCounter = counter;

  const bytes = randomBytes(16);
  // The milliseconds, big-endian, in the first 6 bytes (48 bits: beyond 32-bit integer operators).
  let rest = ms;
  for (let index = 5; index >= 0; index -= 1) {
    bytes[index] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Web Crypto's `getRandomValues`, typed here since this package assumes neither DOM nor Node types. */
const webCrypto = (globalThis as unknown as { crypto: { getRandomValues(array: Uint8Array): Uint8Array } }).crypto;

function randomBytes(length: number): Uint8Array {
  return webCrypto.getRandomValues(new Uint8Array(length));
}
