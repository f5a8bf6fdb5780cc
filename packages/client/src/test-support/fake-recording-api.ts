import {
  CHUNK_MAX_BYTES,
  type ChunkAck,
  type CreateSessionBody,
  type FinishBody,
  type FinishResponse,
  type KeepaliveResponse,
  type RecoveryToken,
  type Session,
  type SessionDetail,
  type SessionKind,
  type SessionStatus,
  type TrackDeclaration,
  type TrackNumber,
  type TrackSummary,
} from "@tidemark/shared";
import { ApiError, type MissingSeqs, type RecordingApi } from "../api-client.ts";
import { sha256Base64 } from "../digest.ts";

export type FakeOperation =
  | "ensureDevice"
  | "listSessions"
  | "createSession"
  | "resumeSession"
  | "finishSession"
  | "keepalive"
  | "getSession"
  | "declareTrack"
  | "putChunk"
  | "createRecoveryToken";

interface StoredChunk {
  sha256: string;
  bytes: Uint8Array;
}

interface FakeTrack {
  declaration: TrackDeclaration;
  chunks: Map<number, StoredChunk>;
}

interface FakeSession {
  session: Session;
  tracks: Map<number, FakeTrack>;
}

interface Fault {
  operation: FakeOperation;
  error: () => ApiError;
  /** The request reaches the server and takes effect, but its answer is lost on the way back. */
  afterEffect: boolean;
}

const SECOND_MS = 1_000;

/**
 * In-memory stand-in for the server's recording endpoints, enforcing the same contract: digests
 * are verified, a chunk is idempotent by seq and digest, a different payload for a stored seq is
 * a 409, chunks need a declared track, finish refuses gaps. Faults can be scripted per operation.
 */
export class FakeRecordingServer implements RecordingApi {
  readonly #sessions = new Map<string, FakeSession>();
  readonly #faults: Fault[] = [];
  readonly #inFlight = new Map<string, number>();
  /** Sessions whose finish is under way; like the server, they refuse tracks and chunks meanwhile. */
  readonly #finishing = new Set<string>();
  /** Ids another user holds: creating a session under one is refused. */
  readonly #foreign = new Set<string>();
  #clock = Date.UTC(2025, 0, 1, 12);
  #tokens = 0;

  /** Every request in order, e.g. `putChunk <id>/0/3`. */
  readonly requests: string[] = [];
  /** Highest number of chunk uploads ever in flight at once for one session track. */
  maxInFlightPerTrack = 0;
  /** Every request fails as if the network were down. */
  offline = false;

  /** Puts a session on the server directly, as an earlier page load would have. */
  addSession(input: { id?: string; kind?: SessionKind; title?: string; status?: SessionStatus } = {}): Session {
    const at = this.#now();
    const session: Session = {
      id: input.id ?? crypto.randomUUID(),
      kind: input.kind ?? "recording",
      title: input.title ?? "Recording",
      status: input.status ?? "active",
      createdAt: at,
      updatedAt: at,
      lastHeartbeat: null,
      completedAt: input.status === "completed" ? at : null,
    };
    this.#sessions.set(session.id, { session, tracks: new Map() });
    return session;
  }

