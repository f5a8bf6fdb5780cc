/**
 * In-memory stand-ins for the recorder controller's collaborators, for unit tests. Every fake
 * writes what happens to one shared `log`, so tests can assert the order across them
 * (e.g. a chunk is committed to the journal before the uploader is woken).
 */
import { newJournalTrack, type JournalChunk, type JournalSession, type TrackDeclarationInput, type UploadProgress } from "@tidemark/client";
import type { CreateSessionBody, FinishResponse, Session, SessionDetail, TrackNumber, TrackSummary } from "@tidemark/shared";
import type { AudioSourceChoice } from "../audio/media-sources.ts";
import type { AudioLevel } from "../audio/pcm.ts";
import { deferred, type Deferred } from "./deferred.ts";
import type {
  CaptureRequest,
  FinishRecording,
  OpenCaptures,
  OpenedCapture,
  RecorderApi,
  RecorderControllerOptions,
  RecorderHeartbeat,
  RecorderJournal,
  RecorderUploader,
} from "./recorder-controller.ts";

export { deferred };

export type Log = string[];

const AT = "2025-01-01T12:00:00.000Z";

export function session(id: string, overrides: Partial<Session> = {}): Session {
  return {
    id,
    kind: "recording",
    title: "",
    status: "active",
    createdAt: AT,
    updatedAt: AT,
    lastHeartbeat: null,
    completedAt: null,
    ...overrides,
  };
}

export function detail(id: string, overrides: Partial<SessionDetail> = {}): SessionDetail {
  return { ...session(id), tracks: [], files: [], tokens: [], keptUntil: "2025-01-02T12:00:00.000Z", ...overrides };
}

export function trackSummary(track: number, overrides: Partial<TrackSummary> = {}): TrackSummary {
  return {
    track,
    label: track === 0 ? "Microphone" : "Second input",
    sampleRate: 48_000,
    channels: 1,
    chunkCount: 0,
    committedThrough: -1,
    highestSeq: -1,
    bytes: 0,
    durationSeconds: 0,
    ...overrides,
  };
}

export function finishResponse(id: string, overrides: Partial<FinishResponse> = {}): FinishResponse {
  return { ...detail(id, { status: "completed", completedAt: AT }), recoveryTokens: [], ...overrides };
}

/** `bytes` of 16-bit PCM. */
export function pcm(bytes: number): ArrayBuffer {
  return new ArrayBuffer(bytes);
}

/** A journal in memory, with the real one's seq rules; `holdCommits` lets a test see what waits for a commit. */
export class FakeJournal implements RecorderJournal {
  readonly sessionsById = new Map<string, JournalSession>();
  readonly chunks: JournalChunk[] = [];
  /** Every append fails with this (a full disk, say) while set. */
  appendError: Error | null = null;
  private gate: Deferred | null = null;

  constructor(private readonly log: Log) {}

  holdCommits(): () => void {
    const gate = deferred();
    this.gate = gate;
    return () => {
      this.gate = null;
      gate.resolve();
    };
  }

  async startSession({ onServer, ...input }: { sessionId: string; title: string; kind: "recording"; onServer?: boolean }): Promise<void> {
    this.log.push(`journal.startSession ${input.sessionId}${onServer === false ? " (not on the server)" : ""}`);
    if (this.sessionsById.has(input.sessionId)) return;
    this.sessionsById.set(input.sessionId, {
      ...input,
      state: "recording",
      tracks: [],
      createdAt: 0,
      updatedAt: 0,
      ...(onServer === false ? { onServer: false as const } : {}),
    });
  }

  async markOnServer(sessionId: string): Promise<void> {
    this.log.push(`journal.markOnServer ${sessionId}`);
    delete this.require(sessionId).onServer;
  }

