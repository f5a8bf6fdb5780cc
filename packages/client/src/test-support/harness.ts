import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { ChunkJournal, type TrackNumber } from "../chunk-journal.ts";
import type { RunExclusively } from "../uploader.ts";

type TimerHandle = ReturnType<typeof setTimeout>;

/** Opens a journal on a fresh in-memory IndexedDB, or on `indexedDB` to reopen one (a "reload"). */
export function openTestJournal(indexedDB: IDBFactory = new IDBFactory(), now: () => number = () => 1_000) {
  const journal = new ChunkJournal({ name: "journal-under-test", indexedDB, IDBKeyRange, now });
  return { journal, indexedDB };
}

/** `samples` 16-bit samples starting at `first`, so each chunk's bytes differ from the others. */
export function pcm(samples: number, first = 0): ArrayBuffer {
  return Int16Array.from({ length: samples }, (_, index) => first + index).buffer;
}

/** A recording session in the journal with `chunks` chunks appended to each of `tracks`. */
export async function recordedSession(
  journal: ChunkJournal,
  sessionId: string,
  options: { tracks?: TrackNumber[]; chunks?: number; title?: string; sampleRate?: number; onServer?: boolean } = {},
): Promise<void> {
  const tracks = options.tracks ?? [0];
  const onServer = options.onServer === false ? { onServer: false } : {};
  await journal.startSession({ sessionId, title: options.title ?? "Episode 12", kind: "recording", ...onServer });
  for (const track of tracks) {
    await journal.declareTrack(sessionId, {
      track,
      label: `Input ${track}`,
      sampleRate: options.sampleRate ?? 48_000,
      channels: 1,
    });
  }
  for (let seq = 0; seq < (options.chunks ?? 0); seq += 1) {
    for (const track of tracks) await journal.append(sessionId, track, pcm(4, seq * 10 + track));
  }
}

/** Timers that record every requested delay and fire at once, so backoff is observable but instant. */
export function instantTimers() {
  const delays: number[] = [];
  const cleared: TimerHandle[] = [];
  return {
    delays,
    cleared,
    setTimeout: (callback: () => void, ms: number) => {
      delays.push(ms);
      return setTimeout(callback, 0);
    },
    clearTimeout: (handle: TimerHandle) => {
      cleared.push(handle);
      clearTimeout(handle);
    },
  };
}

/** Timers that record every requested delay and never fire by themselves. */
export function heldTimers() {
  const delays: number[] = [];
  const cleared: TimerHandle[] = [];
  const scheduled: Array<{ handle: TimerHandle; callback: () => void; ms: number }> = [];
  let next = 1;
  return {
    delays,
    cleared,
    scheduled,
    setTimeout: (callback: () => void, ms: number) => {
      delays.push(ms);
      const handle = next++ as unknown as TimerHandle;
      scheduled.push({ handle, callback, ms });
      return handle;
    },
    clearTimeout: (handle: TimerHandle) => {
      cleared.push(handle);
      const index = scheduled.findIndex((timer) => timer.handle === handle);
      if (index >= 0) scheduled.splice(index, 1);
    },
    /** Fires the oldest scheduled timer. */
    fire: () => {
      const timer = scheduled.shift();
      if (!timer) throw new Error("no timer scheduled");
      timer.callback();
    },
  };
}

/** Resolves once `condition` holds, checking between macrotasks; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Follows `promise`, so a test can see whether (and with what) it settled while time runs on. */
export function outcome<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => unknown } {
  let result: unknown = "pending";
  promise.then(
    (value) => (result = value),
    (error: unknown) => (result = error),
  );
  return { promise, settled: () => result };
}

/** Lets every queued task run (IndexedDB work and scripted answers included). */
export async function settle(rounds = 20): Promise<void> {
  for (let index = 0; index < rounds; index += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * One lock shared by the "tabs" of a test, like a Web Lock: exclusive, granted in request order,
 * a wait ends when its signal aborts. `holdElsewhere()` makes a tab outside the test hold it.
 */
export function sharedLock() {
  const queue: Array<() => void> = [];
  let held = false;
  const grantNext = () => {
    if (held) return;
    const next = queue.shift();
    if (!next) return;
    held = true;
    next();
  };
  const release = () => {
    held = false;
    grantNext();
  };
  const run: RunExclusively = (task, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        task().then(resolve, reject).finally(release);
      };
      const onAbort = () => {
        const index = queue.indexOf(grant);
        if (index < 0) return;
        queue.splice(index, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      queue.push(grant);
      grantNext();
    });
  return {
    run,
    isHeld: () => held,
    /** Requests waiting to be granted. */
    waiting: () => queue.length,
    /** Another tab takes the lock (once it is free) and holds it until the returned function is called. */
    holdElsewhere(): () => void {
      let done: () => void = () => undefined;
      const holding = new Promise<void>((resolve) => (done = resolve));
      void run(() => holding, new AbortController().signal);
      return done;
    },
  };
}
