/**
 * `pnpm bench:persist`: the persisted state layer measured in real Chromium (the same browser
 * the end-to-end tests drive), with `performance.mark` / `measure` on a small page built from
 * the app's own modules:
 *
 * 1. recovery detection from script start (the entry module's first statement, its imports
 *    loaded, as the app's main.tsx runs) with 1 000 interrupted sessions and 10 000 chunks in the
 *    journal (target: p95 < 30 ms; the seed's was < 100 ms), over page loads in a Chromium that
 *    no driver is attached to (the page reloads itself and posts its figures);
 * 2. main-thread time of one save of the app state holding 100 chapters of text, from the
 *    keystroke to the committed write, all of it: the thread CPU time of every task the page's
 *    main thread ran in between, read from a Chromium trace (target: p95 < 5 ms; the seed's was
 *    < 50 ms), the wall time of those tasks, and the longest of them (what a keystroke could have
 *    to wait for).
 *
 * Not a test: it prints figures and whether they meet the targets (exit code 1 when not).
 * Settings: BENCH_DETECT_RUNS (default 30), BENCH_SAVES (40), BENCH_CHAPTER_CHARS (12 000).
 */
import { spawn } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "@playwright/test";
import { CHROMIUM_FLAGS, chromiumExecutable } from "../e2e/support/chromium.ts";
import { DETECT_RESULT_PATH, SAVE_MARK } from "./bench-page-support.ts";
import { intFromEnv } from "./bench-settings.ts";
import type { DetectRun } from "./detect-page.ts";
import { traceMainThread } from "./main-thread-trace.ts";

const SESSIONS = 1_000;
const CHUNKS = 10_000;
const CHAPTERS = 100;
const DETECT_TARGET_MS = 30;
const SAVE_TARGET_MS = 5;

const detectRuns = intFromEnv("BENCH_DETECT_RUNS", 30);
const saves = intFromEnv("BENCH_SAVES", 40);
const chapterChars = intFromEnv("BENCH_CHAPTER_CHARS", 12_000);

const pageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../page");

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

interface PageServer {
  origin: string;
  /** The next JSON body a page posts to `DETECT_RESULT_PATH`. */
  nextDetectResult: () => Promise<unknown>;
  close: () => Promise<void>;
}

/** The built page over loopback HTTP (IndexedDB needs a real origin), and where pages post figures. */
async function servePages(): Promise<PageServer> {
  let deliver: ((body: unknown) => void) | null = null;
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    if (request.method === "POST" && pathname === DETECT_RESULT_PATH) {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (piece: string) => (body += piece));
      request.on("end", () => {
        response.writeHead(204).end();
        deliver?.(JSON.parse(body));
      });
      return;
    }
    const file = path.join(pageDir, pathname);
    if (!file.startsWith(pageDir) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("The page server has no port.");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    nextDetectResult: () => new Promise((resolve) => (deliver = resolve)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The detection runs in a Chromium no driver is attached to (a driver's traffic at every page
 * load would be measured with it): started on the seeded profile with the page's address, it
 * reloads the page by itself and posts the figures, then is stopped.
 */
async function detectUnattended(server: PageServer, profile: string, runs: number): Promise<DetectRun[]> {
  const answer = server.nextDetectResult();
  const browser = spawn(chromiumExecutable(), [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, `${server.origin}/detect.html?runs=${runs}`], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => browser.once("exit", () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = (await Promise.race([
      answer,
      exited.then(() => Promise.reject(new Error("Chromium exited before the detection runs were done."))),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("The detection runs took longer than 120 s.")), 120_000))),
    ])) as { ok: true; runs: DetectRun[] } | { ok: false; error: string };
    if (!result.ok) throw new Error(`The detection page failed: ${result.error}`);
    return result.runs;
  } finally {
    clearTimeout(timer);
    browser.kill("SIGTERM");
    await exited;
  }
}

async function runPhase<T>(page: Page, url: string, query: Record<string, string | number>, timeoutMs: number): Promise<T> {
  const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
  await page.goto(`${url}?${search}`);
  // One evaluation that waits for the page's answer: nothing of the driver's runs in the page meanwhile.
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    page.evaluate(() => (window as unknown as { __benchResult: Promise<{ ok: boolean; error?: string }> }).__benchResult),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`The ${String(query.phase)} phase took longer than ${timeoutMs} ms.`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  if (!result.ok) throw new Error(`The ${String(query.phase)} phase failed in the page: ${result.error}`);
  return result as T;
}

