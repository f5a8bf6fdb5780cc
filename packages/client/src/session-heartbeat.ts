import { KEEPALIVE_INTERVAL_MS } from "@tidemark/shared";
import { ApiError, type SessionApi } from "./api-client.ts";

type IntervalHandle = ReturnType<typeof setInterval>;

export interface HeartbeatStatus {
  /** The server counted this heartbeat. */
  ok: boolean;
  /** When the answer (or the failure) came, in milliseconds since the epoch. */
  at: number;
  error?: string;
}

export type HeartbeatStatusListener = (status: HeartbeatStatus) => void;

export interface SessionHeartbeatOptions {
  api: Pick<SessionApi, "keepalive" | "resumeSession">;
  intervalMs?: number;
  setInterval?: (callback: () => void, ms: number) => IntervalHandle;
  clearInterval?: (handle: IntervalHandle) => void;
  now?: () => number;
}

/**
 * Keeps a session `active` on the server while the user works in it: a keepalive at once and then
 * every `intervalMs`. The server marks a session without keepalives `incomplete` after a timeout;
 * when that happened anyway (the tab slept, the network dropped), the keepalive is refused with a
 * 400 and the heartbeat resumes the session and carries on. Failures are reported, never thrown.
 */
export class SessionHeartbeat {
  readonly #api: Pick<SessionApi, "keepalive" | "resumeSession">;
  readonly #intervalMs: number;
  readonly #setInterval: (callback: () => void, ms: number) => IntervalHandle;
  readonly #clearInterval: (handle: IntervalHandle) => void;
  readonly #now: () => number;
  readonly #listeners = new Set<HeartbeatStatusListener>();

  #sessionId: string | null = null;
  #timer: IntervalHandle | null = null;
  /** Bumped by every start and stop, so answers to an earlier run are ignored. */
  #generation = 0;
  /**
   * The run whose heartbeat is still unanswered; a slow network must not pile requests up. A
   * request that never gets an answer ends at the api client's time limit, freeing the next beat.
   */
  #inFlight: number | null = null;

  constructor(options: SessionHeartbeatOptions) {
    this.#api = options.api;
    this.#intervalMs = options.intervalMs ?? KEEPALIVE_INTERVAL_MS;
    // Called through wrappers: browsers reject a native setInterval invoked with a foreign `this`.
    const schedule = options.setInterval ?? globalThis.setInterval;
    const cancel = options.clearInterval ?? globalThis.clearInterval;
    this.#setInterval = (callback, ms) => schedule(callback, ms);
    this.#clearInterval = (handle) => cancel(handle);
    this.#now = options.now ?? Date.now;
  }

  /** The session kept alive, or `null` when stopped. */
  get sessionId(): string | null {
    return this.#sessionId;
  }

  /** Sends a keepalive at once and then every interval. Starting the same session again is harmless. */
  start(sessionId: string): void {
    if (this.#sessionId === sessionId && this.#timer !== null) return;
    this.stop();
    this.#sessionId = sessionId;
    const generation = ++this.#generation;
    this.#timer = this.#setInterval(() => void this.#beat(generation, sessionId), this.#intervalMs);
    void this.#beat(generation, sessionId);
  }

  stop(): void {
    this.#generation += 1;
    this.#sessionId = null;
    if (this.#timer === null) return;
    this.#clearInterval(this.#timer);
    this.#timer = null;
  }

  onStatus(listener: HeartbeatStatusListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async #beat(generation: number, sessionId: string): Promise<void> {
    if (this.#inFlight === generation) return;
    this.#inFlight = generation;
    try {
      await this.#api.keepalive(sessionId);
      this.#report(generation, { ok: true, at: this.#now() });
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        await this.#resume(generation, sessionId);
      } else {
        this.#fail(generation, error);
      }
    } finally {
      if (this.#inFlight === generation) this.#inFlight = null;
    }
  }

  /** The server marked the session incomplete while no keepalive came through: make it active again. */
  async #resume(generation: number, sessionId: string): Promise<void> {
    try {
      await this.#api.resumeSession(sessionId);
      await this.#api.keepalive(sessionId);
      this.#report(generation, { ok: true, at: this.#now() });
    } catch (error) {
      this.#fail(generation, error);
    }
  }

  #fail(generation: number, error: unknown): void {
    this.#report(generation, { ok: false, at: this.#now(), error: error instanceof Error ? error.message : String(error) });
    // Completed (409 on resume): no later heartbeat can succeed, so stop sending. An unknown
    // session (404) is not given up on: a server that lost it gets it back from the uploader,
    // which creates it there again from this device's journal.
    const final = error instanceof ApiError && error.status === 409;
    if (final && generation === this.#generation) this.stop();
  }

  #report(generation: number, status: HeartbeatStatus): void {
    if (generation !== this.#generation) return;
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch {
        // A faulty listener must not stop the heartbeat.
      }
    }
  }
}
