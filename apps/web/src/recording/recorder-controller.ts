import {
  ApiError,
  MissingChunksError,
  serverUnreachable,
  type ChunkJournal,
  type ChunkUploader,
  type JournalChunk,
  type JournalSession,
  type RecordingApi,
  type SessionHeartbeat,
} from "@tidemark/client";
import { defaultSessionTitle, uuidv7, type FinishResponse, type SessionDetail, type TrackNumber } from "@tidemark/shared";
import type { AudioSourceChoice } from "../audio/media-sources.ts";
import type { AudioLevel } from "../audio/pcm.ts";
import { messageOf } from "../error-message.ts";
import { ChunkPipeline, isQuotaError } from "./chunk-pipeline.ts";
import { deferred } from "./deferred.ts";
import { IDLE_SNAPSHOT, type HaltReason, type RecorderSnapshot, type RecorderTrackState } from "./recorder-snapshot.ts";
import { acquireRecordingLock, type HeldRecordingLock, type LockManagerLike } from "./recording-lock.ts";
import { plannedTracks, resumePlan, trackName, type TrackPlan, type TrackSources } from "./track-plan.ts";
import { savedPositions, serverBaseline, type ServerBaselineBytes } from "./track-positions.ts";

export type RecorderJournal = Pick<
  ChunkJournal,
  "startSession" | "declareTrack" | "append" | "ensureNextSeq" | "setState" | "session" | "markOnServer" | "markNotOnServer"
>;
export type RecorderUploader = Pick<ChunkUploader, "wake" | "onProgress">;
export type RecorderHeartbeat = Pick<SessionHeartbeat, "start" | "stop">;
export type RecorderApi = Pick<RecordingApi, "createSession" | "resumeSession" | "getSession">;
/** `finishRecording` from the engine, bound to the journal, uploader and api. */
export type FinishRecording = (options: { sessionId: string; allowGaps?: boolean }) => Promise<FinishResponse>;

/** A running capture of one input (see `TrackCapture`). */
export interface OpenedCapture {
  readonly sampleRate: number;
  /** Delivers the last partial chunk through `onChunk`, then releases the input. */
  stop(): Promise<void>;
}

/** One track's input and where its audio goes. */
export interface CaptureRequest {
  source: AudioSourceChoice;
  /** The track as the user knows it ("Track 2 · Second input"), to say which input failed. */
  name: string;
  /** Run the capture at this rate: a resumed track must keep the rate it was declared with. */
  sampleRate?: number;
  onChunk: (pcm: ArrayBuffer) => void;
  onLevel: (level: AudioLevel) => void;
  onEnded: () => void;
}

/**
 * Opens every track's input, then starts all captures at once (in the same order), so the
 * tracks begin together even when one input took long to open (a screen-share picker).
 */
export type OpenCaptures = (requests: CaptureRequest[]) => Promise<OpenedCapture[]>;

export interface RecorderControllerOptions {
  api: RecorderApi;
  journal: RecorderJournal;
  uploader: RecorderUploader;
  heartbeat: RecorderHeartbeat;
  finishRecording: FinishRecording;
  openCaptures: OpenCaptures;
  /** `navigator.locks`; without it only the one-tab guard is lost. */
  locks?: LockManagerLike;
  /** Asks the browser not to evict the journal under storage pressure (called as recording starts). */
  requestPersistentStorage?: () => void;
  now?: () => number;
  /** The id of a new session (a UUIDv7 unless a test decides). */
  newSessionId?: () => string;
  /** Retry waits of a failed journal append. */
  appendRetryDelaysMs?: readonly number[];
}

/** One recording (or finishing) of one session, from start to its end; stale callbacks compare against it. */
interface Run {
  sessionId: string;
  sources: TrackSources | null;
  lock: HeldRecordingLock | null;
  captures: Map<TrackNumber, OpenedCapture>;
  pipelines: ChunkPipeline[];
  tracks: RecorderTrackState[];
  baseline: ServerBaselineBytes;
  heartbeatStarted: boolean;
  /** The session exists only on this device so far: its heartbeat starts once the server has it. */
  heartbeatAwaitsServer: boolean;
  /** Chunks of the session the server had acknowledged when this run began. */
  uploadedAtStart: number;
  over: boolean;
  refreshing: boolean;
  refreshAgain: boolean;
}

