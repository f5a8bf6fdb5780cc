// Keepalive throughput benchmark.
//
// Measures `POST /api/session/:id/keepalive` on the real built server (dist/server.js) and, for
// scale, a bare Fastify route answering a same-sized JSON object. Both servers run as child
// processes and are driven one after the other by the same autocannon settings from this
// process, so they compete with the load generator for the same CPUs under identical
// conditions and the ratio between them is fair.
//
// Targets (DESIGN: clients send a keepalive every 7 s): 100 000 working sessions mean
// ~14 300 keepalives/s; p99 under 50 ms; and at least 60 % of what bare Fastify does.
//
// Settings (environment): BENCH_SESSIONS (2000), BENCH_DEVICES (10), BENCH_CONNECTIONS (100),
// BENCH_DURATION seconds (10), BENCH_WARMUP seconds (2), BENCH_SERVER_NODE_ARGS (extra node flags
// for both server children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them).
//
// Besides req/s and latency, the table shows each server's CPU time per request and the CPU
// shares of the server, autocannon and everything else during the run: a run during which other
// processes used the CPUs is flagged as disturbed.
//
// Exit code: 0 when the benchmark ran (even if targets are missed); 1 on errors — a server that
// does not start, failed setup, or more than 0.1 % non-2xx answers / socket errors.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const apiDir = fileURLToPath(new URL("..", import.meta.url));
const HOST = "127.0.0.1";

const TARGETS = {
  /** keepalive req/s ÷ bare Fastify req/s */
  minRatio: 0.6,
  maxP99Ms: 50,
  /** 100 000 sessions × one keepalive per 7 s ≈ 14 286/s, rounded up. */
  minRequestsPerSecond: 14_300,
};
/** More bad answers than this fraction means the numbers measure failures, not keepalives. */
const MAX_BAD_FRACTION = 0.001;
const STARTUP_TIMEOUT_MS = 30_000;
const SESSION_TIMEOUT_FOR_BENCH_MS = 30 * 60_000;
const STOP_GRACE_MS = 5_000;

class BenchError extends Error {}

// ---------------------------------------------------------------------------------------------
// Settings

