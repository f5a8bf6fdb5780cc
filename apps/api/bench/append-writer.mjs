// The disk baseline of the chunk benchmark, run as a child process of bench/chunks.mjs so its
// event loop is its own, like the server's. `writers` concurrent writers each store recording
// chunks in their own place under `dir`, one chunk after another, for a warm-up and then a
// measured window, with plain `fs.promises` on the default libuv thread pool (as the server):
//
//   append  — append the chunk to the writer's one open file, then fdatasync: the cheapest
//             durable append, the ceiling for any server that makes every chunk durable before
//             answering.
//   log     — what the server does with each chunk's bytes: write its record (a 96-byte header,
//             then the payload) at the end of the track's open log, opened with O_DSYNC, with
//             one callback writev (durable when it returns).
//
// Settings come as one JSON argument: { mode, dir, writers, warmupSeconds, durationSeconds,
// distinctChunks }. Messages to the parent over IPC: "measuring" when the window opens, then
// "result" { operations, bytes, windowMs, latency } when it closes, or "error" { message }.
import { constants, writev } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { chunkPool } from "./chunk-fixtures.mjs";
import { MeasurementWindow } from "./support.mjs";

const settings = JSON.parse(process.argv[2] ?? "{}");

async function appendWriter(index, pool, window) {
  const handle = await open(path.join(settings.dir, `writer-${index}.pcm`), "a");
  try {
    for (let seq = 0; window.running; seq += 1) {
      const { bytes } = pool[seq % pool.length];
      const started = performance.now();
      await handle.write(bytes);
      await handle.datasync();
      window.record(started, performance.now());
    }
  } finally {
    await handle.close();
  }
}

/** Size of the header the server writes before each chunk in its log (chunk-log.ts). */
const RECORD_HEADER_BYTES = 96;

/**
 * The server's file step for a chunk (`AudioStore.appendChunk`): on the track's log, kept open
 * with O_DSYNC, write header and payload at the log's end with one callback writev.
 */
async function logWriter(index, pool, window) {
  const flags = constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC;
  const handle = await open(path.join(settings.dir, `track-${index}.chunks`), flags, 0o644);
  const header = Buffer.alloc(RECORD_HEADER_BYTES, index);
  let size = 0;
  try {
    for (let seq = 0; window.running; seq += 1) {
      const { bytes } = pool[seq % pool.length];
      const started = performance.now();
      size += await writeDurably(handle.fd, [header, bytes], size);
      window.record(started, performance.now());
    }
  } finally {
    await handle.close();
  }
}

function writeDurably(fd, buffers, position) {
  return new Promise((resolve, reject) => {
    writev(fd, buffers, position, (error, bytesWritten) => (error ? reject(error) : resolve(bytesWritten)));
  });
}

async function main() {
  const writer = { append: appendWriter, log: logWriter }[settings.mode];
  if (!writer) throw new Error(`unknown mode ${JSON.stringify(settings.mode)}`);
  // Stream numbers past the sessions' so no chunk here has the bytes of a server-phase chunk.
  const pools = Array.from({ length: settings.writers }, (_, index) => chunkPool(1_000 + index, settings.distinctChunks));
  const bytesPerChunk = pools[0][0].bytes.length;
  const window = new MeasurementWindow({
    warmupMs: settings.warmupSeconds * 1000,
    durationMs: settings.durationSeconds * 1000,
    onMeasuring: () => process.send({ type: "measuring" }),
    onStopped: () => {
      const summary = window.summary();
      process.send({ type: "result", ...summary, bytes: summary.operations * bytesPerChunk });
    },
  });
  const done = window.start();
  const writers = pools.map((pool, index) => writer(index, pool, window));
  try {
    await Promise.all(writers);
  } catch (error) {
    window.abort();
    throw error;
  }
  await done;
}

main().then(
  () => process.disconnect(),
  (error) => {
    process.send({ type: "error", message: error?.stack ?? String(error) }, () => process.exit(1));
  },
);
