/**
 * Main-thread time of spans a page marks, read from a Chromium trace: every task the renderer's
 * main thread ran between `<name>:start` and `<name>:end` marks (`performance.mark`), with
 * its thread CPU time. CPU time counts what the thread did, not the time the operating system
 * gave to other processes, so a busy machine does not inflate it; the wall time of the same
 * tasks is reported beside it.
 */
import type { CDPSession, Page } from "@playwright/test";

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  /** Microseconds. */
  ts: number;
  dur?: number;
  /** Thread (CPU) time of a complete event, microseconds. */
  tdur?: number;
}

/** One marked span: what the main thread spent in it, in milliseconds. */
export interface MainThreadSpan {
  name: string;
  /** Thread CPU time of the tasks run inside the span. */
  cpu: number;
  /** Wall time of those tasks. */
  wall: number;
  /** Wall time of the longest of them (what input could have had to wait for). */
  longestTask: number;
  /** From the start mark to the end mark. */
  elapsed: number;
}

/** The outermost unit of work on a Chromium thread. */
const TASK_EVENT = "ThreadControllerImpl::RunTask";
const CATEGORIES = ["toplevel", "blink.user_timing"];

/** Runs `work` with tracing on; answers its result and the spans marked with names starting with `prefix`. */
export async function traceMainThread<T>(page: Page, prefix: string, work: () => Promise<T>): Promise<{ result: T; spans: MainThreadSpan[] }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { result, events } = await collect(cdp, work);
    return { result, spans: spansOf(events, prefix) };
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

async function collect<T>(cdp: CDPSession, work: () => Promise<T>): Promise<{ result: T; events: TraceEvent[] }> {
  const events: TraceEvent[] = [];
  cdp.on("Tracing.dataCollected", (message) => events.push(...(message.value as unknown as TraceEvent[])));
  const complete = new Promise<void>((resolve) => cdp.once("Tracing.tracingComplete", () => resolve()));
  await cdp.send("Tracing.start", { traceConfig: { includedCategories: CATEGORIES }, transferMode: "ReportEvents" });
  let result: T;
  try {
    result = await work();
  } finally {
    await cdp.send("Tracing.end");
    await complete;
  }
  return { result, events };
}

function spansOf(events: TraceEvent[], prefix: string): MainThreadSpan[] {
  const marks = events.filter((event) => event.cat.includes("blink.user_timing") && event.name.startsWith(prefix));
  const first = marks[0];
  if (!first) throw new Error(`The trace holds no marks named ${prefix}…`);
  // Marks are made on the main thread, so their thread is the one to measure.
  const tasks = events.filter((event) => event.pid === first.pid && event.tid === first.tid && event.ph === "X" && event.name === TASK_EVENT);
  const starts = new Map<string, number>();
  const spans: MainThreadSpan[] = [];
  for (const mark of marks) {
    if (mark.name.endsWith(":start")) {
      starts.set(mark.name.slice(0, -":start".length), mark.ts);
      continue;
    }
    if (!mark.name.endsWith(":end")) continue;
    const name = mark.name.slice(0, -":end".length);
    const start = starts.get(name);
    if (start === undefined) continue;
    spans.push(measure(name, start, mark.ts, tasks));
  }
  return spans;
}

function measure(name: string, start: number, end: number, tasks: TraceEvent[]): MainThreadSpan {
  let cpu = 0;
  let wall = 0;
  let longestTask = 0;
  for (const task of tasks) {
    const duration = task.dur ?? 0;
    const from = Math.max(start, task.ts);
    const to = Math.min(end, task.ts + duration);
    if (to <= from || duration === 0) continue;
    // A task cut by a mark (the span starts or ends inside it) counts with the part inside.
    const share = (to - from) / duration;
    wall += to - from;
    cpu += (task.tdur ?? duration) * share;
    longestTask = Math.max(longestTask, to - from);
  }
  return { name, cpu: cpu / 1000, wall: wall / 1000, longestTask: longestTask / 1000, elapsed: (end - start) / 1000 };
}
