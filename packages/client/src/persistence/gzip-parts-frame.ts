/**
 * The frame of a `gzip-parts` payload: `[count][length × count][members…]`, unsigned 32-bit
 * little-endian. Both functions are self-contained: the compression worker runs their source.
 */

/** Frames members into one payload. */
export function joinPartsFrame(members: ArrayLike<Uint8Array>): ArrayBuffer {
  let length = 4 + 4 * members.length;
  for (let index = 0; index < members.length; index += 1) length += (members[index] as Uint8Array).byteLength;
  const frame = new Uint8Array(length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, members.length, true);
  let offset = 4 + 4 * members.length;
  for (let index = 0; index < members.length; index += 1) {
    const member = members[index] as Uint8Array;
    view.setUint32(4 + 4 * index, member.byteLength, true);
    frame.set(member, offset);
    offset += member.byteLength;
  }
  return frame.buffer;
}

/** The members of a framed payload, as views into it; `null` when the frame is damaged. */
export function splitPartsFrame(bytes: ArrayBuffer): Uint8Array[] | null {
  const view = new DataView(bytes);
  const count = bytes.byteLength >= 4 ? view.getUint32(0, true) : -1;
  if (count < 0 || 4 + 4 * count > bytes.byteLength) return null;
  let offset = 4 + 4 * count;
  const members: Uint8Array[] = [];
  for (let index = 0; index < count; index += 1) {
    const length = view.getUint32(4 + 4 * index, true);
    if (offset + length > bytes.byteLength) return null;
    members.push(new Uint8Array(bytes, offset, length));
    offset += length;
  }
  return offset === bytes.byteLength ? members : null;
}