  setStatus(id: string, status: SessionStatus): void {
    const entry = this.#require(id);
    entry.session = { ...entry.session, status, completedAt: status === "completed" ? this.#now() : null };
  }

  /** A finish of the session (from another device, say) is under way, or no longer. */
  setFinishing(id: string, finishing: boolean): void {
    this.#require(id);
    if (finishing) this.#finishing.add(id);
    else this.#finishing.delete(id);
  }

  /** The server loses a stored chunk (e.g. a restore from an older backup). */
  dropChunk(id: string, track: TrackNumber, seq: number): void {
    this.#require(id).tracks.get(track)?.chunks.delete(seq);
  }

  /** The server loses every track of a session, declarations included. */
  forgetTracks(id: string): void {
    this.#require(id).tracks.clear();
  }

  /** The server loses the session and everything it held of it (data restored from an older backup, say). */
  forgetSession(id: string): void {
    this.#require(id);
    this.#sessions.delete(id);
  }

  /** Stores a chunk as if another client had uploaded it, without a request. */
  async storeChunk(id: string, track: TrackNumber, seq: number, bytes: ArrayBuffer): Promise<void> {
    const entry = this.#require(id).tracks.get(track);
    if (!entry) throw new Error("declare the track first");
    entry.chunks.set(seq, { sha256: await sha256Base64(bytes), bytes: new Uint8Array(bytes.slice(0)) });
  }

  /** The next `times` requests of `operation` fail with `error` before reaching the server. */
  fail(operation: FakeOperation, error: () => ApiError, times = 1): void {
    for (let index = 0; index < times; index += 1) this.#faults.push({ operation, error, afterEffect: false });
  }

  /** The next `times` requests of `operation` take effect but their answers are lost. */
  loseAnswer(operation: FakeOperation, times = 1): void {
    for (let index = 0; index < times; index += 1) {
      this.#faults.push({ operation, error: () => networkError(), afterEffect: true });
    }
  }

  /** Seqs of one track the server holds, ascending. */
  storedSeqs(id: string, track: TrackNumber): number[] {
    const chunks = this.#require(id).tracks.get(track)?.chunks ?? new Map();
    return [...chunks.keys()].sort((a, b) => a - b);
  }

  storedBytes(id: string, track: TrackNumber, seq: number): Uint8Array | undefined {
    return this.#require(id).tracks.get(track)?.chunks.get(seq)?.bytes;
  }

  /** How many chunk uploads were sent for one chunk (any outcome). */
  uploadsOf(id: string, track: TrackNumber, seq: number): number {
    return this.requests.filter((request) => request === `putChunk ${id}/${track}/${seq}`).length;
  }

  async ensureDevice(): Promise<void> {
    await this.#enter("ensureDevice", "");
  }

  async listSessions(): Promise<Session[]> {
    await this.#enter("listSessions", "");
    return [...this.#sessions.values()].map((entry) => entry.session).reverse();
  }

  /** With a client-made id, like the server: the same id answers the same session; another user's is a 409. */
  async createSession(body: CreateSessionBody): Promise<Session> {
    await this.#enter("createSession", body.id ?? "");
    const existing = body.id === undefined ? undefined : this.#sessions.get(body.id);
    if (existing && this.#foreign.has(existing.session.id)) throw new ApiError(409, "A session with this id already exists");
    const session = existing?.session ?? this.addSession({ ...(body.id ? { id: body.id } : {}), kind: body.kind, title: body.title ?? "" });
    return this.#after("createSession", session);
  }

  /** A session under `id` that belongs to another user: creating it is refused. */
  addForeignSession(id: string): void {
    this.addSession({ id });
    this.#foreign.add(id);
  }

  async resumeSession(id: string): Promise<Session> {
    await this.#enter("resumeSession", id);
    const entry = this.#found(id);
    if (entry.session.status === "completed") throw new ApiError(409, "A completed session cannot be resumed.");
    entry.session = { ...entry.session, status: "active", lastHeartbeat: this.#now() };
    return this.#after("resumeSession", entry.session);
  }

  async keepalive(id: string): Promise<KeepaliveResponse> {
    await this.#enter("keepalive", id);
    const entry = this.#found(id);
    if (entry.session.status !== "active") throw new ApiError(400, `The session is ${entry.session.status}.`);
    const lastHeartbeat = this.#now();
    entry.session = { ...entry.session, lastHeartbeat };
    return this.#after("keepalive", { status: "active", lastHeartbeat });
  }

  async getSession(id: string): Promise<SessionDetail> {
    await this.#enter("getSession", id);
    return this.#after("getSession", this.#detail(this.#found(id)));
  }

  async declareTrack(id: string, track: TrackNumber, declaration: TrackDeclaration): Promise<TrackSummary> {
    await this.#enter("declareTrack", `${id}/${track}`);
    const entry = this.#writable(id);
    const existing = entry.tracks.get(track);
    if (existing) {
      const same =
        existing.declaration.sampleRate === declaration.sampleRate &&
        existing.declaration.channels === declaration.channels;
      if (!same) throw new ApiError(409, `Track ${track} is already declared with another format.`);
    } else {
      entry.tracks.set(track, { declaration: { ...declaration }, chunks: new Map() });
    }
    return this.#after("declareTrack", summarize(track, entry.tracks.get(track) as FakeTrack));
  }

  async putChunk(id: string, track: TrackNumber, seq: number, pcm: ArrayBuffer, sha256: string): Promise<ChunkAck> {
    const key = `${id}/${track}`;
    await this.#enter("putChunk", `${key}/${seq}`);
    const inFlight = (this.#inFlight.get(key) ?? 0) + 1;
    this.#inFlight.set(key, inFlight);
    this.maxInFlightPerTrack = Math.max(this.maxInFlightPerTrack, inFlight);
    try {
      // Hashing takes real time, so overlapping uploads would show in the in-flight count.
      const actual = await sha256Base64(pcm);
      const entry = this.#writable(id);
      const stored = entry.tracks.get(track);
      if (!stored) throw new ApiError(409, `Track ${track} is not declared.`);
      if (pcm.byteLength > CHUNK_MAX_BYTES) throw new ApiError(413, "The chunk is too large.");
      if (pcm.byteLength % 2 !== 0) throw new ApiError(400, "A chunk of 16-bit PCM has an even number of bytes.");
      if (actual !== sha256) throw new ApiError(400, "The Content-Digest does not match the body.");
      const existing = stored.chunks.get(seq);
      if (existing && existing.sha256 !== sha256) {
        throw new ApiError(409, `Chunk ${seq} is already stored with different content.`);
      }
      if (!existing) stored.chunks.set(seq, { sha256, bytes: new Uint8Array(pcm.slice(0)) });
      const summary = summarize(track, stored);
      return this.#after("putChunk", {
        track,
        seq,
        size: pcm.byteLength,
        created: !existing,
        committedThrough: summary.committedThrough,
        chunkCount: summary.chunkCount,
      });
    } finally {
      this.#inFlight.set(key, inFlight - 1);
    }
  }

  async finishSession(id: string, body?: NonNullable<FinishBody>): Promise<FinishResponse> {
    await this.#enter("finishSession", id);
    const entry = this.#writable(id);
    const missing: MissingSeqs = { "0": [], "1": [] };
    for (const [track, stored] of entry.tracks) {
      const summary = summarize(track, stored);
      const last = Math.max(summary.highestSeq, body?.lastSeq?.[track === 0 ? "0" : "1"] ?? -1);
      for (let seq = 0; seq <= last; seq += 1) {
        if (!stored.chunks.has(seq)) missing[track === 0 ? "0" : "1"].push(seq);
      }
    }
    const gaps = missing["0"].length + missing["1"].length;
    if (gaps > 0 && body?.allowGaps !== true) {
      throw new ApiError(409, `${gaps} chunk(s) are missing.`, { missing });
    }
    const at = this.#now();
    entry.session = { ...entry.session, status: "completed", completedAt: at, updatedAt: at };
    const detail = this.#detail(entry);
    const recoveryTokens = detail.files.map((file) => this.#token(file.track));
    return this.#after("finishSession", { ...detail, recoveryTokens });
  }

  async createRecoveryToken(sessionId: string, track: TrackNumber): Promise<RecoveryToken> {
    await this.#enter("createRecoveryToken", `${sessionId}/${track}`);
    const entry = this.#found(sessionId);
    if (entry.session.status !== "completed" || !entry.tracks.has(track)) {
      throw new ApiError(404, "There is no finished audio for this track.");
    }
    return this.#after("createRecoveryToken", this.#token(track));
  }

  async #enter(operation: FakeOperation, target: string): Promise<void> {
    this.requests.push(target === "" ? operation : `${operation} ${target}`);
    // Answers are never synchronous over a network.
    await Promise.resolve();
    if (this.offline) throw networkError();
    const index = this.#faults.findIndex((fault) => fault.operation === operation && !fault.afterEffect);
    if (index >= 0) {
      const [fault] = this.#faults.splice(index, 1);
      throw (fault as Fault).error();
    }
  }

  #after<T>(operation: FakeOperation, answer: T): T {
    const index = this.#faults.findIndex((fault) => fault.operation === operation && fault.afterEffect);
    if (index >= 0) {
      const [fault] = this.#faults.splice(index, 1);
      throw (fault as Fault).error();
    }
    return answer;
  }

  #found(id: string): FakeSession {
    const entry = this.#sessions.get(id);
    if (!entry) throw new ApiError(404, "Session not found.");
    return entry;
  }

  /** A session that takes tracks, chunks and a finish: known, not completed, not being finished. */
  #writable(id: string): FakeSession {
    const entry = this.#found(id);
    if (entry.session.status === "completed") throw new ApiError(409, "The session is already completed.");
    if (this.#finishing.has(id)) throw new ApiError(409, "Session is being finished; it accepts no more audio");
    return entry;
  }

  #require(id: string): FakeSession {
    const entry = this.#sessions.get(id);
    if (!entry) throw new Error(`no session ${id} on the fake server`);
    return entry;
  }

