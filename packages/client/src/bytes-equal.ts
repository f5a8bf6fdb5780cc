/** Whether two byte ranges hold the same bytes; compared four bytes at a time, then the rest. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  const viewA = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const viewB = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let index = 0;
  for (; index + 4 <= a.byteLength; index += 4) if (viewA.getUint32(index) !== viewB.getUint32(index)) return false;
  for (; index < a.byteLength; index += 1) if (a[index] !== b[index]) return false;
  return true;
}
