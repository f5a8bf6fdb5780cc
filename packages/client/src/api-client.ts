import {
  CheckpointConflictSchema,
  CheckpointDocumentSchema,
  ChunkAckSchema,
  DeviceAuthResponseSchema,
  DeviceStatusResponseSchema,
  type DeviceAuthResponse,
  ErrorResponseSchema,
  FinishResponseSchema,
  KeepaliveResponseSchema,
  PreferencesConflictSchema,
  PreferencesDocumentSchema,
  RecoveryTokenSchema,
  SessionDetailSchema,
  SessionListSchema,
  SessionSchema,
  TrackSummarySchema,
  type CheckpointDocument,
  type ChunkAck,
  type CreateSessionBody,
  type FinishBody,
  type FinishResponse,
  type KeepaliveResponse,
  type PreferencesDocument,
  type PutCheckpointBody,
  type PutPreferencesBody,
  type RecoveryToken,
  type Session,
  type SessionDetail,
  type TrackDeclaration,
  type TrackNumber,
  type TrackSummary,
} from "@tidemark/shared";
import { contentDigest } from "./digest.ts";

/** Seqs per track, keyed by track number as a string, as the server names them. */
export type MissingSeqs = Record<"0" | "1", number[]>;

/** A non-2xx answer (or none at all, or none in time: `status` 0), carrying the server's `{ message }`. */
export class ApiError extends Error {
  readonly status: number;
  /** On a 409 from finish: the seqs the server still lacks, per track. */
  readonly missing?: MissingSeqs;
  /**
   * On a 409 from a versioned write (preferences, checkpoint): the server's current value, as
   * parsed from the answer (`PreferencesConflict` or `CheckpointConflict`).
   */
  readonly conflict?: unknown;

  constructor(status: number, message: string, options?: { cause?: unknown; missing?: MissingSeqs; conflict?: unknown }) {
    super(message, options);
    this.name = "ApiError";
    this.status = status;
    if (options?.missing) this.missing = options.missing;
    if (options?.conflict !== undefined) this.conflict = options.conflict;
  }
}

/**
 * No answer came from the API (the network is down, the server is gone, the request timed out), or
 * something in front of it answered that it is unavailable (502, 503, 504). Unlike a refusal, it
 * says nothing about the request, which may succeed later.
 */
export function serverUnreachable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status === 502 || error.status === 503 || error.status === 504);
}

/** The session endpoints the UI drives. */
export interface SessionApi {
  /** Makes sure the browser holds a device cookie, registering a new anonymous device if not. */
  ensureDevice(): Promise<void>;
  /** The caller's sessions, newest first. */
  listSessions(): Promise<Session[]>;
  createSession(body: CreateSessionBody): Promise<Session>;
  resumeSession(id: string): Promise<Session>;
  finishSession(id: string): Promise<Session>;
  keepalive(id: string): Promise<KeepaliveResponse>;
}

/** The recording endpoints on top of the session endpoints: tracks, chunks, finish and recovery tokens. */
export interface RecordingApi extends SessionApi {
  /** Detail of one session: its tracks as the server holds them, finalized files, token metadata. */
  getSession(id: string): Promise<SessionDetail>;
  /** Declares a track before its first chunk; declaring the same track the same way again is harmless. */
  declareTrack(id: string, track: TrackNumber, declaration: TrackDeclaration): Promise<TrackSummary>;
  /** Uploads one chunk; the answer means the server holds these bytes durably. Safe to repeat. */
  putChunk(id: string, track: TrackNumber, seq: number, pcm: ArrayBuffer, sha256: string): Promise<ChunkAck>;
  /** Finishes the session. A 409 naming missing seqs carries them in `ApiError.missing`. */
  finishSession(id: string, body?: NonNullable<FinishBody>): Promise<FinishResponse>;
  /** A fresh download link for a finished track; the token is shown only in this answer. */
  createRecoveryToken(sessionId: string, track: TrackNumber): Promise<RecoveryToken>;
}

/**
 * The server's copy of what a user sets up and of each session's open work. Writes carry the
 * version they build on; a stale one is refused with a 409 whose `ApiError.conflict` holds the
 * server's current value, so nothing is overwritten unseen.
 */
export interface BackupApi {
  /** Version 0 and the defaults before the first write. */
  getPreferences(): Promise<PreferencesDocument>;
  putPreferences(body: PutPreferencesBody): Promise<PreferencesDocument>;
  /** Version 0 and `null` before the first write. */
  getCheckpoint(sessionId: string): Promise<CheckpointDocument>;
  putCheckpoint(sessionId: string, body: PutCheckpointBody): Promise<CheckpointDocument>;
  /** Deletes everything the server holds for this user, and the device identity with it. */
  deleteMyData(): Promise<void>;
}

/** Every endpoint the browser uses. */
export interface TidemarkApi extends RecordingApi, BackupApi {}

/**
 * Where the device's identity is kept durably. Browsers write cookies to disk lazily (Chromium
 * about every 30 s), so a crash right after the first visit can lose the cookie; the identity
 * kept here restores it.
 */
