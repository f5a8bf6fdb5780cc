import { sameBytes } from "../bytes-equal.ts";

const utf8 = new TextEncoder();
const OPEN_OBJECT = utf8.encode("{");
const CLOSE_OBJECT = utf8.encode("}");
const OPEN_ARRAY = utf8.encode("[");
const CLOSE_ARRAY = utf8.encode("]");
const COMMA = utf8.encode(",");
const NULL = utf8.encode("null");

/** What was encoded for one object or array, to reuse the parts whose values are still the same. */
interface EncodedNode {
  /** Property names in order; `null` for an array. */
  keys: string[] | null;
  values: unknown[];
  /**
   * Per member: for a primitive, its encoded `"key":value` (or `value` in an array), `null` when
   * JSON leaves it out; for a nested object or array, the encoded `"key":` (empty in an array).
   */
  parts: Array<Uint8Array | null>;
}

/**
 * The JSON bytes of one encoding, described as a change of the same encoder's previous output, so
 * a consumer that holds the previous bytes (the compression worker) can rebuild them without the
 * page copying a whole long draft on every save.
 */
export interface JsonBytesChange {
  /** This output's number, unique in the page. */
  serial: number;
  /** The output it changes (`0`: none, `middle` holds every byte). */
  base: number;
  /** Bytes in all. */
  length: number;
  /** Bytes equal to the base's first bytes. */
  keepStart: number;
  /** Bytes equal to the base's last bytes. */
  keepEnd: number;
  /** The bytes between those, in a buffer of their own (it may be transferred). */
  middle: ArrayBuffer;
  /** Every byte, in a new buffer, for a consumer that does not hold the base. */
  whole(): ArrayBuffer;
}

/** Serials of every encoder in the page: a consumer keyed by anything else cannot mistake one encoder's base for another's. */
let lastSerial = 0;

/**
 * Produces exactly the UTF-8 bytes of `JSON.stringify(value)`, re-encoding only what changed
 * since the previous call. A save of a draft with a hundred long chapters, where one chapter
 * changed, then stringifies and encodes that chapter alone: the others' bytes are reused.
 *
 * Reuse never trusts a stale copy: every property of every object is compared with the value it
 * had when its bytes were made (by identity, which for an unchanged string is one pointer
 * comparison), so an object changed in place is encoded again like a new one.
 */
export class JsonBytesEncoder {
  #cache = new WeakMap<object, EncodedNode>();
  /** Objects being encoded, to refuse cycles as `JSON.stringify` does. */
  readonly #open = new Set<object>();

  /** The previous output's segments and serial, which `encodeChange` describes the next one against. */
  #previous: { serial: number; segments: Uint8Array[] } | null = null;

