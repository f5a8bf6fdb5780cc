import { bytesToBase64 } from "../base64.ts";
import { readEnvelope, readPayload } from "./record-codec.ts";
import type { GzipCompressor } from "./gzip-compressor.ts";
import type { QuarantinedRecord } from "./state-storage.ts";

/** The format of the file, so a later version can still read it. */
export const DAMAGED_COPIES_FORMAT = "tidemark-damaged-copies/1";

/**
 * The damaged copies set aside on this device, as one JSON file the user can keep: each copy's
 * reason, its envelope, its payload bytes exactly as stored (base64), and, where the payload still
 * reads despite the damage, the value it holds. Nothing in it is trusted or loaded back by the
 * app; it is the user's to look into or hand to someone who can.
 */
export async function writeDamagedCopiesFile(entries: readonly QuarantinedRecord[], exportedAt: Date, compressor?: GzipCompressor): Promise<string> {
  const copies = [];
  for (const entry of entries) {
    const envelope = readEnvelope(entry.record);
    const copy: Record<string, unknown> = {
      key: entry.key,
      reason: entry.reason,
      detail: entry.detail,
      setAsideAt: new Date(entry.quarantinedAt).toISOString(),
    };
    if (typeof envelope === "string") {
      // Not even a record: kept as it was found (a legacy copy, a damaged emergency copy, …).
      copy.found = typeof entry.record === "string" ? entry.record : safeJson(entry.record);
    } else {
      const { payload, ...fields } = envelope;
      const read = await readPayload(envelope, compressor);
      Object.assign(copy, {
        record: fields,
        payloadBase64: bytesToBase64(new Uint8Array(payload)),
        ...(read.ok ? { readableValue: read.value } : { unreadable: read.detail }),
      });
    }
    copies.push(copy);
  }
  return JSON.stringify({ format: DAMAGED_COPIES_FORMAT, exportedAt: exportedAt.toISOString(), copies }, null, 2);
}

function safeJson(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}
