/** What the benchmark's pages share: the journal's name and how a page hands its answer over. */
export const JOURNAL_NAME = "bench-journal";

export type Result = { ok: true; [key: string]: unknown } | { ok: false; error: string };

declare global {
  interface Window {
    __benchResult?: Result;
  }
}

/** Runs a phase and puts its answer (or its failure) on `window.__benchResult` for the driver. */
export function report(phase: (() => Promise<Result>) | undefined): void {
  (phase ? phase() : Promise.resolve<Result>({ ok: false, error: "Unknown phase." })).then(
    (result) => (window.__benchResult = result),
    (error: unknown) => (window.__benchResult = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
}
