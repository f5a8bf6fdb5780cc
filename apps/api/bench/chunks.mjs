// Chunk ingest throughput benchmark.
//
// Measures `PUT /api/session/:id/tracks/0/chunks/:seq` on the real built server (dist/server.js):
// S recording sessions upload 1 s chunks of 48 kHz mono 16-bit PCM (96 000 bytes) at once, each
// session one chunk after another (one request in flight, like the recorder), for a warm-up and
// then a measured window. Each answer must be 201: the server has verified the digest, durably
// written (O_DSYNC) the chunk's self-describing record in the track's log and committed the row
// before it answers (DESIGN, durability rules).
//
// For scale, the same load straight on the disk, from a child process (bench/append-writer.mjs)
// so it has an event loop of its own like the server: S writers each appending the same chunks
// to their own file, fdatasync after each — the cheapest durable append, the ceiling of any
// server that answers only once a chunk is durable. The disk of a shared machine changes speed
// from minute to minute, so the bench runs in rounds: raw appends, the server, raw appends, the
// server, …, raw appends; each server run is compared with the faster of the raw runs just before
// and after it, and the median of the rounds' ratios is the figure. And, for information, the
// server's own file step per chunk: header and payload written with one writev at the end of the
// open log, opened with O_DSYNC. All of them write to the same file system (the OS temp directory),
// one after the other.
//
// Target: the server ingests at least 70 % of the raw append rate (MB/s of PCM payload), as the
// median over the rounds.
//
// Settings (environment): BENCH_SESSIONS (32), BENCH_DEVICES (4), BENCH_DURATION seconds (10),
// BENCH_WARMUP seconds (2), BENCH_ROUNDS (3: server runs, each between two raw runs),
// BENCH_POOL_MB (256: memory for precomputed chunks; each session cycles through its share of
// distinct chunks), BENCH_SERVER_NODE_ARGS (extra node flags for the server child, e.g.
// "--cpu-prof --cpu-prof-dir=<dir>" to profile it).
//
// The table shows, besides MB/s, chunks/s and latency, the CPU time per chunk of the measured
// process (server or disk writer) and the CPU shares of it, of its main thread (the event loop;
// near 100 % it is the bottleneck), of this process (the HTTP client) and of everything else — a
// run during which other processes used the CPUs is flagged as disturbed, and a client near a
// full core as the possible bottleneck. On a loaded file system the kernel's own writeback
// threads count as "other" too.
//
// Exit code: 0 when the benchmark ran (even if the target is missed); 1 on errors — a server
// that does not start, failed setup, more than 0.1 % answers other than 201, or a server that
// stored a different number of chunks than it acknowledged.
import net from "node:net";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { CHANNELS, CHUNK_BYTES, chunkPool, distinctChunksPerStream, SAMPLE_RATE } from "./chunk-fixtures.mjs";
import {
  backgroundLoadPercent,
  BenchError,
  coreShares,
  createDevices,
  createSessions,
  HOST,
  intFromEnv,
  isDisturbed,
  limitRunTime,
  makeTempDir,
  mark,
  MeasurementWindow,
  nextMessage,
  orNa,
  printTable,
  putChunkOnce,
  removeTempDir,
  requestJson,
  round,
  runBenchmark,
  serverNodeArgsFromEnv,
  startChild,
  startCpuMeter,
  startRealServer,
  stopChild,
  warnIfDisturbed,
} from "./support.mjs";

const TARGETS = {
  /** server MB/s ÷ raw fdatasynced append MB/s */
  minRatio: 0.7,
};
/** More bad answers than this fraction means the numbers measure failures, not ingest. */
const MAX_BAD_FRACTION = 0.001;
const REQUEST_TIMEOUT_MS = 30_000;
/** A load generator (one event loop) above this share of a core may itself be the bottleneck. */
const CLIENT_BOTTLENECK_CPU_PERCENT = 90;
const TRACK = 0;

// ---------------------------------------------------------------------------------------------
// Settings