export interface DeviceIdentityStorage {
  load(): Promise<DeviceAuthResponse | undefined>;
  save(identity: DeviceAuthResponse): Promise<void>;
}

/** How long one request may take, answer included, before it counts as a lost connection. */
export interface ApiTimeouts {
  /** Any JSON request. */
  requestMs: number;
  /** A chunk upload: up to 1 MiB over what may be a slow uplink. */
  chunkMs: number;
  /** Finishing: the server verifies and assembles every chunk before it answers. */
  finishMs: number;
}

export const API_TIMEOUTS: ApiTimeouts = { requestMs: 15_000, chunkMs: 30_000, finishMs: 120_000 };

export interface ApiClientOptions {
  fetch?: typeof fetch;
  identity?: DeviceIdentityStorage;
  /** Prefix for every path; empty means the page's own origin. */
  baseUrl?: string;
  timeouts?: Partial<ApiTimeouts>;
  /** Cancels every request of this client, e.g. as the page shuts down; a cancelled request rejects with the signal's reason. */
  signal?: AbortSignal;
}

interface Parser<T> {
  parse(input: unknown): T;
}

interface SafeParser {
  safeParse(input: unknown): { success: boolean; data?: unknown };
}

/** For answers without a body (204). */
const NO_CONTENT: Parser<void> = { parse: () => undefined };

/** A request body with the headers that describe it. */
interface Payload {
  body: string | ArrayBuffer;
  headers: Record<string, string>;
}

function jsonPayload(body: unknown): Payload {
  return { body: JSON.stringify(body), headers: { "content-type": "application/json" } };
}

