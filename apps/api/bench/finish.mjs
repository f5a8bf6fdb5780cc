// How long "Stop" takes for a long recording: `POST /api/session/:id/finish` on the real built
// server (dist/server.js) for a two-track session of BENCH_FINISH_SECONDS seconds (3600: an
// hour) of 48 kHz mono 16-bit PCM per track, uploaded beforehand as 1 s chunks the way the
// recorder sends them. Finishing checks there are no gaps, reads every chunk back from the
// track's log and verifies its SHA-256, writes one WAV per track (temp file, fsync, rename),
// records the files and creates their recovery tokens; the time is the whole request, as the
// user waits for it. Each round runs on a fresh server and data directory; the answer must be
// 200 with two files of the exact WAV size.
//
// No target (the issue sets none); the figures are for the README. Settings (environment):
// BENCH_FINISH_SECONDS (3600), BENCH_ROUNDS (3). Exit code: 0 when it ran, 1 on errors.
import { performance } from "node:perf_hooks";
import { CHANNELS, CHUNK_BYTES, chunkPool, SAMPLE_RATE } from "./chunk-fixtures.mjs";
import {
  BenchError,
  createDevices,
  createSessions,
  intFromEnv,
  limitRunTime,
  makeTempDir,
  printTable,
  putChunkOnce,
  removeTempDir,
  requestJson,
  round,
  runBenchmark,
  startRealServer,
  stopChild,
} from "./support.mjs";

const TRACKS = [0, 1];
/** A canonical PCM WAV header: RIFF, fmt and data chunk headers. */
const WAV_HEADER_BYTES = 44;
/** Distinct chunks per track; the rest repeat them (nothing stored dedupes). */
const DISTINCT_CHUNKS = 64;

async function putChunk(baseUrl, token, sessionId, track, seq, chunk) {
  const url = `${baseUrl}/api/session/${sessionId}/tracks/${track}/chunks/${seq}`;
  const { status, text } = await putChunkOnce(url, chunk, `Bearer ${token}`);
  if (status !== 201) throw new BenchError(`chunk ${seq} of track ${track} answered ${status}: ${text.slice(0, 300)}`);
}

/** Both tracks side by side, each one chunk after another, as the uploader sends them. */
async function uploadRecording(baseUrl, token, sessionId, seconds) {
  await Promise.all(
    TRACKS.map(async (track) => {
      await requestJson("PUT", `${baseUrl}/api/session/${sessionId}/tracks/${track}`, {
        token,
        body: { label: `Input ${track + 1}`, sampleRate: SAMPLE_RATE, channels: CHANNELS },
        expectStatus: 200,
      });
      const pool = chunkPool(2_000 + track, DISTINCT_CHUNKS);
      for (let seq = 0; seq < seconds; seq += 1) await putChunk(baseUrl, token, sessionId, track, seq, pool[seq % pool.length]);
    }),
  );
}

async function finishRound(index, seconds) {
  const dataDir = await makeTempDir();
  const server = await startRealServer(dataDir, []);
  try {
    const [device] = await createDevices(server.baseUrl, 1);
    const [session] = await createSessions(server.baseUrl, [device], 1);
    const uploadStarted = performance.now();
    await uploadRecording(server.baseUrl, device.token, session.id, seconds);
    const uploadMs = performance.now() - uploadStarted;

    const lastSeq = Object.fromEntries(TRACKS.map((track) => [String(track), seconds - 1]));
    const finishStarted = performance.now();
    const finished = await requestJson("POST", `${server.baseUrl}/api/session/${session.id}/finish`, {
      token: device.token,
      body: { lastSeq },
      expectStatus: 200,
    });
    const finishMs = performance.now() - finishStarted;

    const expectedBytes = WAV_HEADER_BYTES + seconds * CHUNK_BYTES;
    const sizes = TRACKS.map((track) => finished.files.find((file) => file.track === track)?.sizeBytes);
    if (finished.status !== "completed" || sizes.some((size) => size !== expectedBytes)) {
      throw new BenchError(`finish answered status ${finished.status} with file sizes ${sizes.join(", ")}; expected ${expectedBytes} bytes each`);
    }
    const audioMegabytes = (TRACKS.length * seconds * CHUNK_BYTES) / 1e6;
    return {
      target: `finish ${index + 1}`,
      audioMegabytes: round(audioMegabytes, 1),
      uploadSeconds: round(uploadMs / 1000, 1),
      finishSeconds: round(finishMs / 1000, 2),
      assembledMegabytesPerSecond: round(audioMegabytes / (finishMs / 1000), 0),
    };
  } finally {
    await stopChild(server.handle);
    await removeTempDir(dataDir);
  }
}

async function main() {
  const seconds = intFromEnv("BENCH_FINISH_SECONDS", 3600);
  const rounds = intFromEnv("BENCH_ROUNDS", 3);
  // Uploads run at well over 100 chunks/s; finishing a few hundred MB/s. Generous either way.
  limitRunTime("finish", 60_000 + rounds * seconds * 100);
  console.log(
    `finish bench: a two-track session of ${seconds} s per track (${((TRACKS.length * seconds * CHUNK_BYTES) / 1e6).toFixed(1)} MB of PCM), ` +
      `${rounds} round(s), node ${process.version}`,
  );
  const rows = [];
  for (let index = 0; index < rounds; index += 1) {
    const row = await finishRound(index, seconds);
    console.log(`  ${row.target}: uploaded in ${row.uploadSeconds} s, finished in ${row.finishSeconds} s`);
    rows.push(row);
  }
  console.log("");
  printTable(
    [
      ["round", (r) => r.target],
      ["audio MB", (r) => r.audioMegabytes.toFixed(1)],
      ["upload s", (r) => r.uploadSeconds.toFixed(1)],
      ["finish s", (r) => r.finishSeconds.toFixed(2)],
      ["assembled MB/s", (r) => String(r.assembledMegabytesPerSecond)],
    ],
    rows,
  );
  console.log("finish s = the whole finish request (gap check, every chunk read back and verified, two WAVs written durably, files recorded).");
  console.log(JSON.stringify({ bench: "finish", settings: { seconds, rounds, tracks: TRACKS.length }, rounds: rows }));
}

runBenchmark("finish", main);
