import { describe, expect, it } from "vitest";
import { writeDamagedCopiesFile } from "./damaged-copies-file.ts";
import { createSlicedGzipCompressor } from "./gzip-compressor.ts";
import { encodeRecord, serializeValue } from "./record-codec.ts";
import type { QuarantinedRecord } from "./state-storage.ts";

const compressor = createSlicedGzipCompressor();

async function damaged(value: unknown, flip: (bytes: Uint8Array) => void): Promise<QuarantinedRecord> {
  const record = await encodeRecord(serializeValue(value), { key: "app-state", schemaVersion: 2, savedAt: 5, writerId: "tab", compressAboveBytes: 1_000_000 }, compressor);
  const bytes = new Uint8Array(record.payload.slice(0));
  flip(bytes);
  return { id: 1, key: "app-state", reason: "checksum", detail: "The stored bytes do not match their checksum.", quarantinedAt: 0, record: { ...record, payload: bytes.buffer } };
}

describe("the damaged copies file", () => {
  it("keeps each damaged copy's bytes exactly, and the value where the damage left it readable", async () => {
    const draft = { draft: { title: "The lighthouse", chapters: [{ id: "c1", text: "She climbed the stairs at dusk." }] } };
    // One letter changed inside the text: the checksum fails, yet the JSON still reads.
    const flipped = await damaged(draft, (bytes) => {
      const at = new TextDecoder().decode(bytes).indexOf("dusk");
      bytes[at] = "r".charCodeAt(0);
    });
    const broken = await damaged(draft, (bytes) => (bytes[0] = 0));

    const file = JSON.parse(await writeDamagedCopiesFile([flipped, broken], new Date(Date.UTC(2026, 0, 2)), compressor));

    expect(file).toMatchObject({ format: "tidemark-damaged-copies/1", exportedAt: "2026-01-02T00:00:00.000Z" });
    expect(file.copies[0]).toMatchObject({ key: "app-state", reason: "checksum", record: { schemaVersion: 2, writerId: "tab", encoding: "json" } });
    expect(file.copies[0].readableValue.draft.chapters[0].text).toBe("She climbed the stairs at rusk.");
    const stored = new Uint8Array((flipped.record as { payload: ArrayBuffer }).payload);
    expect(Uint8Array.from(atob(file.copies[0].payloadBase64), (char) => char.charCodeAt(0))).toEqual(stored);
    expect(file.copies[1].unreadable).toMatch(/not valid JSON/);
    expect(file.copies[1]).not.toHaveProperty("readableValue");
  });

  it("keeps a copy that was never a record as it was found", async () => {
    const entry: QuarantinedRecord = { id: 2, key: "legacy", reason: "decode", detail: "not a record", quarantinedAt: 0, record: "{half a value" };

    const file = JSON.parse(await writeDamagedCopiesFile([entry], new Date(0)));

    expect(file.copies[0]).toMatchObject({ key: "legacy", found: "{half a value" });
  });
});
