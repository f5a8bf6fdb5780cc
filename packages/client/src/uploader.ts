import type { TrackSummary } from "@tidemark/shared";
import { ApiError, type RecordingApi } from "./api-client.ts";
import { fullJitterDelay } from "./backoff.ts";
import type { ChunkJournal, JournalChunk, JournalSession, JournalTrack, TrackNumber } from "./chunk-journal.ts";

export interface UploadProgress {
  sessionId: string;
  track: TrackNumber;
  /** Last seq the server holds with no gap before it (-1: none). */
  serverCommittedThrough: number;
  /** Chunks of this track on this device that the server has not acknowledged. */
  pendingChunks: number;
}

export type UploaderStatus = "idle" | "uploading" | "waiting-for-network" | "error";

type TimerHandle = ReturnType<typeof setTimeout>;

/**
 * Runs `task` while holding a lock that every tab of this browser shares, and settles when `task`
 * has. When `signal` aborts before the lock is granted, rejects without running `task`.
 */
export type RunExclusively = (task: () => Promise<void>, signal: AbortSignal) => Promise<void>;

/** The part of `navigator.locks` the uploader uses. */
export interface UploadLockManager {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

export const UPLOAD_LOCK_NAME = "tidemark-uploader";

/**
 * `RunExclusively` over the Web Lock `name`, which the browser frees by itself when the holding
 * tab closes or crashes. Undefined without Web Locks: the loop then runs in every tab, which the
 * server's idempotence keeps safe, only wasteful.
 */
export function webLockRunner(locks: UploadLockManager | undefined, name = UPLOAD_LOCK_NAME): RunExclusively | undefined {
  if (!locks) return undefined;
  return async (task, signal) => {
    await locks.request(name, { signal }, task);
  };
}

export interface ChunkUploaderOptions {
  journal: ChunkJournal;
  api: RecordingApi;
  /** Returns a number in [0, 1); drives the backoff jitter. */
  random?: () => number;
  setTimeout?: (callback: () => void, ms: number) => TimerHandle;
  clearTimeout?: (handle: TimerHandle) => void;
  /** Ceiling of the first retry delay. */
  baseDelayMs?: number;
  /** Longest wait between retries. */
  maxDelayMs?: number;
  /** How many pending chunks are read from the journal at once (bounds the audio held in memory). */
  batchSize?: number;
  /**
   * Keeps the upload loop to one tab at a time (see `webLockRunner`). Every tab's journal is the
   * same database, so the tab holding the lock sends every tab's chunks; the others wait for it.
   * Without it the loop runs unguarded.
   */
  runExclusively?: RunExclusively;
}

export const UPLOADER_DEFAULTS = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  batchSize: 16,
} as const;

/** How often one uploader re-creates a session the server lost before giving up on it. */
const MAX_LOSSES_PER_SESSION = 3;

export type UploadProgressListener = (progress: UploadProgress) => void;
export type UploaderStatusListener = (status: UploaderStatus, detail?: string) => void;
/** A session the server refuses for good: its uploads stop, its chunks stay in the journal. */
export type SessionStoppedListener = (sessionId: string, reason: string) => void;

/** What one step of the upload loop came to. */
type Step =
  /** Done; carry on. */
  | "ok"
  /** A failure worth retrying: wait out the backoff, then start over from the journal. */
  | "retry"
  /** The server will never take this session's chunks; it is left alone from now on. */
  | "session-stopped"
  /** This chunk can never be stored as it is; it is left in the journal and passed over. */
  | "chunk-skipped"
  /** Another tab finished the session and purged it from the journal: nothing is left to send, and nothing failed. */
  | "session-gone";

interface DrainWaiter {
  sessionId: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Sleeper {
  timer: TimerHandle | null;
  resolve: () => void;
}

/**
 * Resumable uploader: sends every chunk the journal holds and the server lacks, in seq order per
 * track, and marks a chunk uploaded only once the server acknowledged it (it is durable there by
 * then). Every request is safe to repeat (the server is idempotent by seq and digest), so any
 * failure is handled by trying again later from what the journal says.
 *
 * One request at a time: at most one upload is ever in flight per session track, so the server
 * receives each track in order and `committedThrough` only grows. With `runExclusively`, that
 * holds across the browser's tabs too.
 */
export class ChunkUploader {
  readonly #journal: ChunkJournal;
  readonly #api: RecordingApi;
  readonly #random: () => number;
  readonly #setTimeout: (callback: () => void, ms: number) => TimerHandle;
  readonly #clearTimeout: (handle: TimerHandle) => void;
  readonly #backoff: { baseMs: number; maxMs: number };
  readonly #batchSize: number;
  readonly #runExclusively: RunExclusively | undefined;