  encode(value: unknown): ArrayBuffer {
    return concatenate(this.#segments(value), 0, Number.POSITIVE_INFINITY);
  }

  /**
   * The bytes of `value` as a change of this encoder's previous output. Unchanged members are
   * mostly the very same segment objects as last time (a new parent re-encodes its short members
   * into equal bytes), so the common start and end are found by comparing segments position by
   * position, by identity or else by their bytes, and only the bytes between are copied.
   */
  encodeChange(value: unknown): JsonBytesChange {
    const segments = this.#segments(value);
    const previous = this.#previous;
    const before = previous?.segments ?? [];
    let first = 0;
    let keepStart = 0;
    while (first < segments.length && first < before.length && sameBytes(segments[first] as Uint8Array, before[first] as Uint8Array)) {
      keepStart += (segments[first] as Uint8Array).byteLength;
      first += 1;
    }
    let end = segments.length;
    let keepEnd = 0;
    while (end > first && before.length - (segments.length - end) > first && sameBytes(segments[end - 1] as Uint8Array, before[before.length - (segments.length - end) - 1] as Uint8Array)) {
      keepEnd += (segments[end - 1] as Uint8Array).byteLength;
      end -= 1;
    }
    let length = keepStart + keepEnd;
    for (let index = first; index < end; index += 1) length += (segments[index] as Uint8Array).byteLength;
    const serial = ++lastSerial;
    this.#previous = { serial, segments };
    return {
      serial,
      base: previous?.serial ?? 0,
      length,
      keepStart,
      keepEnd,
      middle: concatenate(segments, first, end),
      whole: () => concatenate(segments, 0, segments.length),
    };
  }

  /** Forgets every reused part (memory is released with the objects anyway; this is for tests). */
  reset(): void {
    this.#cache = new WeakMap();
    this.#previous = null;
  }

  #segments(value: unknown): Uint8Array[] {
    const segments: Uint8Array[] = [];
    if (isContainer(value)) {
      try {
        this.#writeContainer(value, segments);
      } finally {
        this.#open.clear();
      }
    } else {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) throw new TypeError("Only JSON values can be encoded.");
      segments.push(utf8.encode(text));
    }
    return segments;
  }

  #writeContainer(node: object, out: Uint8Array[]): void {
    if (this.#open.has(node)) throw new TypeError("Converting circular structure to JSON");
    this.#open.add(node);
    const isArray = Array.isArray(node);
    const record = node as Record<string, unknown>;
    const keys = isArray ? null : Object.keys(node);
    const count = isArray ? (node as unknown[]).length : (keys as string[]).length;
    const previous = this.#cache.get(node);
    const encoded: EncodedNode = { keys, values: new Array(count), parts: new Array(count) };
    out.push(isArray ? OPEN_ARRAY : OPEN_OBJECT);
    let first = true;
    for (let index = 0; index < count; index += 1) {
      const key = keys ? (keys[index] as string) : null;
      const value = key === null ? (node as unknown[])[index] : record[key];
      encoded.values[index] = value;
      const reusable =
        previous !== undefined &&
        index < previous.values.length &&
        (key === null ? previous.keys === null : previous.keys?.[index] === key) &&
        Object.is(previous.values[index], value);
      if (isContainer(value)) {
        const prefix = reusable ? (previous.parts[index] as Uint8Array) : utf8.encode(key === null ? "" : `${JSON.stringify(key)}:`);
        encoded.parts[index] = prefix;
        if (!first) out.push(COMMA);
        first = false;
        if (prefix.byteLength > 0) out.push(prefix);
        // Nested objects are checked whether or not this one changed: they may have changed in place.
        this.#writeContainer(value, out);
        continue;
      }
      const part = reusable ? (previous.parts[index] ?? null) : encodeMember(key, value);
      encoded.parts[index] = part;
      if (part === null) continue;
      if (!first) out.push(COMMA);
      first = false;
      out.push(part);
    }
    out.push(isArray ? CLOSE_ARRAY : CLOSE_OBJECT);
    this.#cache.set(node, encoded);
    this.#open.delete(node);
  }
}

/** A plain object or array, walked member by member; anything else goes through `JSON.stringify` whole. */
function isContainer(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** One member's bytes; `null` for what JSON leaves out of objects (undefined, functions, symbols). */
function encodeMember(key: string | null, value: unknown): Uint8Array | null {
  const text = JSON.stringify(value) as string | undefined;
  if (key === null) return text === undefined ? NULL : utf8.encode(text);
  if (text === undefined) return null;
  return utf8.encode(`${JSON.stringify(key)}:${text}`);
}

/** Segments `from` up to (not including) `to`, joined in a new buffer. */
function concatenate(segments: Uint8Array[], from: number, to: number): ArrayBuffer {
  const last = Math.min(to, segments.length);
  let length = 0;
  for (let index = from; index < last; index += 1) length += (segments[index] as Uint8Array).byteLength;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (let index = from; index < last; index += 1) {
    const segment = segments[index] as Uint8Array;
    bytes.set(segment, offset);
    offset += segment.byteLength;
  }
  return bytes.buffer;
}
