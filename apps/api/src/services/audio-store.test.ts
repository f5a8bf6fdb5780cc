import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDataDir } from "../test-support/test-app.ts";
import { AudioStore, type ChunkIdentity, type StoredChunkRef } from "./audio-store.ts";
import { CHUNK_RECORD_HEADER_BYTES, decodeChunkRecordHeader } from "./chunk-log.ts";

const SESSION = "01900000-0000-7000-8000-000000000001";
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest();

describe("AudioStore chunk log", () => {
  let data: ReturnType<typeof tempDataDir>;
  let store: AudioStore;

  const identity = (track: number, seq: number, payload: Uint8Array): ChunkIdentity => ({
    sessionId: SESSION,
    track,
    seq,
    sha256: sha256(payload),
    appendedAt: 1_700_000_000_000 + seq,
  });
  const append = async (track: number, seq: number, payload: Buffer) => (await store.appendChunk(identity(track, seq, payload), payload)).offset;
  const ref = (seq: number, payload: Buffer, offset: number): StoredChunkRef => ({ seq, size: payload.length, offset, sha256: sha256(payload).toString("hex") });

  beforeEach(() => {
    data = tempDataDir();
    store = new AudioStore(data.dir);
  });
  afterEach(async () => {
    await store.close();
    data.remove();
  });

  it("gives concurrent appends to one track their own places, each behind a header that describes it", async () => {
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000 + i * 10, i));
    const offsets = await Promise.all(chunks.map((chunk, seq) => append(0, seq, chunk)));
    const log = readFileSync(store.chunkLogPath(SESSION, 0));
    expect(log.length).toBe(chunks.reduce((sum, chunk) => sum + CHUNK_RECORD_HEADER_BYTES + chunk.length, 0));
    chunks.forEach((chunk, seq) => {
      const offset = offsets[seq]!;
      expect(log.subarray(offset, offset + chunk.length).equals(chunk)).toBe(true);
      const header = decodeChunkRecordHeader(log.subarray(offset - CHUNK_RECORD_HEADER_BYTES, offset));
      expect(header).toEqual({ sessionId: SESSION, track: 0, seq, size: chunk.length, sha256: sha256(chunk), appendedAt: 1_700_000_000_000 + seq });
    });
  });

  it("writes a payload that arrives in pieces as one record", async () => {
    const pieces = [Buffer.alloc(6, 1), Buffer.alloc(10, 2)];
    const whole = Buffer.concat(pieces);
    const { offset, recoverable } = await store.appendChunk(identity(0, 0, whole), pieces);
    expect(recoverable).toBe(true);
    expect(readFileSync(store.chunkLogPath(SESSION, 0)).subarray(offset).equals(whole)).toBe(true);
  });

  it("keeps tracks in separate logs", async () => {
    expect(await append(0, 0, Buffer.alloc(4, 1))).toBe(CHUNK_RECORD_HEADER_BYTES);
    expect(await append(1, 0, Buffer.alloc(4, 2))).toBe(CHUNK_RECORD_HEADER_BYTES);
    expect(await append(0, 1, Buffer.alloc(4, 3))).toBe(2 * CHUNK_RECORD_HEADER_BYTES + 4);
    expect(store.listChunkLogs().sort((a, b) => a.track - b.track)).toEqual([
      { sessionId: SESSION, track: 0 },
      { sessionId: SESSION, track: 1 },
    ]);
  });

  it("assembles a WAV only from bytes that still match their digests", async () => {
    const a = Buffer.alloc(8, 1);
    const b = Buffer.alloc(8, 2);
    const refs = [ref(0, a, await append(0, 0, a)), { ...ref(1, b, await append(0, 1, b)), sha256: sha256(a).toString("hex") }];
    const result = await store.assembleWav(SESSION, 0, { sampleRate: 8000, channels: 1 }, refs);
    expect(result).toEqual({ ok: false, damaged: [1] });
  });

  describe("recovery", () => {
    const payloads = [0, 1, 2, 3].map((seq) => Buffer.alloc(64 + seq * 2, seq + 1));

    it("finds the verified records that no row points at, and leaves committed ones alone", async () => {
      const offsets: number[] = [];
      for (const [seq, payload] of payloads.entries()) offsets.push(await append(0, seq, payload));
      await store.close();
      const committed = [ref(0, payloads[0]!, offsets[0]!), ref(1, payloads[1]!, offsets[1]!)];
      const recovery = await new AudioStore(data.dir).recoverLog(SESSION, 0, committed);
      expect(recovery).toEqual({
        chunks: [2, 3].map((seq) => ({ ...ref(seq, payloads[seq]!, offsets[seq]!), appendedAt: 1_700_000_000_000 + seq })),
        truncatedBytes: 0,
        unreadable: 0,
      });
    });

    it("returns one record per seq when a retried upload stored it twice", async () => {
      const first = await append(0, 0, payloads[0]!);
      await append(0, 0, payloads[0]!);
      const recovery = await store.recoverLog(SESSION, 0, []);
      expect(recovery.chunks.map((chunk) => [chunk.seq, chunk.offset])).toEqual([[0, first]]);
    });

    it.each([
      ["a header cut short", (record: Buffer) => record.subarray(0, 40)],
      ["a payload cut short", (record: Buffer) => record.subarray(0, CHUNK_RECORD_HEADER_BYTES + 10)],
      ["a payload that never reached the disk", (record: Buffer) => Buffer.concat([record.subarray(0, CHUNK_RECORD_HEADER_BYTES), Buffer.alloc(record.length - CHUNK_RECORD_HEADER_BYTES)])],
    ])("cuts off a torn last record (%s) so the next append starts cleanly", async (_case, tear) => {
      const offsets = [await append(0, 0, payloads[0]!), await append(0, 1, payloads[1]!)];
      const log = store.chunkLogPath(SESSION, 0);
      await store.close();
      const whole = readFileSync(log);
      // What the log looked like had the server died while writing seq 1: seq 0 is committed, seq 1 torn.
      const recordStart = offsets[1]! - CHUNK_RECORD_HEADER_BYTES;
      writeFileSync(log, Buffer.concat([whole.subarray(0, recordStart), tear(whole.subarray(recordStart))]));

      const restarted = new AudioStore(data.dir);
      const recovery = await restarted.recoverLog(SESSION, 0, [ref(0, payloads[0]!, offsets[0]!)]);
      expect(recovery.chunks).toEqual([]);
      expect(recovery.truncatedBytes).toBeGreaterThan(0);
      expect(statSync(log).size).toBe(recordStart);

      const again = await restarted.appendChunk(identity(0, 1, payloads[1]!), payloads[1]!);
      expect(again.offset).toBe(offsets[1]);
      expect((await restarted.recoverLog(SESSION, 0, [])).chunks.map((chunk) => chunk.seq)).toEqual([0, 1]);
      await restarted.close();
    });

    it("steps over an unreadable record in the middle and never cuts below a committed chunk", async () => {
      const offsets: number[] = [];
      for (const [seq, payload] of payloads.entries()) offsets.push(await append(0, seq, payload));
      const log = store.chunkLogPath(SESSION, 0);
      await store.close();
      const bytes = readFileSync(log);
      bytes.fill(0xee, offsets[1]! - CHUNK_RECORD_HEADER_BYTES, offsets[1]! - CHUNK_RECORD_HEADER_BYTES + 8); // seq 1's header is damaged
      writeFileSync(log, bytes);
      const committed = [0, 2].map((seq) => ref(seq, payloads[seq]!, offsets[seq]!));
      const recovery = await new AudioStore(data.dir).recoverLog(SESSION, 0, committed);
      expect(recovery.chunks.map((chunk) => chunk.seq)).toEqual([3]);
      expect(recovery.unreadable).toBe(1);
      expect(recovery.truncatedBytes).toBe(0);
      expect(statSync(log).size).toBe(bytes.length);
    });

    it("keeps appending bare payloads to a log written before records had headers", async () => {
      const log = store.chunkLogPath(SESSION, 0);
      mkdirSync(path.dirname(log), { recursive: true });
      appendFileSync(log, payloads[0]!);
      const appended = await store.appendChunk(identity(0, 1, payloads[1]!), payloads[1]!);
      expect(appended).toEqual({ offset: payloads[0]!.length, recoverable: false });
      expect(readFileSync(log).equals(Buffer.concat([payloads[0]!, payloads[1]!]))).toBe(true);
      // Recovery finds nothing to add there and cuts nothing a row points at.
      const committed = [ref(0, payloads[0]!, 0), ref(1, payloads[1]!, payloads[0]!.length)];
      expect(await store.recoverLog(SESSION, 0, committed)).toMatchObject({ chunks: [], truncatedBytes: 0 });
    });
  });
});