  readonly #progressListeners = new Set<UploadProgressListener>();
  readonly #statusListeners = new Set<UploaderStatusListener>();
  readonly #stoppedListeners = new Set<SessionStoppedListener>();

  /** Sessions whose server position was read in this uploader's lifetime. */
  readonly #reconciled = new Set<string>();
  /** `session/track` pairs declared to the server in this uploader's lifetime. */
  readonly #declared = new Set<string>();
  /** Per session, how often the server was found to have lost it in this uploader's lifetime. */
  readonly #losses = new Map<string, number>();
  /** Sessions the server refuses for good (completed, another user's id, lost too often), with the reason. */
  readonly #stoppedSessions = new Map<string, Error>();
  /** Per session, `track/seq` of chunks the server holds with different content. */
  readonly #skippedChunks = new Map<string, Set<string>>();
  #drainWaiters: DrainWaiter[] = [];

  #running = false;
  #loop: Promise<void> | null = null;
  #attempt = 0;
  /** Set by `wake()`; a wake that arrives while a round is busy makes the loop look again instead of idling. */
  #woken = false;
  #sleeper: Sleeper | null = null;
  /** Aborts the wait for the upload lock when stopped. */
  #lockWait: AbortController | null = null;
  #status: UploaderStatus = "idle";
  #statusDetail: string | undefined;
  #removeOnlineListener: (() => void) | null = null;

  constructor(options: ChunkUploaderOptions) {
    this.#journal = options.journal;
    this.#api = options.api;
    this.#random = options.random ?? Math.random;
    // Called through wrappers: browsers reject a native setTimeout invoked with a foreign `this`.
    const schedule = options.setTimeout ?? globalThis.setTimeout;
    const cancel = options.clearTimeout ?? globalThis.clearTimeout;
    this.#setTimeout = (callback, ms) => schedule(callback, ms);
    this.#clearTimeout = (handle) => cancel(handle);
    this.#backoff = {
      baseMs: options.baseDelayMs ?? UPLOADER_DEFAULTS.baseDelayMs,
      maxMs: options.maxDelayMs ?? UPLOADER_DEFAULTS.maxDelayMs,
    };
    this.#batchSize = options.batchSize ?? UPLOADER_DEFAULTS.batchSize;
    this.#runExclusively = options.runExclusively;
  }

  get status(): UploaderStatus {
    return this.#status;
  }

