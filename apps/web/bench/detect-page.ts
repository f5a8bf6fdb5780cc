/**
 * Recovery detection as a page load runs it: the journal is opened and asked which sessions were
 * interrupted. Its own entry, so the figure measured from the page's first script holds only
 * what detection needs to load.
 */
import { ChunkJournal, detectLocalRecovery } from "@tidemark/client";
import { JOURNAL_NAME, report, type Result } from "./bench-page-support.ts";

// The entry module's first statement: the app's own script starts here (its imports are loaded).
performance.mark("bench:script-start");

async function detect(): Promise<Result> {
  const journal = new ChunkJournal({ name: JOURNAL_NAME });
  performance.mark("bench:detection-called");
  const found = await detectLocalRecovery(journal);
  performance.mark("bench:recovery-detected");
  const fromScriptStart = performance.measure("bench:from-script-start", "bench:script-start", "bench:recovery-detected").duration;
  const detectionOnly = performance.measure("bench:detection", "bench:detection-called", "bench:recovery-detected").duration;
  journal.close();
  const chunks = found.reduce((sum, session) => sum + (session.local?.chunks ?? 0), 0);
  return { ok: true, fromScriptStart, detectionOnly, fromNavigation: performance.now(), sessions: found.length, chunks };
}

report(detect);
