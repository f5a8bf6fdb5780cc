import { randomBytes } from "node:crypto";

let lastMs = -1;
let lastCounter = 0;

/**
 * UUIDv7 (RFC 9562): 48 bits of milliseconds, a 12-bit counter, then 62 random bits.
 * Ids are unguessable and strictly increasing within this process (the counter orders ids
 * made in the same millisecond), so sorting by id sorts by creation.
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
    counter = randomBytes(2).readUInt16BE(0) & 0x7ff; // random start, room to count up
  }
  lastMs = ms;
  lastCounter = counter;

  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