  /** Like the journal when the server lost the session: on this device only, nothing uploaded. */
  async markNotOnServer(sessionId: string): Promise<number> {
    this.log.push(`journal.markNotOnServer ${sessionId}`);
    const entry = this.require(sessionId);
    entry.onServer = false;
    let requeued = 0;
    for (const track of entry.tracks) {
      requeued += track.uploadedChunks;
      Object.assign(track, { uploadedChunks: 0, uploadedBytes: 0, serverCommittedThrough: -1 });
    }
    return requeued;
  }

  async declareTrack(sessionId: string, decl: TrackDeclarationInput): Promise<void> {
    this.log.push(`journal.declareTrack ${sessionId} ${decl.track} ${decl.sampleRate}`);
    const entry = this.require(sessionId);
    const existing = entry.tracks.find((track) => track.track === decl.track);
    if (existing) {
      if (existing.sampleRate !== decl.sampleRate) throw new Error("The sample rate of a declared track cannot change.");
      return;
    }
    entry.tracks.push(newJournalTrack(decl));
  }

  async append(sessionId: string, track: TrackNumber, data: ArrayBuffer): Promise<JournalChunk> {
    await this.gate?.promise;
    if (this.appendError) {
      this.log.push(`journal.append failed ${track}`);
      throw this.appendError;
    }
    const entry = this.requireTrack(sessionId, track);
    const seq = entry.nextSeq++;
    entry.localChunks += 1;
    entry.localBytes += data.byteLength;
    const chunk: JournalChunk = {
      sessionId,
      track,
      seq,
      pcm: data,
      sha256: `sha-${track}-${seq}`,
      byteLength: data.byteLength,
      createdAt: 0,
      uploaded: false,
    };
    this.chunks.push(chunk);
    this.log.push(`journal.append ${track}#${seq} ${data.byteLength}`);
    return chunk;
  }

  async ensureNextSeq(sessionId: string, track: TrackNumber, atLeast: number): Promise<void> {
    this.log.push(`journal.ensureNextSeq ${track} ${atLeast}`);
    const entry = this.requireTrack(sessionId, track);
    entry.nextSeq = Math.max(entry.nextSeq, atLeast);
  }

  async setState(sessionId: string, state: JournalSession["state"]): Promise<void> {
    this.log.push(`journal.setState ${state}`);
    this.require(sessionId).state = state;
  }

  async session(sessionId: string): Promise<JournalSession | undefined> {
    const entry = this.sessionsById.get(sessionId);
    return entry ? structuredClone(entry) : undefined;
  }

  /** What the uploader would record after the server acknowledged a chunk. */
  markUploaded(sessionId: string, track: TrackNumber, bytes: number): void {
    const entry = this.requireTrack(sessionId, track);
    entry.uploadedChunks += 1;
    entry.uploadedBytes += bytes;
  }

  private require(sessionId: string): JournalSession {
    const entry = this.sessionsById.get(sessionId);
    if (!entry) throw new Error(`no session ${sessionId}`);
    return entry;
  }

  private requireTrack(sessionId: string, track: TrackNumber) {
    const entry = this.require(sessionId).tracks.find((candidate) => candidate.track === track);
    if (!entry) throw new Error(`track ${track} not declared`);
    return entry;
  }
}

export class FakeUploader implements RecorderUploader {
  private readonly listeners = new Set<(progress: UploadProgress) => void>();

  constructor(private readonly log: Log) {}

  wake(): void {
    this.log.push("uploader.wake");
  }

