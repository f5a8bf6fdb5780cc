import { sha256Base64 } from "../digest.ts";
import { sharedGzipCompressor, type GzipCompressor } from "./gzip-compressor.ts";
import type { JsonBytesChange } from "./json-bytes-encoder.ts";

/** `gzip`: one gzip member (older writes); `gzip-parts`: framed gzip parts (see `GzipCompressor.gzipParts`). */
export type RecordEncoding = "json" | "gzip" | "gzip-parts";

/**
 * A persisted value as it sits in storage. The payload is the UTF-8 JSON of the value, gzipped
 * in parts when large (unchanged parts are reused from the previous write of the same key); the checksum covers the payload bytes exactly as stored, so damage anywhere in
 * them (a torn write, a bit flip, a hand-edited profile) is found before the value is trusted.
 */
export interface StoredRecord {
  key: string;
  /** Version of the value's schema, for migrations and for tabs running different code. */
  schemaVersion: number;
  /** Epoch milliseconds of the write. */
  savedAt: number;
  /** Which tab wrote it, so a tab recognises its own writes when other tabs announce theirs. */
  writerId: string;
  encoding: RecordEncoding;
  payload: ArrayBuffer;
  /** Base64 SHA-256 of `payload`. */
  checksum: string;
}

export interface EncodeRecordInput {
  key: string;
  schemaVersion: number;
  savedAt: number;
  writerId: string;
  /** Payloads larger than this many bytes are gzipped. */
  compressAboveBytes: number;
}

export type DecodedRecord =
  | { ok: true; record: StoredRecord; value: unknown }
  | { ok: false; reason: "checksum" | "decode"; detail: string; schemaVersion: number | null };

const encoder = new TextEncoder();

/** The UTF-8 bytes of the JSON of `value` (a save uses `JsonBytesEncoder`, which reuses unchanged parts). */
export function serializeValue(value: unknown): ArrayBuffer {
  const bytes = encoder.encode(JSON.stringify(value));
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer
    : bytes.slice().buffer;
}

/**
 * Builds the record for the JSON bytes of a value, given whole or as a change of the encoder's
 * previous output; `json` is handed over (its buffers may be transferred to a worker).
 */
export async function encodeRecord(
  json: ArrayBuffer | JsonBytesChange,
  input: EncodeRecordInput,
  compressor: GzipCompressor = sharedGzipCompressor(),
): Promise<StoredRecord> {
  const whole = isArrayBuffer(json);
  const compress = (whole ? json.byteLength : json.length) > input.compressAboveBytes;
  const payload = compress
    ? await (whole ? compressor.gzipParts(json, input.key) : compressor.gzipPartsChange(json, input.key))
    : whole
      ? json
      : json.whole();
  return {
    key: input.key,
    schemaVersion: input.schemaVersion,
    savedAt: input.savedAt,
    writerId: input.writerId,
    encoding: compress ? "gzip-parts" : "json",
    payload,
    checksum: await sha256Base64(payload),
  };
}

/** Reads a record found in storage. Never throws: anything wrong with it is reported as a reason. */
export async function decodeRecord(raw: unknown, compressor: GzipCompressor = sharedGzipCompressor()): Promise<DecodedRecord> {
  const record = readEnvelope(raw);
  if (typeof record === "string") return { ok: false, reason: "decode", detail: record, schemaVersion: null };
  const failed = (reason: "checksum" | "decode", detail: string): DecodedRecord => ({
    ok: false,
    reason,
    detail,
    schemaVersion: record.schemaVersion,
  });
  if ((await sha256Base64(record.payload)) !== record.checksum) {
    return failed("checksum", "The stored bytes do not match their checksum.");
  }
  const read = await readPayload(record, compressor);
  return read.ok ? { ok: true, record, value: read.value } : failed("decode", read.detail);
}

/**
 * The value in a record's payload, without checking the checksum: for what is left of a damaged
 * record (its checksum failed, yet most of it may still read). Never throws.
 */
export async function readPayload(
  record: StoredRecord,
  compressor: GzipCompressor = sharedGzipCompressor(),
): Promise<{ ok: true; value: unknown } | { ok: false; detail: string }> {
  let json: ArrayBuffer;
  try {
    // A copy goes to the compressor: the record itself may still be moved aside whole.
    json =
      record.encoding === "gzip"
        ? await compressor.gunzip(record.payload.slice(0))
        : record.encoding === "gzip-parts"
          ? await compressor.gunzipParts(record.payload.slice(0))
          : record.payload;
  } catch (error) {
    return { ok: false, detail: `The compressed payload could not be read: ${describe(error)}` };
  }
  try {
    return { ok: true, value: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json)) };
  } catch (error) {
    return { ok: false, detail: `The payload is not valid JSON: ${describe(error)}` };
  }
}

/** The record's envelope, or a sentence saying why `raw` is not one. */
export function readEnvelope(raw: unknown): StoredRecord | string {
  if (typeof raw !== "object" || raw === null) return "The stored value is not a record.";
  const record = raw as Partial<Record<keyof StoredRecord, unknown>>;
  if (typeof record.key !== "string") return "The record has no key.";
  if (!Number.isInteger(record.schemaVersion) || (record.schemaVersion as number) < 0) {
    return "The record has no valid schema version.";
  }
  if (typeof record.savedAt !== "number" || typeof record.writerId !== "string") {
    return "The record does not say when or by whom it was written.";
  }
  if (record.encoding !== "json" && record.encoding !== "gzip" && record.encoding !== "gzip-parts") return "The record names an unknown encoding.";
  if (!isArrayBuffer(record.payload)) return "The record's payload is not binary.";
  if (typeof record.checksum !== "string") return "The record has no checksum.";
  return record as StoredRecord;
}

// `instanceof` fails for buffers made in another realm (an iframe, a test environment).
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === "[object ArrayBuffer]";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
