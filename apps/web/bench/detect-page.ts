/**
 * Recovery detection as a page load runs it: the journal is opened and asked which sessions were
 * interrupted. Its own entry, so the figure measured from the page's first script holds only
 * what detection needs to load.
 *
 * The page reloads itself `?runs=` times (plus one first load, not counted) and posts the figures
 * to the page server: no driver talks to the browser while it loads, as none does for a user.
 */
import { ChunkJournal, detectLocalRecovery } from "@tidemark/client";
import { DETECT_RESULT_PATH, JOURNAL_NAME } from "./bench-page-support.ts";

// The entry module's first statement: the app's own script starts here (its imports are loaded).
performance.mark("bench:script-start");

const RUNS_KEY = "bench:detect-runs";

export interface DetectRun {
  fromScriptStart: number;
  detectionOnly: number;
  fromNavigation: number;
  sessions: number;
  chunks: number;
}

async function detect(): Promise<DetectRun> {
  const journal = new ChunkJournal({ name: JOURNAL_NAME });
  performance.mark("bench:detection-called");
  const found = await detectLocalRecovery(journal);
  performance.mark("bench:recovery-detected");
  const fromScriptStart = performance.measure("bench:from-script-start", "bench:script-start", "bench:recovery-detected").duration;
  const detectionOnly = performance.measure("bench:detection", "bench:detection-called", "bench:recovery-detected").duration;
  journal.close();
  const chunks = found.reduce((sum, session) => sum + (session.local?.chunks ?? 0), 0);
  return { fromScriptStart, detectionOnly, fromNavigation: performance.now(), sessions: found.length, chunks };
}

function post(answer: unknown): Promise<Response> {
  return fetch(DETECT_RESULT_PATH, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(answer) });
}

detect().then(
  async (run) => {
    const runs = JSON.parse(sessionStorage.getItem(RUNS_KEY) ?? "[]") as DetectRun[];
    runs.push(run);
    // The first load's files came from the network; the counted ones are loads the browser has seen before.
    if (runs.length <= Number(new URLSearchParams(location.search).get("runs") ?? "1")) {
      sessionStorage.setItem(RUNS_KEY, JSON.stringify(runs));
      location.reload();
      return;
    }
    sessionStorage.removeItem(RUNS_KEY);
    await post({ ok: true, runs: runs.slice(1) });
  },
  (error: unknown) => post({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