export function createApiClient(options: ApiClientOptions = {}): TidemarkApi {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const baseUrl = options.baseUrl ?? "";
  const timeouts: ApiTimeouts = { ...API_TIMEOUTS, ...options.timeouts };

  async function send(
    method: string,
    path: string,
    payload?: Payload,
    { headers = {}, timeoutMs = timeouts.requestMs }: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<Answer> {
    const limit = deadline(timeoutMs, options.signal);
    const init: RequestInit = {
      method,
      credentials: "same-origin",
      headers: { accept: "application/json", ...headers },
      signal: limit.signal,
    };
    // A JSON content type with an empty body is itself a 400, so only set it with a body.
    if (payload !== undefined) {
      init.headers = { accept: "application/json", ...headers, ...payload.headers };
      init.body = payload.body;
    }
    try {
      // Raced as well as aborted: a fetch that ignores its signal must not hold the caller either.
      return await Promise.race([exchange(`${baseUrl}${path}`, init, limit.signal), limit.stopped]);
    } finally {
      limit.dispose();
    }
  }

  /** The request and the whole answer body: a connection can hang after the headers as well. */
  async function exchange(url: string, init: RequestInit, signal: AbortSignal): Promise<Answer> {
    try {
      // Called unbound: browsers reject a native fetch invoked with a foreign `this`.
      const response = await fetchImpl(url, init);
      return { status: response.status, ok: response.ok, json: await readJson(response) };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new ApiError(0, "The server could not be reached. Check the connection and try again.", {
        cause: error,
      });
    }
  }

  async function request<T>(
    method: string,
    path: string,
    schema: Parser<T>,
    payload?: Payload,
    { conflictSchema, timeoutMs }: { conflictSchema?: SafeParser; timeoutMs?: number } = {},
  ): Promise<T> {
    return parseAnswer(await send(method, path, payload, { timeoutMs }), schema, conflictSchema);
  }

  const sessionPath = (id: string) => `/api/session/${encodeURIComponent(id)}`;

  return {
    async ensureDevice() {
      // Asked, not tried: a first visit registers without a refused request on its way.
      if ((await request("GET", "/api/auth/device", DeviceStatusResponseSchema)).userId !== null) return;
      // The cookie is gone (or was never written): restore it from the identity kept on the device.
      const kept = await options.identity?.load();
      if (kept) {
        const restored = await send("POST", "/api/auth/cookie", undefined, { headers: { authorization: `Bearer ${kept.token}` } });
        if (restored.ok) {
          await request("GET", "/api/sessions", SessionListSchema);
          return;
        }
        if (restored.status !== 401) parseAnswer(restored, SessionListSchema); // surfaces the error
      }
      const device = await request("POST", "/api/auth/device", DeviceAuthResponseSchema);
      // Kept before anything is made under this identity, so nothing can end up without an owner.
      await options.identity?.save(device);
      // The cookie set by the device answer must now be accepted; a second 401 surfaces as an error.
      await request("GET", "/api/sessions", SessionListSchema);
    },
    async listSessions() {
      return (await request("GET", "/api/sessions", SessionListSchema)).sessions;
    },
    createSession(body) {
      return request("POST", "/api/sessions", SessionSchema, jsonPayload(body));
    },
    resumeSession(id) {
      return request("POST", `${sessionPath(id)}/resume`, SessionSchema);
    },
    finishSession(id, body) {
      const payload = body === undefined ? undefined : jsonPayload(body);
      return request("POST", `${sessionPath(id)}/finish`, FinishResponseSchema, payload, { timeoutMs: timeouts.finishMs });
    },
    keepalive(id) {
      return request("POST", `${sessionPath(id)}/keepalive`, KeepaliveResponseSchema);
    },
    getSession(id) {
      return request("GET", sessionPath(id), SessionDetailSchema);
    },
    declareTrack(id, track, declaration) {
      return request("PUT", `${sessionPath(id)}/tracks/${track}`, TrackSummarySchema, jsonPayload(declaration));
    },
    putChunk(id, track, seq, pcm, sha256) {
      const payload = {
        body: pcm,
        headers: { "content-type": "application/octet-stream", "content-digest": contentDigest(sha256) },
      };
      return request("PUT", `${sessionPath(id)}/tracks/${track}/chunks/${seq}`, ChunkAckSchema, payload, { timeoutMs: timeouts.chunkMs });
    },
    createRecoveryToken(sessionId, track) {
      return request("POST", "/api/recovery/token", RecoveryTokenSchema, jsonPayload({ sessionId, track }));
    },
    getPreferences() {
      return request("GET", "/api/preferences", PreferencesDocumentSchema);
    },
    putPreferences(body) {
      return request("PUT", "/api/preferences", PreferencesDocumentSchema, jsonPayload(body), { conflictSchema: PreferencesConflictSchema });
    },
    getCheckpoint(sessionId) {
      return request("GET", `${sessionPath(sessionId)}/checkpoint`, CheckpointDocumentSchema);
    },
    putCheckpoint(sessionId, body) {
      return request("PUT", `${sessionPath(sessionId)}/checkpoint`, CheckpointDocumentSchema, jsonPayload(body), { conflictSchema: CheckpointConflictSchema });
    },
    async deleteMyData() {
      await request("DELETE", "/api/me", NO_CONTENT);
    },
  };
}

/** Only the backup endpoints, for code that needs nothing else. */
export function createBackupApi(options: ApiClientOptions = {}): BackupApi {
  const { getPreferences, putPreferences, getCheckpoint, putCheckpoint, deleteMyData } = createApiClient(options);
  return { getPreferences, putPreferences, getCheckpoint, putCheckpoint, deleteMyData };
}

/** An answer read in full: its status and its body as JSON (undefined when empty or not JSON). */
interface Answer {
  status: number;
  ok: boolean;
  json: unknown;
}

/**
 * A request's time limit, joined with the caller's signal. `stopped` rejects with the reason
 * (the timeout as a status-0 `ApiError`, which callers already retry like a lost connection).
 */
function deadline(timeoutMs: number, callerSignal: AbortSignal | undefined) {
  const controller = new AbortController();
  let reject: (reason: unknown) => void = () => undefined;
  const stopped = new Promise<never>((_, rejectStopped) => {
    reject = rejectStopped;
  });
  stopped.catch(() => undefined); // Only the race observes it; a request done in time never rejects it.
  const stop = (reason: unknown) => {
    reject(reason);
    controller.abort(reason);
  };
  const timer = setTimeout(
    () => stop(new ApiError(0, "The server did not answer in time. Check the connection and try again.")),
    timeoutMs,
  );
  const onCallerAbort = () => stop(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    stopped,
    dispose() {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    },
  };
}

function parseAnswer<T>({ status, ok, json }: Answer, schema: Parser<T>, conflictSchema?: SafeParser): T {
  if (!ok) {
    const error = ErrorResponseSchema.safeParse(json);
    const message = error.success ? error.data.message : fallbackMessage(status);
    const missing = status === 409 ? readMissingSeqs(json) : undefined;
    const conflict = status === 409 ? conflictSchema?.safeParse(json) : undefined;
    throw new ApiError(status, message, {
      ...(missing ? { missing } : {}),
      ...(conflict?.success ? { conflict: conflict.data } : {}),
    });
  }
  try {
    return schema.parse(json);
  } catch (cause) {
    throw new ApiError(status, "The server's answer did not have the expected shape.", { cause });
  }
}

/**
 * The `missing` of a 409 from finish. Read by hand rather than with the shared schema so that an
 * answer naming only the track with gaps still counts; the absent track then lacks nothing.
 */
function readMissingSeqs(json: unknown): MissingSeqs | undefined {
  if (typeof json !== "object" || json === null || !("missing" in json)) return undefined;
  const { missing } = json;
  if (typeof missing !== "object" || missing === null) return undefined;
  const result: MissingSeqs = { "0": [], "1": [] };
  for (const [track, seqs] of Object.entries(missing)) {
    if (track !== "0" && track !== "1") return undefined;
    if (!Array.isArray(seqs) || !seqs.every((seq) => Number.isInteger(seq))) return undefined;
    result[track] = seqs as number[];
  }
  return result;
}

// Answers without `{ message }` come from something in front of the API (a proxy, a gateway).
function fallbackMessage(status: number): string {
  if (status >= 500) return `The server is unavailable right now (${status}). Try again in a moment.`;
  return `The request was refused (${status}).`;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