interface Summary {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

function row(name: string, summary: Summary, target?: number): string {
  const figures = [summary.p50, summary.p95, summary.max].map((value) => `${value.toFixed(2).padStart(8)} ms`).join(" ");
  const verdict = target === undefined ? "" : summary.p95 < target ? `  PASS (p95 < ${target} ms)` : `  FAIL (p95 ≥ ${target} ms)`;
  return `${name.padEnd(44)} ${figures} ${String(summary.n).padStart(5)}${verdict}`;
}

async function main(): Promise<boolean> {
  const profile = mkdtempSync(path.join(tmpdir(), "tidemark-bench-profile-"));
  const server = await servePages();
  const persistPage = `${server.origin}/persist.html`;
  const launch = () => chromium.launchPersistentContext(profile, { executablePath: chromiumExecutable(), args: CHROMIUM_FLAGS });
  let context = await launch();
  try {
    let page = context.pages()[0] ?? (await context.newPage());
    console.log(`Chromium ${context.browser()?.version() ?? ""}, pages on ${server.origin}`);

    process.stdout.write(`Seeding the journal: ${SESSIONS} interrupted sessions, ${CHUNKS} chunks… `);
    const seeded = await runPhase<{ seconds: number }>(page, persistPage, { phase: "seed", sessions: SESSIONS, chunks: CHUNKS }, 600_000);
    console.log(`${seeded.seconds.toFixed(1)} s`);
    await context.close();

    const runs = await detectUnattended(server, profile, detectRuns);
    for (const run of runs) {
      if (run.sessions !== SESSIONS || run.chunks !== CHUNKS) {
        throw new Error(`Detection found ${run.sessions} sessions and ${run.chunks} chunks, not ${SESSIONS} and ${CHUNKS}.`);
      }
    }
    const fromStart = runs.map((run) => run.fromScriptStart);
    const detectionOnly = runs.map((run) => run.detectionOnly);
    const fromNavigation = runs.map((run) => run.fromNavigation);

    context = await launch();
    page = context.pages()[0] ?? (await context.newPage());
    const { result: saved, spans } = await traceMainThread(page, SAVE_MARK, () =>
      runPhase<{ textBytes: number; storedBytes: number; encoding: string; phase: string; error: string | null }>(
        page,
        persistPage,
        { phase: "save", chapters: CHAPTERS, characters: chapterChars, saves },
        600_000,
      ),
    );
    if (saved.phase !== "saved") throw new Error(`The saves did not commit: ${saved.error ?? saved.phase}`);
    if (spans.length !== saves) throw new Error(`The trace holds ${spans.length} saves, not ${saves}.`);

    const detection = summarize(fromStart);
    const perSave = summarize(spans.map((span) => span.cpu));
    console.log("");
    console.log(`${"".padEnd(44)} ${"p50".padStart(11)} ${"p95".padStart(11)} ${"max".padStart(11)} ${"n".padStart(5)}`);
    console.log(row(`recovery detection from script start`, detection, DETECT_TARGET_MS));
    console.log(row(`  of which detectLocalRecovery itself`, summarize(detectionOnly)));
    console.log(row(`  from navigation start (page load included)`, summarize(fromNavigation)));
    console.log(row(`main-thread time per save (CPU)`, perSave, SAVE_TARGET_MS));
    console.log(row(`  the same tasks, wall time`, summarize(spans.map((span) => span.wall))));
    console.log(row(`  its longest task`, summarize(spans.map((span) => span.longestTask))));
    console.log(row(`  keystroke to committed write (elapsed)`, summarize(spans.map((span) => span.elapsed))));
    console.log("");
    console.log(
      `Journal: ${SESSIONS} sessions, ${CHUNKS} chunks. Saved state: ${CHAPTERS} chapters × ${chapterChars} characters, ` +
        `${(saved.textBytes / 1_048_576).toFixed(2)} MiB as JSON, stored ${saved.encoding} in ${(saved.storedBytes / 1_048_576).toFixed(2)} MiB.`,
    );
    return detection.p95 < DETECT_TARGET_MS && perSave.p95 < SAVE_TARGET_MS;
  } finally {
    await context.close().catch(() => undefined);
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  (met) => process.exit(met ? 0 : 1),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