function intFromEnv(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new BenchError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

function readSettings() {
  return {
    sessions: intFromEnv("BENCH_SESSIONS", 2000),
    devices: intFromEnv("BENCH_DEVICES", 10),
    connections: intFromEnv("BENCH_CONNECTIONS", 100),
    durationSeconds: intFromEnv("BENCH_DURATION", 10),
    warmupSeconds: intFromEnv("BENCH_WARMUP", 2, 0),
    serverNodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes. Every child is tracked so that no exit path (error, Ctrl-C, watchdog) can
// leave a server running.

const children = new Set();

function startChild(name, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: apiDir,
    env: { ...process.env, ...env },
    // Servers log at warn level, so anything they print is worth seeing.
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
  });
  const handle = { name, child, exited, done: false };
  children.add(handle);
  exited.then(() => {
    handle.done = true;
    children.delete(handle);
  });
  return handle;
}

/** SIGTERM, then SIGKILL if the child has not exited within the grace period. */
async function stopChild(handle) {
  if (handle.done) return;
  handle.child.kill("SIGTERM");
  const graceful = await Promise.race([handle.exited.then(() => true), sleep(STOP_GRACE_MS, false)]);
  if (graceful) return;
  console.error(`${handle.name} ignored SIGTERM for ${STOP_GRACE_MS} ms; sending SIGKILL`);
  handle.child.kill("SIGKILL");
  await Promise.race([handle.exited, sleep(STOP_GRACE_MS)]);
}

async function stopAllChildren() {
  await Promise.all([...children].map(stopChild));
}

/** The server's data directory; removed on every exit path. */
let tempDir;

// Last resort, whatever path this process exits by (error, watchdog, Ctrl-C): no server and no
// temp directory outlives it. Only synchronous work is possible here.
process.on("exit", () => {
  for (const { child } of children) child.kill("SIGKILL");
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

/** A port that was free a moment ago (the OS picks it; we release it for the child to take). */
function freePort() {
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
async function waitForHealthy(handle, healthUrl) {
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

async function startRealServer(dataDir, nodeArgs) {
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
  return { handle, baseUrl };
}

async function startBareServer(nodeArgs) {
  const port = await freePort();
  const handle = startChild("bare Fastify server", [...nodeArgs, "bench/bare-server.mjs"], { PORT: String(port), HOST });
  const baseUrl = `http://${HOST}:${port}`;
  await waitForHealthy(handle, `${baseUrl}/bare/health`);
  return { handle, baseUrl };
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (the server's share needs Linux /proc; null elsewhere). Throughput on a small
// machine shared with the load generator — and whatever else runs there — is noisy. The
// server's own CPU time per request is much steadier; its CPU share tells whether the server
// (≈100 % of a core, as it is single-threaded) or the load generator was the bottleneck; and
// the CPU used by other processes during a run says whether that run was disturbed.

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time a process has used so far, in ms. */
function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
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

/** CPU time of this process (autocannon runs here), in ms. */
function ownCpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Starts counting CPU time; the returned function gives the usage since then. */
function startCpuMeter(serverPid) {
  const server = processCpuMs(serverPid);
  const own = ownCpuMs();
  const machine = machineCpuMs();
  const started = performance.now();
  return () => {
    const machineNow = machineCpuMs();
    return {
      wallMs: performance.now() - started,
      serverMs: server === null ? null : processCpuMs(serverPid) - server,
      loadGeneratorMs: ownCpuMs() - own,
      machineBusyMs: machineNow.total - machine.total - (machineNow.idle - machine.idle),
    };
  };
}

/** How busy the machine is before we start: other work skews the results. */
async function backgroundLoadPercent() {
  const before = machineCpuMs();
  await sleep(1_000);
  return busyPercentSince(before);
}

// ---------------------------------------------------------------------------------------------
// Fixtures: devices and sessions, created through the public API like a client would.

async function post(url, { token, body, expectStatus }) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== expectStatus) {
    throw new BenchError(`POST ${url} answered ${response.status}, expected ${expectStatus}: ${text.slice(0, 300)}`);
  }
  return JSON.parse(text);
}

async function createDevices(baseUrl, count) {
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
async function createSessions(baseUrl, devices, count, concurrency = 8) {
  const sessions = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      const { token } = devices[index % devices.length];
      const session = await post(`${baseUrl}/api/sessions`, { token, body: { kind: "recording" }, expectStatus: 201 });
      sessions[index] = { id: session.id, token };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return sessions;
}

/** One keepalive by hand, so a broken route fails here with its message, not as 100 % non-2xx. */
async function checkKeepaliveWorks(baseUrl, session) {
  const answer = await post(`${baseUrl}/api/session/${session.id}/keepalive`, { token: session.token, expectStatus: 200 });
  if (answer.status !== "active" || typeof answer.lastHeartbeat !== "string") {
    throw new BenchError(`unexpected keepalive answer: ${JSON.stringify(answer)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Load

/**
 * Gives every autocannon connection its own share of the sessions (connection k gets sessions
 * k, k + C, k + 2C, …) as a fixed list of requests it cycles through, like a proxy for a group
 * of clients. The lists are built once per connection, so autocannon only writes ready-made
 * buffers during the run; rebuilding each request in `setupRequest` instead costs the load
 * generator so much CPU on a 2-core machine that it, not the server, sets the ceiling. All
 * sessions are visited evenly. Both targets use this — only the path differs — so autocannon
 * spends the same CPU per request on each.
 */
function spreadSessionsOverConnections(sessions, connections, pathFor) {
  let nextConnection = 0;
  return function setupClient(client) {
    const k = nextConnection % connections;
    nextConnection += 1;
    const share = sessions.filter((_, index) => index % connections === k);
    if (share.length === 0) share.push(sessions[k % sessions.length]); // fewer sessions than connections
    client.setRequests(
      share.map((session) => ({
        method: "POST",
        path: pathFor(session.id),
        headers: { authorization: `Bearer ${session.token}` },
      })),
    );
  };
}

function runAutocannon({ baseUrl, sessions, pathFor, connections, durationSeconds }) {
  return autocannon({
    url: baseUrl,
    method: "POST",
    connections,
    pipelining: 1,
    duration: durationSeconds,
    // autocannon clones its options per connection but keeps functions by reference, so this
    // one closure hands out the shares.
    setupClient: spreadSessionsOverConnections(sessions, connections, pathFor),
  });
}

/** A short unrecorded run first, so both servers are measured with their code already optimised. */
async function measure(name, { server, sessions, pathFor, settings }) {
  const { baseUrl, handle } = server;
  const serverPid = handle.child.pid;
  const load = { baseUrl, sessions, pathFor, connections: settings.connections };
  if (settings.warmupSeconds > 0) {
    console.log(`  ${name}: warming up for ${settings.warmupSeconds} s`);
    await runAutocannon({ ...load, durationSeconds: settings.warmupSeconds });
  }
  console.log(`  ${name}: measuring for ${settings.durationSeconds} s with ${settings.connections} connections`);
  const cpuSinceStart = startCpuMeter(serverPid);
  const result = await runAutocannon({ ...load, durationSeconds: settings.durationSeconds });
  const cpu = cpuSinceStart();
  if (handle.done) throw new BenchError(`${handle.name} exited during the ${name} run`);
  return summarize(name, result, cpu);
}

function summarize(name, result, cpu) {
  const ok = result["2xx"];
  const answered = ok + result.non2xx;
  /** CPU time as a percentage of one core over the run. */
  const coreShare = (ms) => (ms === null ? null : round((100 * Math.max(0, ms)) / cpu.wallMs, 1));
  const otherMs = cpu.serverMs === null ? null : cpu.machineBusyMs - cpu.serverMs - cpu.loadGeneratorMs;
  return {
    target: name,
    requestsPerSecond: round(result.requests.average, 0),
    latencyP50Ms: round(result.latency.p50, 2),
    latencyP99Ms: round(result.latency.p99, 2),
    latencyMaxMs: round(result.latency.max, 2),
    requests: answered,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)])),
    serverCpuUsPerRequest: cpu.serverMs === null || answered === 0 ? null : round((1000 * cpu.serverMs) / answered, 1),
    serverCpuPercent: coreShare(cpu.serverMs),
    loadGeneratorCpuPercent: coreShare(cpu.loadGeneratorMs),
    otherCpuPercent: coreShare(otherMs),
  };
}

/** Non-2xx answers and socket errors beyond the tolerance make the run invalid. */
function assertMostlySuccessful(summary) {
  const bad = summary.non2xx + summary.errors;
  const attempts = summary.requests + summary.errors;
  if (summary.ok === 0 || bad / attempts > MAX_BAD_FRACTION) {
    throw new BenchError(
      `${summary.target}: ${summary.non2xx} non-2xx answers and ${summary.errors} errors out of ${attempts} ` +
        `(status codes ${JSON.stringify(summary.statusCodes)}); more than ${MAX_BAD_FRACTION * 100} % is a failed run`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const round = (value, digits) => Number(value.toFixed(digits));
const orNa = (value) => (value === null ? "n/a" : value.toFixed(1));
/** Other processes using more than this share of a core during a run make its figures suspect. */
const DISTURBED_OTHER_CPU_PERCENT = 15;

const isDisturbed = (row) => row.otherCpuPercent !== null && row.otherCpuPercent > DISTURBED_OTHER_CPU_PERCENT;

function warnIfDisturbed(rows) {
  for (const row of rows.filter(isDisturbed)) {
    console.log(
      `WARNING: other processes used ${row.otherCpuPercent} % of a core during the ${row.target} run; ` +
        "its throughput is understated and the targets below are not trustworthy — rerun on a quiet machine",
    );
  }
}

function printTable(rows) {
  const columns = [
    ["target", (r) => r.target],
    ["req/s (mean)", (r) => r.requestsPerSecond.toLocaleString("en-US")],
    // autocannon records latency in whole milliseconds.
    ["p50 ms", (r) => String(r.latencyP50Ms)],
    ["p99 ms", (r) => String(r.latencyP99Ms)],
    ["requests", (r) => r.requests.toLocaleString("en-US")],
    ["non-2xx", (r) => String(r.non2xx)],
    ["errors", (r) => String(r.errors)],
    ["server µs CPU/req", (r) => orNa(r.serverCpuUsPerRequest)],
    // CPU shares in % of one core; 100 is a saturated single-threaded server.
    ["server CPU %", (r) => orNa(r.serverCpuPercent)],
    ["autocannon CPU %", (r) => orNa(r.loadGeneratorCpuPercent)],
    ["other CPU %", (r) => orNa(r.otherCpuPercent)],
  ];
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, cell]) => cell(row)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  const format = (line) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  console.log(format(cells[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const line of cells.slice(1)) console.log(format(line));
}

function evaluateTargets(keepalive, bare) {
  const ratio = round(keepalive.requestsPerSecond / bare.requestsPerSecond, 3);
  return {
    ratio: { value: ratio, min: TARGETS.minRatio, met: ratio >= TARGETS.minRatio },
    p99Ms: { value: keepalive.latencyP99Ms, max: TARGETS.maxP99Ms, met: keepalive.latencyP99Ms < TARGETS.maxP99Ms },
    requestsPerSecond: {
      value: keepalive.requestsPerSecond,
      min: TARGETS.minRequestsPerSecond,
      met: keepalive.requestsPerSecond >= TARGETS.minRequestsPerSecond,
    },
  };
}

/**
 * The keepalive/bare ratio in server CPU per request rather than req/s. It does not depend on
 * who else used the CPUs during the runs, so it is the steadier of the two on a busy machine.
 */
function cpuCostRatio(keepalive, bare) {
  if (keepalive.serverCpuUsPerRequest === null || bare.serverCpuUsPerRequest === null) return null;
  return round(bare.serverCpuUsPerRequest / keepalive.serverCpuUsPerRequest, 3);
}

function printTargets(targets, cpuRatio) {
  const mark = (met) => (met ? "MET   " : "MISSED");
  console.log("");
  console.log(`${mark(targets.ratio.met)}  keepalive/bare req/s ratio ${targets.ratio.value} (target ≥ ${targets.ratio.min})`);
  console.log(`${mark(targets.p99Ms.met)}  keepalive p99 ${targets.p99Ms.value} ms (target < ${targets.p99Ms.max} ms)`);
  console.log(
    `${mark(targets.requestsPerSecond.met)}  keepalive ${targets.requestsPerSecond.value.toLocaleString("en-US")} req/s ` +
      `(target ≥ ${targets.requestsPerSecond.min.toLocaleString("en-US")}: 100 000 sessions at one keepalive per 7 s)`,
  );
  if (cpuRatio !== null) {
    console.log(`info    server CPU per request, bare ÷ keepalive: ${cpuRatio} (the ratio above measured as cost, steadier)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function runBenchmark(settings, dataDir) {
  const backgroundLoad = await backgroundLoadPercent();
  console.log(
    `heartbeat bench: ${settings.sessions} sessions on ${settings.devices} devices, ${settings.connections} connections, ` +
      `pipelining 1, ${settings.durationSeconds} s (+${settings.warmupSeconds} s warm-up) per target, ${os.cpus().length} CPUs, node ${process.version}`,
  );
  console.log(`  machine busy before start: ${backgroundLoad ?? "n/a"} % of all CPUs`);
  if (backgroundLoad !== null && backgroundLoad > 10) {
    console.log("  WARNING: something else is using the CPUs; throughput figures will be low and noisy");
  }

  // 1. The real server, its fixtures, and its measurement. It is stopped before the bare server
  //    starts so neither run shares the machine with an idle-but-ticking other server.
  const real = await startRealServer(dataDir, settings.serverNodeArgs);
  let sessions;
  let keepalive;
  try {
    const setupStarted = Date.now();
    const devices = await createDevices(real.baseUrl, Math.min(settings.devices, settings.sessions));
    sessions = await createSessions(real.baseUrl, devices, settings.sessions);
    console.log(`  created ${devices.length} devices and ${sessions.length} sessions in ${Date.now() - setupStarted} ms`);
    await checkKeepaliveWorks(real.baseUrl, sessions[0]);
    keepalive = await measure("keepalive", {
      server: real,
      sessions,
      pathFor: (id) => `/api/session/${id}/keepalive`,
      settings,
    });
  } finally {
    await stopChild(real.handle);
  }
  assertMostlySuccessful(keepalive);

  // 2. Bare Fastify under the same load shape: same sessions per connection, same headers.
  const bareServer = await startBareServer(settings.serverNodeArgs);
  let bare;
  try {
    bare = await measure("bare fastify", {
      server: bareServer,
      sessions,
      pathFor: (id) => `/bare/${id}`,
      settings,
    });
  } finally {
    await stopChild(bareServer.handle);
  }
  assertMostlySuccessful(bare);

  return { keepalive, bare, backgroundLoad };
}

async function main() {
  const settings = readSettings();

  // Bounded in time whatever happens: setup, two warm-ups, two runs, and generous slack.
  const limitMs = 120_000 + 2 * (settings.durationSeconds + settings.warmupSeconds) * 1_000 + settings.sessions * 20;
  const watchdog = setTimeout(() => {
    console.error(`heartbeat bench: exceeded its time limit of ${Math.round(limitMs / 1000)} s; stopping`);
    stopAllChildren().finally(() => process.exit(1));
  }, limitMs);
  watchdog.unref();

  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      console.error(`heartbeat bench: ${signal}; stopping servers`);
      stopAllChildren().finally(() => process.exit(130));
    });
  }

  tempDir = await mkdtemp(path.join(os.tmpdir(), "tidemark-bench-"));
  try {
    const { keepalive, bare, backgroundLoad } = await runBenchmark(settings, tempDir);
    const targets = evaluateTargets(keepalive, bare);

    console.log("");
    printTable([keepalive, bare]);
    warnIfDisturbed([keepalive, bare]);
    const cpuRatio = cpuCostRatio(keepalive, bare);
    printTargets(targets, cpuRatio);
    const { serverNodeArgs, ...reported } = settings;
    console.log(
      JSON.stringify({
        bench: "heartbeat",
        settings: reported,
        machine: { cpus: os.cpus().length, node: process.version, busyBeforeStartPercent: backgroundLoad },
        keepalive,
        bare,
        targets,
        allTargetsMet: Object.values(targets).every((target) => target.met),
        serverCpuCostRatio: cpuRatio,
        disturbed: [keepalive, bare].some(isDisturbed),
      }),
    );
  } finally {
    await stopAllChildren();
    clearTimeout(watchdog);
    await rm(tempDir, { recursive: true, force: true });
    tempDir = undefined;
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`heartbeat bench failed: ${error instanceof BenchError ? error.message : (error?.stack ?? error)}`);
    process.exit(1);
  },
);
