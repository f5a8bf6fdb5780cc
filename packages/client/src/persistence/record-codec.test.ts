import { describe, expect, it } from "vitest";
import { decodeRecord, encodeRecord, serializeValue, type StoredRecord } from "./record-codec.ts";
import { sha256Base64 } from "../digest.ts";

const envelope = { key: "app", schemaVersion: 2, savedAt: 1_000, writerId: "tab-a" };

function encode(value: unknown, compressAboveBytes = 1_024): Promise<StoredRecord> {
  return encodeRecord(serializeValue(value), { ...envelope, compressAboveBytes });
}

describe("record codec", () => {
  it("stores a small value as plain JSON bytes with the checksum of those bytes and reads it back", async () => {
    const value = { text: "Grüße, 世界", numbers: [1, 2.5, -3] };

    const record = await encode(value);
    const decoded = await decodeRecord(record);

    expect(record).toMatchObject({ ...envelope, encoding: "json" });
    expect(new TextDecoder().decode(record.payload)).toBe(JSON.stringify(value));
    expect(decoded).toEqual({ ok: true, record, value });
  });

  it("gzips a value above the threshold into an ArrayBuffer and restores it exactly", async () => {
    const value = { chapters: Array.from({ length: 100 }, (_, index) => ({ id: `c${index}`, text: "Call me Ishmael. ".repeat(200) })) };

    const record = await encode(value, 32 * 1024);
    const decoded = await decodeRecord(record);

    expect(record.encoding).toBe("gzip-parts");
    expect(Object.prototype.toString.call(record.payload)).toBe("[object ArrayBuffer]");
    expect(record.payload.byteLength).toBeLessThan(serializeValue(value).byteLength / 10);
    expect(decoded.ok && decoded.value).toEqual(value);
  });

  it("still reads a record gzipped whole, as older code wrote it", async () => {
    const value = { chapters: ["Call me Ishmael. ".repeat(4_000)] };
    const payload = await new Response(new Blob([serializeValue(value)]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    const record = { ...envelope, encoding: "gzip" as const, payload, checksum: await sha256Base64(payload) };

    expect(await decodeRecord(record)).toMatchObject({ ok: true, value });
  });

  it("reports a payload changed after writing as a checksum failure and names the schema version it claimed", async () => {
    const record = await encode({ rate: 1 });
    const bytes = new Uint8Array(record.payload);
    bytes.set([(bytes[2] ?? 0) ^ 0xff], 2);

    const decoded = await decodeRecord(record);

    expect(decoded).toMatchObject({ ok: false, reason: "checksum", schemaVersion: 2 });
  });

  it("reports bytes that match their checksum but are not gzip, or not JSON, as undecodable", async () => {
    const notGzip = await encodeRecord(serializeValue("x"), { ...envelope, compressAboveBytes: 1_024 });
    const mislabelled = { ...notGzip, encoding: "gzip" as const };
    const garbage = new TextEncoder().encode("{ not json").buffer;
    const notJson = await encodeRecord(garbage, { ...envelope, compressAboveBytes: 1_024 });

    expect(await decodeRecord(mislabelled)).toMatchObject({ ok: false, reason: "decode" });
    expect(await decodeRecord(notJson)).toMatchObject({ ok: false, reason: "decode", detail: expect.stringMatching(/not valid JSON/) });
  });

  it("reports anything that is not a record envelope as undecodable without throwing", async () => {
    for (const raw of [null, "{\"state\":", 42, { key: "app" }, { ...envelope, encoding: "json", payload: "text", checksum: "x" }]) {
      expect(await decodeRecord(raw)).toMatchObject({ ok: false, reason: "decode", schemaVersion: null });
    }
  });
});
