import { ServerMessageSchema, type TidemarkEvent } from "@tidemark/shared";
import { fullJitterDelay } from "./backoff.ts";

export type EventClientStatus = "connecting" | "open" | "closed";

// Handler parameters are compared bivariantly (as method parameters are), so both the
// browser's WebSocket and the `ws` package's, whose event types differ in detail, fit.
type Handler<E> = { bivarianceHack(event: E): void }["bivarianceHack"];

/** The part of the WebSocket API the client uses. */
export interface WebSocketLike {
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<unknown> | null;
  onerror: Handler<unknown> | null;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

type TimerHandle = ReturnType<typeof setTimeout>;

export interface EventClientOptions {
  /** Absolute `ws:` or `wss:` URL of the event stream, e.g. `wss://example.org/api/ws`. */
  url: string;
  /** Id of the last event already applied; the first connect then asks for what came after it. */
  lastEventId?: number;
  /** Ceiling of the first retry delay. */
  baseDelayMs?: number;
  /** Longest wait between retries. */
  maxDelayMs?: number;
  /** A connection open this long counts as healthy and the backoff starts over. */
  stableAfterMs?: number;
  WebSocket?: WebSocketConstructor;
  /** Returns a number in [0, 1); drives the backoff jitter. */
  random?: () => number;
  setTimeout?: (callback: () => void, ms: number) => TimerHandle;
  clearTimeout?: (handle: TimerHandle) => void;
}

export type TidemarkEventListener = (event: TidemarkEvent) => void;
/**
 * Told to refetch state. `lastEventId` is the server's position when the server asked for it;
 * `null` when the client itself cannot know what it missed (a connection opened before any event
 * was seen, so the server had no position to replay from).
 */
export type ResyncListener = (lastEventId: number | null) => void;
export type StatusListener = (status: EventClientStatus) => void;
export type ErrorListener = (error: Error) => void;

export const EVENT_CLIENT_DEFAULTS = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  stableAfterMs: 5_000,
} as const;

/**
 * Reconnecting client for the server's event stream (`/api/ws`).
 *
 * Events carry monotonic ids; the client remembers the last one it delivered and reconnects
 * with `?after=<id>` so the server replays what was missed before live events. Replayed and
 * live events may overlap, so anything at or below the last seen id is dropped.
 */
export class EventClient {
  readonly #url: string;
  readonly #backoff: { baseMs: number; maxMs: number };
  readonly #stableAfterMs: number;
  readonly #WebSocket: WebSocketConstructor | undefined;
  readonly #random: () => number;
  readonly #setTimeout: (callback: () => void, ms: number) => TimerHandle;
  readonly #clearTimeout: (handle: TimerHandle) => void;

  readonly #eventListeners = new Set<TidemarkEventListener>();
  readonly #resyncListeners = new Set<ResyncListener>();
  readonly #statusListeners = new Set<StatusListener>();
  readonly #errorListeners = new Set<ErrorListener>();

  #lastSeenId: number | null;
  #attempt = 0;
  #running = false;
  #status: EventClientStatus = "closed";
  #socket: WebSocketLike | null = null;
  #reconnectTimer: TimerHandle | null = null;
  #stableTimer: TimerHandle | null = null;

