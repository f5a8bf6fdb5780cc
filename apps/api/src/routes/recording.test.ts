import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChunkAckSchema, FinishResponseSchema, SessionDetailSchema } from "@tidemark/shared";
import { parseWavHeader, WAV_HEADER_BYTES } from "../lib/wav.ts";
import { encodeChunkRecordHeader } from "../services/chunk-log.ts";
import { ManualClock } from "../test-support/manual-clock.ts";
import {
  contentDigestOf,
  createDevice,
  createSession,
  createTestApp,
  declareTrack,
  pcmChunk,
  post,
  putChunk,
  tempDataDir,
  type Device,
} from "../test-support/test-app.ts";

const SAMPLES = 4_800; // 0.1 s at 48 kHz keeps the tests fast

describe("recording routes", () => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let alice: Device;
  let data: ReturnType<typeof tempDataDir>;
  let sessionId: string;

  async function startApp() {
    app = await createTestApp({
      clock,
      dataDir: data.dir,
      databaseFile: path.join(data.dir, "tidemark.sqlite"),
      env: { SWEEP_INTERVAL_MS: "3600000" },
    });
  }

  beforeEach(async () => {
    data = tempDataDir();
    clock = new ManualClock();
    await startApp();
    alice = await createDevice(app);
    sessionId = (await createSession(app, alice)).id;
  });
  afterEach(async () => {
    await app.close();
    data.remove();
  });

  const finish = (body?: Record<string, unknown>) =>
    app.inject({ method: "POST", url: `/api/session/${sessionId}/finish`, headers: alice.headers, ...(body ? { payload: body } : {}) });

  describe("PUT /api/session/:id/tracks/:track", () => {
    it("declares a track and answers the same declaration again", async () => {
      const first = await declareTrack(app, alice, sessionId, 0);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ track: 0, label: "Microphone", sampleRate: 48_000, channels: 1, chunkCount: 0, committedThrough: -1 });
      const again = await declareTrack(app, alice, sessionId, 0);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
    });

    it("refuses to change the format of a declared track", async () => {
      await declareTrack(app, alice, sessionId, 0);
      const changed = await declareTrack(app, alice, sessionId, 0, { label: "Microphone", sampleRate: 44_100, channels: 1 });
      expect(changed.statusCode).toBe(409);
    });

    it.each([
      ["track 2", 2, { label: "x", sampleRate: 48_000, channels: 1 }],
      ["a sample rate of 0", 0, { label: "x", sampleRate: 0, channels: 1 }],
      ["three channels", 0, { label: "x", sampleRate: 48_000, channels: 3 }],
      ["an unknown field", 0, { label: "x", sampleRate: 48_000, channels: 1, codec: "opus" }],
    ])("refuses %s with 400", async (_case, track, declaration) => {
      const response = await declareTrack(app, alice, sessionId, track, declaration);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ message: expect.any(String) });
    });
  });

  describe("PUT /api/session/:id/tracks/:track/chunks/:seq", () => {
    beforeEach(async () => {
      await declareTrack(app, alice, sessionId, 0);
    });

    it("stores a chunk durably before answering 201 with the committed position", async () => {
      const body = pcmChunk(SAMPLES);
      const response = await putChunk(app, alice, sessionId, 0, 0, body);
      expect(response.statusCode).toBe(201);
      expect(ChunkAckSchema.parse(response.json())).toEqual({
        track: 0,
        seq: 0,
        size: body.length,
        created: true,
        committedThrough: 0,
        chunkCount: 1,
      });
      // The bytes are in the track's chunk log, where the database row says they are.
      const log = readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.chunks"));
      const row = app.recordingRepository.listChunks(sessionId, 0)[0]!;
      expect(log.subarray(row.offset, row.offset + row.size).equals(body)).toBe(true);
    });

    it("answers a replay of the same chunk with 200 and stores it once", async () => {
      const body = pcmChunk(SAMPLES);
      await putChunk(app, alice, sessionId, 0, 0, body);
      const replay = await putChunk(app, alice, sessionId, 0, 0, body);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toMatchObject({ created: false, chunkCount: 1, committedThrough: 0 });
    });

    it("refuses a different payload for a stored seq with 409 and keeps the original", async () => {
      const original = pcmChunk(SAMPLES, 0);
      await putChunk(app, alice, sessionId, 0, 0, original);
      const other = await putChunk(app, alice, sessionId, 0, 0, pcmChunk(SAMPLES, 1));
      expect(other.statusCode).toBe(409);
      const finished = FinishResponseSchema.parse((await finish()).json());
      const wav = readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.wav"));
      expect(wav.subarray(WAV_HEADER_BYTES).equals(original)).toBe(true);
      expect(finished.files[0]?.sizeBytes).toBe(WAV_HEADER_BYTES + original.length);
    });

    it("moves the committed position only over contiguous seqs", async () => {
      const ack = async (seq: number) => (await putChunk(app, alice, sessionId, 0, seq, pcmChunk(SAMPLES, seq))).json();
      expect((await ack(0)).committedThrough).toBe(0);
      expect((await ack(2)).committedThrough).toBe(0);
      expect((await ack(3)).committedThrough).toBe(0);
      expect((await ack(1)).committedThrough).toBe(3);
      const detail = SessionDetailSchema.parse(
        (await app.inject({ method: "GET", url: `/api/session/${sessionId}`, headers: alice.headers })).json(),
      );
      expect(detail.tracks[0]).toMatchObject({ chunkCount: 4, committedThrough: 3, highestSeq: 3, bytes: 4 * SAMPLES * 2 });
      expect(detail.tracks[0]?.durationSeconds).toBeCloseTo(0.4);
    });

    it("refuses a body that does not match its digest, or has none, with 400", async () => {
      const body = pcmChunk(SAMPLES);
      const wrong = await putChunk(app, alice, sessionId, 0, 0, body, contentDigestOf(pcmChunk(SAMPLES, 9)));
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json().message).toMatch(/does not match/);
      const none = await putChunk(app, alice, sessionId, 0, 0, body, "");
      expect(none.statusCode).toBe(400);
      expect(none.json().message).toMatch(/Content-Digest/);
    });

    it("refuses a chunk that is not whole 16-bit frames with 400", async () => {
      const odd = Buffer.alloc(101);
      expect((await putChunk(app, alice, sessionId, 0, 0, odd)).statusCode).toBe(400);
    });

    it("refuses a chunk over 1 MiB with 413", async () => {
      const big = Buffer.alloc(1024 * 1024 + 2);
      const response = await putChunk(app, alice, sessionId, 0, 0, big);
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({ message: expect.any(String) });
    });

    it("refuses a chunk sent as JSON with 415", async () => {
      const response = await app.inject({
        method: "PUT",
        url: `/api/session/${sessionId}/tracks/0/chunks/0`,
        headers: { ...alice.headers, "content-type": "application/json", "content-digest": contentDigestOf(Buffer.from("{}")) },
        payload: "{}",
      });
      expect(response.statusCode).toBe(415);
    });

    it("refuses a chunk for an undeclared track with 409", async () => {
      const response = await putChunk(app, alice, sessionId, 1, 0, pcmChunk(SAMPLES));
      expect(response.statusCode).toBe(409);
      expect(response.json().message).toMatch(/not declared/);
    });

    it("refuses chunks for a completed session with 409", async () => {
      await finish();
      expect((await putChunk(app, alice, sessionId, 0, 0, pcmChunk(SAMPLES))).statusCode).toBe(409);
    });

    it("accepts chunks while the session is incomplete, so a crashed client can catch up", async () => {
      clock.advance(60_000);
      await post(app, alice, "/api/session/check-timeouts");
      expect((await putChunk(app, alice, sessionId, 0, 0, pcmChunk(SAMPLES))).statusCode).toBe(201);
    });

    it("answers 404 for an unknown session and for another user's session", async () => {
      const bob = await createDevice(app);
      expect((await putChunk(app, bob, sessionId, 0, 0, pcmChunk(SAMPLES))).statusCode).toBe(404);
      expect((await declareTrack(app, bob, sessionId, 0)).statusCode).toBe(404);
      const unknown = "01900000-0000-7000-8000-000000000000";
      expect((await putChunk(app, alice, unknown, 0, 0, pcmChunk(SAMPLES))).statusCode).toBe(404);
    });

    it("refuses a malformed seq or track with 400", async () => {
      for (const url of [`/api/session/${sessionId}/tracks/0/chunks/-1`, `/api/session/${sessionId}/tracks/0/chunks/1.5`, `/api/session/${sessionId}/tracks/7/chunks/0`]) {
        const body = pcmChunk(10);
        const response = await app.inject({
          method: "PUT",
          url,
          headers: { ...alice.headers, "content-type": "application/octet-stream", "content-digest": contentDigestOf(body) },
          payload: body,
        });
        expect(response.statusCode, url).toBe(400);
      }
    });

    it("keeps every acknowledged chunk across a server restart", async () => {
      for (let seq = 0; seq < 3; seq += 1) await putChunk(app, alice, sessionId, 0, seq, pcmChunk(SAMPLES, seq));
      await app.close();
      await startApp();
      const response = await finish();
      expect(response.statusCode).toBe(200);
      const wav = readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.wav"));
      expect(parseWavHeader(wav).dataBytes).toBe(3 * SAMPLES * 2);
    });
  });

  describe("recovery of chunk rows after a crash", () => {
    const logPath = () => path.join(data.dir, "sessions", sessionId, "track-0.chunks");
    const chunk = (seq: number) => pcmChunk(SAMPLES, seq * SAMPLES);
    const trackDetail = async () =>
      SessionDetailSchema.parse((await app.inject({ method: "GET", url: `/api/session/${sessionId}`, headers: alice.headers })).json()).tracks[0];
    const finishedAudio = async () => {
      expect((await finish()).statusCode).toBe(200);
      return readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.wav")).subarray(WAV_HEADER_BYTES);
    };

    beforeEach(async () => {
      await declareTrack(app, alice, sessionId, 0);
    });

    it("re-creates, at restart, the rows of acknowledged chunks whose commit a crash lost", async () => {
      for (let seq = 0; seq < 4; seq += 1) expect((await putChunk(app, alice, sessionId, 0, seq, chunk(seq))).statusCode).toBe(201);
      // Chunk rows are committed without waiting for an fsync: a power cut may lose the last ones.
      app.recordingRepository.deleteChunks(sessionId, 0, [2, 3]);
      expect(await trackDetail()).toMatchObject({ chunkCount: 2, committedThrough: 1 });

      await app.close();
      await startApp();
      expect(await trackDetail()).toMatchObject({ chunkCount: 4, committedThrough: 3, highestSeq: 3 });
      const replay = await putChunk(app, alice, sessionId, 0, 3, chunk(3));
      expect(replay.statusCode).toBe(200);
      expect((await putChunk(app, alice, sessionId, 0, 3, chunk(9))).statusCode).toBe(409);
      expect((await finishedAudio()).equals(Buffer.concat([0, 1, 2, 3].map(chunk)))).toBe(true);
    });

    it("keeps a chunk whose bytes were durable when the server died before its row was committed", async () => {
      const insertChunk = app.recordingRepository.insertChunk.bind(app.recordingRepository);
      app.recordingRepository.insertChunk = () => {
        throw new Error("the process died here");
      };
      expect((await putChunk(app, alice, sessionId, 0, 0, chunk(0))).statusCode).toBe(500);
      app.recordingRepository.insertChunk = insertChunk;

      await app.close();
      await startApp();
      // The client never saw an answer and sends the chunk again: it is already there.
      const retry = await putChunk(app, alice, sessionId, 0, 0, chunk(0));
      expect(retry.statusCode).toBe(200);
      expect(retry.json()).toMatchObject({ created: false, chunkCount: 1, committedThrough: 0 });
    });

    it("ignores and cuts off a record torn by a crash, then stores the chunk when the client sends it again", async () => {
      for (let seq = 0; seq < 2; seq += 1) await putChunk(app, alice, sessionId, 0, seq, chunk(seq));
      await app.close();
      const whole = readFileSync(logPath());
      const torn = encodeChunkRecordHeader({
        sessionId,
        track: 0,
        seq: 2,
        size: chunk(2).length,
        sha256: createHash("sha256").update(chunk(2)).digest(),
        appendedAt: Date.now(),
      });
      writeFileSync(logPath(), Buffer.concat([whole, torn, chunk(2).subarray(0, 100)]));

      await startApp();
      expect(readFileSync(logPath()).equals(whole)).toBe(true);
      expect(await trackDetail()).toMatchObject({ chunkCount: 2, committedThrough: 1 });
      expect((await putChunk(app, alice, sessionId, 0, 2, chunk(2))).statusCode).toBe(201);
      expect((await finishedAudio()).equals(Buffer.concat([0, 1, 2].map(chunk)))).toBe(true);
    });
  });

  describe("POST /api/session/:id/finish with audio", () => {
    beforeEach(async () => {
      await declareTrack(app, alice, sessionId, 0);
      await declareTrack(app, alice, sessionId, 1, { label: "Guest", sampleRate: 44_100, channels: 2 });
    });

    it("assembles one valid WAV per track, records sizes and digests, and makes recovery tokens", async () => {
      const track0 = [0, 1, 2].map((seq) => pcmChunk(SAMPLES, seq * SAMPLES));
      const track1 = [0, 1].map((seq) => pcmChunk(4_410 * 2, seq)); // stereo frames
      for (const [seq, body] of track0.entries()) await putChunk(app, alice, sessionId, 0, seq, body);
      for (const [seq, body] of track1.entries()) await putChunk(app, alice, sessionId, 1, seq, body);

      const response = await finish({ lastSeq: { "0": 2, "1": 1 } });
      expect(response.statusCode).toBe(200);
      const result = FinishResponseSchema.parse(response.json());
      expect(result.status).toBe("completed");

      const wav0 = readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.wav"));
      expect(parseWavHeader(wav0)).toEqual({ riffSize: wav0.length - 8, channels: 1, sampleRate: 48_000, bitsPerSample: 16, dataBytes: 3 * SAMPLES * 2 });
      expect(wav0.subarray(WAV_HEADER_BYTES).equals(Buffer.concat(track0))).toBe(true);
      const wav1 = readFileSync(path.join(data.dir, "sessions", sessionId, "track-1.wav"));
      expect(parseWavHeader(wav1)).toMatchObject({ channels: 2, sampleRate: 44_100, dataBytes: 2 * 4_410 * 2 * 2 });

      expect(result.files).toEqual([
        expect.objectContaining({ track: 0, sizeBytes: wav0.length, sha256: createHash("sha256").update(wav0).digest("hex"), durationSeconds: 0.3 }),
        expect.objectContaining({ track: 1, sizeBytes: wav1.length, durationSeconds: 0.2 }),
      ]);
      expect(result.recoveryTokens.map((token) => token.track)).toEqual([0, 1]);
      expect(result.tokens).toHaveLength(2);
      // The chunk logs are gone once the WAVs are durable.
      expect(existsSync(path.join(data.dir, "sessions", sessionId, "track-0.chunks"))).toBe(false);
    });

    it("removes at restart a chunk log that a crash right after the completion left behind, keeping the WAV", async () => {
      const body = pcmChunk(SAMPLES, 0);
      await putChunk(app, alice, sessionId, 0, 0, body);
      const log = path.join(data.dir, "sessions", sessionId, "track-0.chunks");
      const leftover = readFileSync(log);
      expect((await finish()).statusCode).toBe(200);
      // As if the server died between the completion's commit and the log's removal.
      writeFileSync(log, leftover);

      await app.close();
      await startApp();
      expect(existsSync(log)).toBe(false);
      const wav = readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.wav"));
      expect(wav.subarray(WAV_HEADER_BYTES).equals(body)).toBe(true);
    });

    it("refuses with 409 and the missing seqs while a track has gaps, then finishes once they arrive", async () => {
      await putChunk(app, alice, sessionId, 0, 0, pcmChunk(SAMPLES, 0));
      await putChunk(app, alice, sessionId, 0, 2, pcmChunk(SAMPLES, 2));
      await putChunk(app, alice, sessionId, 1, 0, pcmChunk(SAMPLES, 0));
      const refused = await finish({ lastSeq: { "0": 3, "1": 0 } });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toEqual({ message: expect.stringMatching(/missing/i), missing: { "0": [1, 3] } });
      const detail = (await app.inject({ method: "GET", url: `/api/session/${sessionId}`, headers: alice.headers })).json();
      expect(detail.status).toBe("active");

      await putChunk(app, alice, sessionId, 0, 1, pcmChunk(SAMPLES, 1));
      await putChunk(app, alice, sessionId, 0, 3, pcmChunk(SAMPLES, 3));
      const done = await finish({ lastSeq: { "0": 3, "1": 0 } });
      expect(done.statusCode).toBe(200);
      expect(done.json().files[0].durationSeconds).toBeCloseTo(0.4);
    });

    it("skips missing chunks only when the user explicitly accepts the loss", async () => {
      await putChunk(app, alice, sessionId, 0, 0, pcmChunk(SAMPLES, 0));
      await putChunk(app, alice, sessionId, 0, 2, pcmChunk(SAMPLES, 2));
      const response = await finish({ allowGaps: true });
      expect(response.statusCode).toBe(200);
      const wav = readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.wav"));
      expect(parseWavHeader(wav).dataBytes).toBe(2 * SAMPLES * 2);
    });

    it("detects a chunk damaged on disk, forgets it and asks for it again", async () => {
      for (let seq = 0; seq < 3; seq += 1) await putChunk(app, alice, sessionId, 0, seq, pcmChunk(SAMPLES, seq));
      const logPath = path.join(data.dir, "sessions", sessionId, "track-0.chunks");
      const victim = app.recordingRepository.listChunks(sessionId, 0).find((chunk) => chunk.seq === 1)!;
      const log = readFileSync(logPath);
      log.fill(0xff, victim.offset, victim.offset + victim.size); // bit rot on disk
      writeFileSync(logPath, log);

      const refused = await finish();
      expect(refused.statusCode).toBe(409);
      expect(refused.json().missing).toEqual({ "0": [1] });
      expect((await putChunk(app, alice, sessionId, 0, 1, pcmChunk(SAMPLES, 1))).statusCode).toBe(201);
      const done = await finish();
      expect(done.statusCode).toBe(200);
      const wav = readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.wav"));
      expect(wav.subarray(WAV_HEADER_BYTES).equals(Buffer.concat([0, 1, 2].map((seq) => pcmChunk(SAMPLES, seq))))).toBe(true);
    });

    it("refuses a second finish with 409", async () => {
      await putChunk(app, alice, sessionId, 0, 0, pcmChunk(SAMPLES));
      expect((await finish()).statusCode).toBe(200);
      expect((await finish()).statusCode).toBe(409);
    });
  });

  describe("audio downloads", () => {
    let wav: Buffer;
    let token: string;

    beforeEach(async () => {
      await declareTrack(app, alice, sessionId, 0);
      for (let seq = 0; seq < 2; seq += 1) await putChunk(app, alice, sessionId, 0, seq, pcmChunk(SAMPLES, seq));
      const result = (await finish()).json();
      token = result.recoveryTokens[0].token;
      wav = readFileSync(path.join(data.dir, "sessions", sessionId, "track-0.wav"));
    });

    const get = (url: string, headers: Record<string, string> = {}, device = alice) =>
      app.inject({ method: "GET", url, headers: { ...device.headers, ...headers } });

    it("streams the whole WAV with its ETag and Accept-Ranges", async () => {
      const response = await get(`/api/session/${sessionId}/tracks/0/audio`);
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toBe("audio/wav");
      expect(response.headers["accept-ranges"]).toBe("bytes");
      expect(response.headers.etag).toBe(`"${createHash("sha256").update(wav).digest("hex")}"`);
      expect(response.rawPayload.equals(wav)).toBe(true);
    });

    it("resumes a broken download at its byte with 206", async () => {
      const response = await get(`/api/session/${sessionId}/tracks/0/audio`, { range: "bytes=1000-" });
      expect(response.statusCode).toBe(206);
      expect(response.headers["content-range"]).toBe(`bytes 1000-${wav.length - 1}/${wav.length}`);
      expect(response.rawPayload.equals(wav.subarray(1000))).toBe(true);
    });

    it("answers 416 for a range past the end and 304 for a matching If-None-Match", async () => {
      const past = await get(`/api/session/${sessionId}/tracks/0/audio`, { range: `bytes=${wav.length}-` });
      expect(past.statusCode).toBe(416);
      expect(past.headers["content-range"]).toBe(`bytes */${wav.length}`);
      const etag = (await get(`/api/session/${sessionId}/tracks/0/audio`)).headers.etag as string;
      expect((await get(`/api/session/${sessionId}/tracks/0/audio`, { "if-none-match": etag })).statusCode).toBe(304);
    });

    it("sends the whole file when If-Range names an older version", async () => {
      const response = await get(`/api/session/${sessionId}/tracks/0/audio`, { range: "bytes=0-9", "if-range": '"stale"' });
      expect(response.statusCode).toBe(200);
      expect(response.rawPayload.length).toBe(wav.length);
    });

    it("downloads by recovery token, with Range", async () => {
      const whole = await get(`/api/recovery/audio/${token}`);
      expect(whole.statusCode).toBe(200);
      expect(whole.rawPayload.equals(wav)).toBe(true);
      const part = await get(`/api/recovery/audio/${token}`, { range: "bytes=0-43" });
      expect(part.statusCode).toBe(206);
      expect(part.rawPayload.equals(wav.subarray(0, 44))).toBe(true);
    });

    it("makes new recovery tokens on request", async () => {
      const response = await app.inject({ method: "POST", url: "/api/recovery/token", headers: alice.headers, payload: { sessionId, track: 0 } });
      expect(response.statusCode).toBe(201);
      const fresh = response.json();
      expect(fresh.token).not.toBe(token);
      expect((await get(fresh.url)).statusCode).toBe(200);
      const missing = await app.inject({ method: "POST", url: "/api/recovery/token", headers: alice.headers, payload: { sessionId, track: 1 } });
      expect(missing.statusCode).toBe(404);
    });

    it("answers 410 once a token is older than 24 hours", async () => {
      clock.advance(24 * 3_600_000 + 1);
      const response = await get(`/api/recovery/audio/${token}`);
      expect(response.statusCode).toBe(410);
      expect(response.json()).toEqual({ message: expect.stringMatching(/expired/) });
    });

    it("answers 404 for an unknown token and for another user's token or file", async () => {
      const bob = await createDevice(app);
      expect((await get(`/api/recovery/audio/${token}`, {}, bob)).statusCode).toBe(404);
      expect((await get(`/api/session/${sessionId}/tracks/0/audio`, {}, bob)).statusCode).toBe(404);
      expect((await get(`/api/recovery/audio/${"x".repeat(43)}`)).statusCode).toBe(404);
    });
  });
});