function readSettings() {
  return {
    sessions: intFromEnv("BENCH_SESSIONS", 32),
    devices: intFromEnv("BENCH_DEVICES", 4),
    durationSeconds: intFromEnv("BENCH_DURATION", 10),
    rounds: intFromEnv("BENCH_ROUNDS", 3),
    warmupSeconds: intFromEnv("BENCH_WARMUP", 2, 0),
    poolMegabytes: intFromEnv("BENCH_POOL_MB", 256),
    serverNodeArgs: serverNodeArgsFromEnv(),
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/** Declares track 0 on every session, as the recorder does before its first chunk. */
async function declareTracks(baseUrl, sessions) {
  await Promise.all(
    sessions.map((session) =>
      requestJson("PUT", `${baseUrl}/api/session/${session.id}/tracks/${TRACK}`, {
        token: session.token,
        body: { label: "Microphone", sampleRate: SAMPLE_RATE, channels: CHANNELS },
        expectStatus: 200,
      }),
    ),
  );
}

/** One chunk by hand, so a broken route fails here with its message, not as 100 % bad answers. */
async function checkChunkUploadWorks(baseUrl, session) {
  const { status, text } = await putChunkOnce(`${baseUrl}${session.chunksPath}0`, session.pool[0], session.authorization);
  if (status !== 201) throw new BenchError(`first chunk answered ${status}, expected 201: ${text.slice(0, 300)}`);
  const ack = JSON.parse(text);
  if (ack.created !== true || ack.committedThrough !== 0 || ack.size !== CHUNK_BYTES) {
    throw new BenchError(`unexpected chunk answer: ${text.slice(0, 300)}`);
  }
  session.nextSeq = 1;
  session.stored = 1;
}

/** The server must hold exactly the chunks it acknowledged. */
async function checkStoredChunks(baseUrl, sessions) {
  for (const session of sessions) {
    const detail = await requestJson("GET", `${baseUrl}/api/session/${session.id}`, { token: session.token, expectStatus: 200 });
    const chunkCount = detail.tracks.find((track) => track.track === TRACK)?.chunkCount;
    if (chunkCount !== session.stored) {
      throw new BenchError(`session ${session.id} acknowledged ${session.stored} chunks but holds ${chunkCount}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Load: one keep-alive connection per session (one request in flight, like the recorder) with a
// minimal HTTP/1.1 client, as load generators such as autocannon do: the request head and the
// ready-made body leave in one write, and of the answer only the status line and Content-Length
// are parsed (the body is read only for a bad answer). The client shares the two CPUs with the
// server, so every microsecond it spends is one the server does not get: `http.request` cost
// about three times as much CPU per upload (and fetch several times more).

/** A keep-alive HTTP/1.1 connection that sends one request at a time and reads its answer. */
class UploadConnection {
  constructor(port) {
    this.port = port;
    this.socket = null;
    this.waiting = null; // { resolve, received: Buffer[], receivedBytes, headEnd, status, bodyBytes, keepAlive }
  }

  connect() {
    const socket = net.connect({ host: HOST, port: this.port, noDelay: true });
    // Events of a connection this client has already let go of concern no request.
    socket.on("data", (data) => this.socket === socket && this.onData(data));
    const fail = (message) => this.socket === socket && this.fail(message);
    socket.on("error", (error) => fail(error.message));
    socket.on("close", () => fail("connection closed before the answer"));
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    this.socket = socket;
    return socket;
  }

  /** Sends `head` (the request line and headers, with the blank line) and `body`; resolves to { status, text }. */
  request(head, body) {
    return new Promise((resolve) => {
      this.waiting = { resolve, received: [], receivedBytes: 0, headEnd: -1, status: 0, bodyBytes: 0, keepAlive: true };
      const socket = this.socket ?? this.connect();
      socket.cork();
      socket.write(head, "latin1");
      socket.write(body);
      socket.uncork();
    });
  }

  onData(data) {
    const waiting = this.waiting;
    if (!waiting) return;
    waiting.received.push(data);
    waiting.receivedBytes += data.length;
    if (waiting.headEnd < 0) {
      const all = waiting.received.length === 1 ? data : Buffer.concat(waiting.received);
      waiting.received = [all];
      const headEnd = all.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const head = all.toString("latin1", 0, headEnd);
      waiting.headEnd = headEnd + 4;
      waiting.status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!length) return this.fail(`answer without Content-Length: ${head.slice(0, 200)}`);
      waiting.bodyBytes = Number(length[1]);
      waiting.keepAlive = !/\r\nconnection: *close/i.test(head);
    }
    const bodyReceived = waiting.receivedBytes - waiting.headEnd;
    if (bodyReceived < waiting.bodyBytes) return;
    if (bodyReceived > waiting.bodyBytes) return this.fail("more bytes than the answer's Content-Length");
    // A 201's body (the ack) is not needed; only a bad answer's is worth reading.
    const text = waiting.status === 201 ? "" : Buffer.concat(waiting.received).toString("utf8", waiting.headEnd);
    if (!waiting.keepAlive) this.close();
    this.finish({ status: waiting.status, text });
  }

  fail(message) {
    this.close();
    this.finish({ status: 0, text: message });
  }

  finish(result) {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = null;
    waiting.resolve(result);
  }

  close() {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }
}

function chunkUploader(port, authority) {
  return function putChunk(session, seq, chunk) {
    session.connection ??= new UploadConnection(port);
    const head =
      `PUT ${session.chunksPath}${seq} HTTP/1.1\r\nhost: ${authority}\r\ncontent-type: application/octet-stream\r\n` +
      `content-length: ${chunk.bytes.length}\r\ncontent-digest: ${chunk.contentDigest}\r\nauthorization: ${session.authorization}\r\n\r\n`;
    return session.connection.request(head, chunk.bytes);
  };
}

async function uploadLoop(session, putChunk, window, tally) {
  while (window.running) {
    const seq = session.nextSeq;
    session.nextSeq += 1;
    const chunk = session.pool[seq % session.pool.length];
    const started = performance.now();
    const { status, text } = await putChunk(session, seq, chunk);
    if (status === 201) {
      window.record(started, performance.now());
      session.stored += 1;
      tally.created += 1;
    } else {
      tally.bad += 1;
      const key = status === 0 ? "error" : String(status);
      tally.statusCodes[key] = (tally.statusCodes[key] ?? 0) + 1;
      tally.firstBad ??= `${key}: ${text.slice(0, 200)}`;
    }
  }
}

async function measureServer(server, sessions, settings, target) {
  const putChunk = chunkUploader(server.port, `${HOST}:${server.port}`);
  const tally = { created: 0, bad: 0, statusCodes: {}, firstBad: null };
  let meter;
  let cpu;
  const window = new MeasurementWindow({
    warmupMs: settings.warmupSeconds * 1000,
    durationMs: settings.durationSeconds * 1000,
    onMeasuring: () => (meter = startCpuMeter(server.handle.child.pid)),
    onStopped: () => (cpu = meter()),
  });
  if (settings.warmupSeconds > 0) console.log(`  ${target}: warming up for ${settings.warmupSeconds} s`);
  const measured = window.start().then(() => console.log(`  ${target}: measured ${settings.durationSeconds} s with ${sessions.length} sessions`));
  const loops = sessions.map((session) => uploadLoop(session, putChunk, window, tally));
  await measured;
  await Promise.all(loops);
  for (const session of sessions) session.connection?.close();
  if (server.handle.done) throw new BenchError(`${server.handle.name} exited during the run`);

  const attempts = tally.created + tally.bad;
  if (tally.created === 0 || tally.bad / attempts > MAX_BAD_FRACTION) {
    throw new BenchError(
      `${tally.bad} of ${attempts} chunk uploads were not answered 201 (${JSON.stringify(tally.statusCodes)}; first: ${tally.firstBad}); ` +
        `more than ${MAX_BAD_FRACTION * 100} % is a failed run`,
    );
  }
  return summarize(target, window.summary(), cpu, { uploads: attempts, bad: tally.bad, statusCodes: tally.statusCodes });
}

// ---------------------------------------------------------------------------------------------
// The disk baselines, each in its own child process and directory

async function measureDisk(target, mode, settings, distinctChunks) {
  const dir = await makeTempDir("tidemark-bench-disk-");
  const writerSettings = {
    mode,
    dir,
    writers: settings.sessions,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    distinctChunks,
  };
  const handle = startChild(`${target} writer`, ["bench/append-writer.mjs", JSON.stringify(writerSettings)], {}, { ipc: true });
  try {
    console.log(`  ${target}: ${settings.warmupSeconds > 0 ? `warming up for ${settings.warmupSeconds} s, then ` : ""}measuring`);
    await nextMessage(handle, "measuring");
    const meter = startCpuMeter(handle.child.pid);
    const result = await nextMessage(handle, "result");
    const cpu = meter();
    console.log(`  ${target}: measured ${settings.durationSeconds} s with ${settings.sessions} writers`);
    const { code } = await Promise.race([handle.exited, sleep(REQUEST_TIMEOUT_MS).then(() => ({ code: "still running" }))]);
    if (code !== 0) throw new BenchError(`${handle.name} ended with ${code}`);
    return summarize(target, result, cpu, {});
  } finally {
    await stopChild(handle);
    await removeTempDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function summarize(target, { operations, windowMs, latency }, cpu, extra) {
  const seconds = windowMs / 1000;
  const shares = coreShares(cpu);
  return {
    target,
    megabytesPerSecond: round((operations * CHUNK_BYTES) / seconds / 1e6, 1),
    chunksPerSecond: round(operations / seconds, 0),
    latencyP50Ms: latency.p50Ms,
    latencyP99Ms: latency.p99Ms,
    latencyMaxMs: latency.maxMs,
    chunks: operations,
    ...extra,
    cpuUsPerChunk: cpu.measuredMs === null || operations === 0 ? null : round((1000 * cpu.measuredMs) / operations, 1),
    measuredCpuPercent: shares.measured,
    mainThreadCpuPercent: shares.mainThread,
    clientCpuPercent: shares.own,
    otherCpuPercent: shares.other,
  };
}

function printResults(rows) {
  printTable(
    [
      ["target", (r) => r.target],
      ["MB/s", (r) => r.megabytesPerSecond.toFixed(1)],
      ["chunks/s", (r) => r.chunksPerSecond.toLocaleString("en-US")],
      ["p50 ms", (r) => orNa(r.latencyP50Ms)],
      ["p99 ms", (r) => orNa(r.latencyP99Ms)],
      ["chunks", (r) => r.chunks.toLocaleString("en-US")],
      ["bad", (r) => (r.bad === undefined ? "-" : String(r.bad))],
      ["µs CPU/chunk", (r) => orNa(r.cpuUsPerChunk)],
      // CPU shares in % of one core: the server or disk writer (and its main thread), this process (the HTTP client), the rest.
      ["process CPU %", (r) => orNa(r.measuredCpuPercent)],
      ["main thread %", (r) => orNa(r.mainThreadCpuPercent)],
      ["client CPU %", (r) => orNa(r.clientCpuPercent)],
      ["other CPU %", (r) => orNa(r.otherCpuPercent)],
    ],
    rows,
  );
  console.log("MB/s = 10^6 bytes of PCM payload per second; latency is per chunk (HTTP round trip for the server).");
  // Only server runs have an HTTP client (and a count of bad answers).
  for (const row of rows) {
    if (row.bad !== undefined && row.clientCpuPercent !== null && row.clientCpuPercent > CLIENT_BOTTLENECK_CPU_PERCENT) {
      console.log(`WARNING: the HTTP client used ${row.clientCpuPercent} % of a core in ${row.target}; it may have limited the server's figures`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const settings = readSettings();
  const distinctChunks = distinctChunksPerStream(settings.sessions, settings.poolMegabytes * 1e6);
  const phaseSeconds = settings.durationSeconds + settings.warmupSeconds;
  // Bounded in time whatever happens: setup, the timed phases, and generous slack.
  const phases = 2 * settings.rounds + 2;
  limitRunTime("chunks", 120_000 + phases * phaseSeconds * 1_000 + settings.sessions * (100 + distinctChunks));

  const backgroundLoad = await backgroundLoadPercent();
  console.log(
    `chunks bench: ${settings.sessions} sessions on ${settings.devices} devices, one track each, ${CHUNK_BYTES.toLocaleString("en-US")}-byte chunks ` +
      `(1 s of ${SAMPLE_RATE / 1000} kHz mono PCM), ${settings.rounds} round(s) of ${settings.durationSeconds} s (+${settings.warmupSeconds} s warm-up) ` +
      `per target, ${os.cpus().length} CPUs, node ${process.version}`,
  );
  console.log(`  machine busy before start: ${backgroundLoad ?? "n/a"} % of all CPUs`);
  if (backgroundLoad !== null && backgroundLoad > 10) {
    console.log("  WARNING: something else is using the CPUs; throughput figures will be low and noisy");
  }

  const rawRun = (index) => measureDisk(`raw append+fdatasync ${index + 1}`, "append", settings, distinctChunks);
  const rawRows = [await rawRun(0)];
  const serverRows = [];

  // Each round starts a server on an empty data directory and removes it afterwards, so every
  // run — server or raw — begins on the same file system and page cache. Chunks and digests are
  // computed before the first server starts.
  const poolStarted = Date.now();
  const pools = Array.from({ length: settings.sessions }, (_, index) => chunkPool(index, distinctChunks));
  console.log(`  precomputed ${distinctChunks} distinct chunks per session in ${Date.now() - poolStarted} ms`);
  for (let round = 0; round < settings.rounds; round += 1) {
    serverRows.push(await serverRound(`server ingest ${round + 1}`, pools, settings));
    rawRows.push(await rawRun(round + 1));
  }
  pools.length = 0;

  // The server's file step alone.
  const logRow = await measureDisk("log append step", "log", settings, distinctChunks);

  // Each server run against the faster of the raw runs around it: a burst of other work on the
  // machine during one of them cannot make the server look better than it is.
  const rounds = serverRows.map((serverRow, index) => {
    const [before, after] = [rawRows[index], rawRows[index + 1]];
    const baseline = after.megabytesPerSecond >= before.megabytesPerSecond ? after : before;
    return { server: serverRow, baseline: baseline.target, ratio: round(serverRow.megabytesPerSecond / baseline.megabytesPerSecond, 3) };
  });
  const ratio = median(rounds.map((entry) => entry.ratio));
  const targets = { ratio: { value: ratio, min: TARGETS.minRatio, met: ratio >= TARGETS.minRatio } };
  const medianServerMegabytes = median(serverRows.map((row) => row.megabytesPerSecond));
  const ofLogStep = round(medianServerMegabytes / logRow.megabytesPerSecond, 3);
  const rows = [...rawRows.flatMap((rawRow, index) => (serverRows[index] ? [rawRow, serverRows[index]] : [rawRow])), logRow];

  console.log("");
  printResults(rows);
  warnIfDisturbed(rows);
  console.log("");
  for (const [index, entry] of rounds.entries()) {
    console.log(`round ${index + 1}  server ÷ raw append MB/s ${entry.ratio} (baseline: the faster raw run around it, ${entry.baseline})`);
  }
  console.log(`${mark(targets.ratio.met)}  server ÷ raw append MB/s ratio ${ratio}, the median of ${rounds.length} round(s) (target ≥ ${TARGETS.minRatio})`);
  console.log(`info    median server MB/s ÷ log append step MB/s: ${ofLogStep} (the server's file step alone, without HTTP and SQLite)`);
  const { serverNodeArgs, ...reported } = settings;
  console.log(
    JSON.stringify({
      bench: "chunks",
      settings: { ...reported, chunkBytes: CHUNK_BYTES, distinctChunksPerSession: distinctChunks },
      machine: { cpus: os.cpus().length, node: process.version, busyBeforeStartPercent: backgroundLoad },
      rounds,
      rawAppendRuns: rawRows,
      logAppendStep: logRow,
      targets,
      allTargetsMet: Object.values(targets).every((target) => target.met),
      serverOfLogStepRatio: ofLogStep,
      disturbed: rows.some(isDisturbed),
    }),
  );
}

/** One server run: a fresh server and data directory, its sessions set up, measured, checked and removed. */
async function serverRound(target, pools, settings) {
  const dataDir = await makeTempDir();
  const server = await startRealServer(dataDir, settings.serverNodeArgs);
  try {
    const setupStarted = Date.now();
    const devices = await createDevices(server.baseUrl, Math.min(settings.devices, settings.sessions));
    const sessions = (await createSessions(server.baseUrl, devices, settings.sessions)).map((session, index) => ({
      ...session,
      authorization: `Bearer ${session.token}`,
      chunksPath: `/api/session/${session.id}/tracks/${TRACK}/chunks/`,
      pool: pools[index],
      nextSeq: 0,
      stored: 0,
    }));
    await declareTracks(server.baseUrl, sessions);
    console.log(`  created ${devices.length} devices, ${sessions.length} sessions and their tracks in ${Date.now() - setupStarted} ms`);
    await checkChunkUploadWorks(server.baseUrl, sessions[0]);
    const row = await measureServer(server, sessions, settings, target);
    await checkStoredChunks(server.baseUrl, sessions);
    return row;
  } finally {
    await stopChild(server.handle);
    await removeTempDir(dataDir);
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : round((sorted[middle - 1] + sorted[middle]) / 2, 3);
}

runBenchmark("chunks", main);
