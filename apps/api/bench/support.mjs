// Machinery shared by the API benchmarks: settings from the environment, child processes that
// can never outlive the benchmark, temp directories removed on every exit path, starting the real
// built server against a throwaway data directory, CPU accounting, fixtures created through the
// public API, latency statistics and table printing.
//
// Importing this module has no side effects; `runBenchmark` installs the exit, signal and
// watchdog handling for the process that calls it.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/** The API package (the bench children run with it as their working directory). */
export const apiDir = fileURLToPath(new URL("..", import.meta.url));
/** Benchmarks only ever talk over loopback. */
export const HOST = "127.0.0.1";

const STARTUP_TIMEOUT_MS = 30_000;
const SESSION_TIMEOUT_FOR_BENCH_MS = 30 * 60_000;
const STOP_GRACE_MS = 5_000;

/** A failure the benchmark explains itself (printed without a stack trace). */
export class BenchError extends Error {}

// ---------------------------------------------------------------------------------------------
// Settings

export function intFromEnv(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new BenchError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

/** Extra node flags for server children, e.g. "--cpu-prof --cpu-prof-dir=<dir>" to profile them. */
export function serverNodeArgsFromEnv() {
  return (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
}

// ---------------------------------------------------------------------------------------------
// Child processes. Every child is tracked so that no exit path (error, Ctrl-C, watchdog) can
// leave one running.

const children = new Set();

/**
 * Starts `node <args>` in the API package. With `ipc`, the child gets an IPC channel
 * (`process.send`) and the handle a `messages` queue to read from.
 */
export function startChild(name, args, env, { ipc = false } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: apiDir,
    env: { ...process.env, ...env },
    // Servers log at warn level, so anything they print is worth seeing.
    stdio: ipc ? ["ignore", "inherit", "inherit", "ipc"] : ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
  });
  const handle = { name, child, exited, done: false, messages: ipc ? messageQueue(child) : null };
  children.add(handle);
  exited.then(() => {
    handle.done = true;
    children.delete(handle);
  });
  return handle;
}

/** Buffers a child's IPC messages so none is missed between two waits. */
function messageQueue(child) {
  const queued = [];
  const waiting = [];
  child.on("message", (message) => {
    const next = waiting.shift();
    if (next) next(message);
    else queued.push(message);
  });
  return { next: () => (queued.length > 0 ? Promise.resolve(queued.shift()) : new Promise((resolve) => waiting.push(resolve))) };
}

/** The next IPC message of `type` from a child; fails if the child exits first. */
export async function nextMessage(handle, type) {
  const outcome = await Promise.race([handle.messages.next(), handle.exited.then((exit) => ({ type: "exit", exit }))]);
  if (outcome.type === "exit") {
    const { code, signal, error } = outcome.exit;
    throw new BenchError(`${handle.name} exited while we waited for "${type}" (code ${code}, signal ${signal}${error ? `, ${error.message}` : ""})`);
  }
  if (outcome.type === "error") throw new BenchError(`${handle.name} failed: ${outcome.message}`);
  if (outcome.type !== type) throw new BenchError(`${handle.name} sent "${outcome.type}" while we waited for "${type}"`);
  return outcome;
}

/** SIGTERM, then SIGKILL if the child has not exited within the grace period. */
export async function stopChild(handle) {
  if (handle.done) return;
  handle.child.kill("SIGTERM");
  const graceful = await Promise.race([handle.exited.then(() => true), sleep(STOP_GRACE_MS, false)]);
  if (graceful) return;
  console.error(`${handle.name} ignored SIGTERM for ${STOP_GRACE_MS} ms; sending SIGKILL`);
  handle.child.kill("SIGKILL");
  await Promise.race([handle.exited, sleep(STOP_GRACE_MS)]);
}

export async function stopAllChildren() {
  await Promise.all([...children].map(stopChild));
}

// ---------------------------------------------------------------------------------------------
// Temp directories: each one is removed when the benchmark ends, whatever way it ends.

const tempDirs = new Set();

