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
import os from "node:os";
import autocannon from "autocannon";
import {
  backgroundLoadPercent,
  BenchError,
  coreShares,
  createDevices,
  createSessions,
  freePort,
  HOST,
  intFromEnv,
  isDisturbed,
  limitRunTime,
  makeTempDir,
  mark,
  orNa,
  post,
  printTable as printColumns,
  round,
  runBenchmark,
  serverNodeArgsFromEnv,
  startChild,
  startCpuMeter,
  startRealServer,
  stopChild,
  waitForHealthy,
  warnIfDisturbed,
} from "./support.mjs";

const TARGETS = {
  /** keepalive req/s ÷ bare Fastify req/s */
  minRatio: 0.6,
  maxP99Ms: 50,
  /** 100 000 sessions × one keepalive per 7 s ≈ 14 286/s, rounded up. */
  minRequestsPerSecond: 14_300,
};
/** More bad answers than this fraction means the numbers measure failures, not keepalives. */
const MAX_BAD_FRACTION = 0.001;

// ---------------------------------------------------------------------------------------------
// Settings

function readSettings() {
  return {
    sessions: intFromEnv("BENCH_SESSIONS", 2000),
    devices: intFromEnv("BENCH_DEVICES", 10),
    connections: intFromEnv("BENCH_CONNECTIONS", 100),
    durationSeconds: intFromEnv("BENCH_DURATION", 10),
    warmupSeconds: intFromEnv("BENCH_WARMUP", 2, 0),
    serverNodeArgs: serverNodeArgsFromEnv(),
  };
}

// ---------------------------------------------------------------------------------------------
// Servers (the real one, its fixtures and the CPU meters come from support.mjs)

async function startBareServer(nodeArgs) {
  const port = await freePort();
  const handle = startChild("bare Fastify server", [...nodeArgs, "bench/bare-server.mjs"], { PORT: String(port), HOST });
  const baseUrl = `http://${HOST}:${port}`;
  await waitForHealthy(handle, `${baseUrl}/bare/health`);
  return { handle, baseUrl };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

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
  /** CPU time as percentages of one core over the run. */
  const shares = coreShares(cpu);
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
    serverCpuUsPerRequest: cpu.measuredMs === null || answered === 0 ? null : round((1000 * cpu.measuredMs) / answered, 1),
    serverCpuPercent: shares.measured,
    loadGeneratorCpuPercent: shares.own,
    otherCpuPercent: shares.other,
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
  printColumns(columns, rows);
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

async function measureBothServers(settings, dataDir) {
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
  limitRunTime("heartbeat", 120_000 + 2 * (settings.durationSeconds + settings.warmupSeconds) * 1_000 + settings.sessions * 20);

  const dataDir = await makeTempDir();
  const { keepalive, bare, backgroundLoad } = await measureBothServers(settings, dataDir);
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
}

runBenchmark("heartbeat", main);