type LockedRequest = { action: "resume"; sessionId: string; sources: TrackSources } | { action: "finish"; sessionId: string };

/**
 * Drives a recording: inputs → journal (durable first) → uploader, with the session's heartbeat,
 * the one-tab lock, and finishing. Framework-free: the UI reads `getSnapshot()` and subscribes.
 *
 * The order that keeps audio safe: every chunk is committed to the journal before the uploader
 * is woken or any counter moves; stopping flushes the inputs' last partial chunks into the
 * journal before finishing; finishing drains uploads before asking the server to assemble.
 */
export class RecorderController {
  readonly #options: RecorderControllerOptions;
  readonly #now: () => number;
  #snapshot: RecorderSnapshot = IDLE_SNAPSHOT;
  readonly #listeners = new Set<(snapshot: RecorderSnapshot) => void>();
  readonly #levelListeners = new Set<(track: TrackNumber, level: AudioLevel) => void>();
  #run: Run | null = null;
  #lockedRequest: LockedRequest | null = null;
  readonly #stopListeningToUploads: () => void;

  constructor(options: RecorderControllerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#stopListeningToUploads = options.uploader.onProgress((progress) => {
      const run = this.#run;
      if (run && progress.sessionId === run.sessionId) void this.#refreshPositions(run);
    });
  }

  getSnapshot(): RecorderSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: (snapshot: RecorderSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Input levels, ~20 times a second per track, kept out of the snapshot so meters update alone. */
  onLevel(listener: (track: TrackNumber, level: AudioLevel) => void): () => void {
    this.#levelListeners.add(listener);
    return () => this.#levelListeners.delete(listener);
  }

  /** True while something of the current session is not yet on the server, or capture runs. */
  hasUnsavedWork(): boolean {
    const { phase, localSeconds, serverSeconds } = this.#snapshot;
    if (phase === "starting" || phase === "recording" || phase === "stopping" || phase === "finishing") return true;
    return this.#run !== null && localSeconds > serverSeconds;
  }

  /**
   * Records a new session, under an id made here. When the server cannot be reached, the session
   * is recorded on this device alone and the uploader creates it on the server once it answers.
   */
  async start({ title, sources }: { title: string; sources: TrackSources }): Promise<void> {
    if (!this.#canBegin()) return;
    const run = this.#beginRun("", sources);
    this.#replace({ ...IDLE_SNAPSHOT, phase: "starting", title: title.trim() });
    const ready = deferred<string>();
    try {
      // Inputs first: a refused microphone should not leave an empty session behind.
      await this.#openCaptures(run, plannedTracks(sources), ready.promise);
      const trimmed = title.trim();
      const id = this.#options.newSessionId?.() ?? uuidv7(this.#now());
      const body = { id, kind: "recording" as const, ...(trimmed === "" ? {} : { title: trimmed }) };
      const session = await this.#options.api.createSession(body).catch((error: unknown) => {
        if (serverUnreachable(error)) return null;
        throw error;
      });
      const sessionTitle = session?.title ?? (trimmed || defaultSessionTitle("recording"));
      run.sessionId = id;
      run.heartbeatAwaitsServer = session === null;
      this.#set({ sessionId: id, title: sessionTitle, serverUnreachable: session === null, deviceOnly: session === null });
      const lock = await acquireRecordingLock(this.#options.locks, id);
      if (lock.status === "busy") throw new Error("This new session is already being recorded in another tab.");
      this.#holdLock(run, lock.lock);
      const { journal } = this.#options;
      await journal.startSession({ sessionId: id, title: sessionTitle, kind: "recording", ...(session ? {} : { onServer: false }) });
      for (const track of run.tracks) {
        await journal.declareTrack(id, { track: track.track, label: track.label, sampleRate: track.sampleRate, channels: 1 });
      }
      if (run.over) throw new Error("The recording was interrupted while starting.");
      ready.resolve(id);
      this.#beginCapturing(run, 0);
    } catch (error) {
      ready.reject(error);
      await this.#abort(run, error);
    }
  }

  /**
   * Continues recording an interrupted session on the same tracks, after the audio it already has.
   * When the server cannot be reached, a session this device has journaled continues from the
   * journal alone: the audio is saved here and uploads once the server answers again (the
   * heartbeat then makes the session active again).
   */
  async resume(sessionId: string, { sources, steal = false }: { sources: TrackSources; steal?: boolean }): Promise<void> {
    if (!this.#canBegin()) return;
    const run = this.#beginRun(sessionId, sources);
    this.#replace({ ...IDLE_SNAPSHOT, phase: "starting", sessionId, title: this.#snapshot.title });
    if (!(await this.#takeLock(run, { action: "resume", sessionId, sources }, steal))) return;
    const ready = deferred<string>();
    const { journal } = this.#options;
    try {
      const local = await journal.session(sessionId);
      run.uploadedAtStart = local ? uploadedChunks(local) : 0;
      const detail = await this.#resumeOnServer(sessionId, local);
      const title = detail?.title ?? local?.title ?? "";
      run.heartbeatAwaitsServer = detail === null && local?.onServer === false;
      this.#set({ title, serverUnreachable: detail === null, deviceOnly: run.heartbeatAwaitsServer });
      await this.#openCaptures(run, resumePlan(detail?.tracks ?? [], local, sources), ready.promise);
      await journal.startSession({ sessionId, title, kind: "recording" });
      for (const track of run.tracks) {
        await journal.declareTrack(sessionId, { track: track.track, label: track.label, sampleRate: track.sampleRate, channels: 1 });
        const onServer = detail?.tracks.find((candidate) => candidate.track === track.track);
        // Never reuse a seq the server already holds: new audio goes after everything stored.
        // (The journal's own next seq is already past every seq this device gave out.)
        await journal.ensureNextSeq(sessionId, track.track, (onServer?.highestSeq ?? -1) + 1);
      }
      await journal.setState(sessionId, "recording");
      // Unreachable, the server is counted with what this device uploaded to it.
      run.baseline = detail ? serverBaseline(detail.tracks, local) : {};
      const declared = await journal.session(sessionId);
      const before = savedPositions(declared, run.tracks.map((track) => track.track), run.baseline);
      if (run.over) throw new Error("The recording was interrupted while starting.");
      ready.resolve(sessionId);
      this.#set(before);
      this.#beginCapturing(run, before.localSeconds);
    } catch (error) {
      ready.reject(error);
      await this.#abort(run, error);
    }
  }

  /**
   * Makes the session active again and reads what the server holds of it; null when the server
   * cannot be reached and this device's journal has the session's tracks to continue from.
   */
  async #resumeOnServer(sessionId: string, local: JournalSession | undefined): Promise<SessionDetail | null> {
    const { api, journal } = this.#options;
    try {
      if (local?.onServer === false) {
        // Recorded before the server was reached: it is created there first (harmless if it already was).
        await api.createSession({ id: sessionId, kind: local.kind, title: local.title });
        await journal.markOnServer(sessionId);
      }
      await api.resumeSession(sessionId);
      return await api.getSession(sessionId);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && local && local.onServer !== false && local.tracks.length > 0) {
        // The server lost the session: it is created there again and everything this device
        // holds of it is sent anew.
        await journal.markNotOnServer(sessionId);
        return this.#resumeOnServer(sessionId, await journal.session(sessionId));
      }
      if (!serverUnreachable(error) || !local || local.tracks.length === 0) throw error;
      return null;
    }
  }

  /** Stops capturing, keeps the last partial second, and finishes the session on the server. */
  async stop(): Promise<void> {
    const run = this.#run;
    if (!run || this.#snapshot.phase !== "recording") return;
    this.#set({ phase: "stopping" });
    await this.#stopCapturing(run);
    this.#options.heartbeat.stop();
    run.heartbeatStarted = false;
    await this.#options.journal.setState(run.sessionId, "stopped").catch(() => undefined);
    if (run.over) return;
    await this.#finish(run, false);
  }

  /** Finishes a session recorded earlier (recovered after a crash): uploads what is left, then finishes. */
  async markComplete(sessionId: string, { steal = false }: { steal?: boolean } = {}): Promise<void> {
    if (!this.#canBegin()) return;
    const run = this.#beginRun(sessionId, null);
    this.#replace({ ...IDLE_SNAPSHOT, phase: "finishing", sessionId });
    if (!(await this.#takeLock(run, { action: "finish", sessionId }, steal))) return;
    const local = await this.#options.journal.session(sessionId).catch(() => undefined);
    if (local) {
      run.tracks = local.tracks.map((track) => ({ track: track.track, label: track.label, sampleRate: track.sampleRate, capturing: false }));
      this.#set({ title: local.title, tracks: run.tracks, ...savedPositions(local, run.tracks.map((track) => track.track)) });
    }
    await this.#finish(run, false);
  }

  /** The user accepts losing the chunks the server lacks: finish with what exists. */
  async acceptGaps(): Promise<void> {
    const run = this.#run;
    if (!run || this.#snapshot.phase !== "confirm-gaps") return;
    await this.#finish(run, true);
  }

  async retryFinish(): Promise<void> {
    const run = this.#run;
    if (!run || this.#snapshot.phase !== "finish-failed") return;
    await this.#finish(run, false);
  }

  /** Leaves the session unfinished (it stays recoverable) instead of accepting a loss or retrying. */
  keepSessionOpen(): void {
    const run = this.#run;
    const { phase } = this.#snapshot;
    if (!run || (phase !== "confirm-gaps" && phase !== "finish-failed")) return;
    this.#endRun(run);
    this.#replace(IDLE_SNAPSHOT);
  }

  /**
   * Lets a finish that waits (for the network, for the last uploads) carry on without holding
   * the recorder, so the user can record again meanwhile. The session shows up completed in
   * the history once it is done; if it cannot be, it stays open to be recovered.
   */
  finishInBackground(): void {
    const run = this.#run;
    if (!run || this.#snapshot.phase !== "finishing") return;
    this.#endRun(run);
    this.#replace(IDLE_SNAPSHOT);
  }

  /** Takes the session away from the tab that records it, and does what this tab was asked to. */
  async takeOver(): Promise<void> {
    const request = this.#lockedRequest;
    const { phase } = this.#snapshot;
    if (!request || (phase !== "locked" && phase !== "halted")) return;
    this.#replace(IDLE_SNAPSHOT);
    if (request.action === "resume") await this.resume(request.sessionId, { sources: request.sources, steal: true });
    else await this.markComplete(request.sessionId, { steal: true });
  }

  /** Clears a finished, halted or refused state so a new recording can be set up. */
  dismiss(): void {
    if (this.#run) return;
    this.#lockedRequest = null;
    this.#replace(IDLE_SNAPSHOT);
  }

  dispose(): void {
    this.#stopListeningToUploads();
    this.#listeners.clear();
    this.#levelListeners.clear();
  }

  #canBegin(): boolean {
    if (this.#run === null) return true;
    this.#set({ error: "Stop the current recording first." });
    return false;
  }

  #beginRun(sessionId: string, sources: TrackSources | null): Run {
    this.#lockedRequest = null;
    const run: Run = {
      sessionId,
      sources,
      lock: null,
      captures: new Map(),
      pipelines: [],
      tracks: [],
      baseline: {},
      heartbeatStarted: false,
      heartbeatAwaitsServer: false,
      uploadedAtStart: 0,
      over: false,
      refreshing: false,
      refreshAgain: false,
    };
    this.#run = run;
    return run;
  }

  /** Takes the session's lock; when another tab holds it, remembers the request for "Take over". */
  async #takeLock(run: Run, request: LockedRequest, steal: boolean): Promise<boolean> {
    try {
      const result = await acquireRecordingLock(this.#options.locks, run.sessionId, { steal });
      if (result.status === "held") {
        this.#holdLock(run, result.lock);
        return true;
      }
      this.#endRun(run);
      this.#lockedRequest = request;
      this.#set({ phase: "locked", lockedAction: request.action });
    } catch (error) {
      await this.#abort(run, error);
    }
    return false;
  }

  #holdLock(run: Run, lock: HeldRecordingLock): void {
    run.lock = lock;
    lock.onLost(() => void this.#lockLost(run));
  }

  async #openCaptures(run: Run, plan: TrackPlan[], sessionReady: Promise<string>): Promise<void> {
    const requests = plan.map((planned): CaptureRequest => {
      const pipeline = new ChunkPipeline({
        track: planned.track,
        sessionReady,
        append: (sessionId, track, pcm) => this.#options.journal.append(sessionId, track, pcm),
        onSaved: (chunk) => this.#chunkSaved(run, chunk),
        onFailed: (error) => this.#chunkLost(run, error),
        ...(this.#options.appendRetryDelaysMs ? { retryDelaysMs: this.#options.appendRetryDelaysMs } : {}),
      });
      run.pipelines.push(pipeline);
      return {
        source: planned.source,
        name: trackName(planned.track, planned.label),
        ...(planned.sampleRate === undefined ? {} : { sampleRate: planned.sampleRate }),
        onChunk: (pcm) => pipeline.push(pcm),
        onLevel: (level) => {
          if (this.#run === run) for (const listener of this.#levelListeners) listener(planned.track, level);
        },
        onEnded: () => void this.#inputEnded(run, planned.track),
      };
    });
    const captures = await this.#options.openCaptures(requests);
    plan.forEach((planned, index) => {
      const capture = captures[index]!;
      run.captures.set(planned.track, capture);
      run.tracks.push({ track: planned.track, label: planned.label, sampleRate: capture.sampleRate, capturing: true });
    });
    this.#set({ tracks: [...run.tracks] });
  }

  #beginCapturing(run: Run, elapsedBeforeSeconds: number): void {
    if (!run.heartbeatAwaitsServer) this.#startHeartbeat(run);
    this.#options.requestPersistentStorage?.();
    this.#set({ phase: "recording", startedAt: this.#now(), elapsedBeforeSeconds, error: null });
  }

  #startHeartbeat(run: Run): void {
    this.#options.heartbeat.start(run.sessionId);
    run.heartbeatStarted = true;
  }

  #chunkSaved(run: Run, _chunk: JournalChunk): void {
    // Committed: now, and only now, the uploader may send it and the counters may count it.
    this.#options.uploader.wake();
    void this.#refreshPositions(run);
  }

  #chunkLost(run: Run, error: unknown): void {
    if (this.#run !== run || run.over) return;
    const full = isQuotaError(error);
    const message = full
      ? "Storage on this device is full, so recording stopped."
      : `Audio could not be saved on this device, so recording stopped: ${messageOf(error)}`;
    // Recording on would lose every later second as well, with no gap in the seqs for finishing
    // to report: stop here and keep what is saved. Finishing is left to the user.
    if (this.#snapshot.phase === "recording") void this.#halt(run, full ? "storage-full" : "storage-failed", message);
    else this.#set({ error: message });
  }

  async #refreshPositions(run: Run): Promise<void> {
    if (run.refreshing) {
      run.refreshAgain = true;
      return;
    }
    run.refreshing = true;
    try {
      do {
        run.refreshAgain = false;
        const session = await this.#options.journal.session(run.sessionId);
        if (this.#run !== run || !session) return;
        this.#set(savedPositions(session, run.tracks.map((track) => track.track), run.baseline));
        this.#noticeServer(run, session);
      } while (run.refreshAgain);
    } catch {
      // Positions are a display; the next chunk or upload refreshes them again.
    } finally {
      run.refreshing = false;
    }
  }

  /**
   * What the journal says of the server, whichever tab of this browser uploads: once it has the
   * session, its heartbeat can start; once it acknowledged audio of this run, the take is no
   * longer on this device alone; should it lose the session, the take is on this device alone
   * again until the uploader has created it anew.
   */
  #noticeServer(run: Run, session: JournalSession): void {
    // The server lost the session while it was being recorded: the uploader creates it there
    // again from the journal (the keepalive carries on meanwhile, and counts again from then on).
    if (session.onServer === false && !this.#snapshot.deviceOnly && run.heartbeatStarted) this.#set({ deviceOnly: true });
    if (this.#snapshot.deviceOnly && session.onServer !== false) this.#set({ deviceOnly: false });
    if (run.heartbeatAwaitsServer && session.onServer !== false && this.#snapshot.phase === "recording") {
      run.heartbeatAwaitsServer = false;
      this.#startHeartbeat(run);
    }
    if (this.#snapshot.serverUnreachable && uploadedChunks(session) > run.uploadedAtStart) this.#set({ serverUnreachable: false });
  }

  /** Stops every input (flushing its last partial chunk) and waits until all of it is in the journal. */
  async #stopCapturing(run: Run): Promise<void> {
    const captures = [...run.captures.values()];
    run.captures.clear();
    await Promise.all(captures.map((capture) => capture.stop().catch(() => undefined)));
    await Promise.all(run.pipelines.map((pipeline) => pipeline.settled()));
    run.tracks = run.tracks.map((track) => ({ ...track, capturing: false }));
    const { startedAt, elapsedBeforeSeconds } = this.#snapshot;
    const elapsed = startedAt === null ? elapsedBeforeSeconds : elapsedBeforeSeconds + (this.#now() - startedAt) / 1000;
    if (this.#run === run) this.#set({ tracks: run.tracks, startedAt: null, elapsedBeforeSeconds: elapsed });
    await this.#refreshPositions(run);
  }

  async #finish(run: Run, allowGaps: boolean): Promise<void> {
    this.#set({ phase: "finishing", missing: null, error: null });
    try {
      const result = await this.#options.finishRecording({ sessionId: run.sessionId, ...(allowGaps ? { allowGaps: true } : {}) });
      if (this.#run !== run) return;
      this.#endRun(run);
      const seconds = Math.max(this.#snapshot.localSeconds, ...result.files.map((file) => file.durationSeconds));
      this.#set({
        phase: "finished",
        files: result.files,
        keptUntil: result.keptUntil,
        title: result.title,
        localSeconds: seconds,
        serverSeconds: seconds,
      });
    } catch (error) {
      if (this.#run !== run) return;
      if (error instanceof MissingChunksError) {
        this.#set({ phase: "confirm-gaps", missing: error.missing });
        return;
      }
      this.#set({ phase: "finish-failed", error: messageOf(error) });
    }
  }

  async #lockLost(run: Run): Promise<void> {
    if (this.#run !== run || run.over) return;
    run.lock = null;
    // Finishing cannot be taken back halfway; whatever the other tab does then meets a finished session.
    if (this.#snapshot.phase === "finishing") return;
    if (run.sources) this.#lockedRequest = { action: "resume", sessionId: run.sessionId, sources: run.sources };
    else this.#lockedRequest = { action: "finish", sessionId: run.sessionId };
    await this.#halt(run, "taken-over");
  }

  async #inputEnded(run: Run, track: TrackNumber): Promise<void> {
    if (this.#run !== run || run.over || this.#snapshot.phase !== "recording") return;
    const capture = run.captures.get(track);
    if (!capture) return;
    run.captures.delete(track);
    await capture.stop().catch(() => undefined);
    run.tracks = run.tracks.map((entry) => (entry.track === track ? { ...entry, capturing: false } : entry));
    this.#set({ tracks: run.tracks });
    if (run.captures.size === 0 && this.#run === run && this.#snapshot.phase === "recording") {
      await this.#halt(run, "input-ended");
    }
  }

  /** Stops capturing without finishing: the session stays open to be resumed or completed. */
  async #halt(run: Run, reason: HaltReason, error: string | null = null): Promise<void> {
    run.over = true;
    await this.#stopCapturing(run);
    if (run.heartbeatStarted) this.#options.heartbeat.stop();
    run.heartbeatStarted = false;
    // The tab that took over records this session now; any other halt leaves it stopped.
    if (reason !== "taken-over" && run.sessionId !== "") {
      await this.#options.journal.setState(run.sessionId, "stopped").catch(() => undefined);
    }
    this.#endRun(run);
    this.#set({
      phase: "halted",
      haltReason: reason,
      lockedAction: reason === "taken-over" ? (this.#lockedRequest?.action ?? null) : null,
      ...(error === null ? {} : { error }),
    });
  }

  async #abort(run: Run, error: unknown): Promise<void> {
    // A run already ended (halted by a take-over while starting) keeps the state it ended with.
    const current = this.#run === run;
    run.over = true;
    await this.#stopCapturing(run);
    if (run.heartbeatStarted) this.#options.heartbeat.stop();
    run.heartbeatStarted = false;
    this.#endRun(run);
    if (current) this.#replace({ ...IDLE_SNAPSHOT, error: messageOf(error) });
  }

  #endRun(run: Run): void {
    run.over = true;
    run.lock?.release();
    run.lock = null;
    if (this.#run === run) this.#run = null;
  }

  #set(patch: Partial<RecorderSnapshot>): void {
    this.#replace({ ...this.#snapshot, ...patch });
  }

  #replace(snapshot: RecorderSnapshot): void {
    this.#snapshot = snapshot;
    for (const listener of this.#listeners) listener(snapshot);
  }
}

function uploadedChunks(session: Pick<JournalSession, "tracks">): number {
  return session.tracks.reduce((sum, track) => sum + track.uploadedChunks, 0);
}