  onProgress(listener: (progress: UploadProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(progress: UploadProgress): void {
    for (const listener of this.listeners) listener(progress);
  }
}

export class FakeHeartbeat implements RecorderHeartbeat {
  running: string | null = null;

  constructor(private readonly log: Log) {}

  start(sessionId: string): void {
    this.running = sessionId;
    this.log.push(`heartbeat.start ${sessionId}`);
  }

  stop(): void {
    this.running = null;
    this.log.push("heartbeat.stop");
  }
}

export class FakeRecorderApi implements RecorderApi {
  details = new Map<string, SessionDetail>();
  createError: Error | null = null;
  /** Thrown by resumeSession while set (an unreachable server, a refusal). */
  resumeError: Error | null = null;

  constructor(private readonly log: Log) {}

  async createSession(body: CreateSessionBody): Promise<Session> {
    this.log.push(`api.createSession ${body.id ?? ""} ${body.title ?? ""}`);
    if (this.createError) throw this.createError;
    return session(body.id ?? "server-made", { title: body.title ?? "Untitled recording" });
  }

  async resumeSession(id: string): Promise<Session> {
    this.log.push(`api.resumeSession ${id}`);
    if (this.resumeError) throw this.resumeError;
    return session(id);
  }

  async getSession(id: string): Promise<SessionDetail> {
    this.log.push(`api.getSession ${id}`);
    return this.details.get(id) ?? detail(id);
  }
}

/** An input whose chunks, levels and end the test drives. `stop()` flushes `flushBytes` first, like the worklet. */
export class FakeCapture implements OpenedCapture {
  stopped = false;
  flushBytes = 0;

  constructor(
    readonly source: AudioSourceChoice,
    readonly sampleRate: number,
    private readonly options: CaptureRequest,
    private readonly log: Log,
  ) {}

  chunk(bytes = 96_000): void {
    this.options.onChunk(pcm(bytes));
  }

  level(level: AudioLevel): void {
    this.options.onLevel(level);
  }

  end(): void {
    this.options.onEnded();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.log.push("capture.stop");
    if (this.flushBytes > 0) this.options.onChunk(pcm(this.flushBytes));
  }
}

export class FakeInputs {
  readonly opened: FakeCapture[] = [];
  /** Rate an input runs at unless a rate is asked for. */
  deviceSampleRate = 48_000;
  failWith: Error | null = null;

  constructor(private readonly log: Log) {}

  readonly open: OpenCaptures = async (requests) => {
    for (const request of requests) {
      this.log.push(`capture.open ${request.source.kind}${request.sampleRate ? ` ${request.sampleRate}` : ""}`);
    }
    if (this.failWith) throw this.failWith;
    const captures = requests.map(
      (request) => new FakeCapture(request.source, request.sampleRate ?? this.deviceSampleRate, request, this.log),
    );
    this.opened.push(...captures);
    return captures;
  };
}

export class FakeFinisher {
  readonly calls: Array<{ sessionId: string; allowGaps?: boolean }> = [];
  /** Answers in order; the last one repeats. */
  answers: Array<() => Promise<FinishResponse>> = [];

  constructor(private readonly log: Log) {}

  readonly finish: FinishRecording = (options) => {
    this.calls.push(options);
    this.log.push(`finishRecording ${options.sessionId}${options.allowGaps ? " allowGaps" : ""}`);
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    return answer ? answer() : Promise.resolve(finishResponse(options.sessionId));
  };
}

/** Everything a controller needs, faked, sharing one log. */
export function controllerFakes() {
  const log: Log = [];
  const journal = new FakeJournal(log);
  const uploader = new FakeUploader(log);
  const heartbeat = new FakeHeartbeat(log);
  const api = new FakeRecorderApi(log);
  const inputs = new FakeInputs(log);
  const finisher = new FakeFinisher(log);
  let now = 1_000_000;
  /** The id the next new session gets. */
  const ids = { next: "s1" };
  const options: RecorderControllerOptions = {
    newSessionId: () => ids.next,
    api,
    journal,
    uploader,
    heartbeat,
    finishRecording: finisher.finish,
    openCaptures: inputs.open,
    requestPersistentStorage: () => log.push("storage.persist"),
    now: () => now,
    appendRetryDelaysMs: [0, 0],
  };
  return {
    log,
    journal,
    uploader,
    heartbeat,
    api,
    inputs,
    finisher,
    options,
    ids,
    advance(ms: number) {
      now += ms;
    },
  };
}
