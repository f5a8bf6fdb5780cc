import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDataDir } from "../test-support/test-app.ts";
import { AudioStore } from "./audio-store.ts";

describe("AudioStore chunk log", () => {
  let data: ReturnType<typeof tempDataDir>;
  let store: AudioStore;

  beforeEach(() => {
    data = tempDataDir();
    store = new AudioStore(data.dir);
  });
  afterEach(() => data.remove());

  it("gives concurrent appends to one track their own, non-overlapping places", async () => {
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000 + i * 10, i));
    const offsets = await Promise.all(chunks.map((chunk) => store.appendChunk("s1", 0, chunk)));
    const log = readFileSync(store.chunkLogPath("s1", 0));
    expect(log.length).toBe(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    chunks.forEach((chunk, i) => {
      expect(log.subarray(offsets[i]!, offsets[i]! + chunk.length).equals(chunk)).toBe(true);
    });
  });

  it("keeps tracks in separate logs", async () => {
    expect(await store.appendChunk("s1", 0, Buffer.alloc(4, 1))).toBe(0);
    expect(await store.appendChunk("s1", 1, Buffer.alloc(4, 2))).toBe(0);
    expect(await store.appendChunk("s1", 0, Buffer.alloc(4, 3))).toBe(4);
  });

  it("assembles a WAV only from bytes that still match their digests", async () => {
    const { createHash } = await import("node:crypto");
    const a = Buffer.alloc(8, 1);
    const b = Buffer.alloc(8, 2);
    const refs = [
      { seq: 0, size: 8, offset: await store.appendChunk("s1", 0, a), sha256: createHash("sha256").update(a).digest("hex") },
      { seq: 1, size: 8, offset: await store.appendChunk("s1", 0, b), sha256: createHash("sha256").update(a).digest("hex") },
    ];
    const result = await store.assembleWav("s1", 0, { sampleRate: 8000, channels: 1 }, refs);
    expect(result).toEqual({ ok: false, damaged: [1] });
  });
});