  /** Uploads everything pending in the journal, and whatever is appended later, until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#listenForOnline();
    // A loop from before a recent stop() may still await its last answer; the new one waits for
    // it, so there is never more than one request in flight.
    const previous = this.#loop ?? Promise.resolve();
    this.#loop = previous.then(() => this.#run());
  }

  /**
   * A chunk was appended: an idle uploader looks at the journal now. A backoff wait runs its
   * course, so a client recording through a server outage does not retry once per chunk.
   */
  wake(): void {
    this.#woken = true;
    if (this.#sleeper?.timer === null) this.#endSleep();
  }

  /** The network came back or the user wants the uploads now: look at the journal at once, cutting a backoff wait short. */
  retryNow(): void {
    this.#woken = true;
    this.#endSleep();
  }

  /**
   * Resolves when the journal holds nothing more to send for the session (chunks the server holds
   * with different content are passed over, never overwritten). Before `start()` it waits for the
   * start, since the uploader starts only once the server has been reached. Rejects if the server
   * refuses the session for good or the uploader is stopped first.
   */
  drain(sessionId: string): Promise<void> {
    const drained = new Promise<void>((resolve, reject) => {
      this.#drainWaiters.push({ sessionId, resolve, reject });
    });
    this.retryNow();
    return drained;
  }

  /** Stops after the request in flight, if any, has been answered. */
  async stop(): Promise<void> {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter.reject(new Error("The uploader stopped before the session was uploaded."));
    if (!this.#running) return;
    this.#running = false;
    this.#removeOnlineListener?.();
    this.#removeOnlineListener = null;
    this.#lockWait?.abort();
    this.#endSleep();
    const loop = this.#loop;
    await loop;
    if (this.#running) return; // started again meanwhile
    if (this.#loop === loop) this.#loop = null;
    this.#setStatus("idle");
  }

  onProgress(listener: UploadProgressListener): () => void {
    return subscribe(this.#progressListeners, listener);
  }

  onStatus(listener: UploaderStatusListener): () => void {
    return subscribe(this.#statusListeners, listener);
  }

  /** Told once per session and uploader lifetime when the server refuses a session for good, with the reason. */
  onSessionStopped(listener: SessionStoppedListener): () => void {
    return subscribe(this.#stoppedListeners, listener);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (!(await this.#exclusively(() => this.#work()))) return;
      if (!this.#running) return;
      if (!this.#woken) {
        this.#setStatus("idle");
        await this.#sleep(null);
      }
    }
  }

  /**
   * Runs `work` holding the upload lock, if there is one; false when stopped while waiting for it.
   * The lock is held from the first round until the journal holds nothing to send, backoff
   * waits included, so another tab's uploader cannot retry in between.
   */
  async #exclusively(work: () => Promise<void>): Promise<boolean> {
    if (!this.#runExclusively) {
      await work();
      return true;
    }
    const waiting = new AbortController();
    this.#lockWait = waiting;
    const held: { work?: Promise<void> } = {};
    try {
      await this.#runExclusively(() => (held.work = this.#running ? work() : Promise.resolve()), waiting.signal);
    } catch {
      if (held.work === undefined) {
        if (waiting.signal.aborted) return false;
        // The browser refused the lock (a sandboxed frame, say): uploading unguarded beats not uploading.
        held.work = work();
      }
      // Granted, then taken away (stolen): the work under way still finishes.
    } finally {
      if (this.#lockWait === waiting) this.#lockWait = null;
    }
    await held.work;
    return true;
  }

  /** Rounds until the journal holds nothing to send (or the uploader stops), with backoff after failures. */
  async #work(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      let outcome: "idle" | "busy" | "retry";
      try {
        outcome = await this.#round();
      } catch (error) {
        // The journal itself failed (storage trouble); nothing is lost by trying again later. It
        // may have missed acknowledgements: the next round asks the server what it holds first,
        // so nothing it has is sent again.
        this.#reconciled.clear();
        this.#setStatus("error", `The local recording store failed: ${messageOf(error)}`);
        outcome = "retry";
      }
      if (!this.#running) return;
      if (outcome === "retry") {
        // Answer drains of sessions that were refused for good even while the network is down.
        this.#settleStoppedDrains();
        await this.#sleep(fullJitterDelay(this.#attempt, this.#backoff, this.#random));
        this.#attempt += 1;
      } else if (outcome === "idle" && !this.#woken) {
        return;
      }
    }
  }

  /** One pass over the journal: a batch of each session that has something to send. */
  async #round(): Promise<"idle" | "busy" | "retry"> {
    const sessions = await this.#journal.sessions();
    let requested = false;
    for (const session of sessions) {
      if (!this.#running) return "busy";
      if (this.#stoppedSessions.has(session.sessionId) || !this.#mayHavePending(session)) continue;
      const batch = await this.#uploadBatch(session);
      if (batch === "retry") return "retry";
      if (batch === "requested") requested = true;
    }
    await this.#settleDrains();
    return requested ? "busy" : "idle";
  }

  async #uploadBatch(session: JournalSession): Promise<"requested" | "nothing" | "retry"> {
    const { sessionId } = session;
    if (!this.#reconciled.has(sessionId)) {
      this.#setStatus("uploading");
      // Reconciling may mark chunks uploaded; the next round reads the journal afresh.
      return (await this.#reconcile(session)) === "retry" ? "retry" : "requested";
    }
    const chunks = await this.#sendableChunks(sessionId, this.#batchSize);
    if (chunks.length === 0) return "nothing";
    this.#setStatus("uploading");
    for (const chunk of chunks) {
      if (!this.#running) break;
      let step = await this.#declareOnce(session, chunk.track);
      if (step === "ok") step = await this.#upload(chunk);
      if (step === "retry") return "retry";
      if (step === "session-stopped" || step === "session-gone") break;
    }
    return "requested";
  }

  /** The server has the session and every chunk of it that can be sent. */
  async #nothingToSend(sessionId: string): Promise<boolean> {
    if ((await this.#journal.session(sessionId))?.onServer === false) return false;
    return (await this.#sendableChunks(sessionId, 1)).length === 0;
  }

  /** Pending chunks of a session in seq order, without those passed over. */
  async #sendableChunks(sessionId: string, limit: number): Promise<JournalChunk[]> {
    const skipped = this.#skippedChunks.get(sessionId);
    // Ask for the skipped chunks on top, so a batch is never made of skipped chunks only.
    const chunks = await this.#journal.pending(sessionId, limit + (skipped?.size ?? 0));
    return chunks.filter((chunk) => !skipped?.has(`${chunk.track}/${chunk.seq}`)).slice(0, limit);
  }

  /**
   * Asks the server what it already holds and marks those chunks uploaded without sending them:
   * after a reload that lost the last acknowledgements, nothing the server has is sent twice.
   */
  async #reconcile(session: JournalSession): Promise<Step> {
    const { sessionId } = session;
    if (session.onServer === false) {
      const created = await this.#createOnServer(session);
      if (created !== "ok") return created;
    }
    let detail;
    try {
      detail = await this.#api.getSession(sessionId);
    } catch (error) {
      return this.#failed(error, sessionId);
    }
    this.#attempt = 0;
    if (detail.status === "completed") return this.#stopSession(sessionId, ALREADY_FINISHED);
    for (const local of session.tracks) {
      const summary = detail.tracks.find((candidate) => candidate.track === local.track);
      if (summary) {
        const markHeld = () => this.#journal.markUploadedThrough(sessionId, local.track, summary.committedThrough);
        if (!(await this.#recordAck(sessionId, markHeld))) return "session-gone";
      }
      await this.#reportProgress(sessionId, local.track);
    }
    this.#reconciled.add(sessionId);
    return "ok";
  }

  /**
   * A session recorded before the server could be reached: created there under the id it was
   * journaled with. Creating it again is harmless (the server answers the same session), so a
   * create whose answer was lost is simply repeated.
   */
  async #createOnServer(session: JournalSession): Promise<Step> {
    try {
      await this.#api.createSession({ id: session.sessionId, kind: session.kind, title: session.title });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        return this.#stopSession(session.sessionId, `The server refused this session: ${error.message}`);
      }
      return this.#failed(error, session.sessionId);
    }
    return (await this.#recordAck(session.sessionId, () => this.#journal.markOnServer(session.sessionId))) ? "ok" : "session-gone";
  }

  async #declareOnce(session: JournalSession, track: TrackNumber): Promise<Step> {
    const key = `${session.sessionId}/${track}`;
    if (this.#declared.has(key)) return "ok";
    const local = session.tracks.find((entry) => entry.track === track);
    if (!local) return "ok"; // The journal refuses chunks of undeclared tracks, so this does not happen.
    try {
      await this.#api.declareTrack(session.sessionId, track, {
        label: local.label,
        sampleRate: local.sampleRate,
        channels: local.channels,
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        const otherFormat = (summary: TrackSummary) => summary.sampleRate !== local.sampleRate || summary.channels !== local.channels;
        const step = await this.#conflict(session.sessionId, track, error, otherFormat);
        // Another format on the server does not heal by retrying.
        return step === "clash" ? this.#stopSession(session.sessionId, `Track ${track} could not be declared: ${error.message}`) : step;
      }
      return this.#failed(error, session.sessionId);
    }
    this.#declared.add(key);
    this.#attempt = 0;
    return "ok";
  }

  async #upload(chunk: JournalChunk): Promise<Step> {
    let ack;
    try {
      ack = await this.#api.putChunk(chunk.sessionId, chunk.track, chunk.seq, chunk.pcm, chunk.sha256);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        // Only a seq the server may already hold can clash with other bytes.
        const step = await this.#conflict(chunk.sessionId, chunk.track, error, (summary) => chunk.seq <= summary.highestSeq);
        return step === "clash" ? this.#skipChunk(chunk, error.message) : step;
      }
      if (error instanceof ApiError && (error.status === 400 || error.status === 413)) {
        // The server refused these bytes as they are (e.g. damaged in local storage); sending them
        // again cannot succeed, and they are kept rather than deleted.
        return this.#skipChunk(chunk, error.message);
      }
      return this.#failed(error, chunk.sessionId);
    }
    let counters: JournalTrack | undefined;
    const recorded = await this.#recordAck(chunk.sessionId, async () => {
      counters = await this.#journal.markUploaded(chunk.sessionId, chunk.track, chunk.seq, ack.committedThrough);
    });
    if (!recorded) return "session-gone";
    this.#attempt = 0;
    if (counters) this.#report(chunk.sessionId, counters);
    return "ok";
  }

  /**
   * A 409 means the session is completed, the track is not declared, the request clashes with
   * what the server holds (`clashes`: another format, other bytes at this seq), or the session
   * refuses audio while it is being finished. The session's state on the server tells them apart.
   */
  async #conflict(
    sessionId: string,
    track: TrackNumber,
    conflict: ApiError,
    clashes: (summary: TrackSummary) => boolean,
  ): Promise<Step | "clash"> {
    let detail;
    try {
      detail = await this.#api.getSession(sessionId);
    } catch (error) {
      return this.#failed(error, sessionId);
    }
    if (detail.status === "completed") return this.#stopSession(sessionId, ALREADY_FINISHED);
    const summary = detail.tracks.find((candidate) => candidate.track === track);
    if (summary && clashes(summary)) return "clash";
    // The refusal is about the session for now (being finished) or about a track the server
    // forgot. After a backoff, so this cannot spin, the track is declared again and the request
    // repeated: by then the finish went through (the session is completed) or was refused (the
    // session takes chunks again, and the finishing device asks for the missing ones).
    this.#declared.delete(`${sessionId}/${track}`);
    this.#setStatus("error", conflict.message);
    return "retry";
  }

  /**
   * Writes what the server acknowledged to the journal; false when the session is no longer in
   * the journal because another tab finished and purged it meanwhile, which is no failure.
   */
  async #recordAck(sessionId: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if ((await this.#journal.session(sessionId)) === undefined) return false;
      throw error;
    }
  }

  #skipChunk(chunk: JournalChunk, reason: string): Step {
    let skipped = this.#skippedChunks.get(chunk.sessionId);
    if (!skipped) {
      skipped = new Set();
      this.#skippedChunks.set(chunk.sessionId, skipped);
    }
    skipped.add(`${chunk.track}/${chunk.seq}`);
    this.#setStatus("error", `Chunk ${chunk.seq} of track ${chunk.track} was not uploaded: ${reason}`);
    return "chunk-skipped";
  }

