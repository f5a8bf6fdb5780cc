/** What the benchmark's pages share: the journal's name and how a page hands its answer over. */
export const JOURNAL_NAME = "bench-journal";

/** Where the detection page posts its figures. */
export const DETECT_RESULT_PATH = "/detect-result";

/** Prefix of the marks around each save (`<prefix><n>:start`, `<prefix><n>:end`). */
export const SAVE_MARK = "bench:save:";

export type Result = { ok: true; [key: string]: unknown } | { ok: false; error: string };

declare global {
  interface Window {
    /** The phase's answer, for a driver that awaits it (no polling task runs beside the phase). */
    __benchResult?: Promise<Result>;
  }
}

/** Runs a phase and puts (a promise of) its answer, or its failure, on `window.__benchResult` for the driver. */
export function report(phase: (() => Promise<Result>) | undefined): void {
  window.__benchResult = (phase ? phase() : Promise.resolve<Result>({ ok: false, error: "Unknown phase." })).catch(
    (error: unknown): Result => ({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
}