export async function makeTempDir(prefix = "tidemark-bench-") {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir) {
  await rm(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

async function removeAllTempDirs() {
  await Promise.all([...tempDirs].map(removeTempDir));
}

// ---------------------------------------------------------------------------------------------
// The process of a benchmark: a time limit, Ctrl-C, cleanup and the exit code.

let watchdog;

/**
 * Bounds the benchmark in time: past `limitMs` its children are stopped and it exits with 1.
 * Called once the settings (and so the expected run time) are known.
 */
export function limitRunTime(name, limitMs) {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => {
    console.error(`${name} bench: exceeded its time limit of ${Math.round(limitMs / 1000)} s; stopping`);
    stopAllChildren().finally(() => process.exit(1));
  }, limitMs);
  watchdog.unref();
}

/**
 * Runs a benchmark's `main`. Exit code 0 when it ran (whatever its figures), 1 on errors; on
 * every path its children are stopped and its temp directories removed.
 */
export function runBenchmark(name, main) {
  // Last resort, whatever path this process exits by (error, watchdog, Ctrl-C): no child and no
  // temp directory outlives it. Only synchronous work is possible here.
  process.on("exit", () => {
    for (const { child } of children) child.kill("SIGKILL");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      console.error(`${name} bench: ${signal}; stopping servers`);
      stopAllChildren().finally(() => process.exit(130));
    });
  }
  const run = async () => {
    try {
      await main();
    } finally {
      await stopAllChildren();
      clearTimeout(watchdog);
      await removeAllTempDirs();
    }
  };
  run().then(
    () => process.exit(0),
    (error) => {
      console.error(`${name} bench failed: ${error instanceof BenchError ? error.message : (error?.stack ?? error)}`);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Servers

/** A port that was free a moment ago (the OS picks it; we release it for the child to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `healthUrl` until it answers 200; fails early if the child exits first. */
export async function waitForHealthy(handle, healthUrl) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (handle.done) {
      const { code, signal, error } = await handle.exited;
      throw new BenchError(`${handle.name} exited before it was ready (code ${code}, signal ${signal}${error ? `, ${error.message}` : ""})`);
    }
    try {
      const response = await fetch(healthUrl, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new BenchError(`${handle.name} did not answer ${healthUrl} with 200 within ${STARTUP_TIMEOUT_MS} ms`);
}

/** The built API (dist/server.js) on a free loopback port with `dataDir` as its data directory. */
export async function startRealServer(dataDir, nodeArgs) {
  const port = await freePort();
  const handle = startChild("API server", [...nodeArgs, "dist/server.js"], {
    PORT: String(port),
    HOST,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    WEB_DIST_DIR: "none",
    // Creating many sessions (one durable transaction each) can take longer than the default
    // 30 s timeout, and the sweeper would mark the first ones incomplete before the load reaches
    // them. Under load every session is kept alive anyway, so this changes nothing measured.
    SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_FOR_BENCH_MS),
  });
  const baseUrl = `http://${HOST}:${port}`;
  await waitForHealthy(handle, `${baseUrl}/api/health`);
  return { handle, baseUrl, port };
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (a child's share needs Linux /proc; null elsewhere). Throughput on a small
// machine shared with the load generator — and whatever else runs there — is noisy. The
// measured process's own CPU time per operation is much steadier; its CPU share tells whether it
// or the load generator was the bottleneck; and the CPU used by other processes during a run
// says whether that run was disturbed.

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * User + system CPU time a process (all its threads) has used so far, in ms; with `thread`, that
 * thread's alone (the process's main thread — its event loop — has the process's id).
 */
function processCpuMs(pid, thread) {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
  } catch {
    return null;
  }
}

/** Idle and total CPU time of the whole machine so far, summed over cores, in ms. */
function machineCpuMs() {
  let idle = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

function busyPercentSince(before) {
  const after = machineCpuMs();
  const total = after.total - before.total;
  return total > 0 ? round(100 * (1 - (after.idle - before.idle) / total), 1) : null;
}

/** CPU time of this process (the load generator runs here), in ms. */
function ownCpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Starts counting CPU time of the measured child `pid`, of this process and of the machine; the
 * returned function gives the usage since then: `measuredMs` and, of it, `mainThreadMs` (the
 * child's event loop; both null without /proc), `ownMs`, `machineBusyMs` and `wallMs`.
 */
export function startCpuMeter(pid) {
  const measured = processCpuMs(pid);
  const mainThread = processCpuMs(pid, pid);
  const own = ownCpuMs();
  const machine = machineCpuMs();
  const started = performance.now();
  return () => {
    const machineNow = machineCpuMs();
    const measuredNow = measured === null ? null : processCpuMs(pid);
    const mainThreadNow = mainThread === null ? null : processCpuMs(pid, pid);
    return {
      wallMs: performance.now() - started,
      measuredMs: measuredNow === null ? null : measuredNow - measured,
      mainThreadMs: mainThreadNow === null ? null : mainThreadNow - mainThread,
      ownMs: ownCpuMs() - own,
      machineBusyMs: machineNow.total - machine.total - (machineNow.idle - machine.idle),
    };
  };
}

/**
 * A meter reading as percentages of one core over the run (100 is one saturated core): the
 * measured child (and its main thread), this process, and everything else on the machine.
 */
export function coreShares(cpu) {
  const share = (ms) => (ms === null ? null : round((100 * Math.max(0, ms)) / cpu.wallMs, 1));
  const otherMs = cpu.measuredMs === null ? null : cpu.machineBusyMs - cpu.measuredMs - cpu.ownMs;
  return {
    measured: share(cpu.measuredMs),
    mainThread: cpu.mainThreadMs === null ? null : share(cpu.mainThreadMs),
    own: share(cpu.ownMs),
    other: share(otherMs),
  };
}

/** How busy the machine is before we start: other work skews the results. */
export async function backgroundLoadPercent() {
  const before = machineCpuMs();
  await sleep(1_000);
  return busyPercentSince(before);
}

// ---------------------------------------------------------------------------------------------
// Fixtures: devices and sessions, created through the public API like a client would.

/** One JSON request by hand; any other status than `expectStatus` fails with the answer's text. */
export async function requestJson(method, url, { token, body, expectStatus }) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== expectStatus) {
    throw new BenchError(`${method} ${url} answered ${response.status}, expected ${expectStatus}: ${text.slice(0, 300)}`);
  }
  return JSON.parse(text);
}

export const post = (url, options) => requestJson("POST", url, options);

/** One chunk upload by hand (`chunk` from `chunkPool`); resolves to the answer's status and text. */
export async function putChunkOnce(url, chunk, authorization) {
  const response = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", "content-digest": chunk.contentDigest, authorization },
    body: chunk.bytes,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, text: await response.text() };
}

export async function createDevices(baseUrl, count) {
  const devices = [];
  for (let i = 0; i < count; i += 1) {
    devices.push(await post(`${baseUrl}/api/auth/device`, { expectStatus: 201 }));
  }
  return devices;
}

/**
 * Sessions spread round-robin over the devices. A few requests run at once — each creation is
 * its own durable transaction, so more concurrency would only queue on SQLite.
 */
export async function createSessions(baseUrl, devices, count, { concurrency = 8, kind = "recording" } = {}) {
  const sessions = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      const { token } = devices[index % devices.length];
      const session = await post(`${baseUrl}/api/sessions`, { token, body: { kind }, expectStatus: 201 });
      sessions[index] = { id: session.id, token };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return sessions;
}

// ---------------------------------------------------------------------------------------------
// Statistics and report

export const round = (value, digits) => Number(value.toFixed(digits));
export const orNa = (value) => (value === null ? "n/a" : value.toFixed(1));

/** Nearest-rank percentile of an ascending array; null when empty. */
function percentileOfSorted(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50, p99 and max of latencies in ms (rounded to 0.01 ms). */
export function latencySummary(latenciesMs) {
  const sorted = Float64Array.from(latenciesMs).sort();
  const at = (p) => {
    const value = percentileOfSorted(sorted, p);
    return value === null ? null : round(value, 2);
  };
  return { p50Ms: at(50), p99Ms: at(99), maxMs: sorted.length === 0 ? null : round(sorted[sorted.length - 1], 2) };
}

/** Other processes using more than this share of a core during a run make its figures suspect. */
const DISTURBED_OTHER_CPU_PERCENT = 15;

export const isDisturbed = (row) => row.otherCpuPercent !== null && row.otherCpuPercent > DISTURBED_OTHER_CPU_PERCENT;

export function warnIfDisturbed(rows) {
  for (const row of rows.filter(isDisturbed)) {
    console.log(
      `WARNING: other processes used ${row.otherCpuPercent} % of a core during the ${row.target} run; ` +
        "its throughput is understated and the targets below are not trustworthy — rerun on a quiet machine",
    );
  }
}

/** `columns` are `[title, (row) => cell text]`; the first column is left-aligned, the rest right. */
export function printTable(columns, rows) {
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, cell]) => cell(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  const format = (line) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  console.log(format(cells[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const line of cells.slice(1)) console.log(format(line));
}

export const mark = (met) => (met ? "MET   " : "MISSED");

// ---------------------------------------------------------------------------------------------
// Timed load: a warm-up, then a measured window of fixed length, then stop.

/**
 * The clock of a closed-loop load run. Workers call `record(startedMs, endedMs)` after each
 * operation and keep going while `running`; only operations that complete inside the measured
 * window count, so the figures cover exactly `durationMs` of steady state. `onMeasuring` and
 * `onStopped` run when the window opens and closes (to start and read CPU meters).
 */
export class MeasurementWindow {
  constructor({ warmupMs, durationMs, onMeasuring = () => {}, onStopped = () => {} }) {
    this.warmupMs = warmupMs;
    this.durationMs = durationMs;
    this.onMeasuring = onMeasuring;
    this.onStopped = onStopped;
    this.phase = "idle";
    this.latenciesMs = [];
    this.openedAt = 0;
    this.closedAt = 0;
    this.timer = undefined;
  }

  get running() {
    return this.phase === "warmup" || this.phase === "measuring";
  }

  /** Starts the warm-up; resolves once the measured window has closed. */
  start() {
    return new Promise((resolve) => {
      const open = () => {
        this.phase = "measuring";
        this.openedAt = performance.now();
        this.onMeasuring();
        this.timer = setTimeout(close, this.durationMs);
      };
      const close = () => {
        this.phase = "stopped";
        this.closedAt = performance.now();
        this.onStopped();
        resolve();
      };
      this.phase = "warmup";
      if (this.warmupMs > 0) this.timer = setTimeout(open, this.warmupMs);
      else open();
    });
  }

  /** Stops early (on an error); the window closes without results. */
  abort() {
    clearTimeout(this.timer);
    this.phase = "stopped";
  }

  record(startedMs, endedMs) {
    if (this.phase === "measuring") this.latenciesMs.push(endedMs - startedMs);
  }

  /** Operations completed in the window, its length, and their latencies. */
  summary() {
    return { operations: this.latenciesMs.length, windowMs: this.closedAt - this.openedAt, latency: latencySummary(this.latenciesMs) };
  }
}