  async #stopSession(sessionId: string, message: string): Promise<Step> {
    // Refused because another tab finished the session and purged it meanwhile: nothing is lost.
    if ((await this.#journal.session(sessionId)) === undefined) return "session-gone";
    this.#stoppedSessions.set(sessionId, new Error(message));
    this.#setStatus("error", message);
    for (const listener of this.#stoppedListeners) call(() => listener(sessionId, message));
    return "session-stopped";
  }

  /**
   * The server does not know a session this device holds: its data there was lost (restored from
   * an older backup, wiped) or removed. Everything the journal holds of it is queued again and,
   * as for a session recorded before the server could be reached, it is created there anew under
   * its id; a server that refuses the id (another user's) stops it then. A server that keeps
   * forgetting it stops it too, rather than be sent the same audio forever.
   */
  async #lostOnServer(sessionId: string, error: ApiError): Promise<Step> {
    const losses = (this.#losses.get(sessionId) ?? 0) + 1;
    if (losses > MAX_LOSSES_PER_SESSION) return this.#stopSession(sessionId, `The server does not know this session: ${error.message}`);
    if (!(await this.#recordAck(sessionId, () => this.#journal.markNotOnServer(sessionId)))) return "session-gone";
    this.#losses.set(sessionId, losses);
    this.#reconciled.delete(sessionId);
    for (const key of this.#declared) if (key.startsWith(`${sessionId}/`)) this.#declared.delete(key);
    // Chunks passed over clashed with what the server held; it holds nothing of the session now.
    this.#skippedChunks.delete(sessionId);
    this.#setStatus("error", "The server no longer has this session; it is being sent again from this device.");
    return "retry";
  }

  /** Classifies a failed request: an unknown session is sent again from the journal, anything else is retried. */
  async #failed(error: unknown, sessionId: string): Promise<Step> {
    if (!(error instanceof ApiError)) {
      this.#setStatus("error", messageOf(error));
      return "retry";
    }
    if (error.status === 404) return this.#lostOnServer(sessionId, error);
    if (isTransient(error.status)) {
      this.#setStatus("waiting-for-network", error.message);
    } else {
      // E.g. a 401 after the device cookie was lost: retried with backoff until someone fixes it.
      this.#setStatus("error", error.message);
    }
    return "retry";
  }

  /**
   * The session's counters, which the journal keeps in the same transactions as the chunks, say
   * something is pending; or the server does not have the session yet (even one without audio
   * must exist there before it can be finished).
   */
  #mayHavePending(session: JournalSession): boolean {
    return session.onServer === false || session.tracks.some((entry) => entry.localChunks > entry.uploadedChunks);
  }

  #settleStoppedDrains(): void {
    this.#drainWaiters = this.#drainWaiters.filter((waiter) => {
      const stopped = this.#stoppedSessions.get(waiter.sessionId);
      if (stopped) waiter.reject(stopped);
      return !stopped;
    });
  }