  #detail(entry: FakeSession): SessionDetail {
    const tracks = [...entry.tracks.entries()]
      .sort(([a], [b]) => a - b)
      .map(([track, stored]) => summarize(track, stored));
    const completed = entry.session.status === "completed";
    return {
      ...entry.session,
      tracks,
      files: completed
        ? tracks.map((summary) => ({
            track: summary.track,
            sizeBytes: 44 + summary.bytes,
            sha256: "0".repeat(64),
            durationSeconds: summary.durationSeconds,
            url: `/api/session/${entry.session.id}/tracks/${summary.track}/audio`,
            createdAt: entry.session.completedAt ?? entry.session.updatedAt,
          }))
        : [],
      tokens: [],
      // As the real server with its default retention (24 h after the last change).
      keptUntil: new Date(Date.parse(entry.session.updatedAt) + 24 * 3_600_000).toISOString(),
    };
  }

  #token(track: number): RecoveryToken {
    this.#tokens += 1;
    const token = `token-${String(this.#tokens).padStart(16, "0")}`;
    return {
      track,
      token,
      url: `/api/recovery/audio/${token}`,
      expiresAt: new Date(this.#clock + 24 * 3600 * SECOND_MS).toISOString(),
    };
  }

  #now(): string {
    this.#clock += SECOND_MS;
    return new Date(this.#clock).toISOString();
  }
}

function summarize(track: number, stored: FakeTrack): TrackSummary {
  const seqs = [...stored.chunks.keys()].sort((a, b) => a - b);
  let committedThrough = -1;
  while (stored.chunks.has(committedThrough + 1)) committedThrough += 1;
  const bytes = [...stored.chunks.values()].reduce((sum, chunk) => sum + chunk.bytes.byteLength, 0);
  const { sampleRate, channels } = stored.declaration;
  return {
    track,
    label: stored.declaration.label,
    sampleRate,
    channels,
    chunkCount: seqs.length,
    committedThrough,
    highestSeq: seqs.at(-1) ?? -1,
    bytes,
    durationSeconds: bytes / (sampleRate * channels * 2),
  };
}

export function networkError(): ApiError {
  return new ApiError(0, "The server could not be reached. Check the connection and try again.");
}