  constructor(options: EventClientOptions) {
    this.#url = options.url;
    this.#lastSeenId = options.lastEventId ?? null;
    this.#backoff = {
      baseMs: options.baseDelayMs ?? EVENT_CLIENT_DEFAULTS.baseDelayMs,
      maxMs: options.maxDelayMs ?? EVENT_CLIENT_DEFAULTS.maxDelayMs,
    };
    this.#stableAfterMs = options.stableAfterMs ?? EVENT_CLIENT_DEFAULTS.stableAfterMs;
    this.#WebSocket = options.WebSocket ?? (globalThis.WebSocket as WebSocketConstructor | undefined);
    this.#random = options.random ?? Math.random;
    // Called through wrappers: browsers reject a native setTimeout invoked with a foreign `this`.
    const schedule = options.setTimeout ?? globalThis.setTimeout;
    const cancel = options.clearTimeout ?? globalThis.clearTimeout;
    this.#setTimeout = (callback, ms) => schedule(callback, ms);
    this.#clearTimeout = (handle) => cancel(handle);
  }

  /** Id of the last event delivered to listeners, or `null` before the first one. */
  get lastSeenId(): number | null {
    return this.#lastSeenId;
  }

  get status(): EventClientStatus {
    return this.#status;
  }

  /** Starts connecting; keeps reconnecting until `close()`. Calling it again is harmless. */
  connect(): void {
    if (this.#running) return;
    if (!this.#WebSocket) throw new Error("No WebSocket implementation is available; pass one in the options.");
    this.#running = true;
    this.#attempt = 0;
    this.#open();
  }

  /** Skips the remaining backoff wait, e.g. when the browser reports it is online again. */
  reconnectNow(): void {
    if (!this.#running || this.#socket) return;
    this.#clearReconnectTimer();
    this.#open();
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.#running = false;
    this.#clearReconnectTimer();
    this.#clearStableTimer();
    const socket = this.#socket;
    this.#socket = null;
    // Handlers stay attached (they ignore a socket that is no longer current) because the
    // `ws` package throws on an error event that has no listener.
    socket?.close(1000, "client closed");
    this.#setStatus("closed");
  }

  onEvent(listener: TidemarkEventListener): () => void {
    return subscribe(this.#eventListeners, listener);
  }

  onResync(listener: ResyncListener): () => void {
    return subscribe(this.#resyncListeners, listener);
  }

  onStatus(listener: StatusListener): () => void {
    return subscribe(this.#statusListeners, listener);
  }

  /** Connection failures, malformed messages and listeners that threw; none of them stop the client. */
  onError(listener: ErrorListener): () => void {
    return subscribe(this.#errorListeners, listener);
  }

  #open(): void {
    const WebSocketImpl = this.#WebSocket;
    if (!WebSocketImpl) return;
    const positionKnown = this.#lastSeenId !== null;
    this.#setStatus("connecting");
    let socket: WebSocketLike;
    try {
      socket = new WebSocketImpl(this.#urlFromLastSeen());
    } catch (error) {
      this.#reportError(new Error("Could not open the event stream.", { cause: error }));
      this.#setStatus("closed");
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;

    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#setStatus("open");
      this.#clearStableTimer();
      this.#stableTimer = this.#setTimeout(() => {
        this.#stableTimer = null;
        this.#attempt = 0;
      }, this.#stableAfterMs);
      if (!positionKnown) this.#emitResync(null);
    };
    socket.onmessage = (message) => {
      if (this.#socket !== socket) return;
      this.#handleMessage(message.data);
    };
    socket.onerror = () => {
      if (this.#socket !== socket) return;
      this.#reportError(new Error("The event stream connection failed."));
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#clearStableTimer();
      this.#setStatus("closed");
      if (this.#running) this.#scheduleReconnect();
    };
  }

  #urlFromLastSeen(): string {
    if (this.#lastSeenId === null) return this.#url;
    const url = new URL(this.#url);
    url.searchParams.set("after", String(this.#lastSeenId));
    return url.toString();
  }

  #scheduleReconnect(): void {
    const delay = fullJitterDelay(this.#attempt, this.#backoff, this.#random);
    this.#attempt += 1;
    this.#reconnectTimer = this.#setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#running) this.#open();
    }, delay);
  }

  #handleMessage(data: unknown): void {
    if (typeof data !== "string") {
      this.#reportError(new Error("Ignored a binary message on the event stream."));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch (error) {
      this.#reportError(new Error("Ignored a message that is not JSON.", { cause: error }));
      return;
    }
    const parsed = ServerMessageSchema.safeParse(json);
    if (!parsed.success) {
      this.#reportError(new Error("Ignored a message that matches no known event.", { cause: parsed.error }));
      return;
    }
    const message = parsed.data;
    if (message.type === "resync") {
      // The server is authoritative here, even if it names an id below ours.
      this.#lastSeenId = message.lastEventId;
      this.#emitResync(message.lastEventId);
      return;
    }
    if (this.#lastSeenId !== null && message.id <= this.#lastSeenId) return;
    this.#lastSeenId = message.id;
    for (const listener of this.#eventListeners) this.#call(() => listener(message));
  }

  #emitResync(lastEventId: number | null): void {
    for (const listener of this.#resyncListeners) this.#call(() => listener(lastEventId));
  }

  #setStatus(status: EventClientStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    for (const listener of this.#statusListeners) this.#call(() => listener(status));
  }

  #reportError(error: Error): void {
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // An error listener that throws has nowhere left to report to.
      }
    }
  }

  // One faulty listener must not starve the others or break the connection.
  #call(deliver: () => void): void {
    try {
      deliver();
    } catch (error) {
      this.#reportError(new Error("An event stream listener threw.", { cause: error }));
    }
  }

  #clearReconnectTimer(): void {
    if (this.#reconnectTimer === null) return;
    this.#clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
  }

  #clearStableTimer(): void {
    if (this.#stableTimer === null) return;
    this.#clearTimeout(this.#stableTimer);
    this.#stableTimer = null;
  }
}

function subscribe<T>(listeners: Set<T>, listener: T): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