  /** Answers drains: a refused session rejects, a session with nothing left to send resolves. */
  async #settleDrains(): Promise<void> {
    for (const waiter of [...this.#drainWaiters]) {
      const stopped = this.#stoppedSessions.get(waiter.sessionId);
      const done = stopped ? true : await this.#nothingToSend(waiter.sessionId);
      if (!done) continue;
      this.#drainWaiters = this.#drainWaiters.filter((candidate) => candidate !== waiter);
      if (stopped) waiter.reject(stopped);
      else waiter.resolve();
    }
  }

  async #reportProgress(sessionId: string, track: TrackNumber): Promise<void> {
    if (this.#progressListeners.size === 0) return;
    const session = await this.#journal.session(sessionId);
    const entry = session?.tracks.find((candidate) => candidate.track === track);
    if (entry) this.#report(sessionId, entry);
  }

  #report(sessionId: string, entry: JournalTrack): void {
    const progress: UploadProgress = {
      sessionId,
      track: entry.track,
      serverCommittedThrough: entry.serverCommittedThrough,
      pendingChunks: entry.localChunks - entry.uploadedChunks,
    };
    for (const listener of this.#progressListeners) call(() => listener(progress));
  }

  #setStatus(status: UploaderStatus, detail?: string): void {
    if (this.#status === status && this.#statusDetail === detail) return;
    this.#status = status;
    this.#statusDetail = detail;
    for (const listener of this.#statusListeners) call(() => listener(status, detail));
  }

  /** Waits `ms` (a backoff: only `retryNow()` cuts it short), or when `ms` is null until `wake()`. */
  #sleep(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      const sleeper: Sleeper = { timer: null, resolve };
      if (ms !== null) {
        sleeper.timer = this.#setTimeout(() => {
          if (this.#sleeper === sleeper) this.#sleeper = null;
          resolve();
        }, ms);
      }
      this.#sleeper = sleeper;
    });
  }

  #endSleep(): void {
    const sleeper = this.#sleeper;
    if (!sleeper) return;
    this.#sleeper = null;
    if (sleeper.timer !== null) this.#clearTimeout(sleeper.timer);
    sleeper.resolve();
  }

  #listenForOnline(): void {
    const target = globalThis as {
      addEventListener?: (type: string, listener: () => void) => void;
      removeEventListener?: (type: string, listener: () => void) => void;
    };
    if (typeof target.addEventListener !== "function") return;
    const onOnline = () => this.retryNow();
    target.addEventListener("online", onOnline);
    this.#removeOnlineListener = () => target.removeEventListener?.("online", onOnline);
  }
}

const ALREADY_FINISHED = "The server has already finished this session; its remaining chunks stay on this device.";

/** Failures that heal by themselves: no answer at all, a timeout, rate limiting, a server in trouble. */
function isTransient(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// A listener that throws must not stop the uploads.
function call(deliver: () => void): void {
  try {
    deliver();
  } catch {
    // Nothing to report to; the uploader carries on.
  }
}

function subscribe<T>(listeners: Set<T>, listener: T): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
