import { createHash } from "node:crypto";
import type { ChunkAck, SessionDetail, SessionStatus, TrackDeclaration, TrackSummary } from "@tidemark/shared";
import type { Clock } from "../lib/clock.ts";
import type { GroupCommit } from "../lib/group-commit.ts";
import { badRequest, conflict, notFound } from "../lib/http-errors.ts";
import type { RangedFile } from "../lib/send-file-range.ts";
import { pcmSeconds } from "../lib/wav.ts";
import type { RecordingRepository, TrackRow } from "../repositories/recording-repository.ts";
import type { SessionRow } from "../repositories/session-repository.ts";
import type { AudioStore } from "./audio-store.ts";
import type { EventLog } from "./event-log.ts";
import { retentionDeadline } from "./retention.ts";
import type { SessionLifecycle } from "./session-lifecycle.ts";

/** Declared tracks kept in memory for the chunk path (~100 bytes each). */
const TRACK_CACHE_LIMIT = 100_000;

/**
 * What the chunk path needs of a declared track. The format never changes; `highestSeq` is at
 * least the highest seq stored (it is raised by every commit here; deleting damaged chunks may
 * leave it higher), so any seq above it is certainly new.
 */
interface DeclaredTrack {
  channels: number;
  highestSeq: number;
}

export interface ChunkLogRecoveryReport {
  /** Chunk logs of unfinished sessions that were read. */
  logs: number;
  /** Rows re-created from records in the logs. */
  chunks: number;
  /** Bytes of torn records cut off the ends of logs. */
  truncatedBytes: number;
  /** Records that could not be read and that no row needs. */
  unreadable: number;
  /** Logs of completed sessions (whose WAVs are recorded) removed. */
  removed: number;
}

/** Parses RFC 9530 `Content-Digest` and returns the SHA-256 as hex, or null when absent or malformed. */
export function sha256FromContentDigest(header: string | undefined): string | null {
  if (!header) return null;
  const match = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]+={0,2}):/i.exec(header);
  if (!match?.[1]) return null;
  const digest = Buffer.from(match[1], "base64");
  return digest.length === 32 ? digest.toString("hex") : null;
}

export function toTrackSummary(row: TrackRow): TrackSummary {
  return {
    track: row.track,
    label: row.label,
    sampleRate: row.sampleRate,
    channels: row.channels,
    chunkCount: row.chunkCount,
    committedThrough: row.committedThrough,
    highestSeq: row.highestSeq,
    bytes: row.bytes,
    durationSeconds: pcmSeconds(row.bytes, row),
  };
}

/**
 * Tracks and chunks of recording sessions. A chunk is acknowledged only once its record (header
 * and bytes) is durably written in the track's log and its row committed — a commit that a power cut
 * may undo, which startup recovery then redoes from the record; replaying the same chunk is
 * harmless, and a different payload for a stored seq is refused, never overwritten.
 */
export class RecordingService {
  /** Sessions whose files are being assembled: no chunk may land in them meanwhile. */
  readonly finishing = new Set<string>();
  /** Declared tracks by `<session>/<track>`, read on every chunk. */
  private readonly declaredTracks = new Map<string, DeclaredTrack>();

  constructor(
    private readonly repository: RecordingRepository,
    private readonly lifecycle: SessionLifecycle,
    private readonly eventLog: EventLog,
    private readonly store: AudioStore,
    private readonly clock: Clock,
    private readonly commits: GroupCommit,
    private readonly retentionHours: number,
  ) {}

  declareTrack(userId: string, sessionId: string, track: number, declaration: TrackDeclaration): TrackSummary {
    return this.eventLog.transaction(() => {
      const session = this.requireWritable(userId, sessionId);
      const existing = this.repository.findTrack(session.id, track);
      if (!existing) {
        const row = this.repository.insertTrack({ sessionId, track, ...declaration, createdAt: this.clock.now().getTime() });
        return toTrackSummary(row);
      }
      if (existing.sampleRate !== declaration.sampleRate || existing.channels !== declaration.channels) {
        throw conflict(
          `Track ${track} is already declared as ${existing.sampleRate} Hz, ${existing.channels} channel(s)`,
        );
      }
      const row = existing.label === declaration.label ? existing : this.repository.updateTrackLabel(sessionId, track, declaration.label);
      return toTrackSummary(row);
    });
  }

  async putChunk(
    userId: string,
    sessionId: string,
    track: number,
    seq: number,
    body: Uint8Array | readonly Uint8Array[],
    contentDigest: string | undefined,
  ): Promise<ChunkAck> {
    const claimed = sha256FromContentDigest(contentDigest);
    if (!claimed) throw badRequest("Missing or malformed Content-Digest header; expected sha-256=:<base64>:");
    this.assertWritable(userId, sessionId);
    const declared = this.declaredTrack(sessionId, track);
    if (!declared) throw conflict(`Track ${track} is not declared; PUT /api/session/${sessionId}/tracks/${track} first`);
    const { channels } = declared;
    // The body may come in the pieces it arrived in; it is hashed and written without joining them.
    const pieces = body instanceof Uint8Array ? [body] : body;
    const hash = createHash("sha256");
    let size = 0;
    for (const piece of pieces) {
      hash.update(piece);
      size += piece.length;
    }
    const digest = hash.digest();
    const actual = digest.toString("hex");
    if (actual !== claimed) throw badRequest("Content-Digest does not match the body");
    if (size === 0 || size % (2 * channels) !== 0) {
      throw badRequest(`Chunk length must be a positive multiple of ${2 * channels} bytes (16-bit PCM frames)`);
    }

    // A seq above the highest one stored is new; anything else may be a replay.
    if (seq <= declared.highestSeq) {
      const replay = this.replayOrConflict(sessionId, track, seq, actual);
      if (replay) return replay;
    }

    const appendedAt = this.clock.now().getTime();
    const { offset, recoverable } = await this.store.appendChunk({ sessionId, track, seq, sha256: digest, appendedAt }, pieces);

    // The checks and the insert run together, synchronously, inside the batch's transaction, so
    // no finish can start between them; concurrent uploads share the commit (group commit). The chunk's record
    // in the log is durable and describes it, so the row's commit need not wait for an fsync:
    // should a crash lose the row, startup recovery re-creates it from the record.
    return this.commits.run(
      () => {
        this.assertWritable(userId, sessionId);
        const updated = this.repository.insertChunk({ sessionId, track, seq, size, offset, sha256: actual, createdAt: appendedAt });
        if (!updated) {
          // A concurrent upload of the same seq was committed first.
          const raced = this.replayOrConflict(sessionId, track, seq, actual);
          if (!raced) throw new Error("A chunk that was refused as stored is not stored");
          return raced;
        }
        declared.highestSeq = updated.highestSeq;
        return { track, seq, size, created: true, committedThrough: updated.committedThrough, chunkCount: updated.chunkCount };
      },
      { durableElsewhere: recoverable },
    );
  }

  /**
   * Startup: gives back the rows of chunks whose records reached a log durably but whose rows a
   * crash lost (their commits do not wait for an fsync), and trims records torn by the crash.
   * Runs before the server takes requests.
   */
  async recoverChunkLogs(): Promise<ChunkLogRecoveryReport> {
    const report: ChunkLogRecoveryReport = { logs: 0, chunks: 0, truncatedBytes: 0, unreadable: 0, removed: 0 };
    for (const { sessionId, track } of this.store.listChunkLogs()) {
      const trackRow = this.repository.findTrackWithSessionStatus(sessionId, track);
      // A deleted session's files are the retention job's.
      if (!trackRow) continue;
      if (trackRow.sessionStatus === "completed") {
        // Its WAV is durable and recorded; a crash right after the completion left the log behind.
        await this.store.removeChunks(sessionId, track);
        report.removed += 1;
        continue;
      }
      const recovery = await this.store.recoverLog(sessionId, track, this.repository.listChunks(sessionId, track));
      report.logs += 1;
      report.truncatedBytes += recovery.truncatedBytes;
      report.unreadable += recovery.unreadable;
      if (recovery.chunks.length === 0) continue;
      // A durable commit: these rows exist nowhere else yet.
      report.chunks += await this.commits.run(() => {
        let inserted = 0;
        for (const { appendedAt, ...chunk } of recovery.chunks) {
          if (this.repository.insertChunk({ sessionId, track, ...chunk, createdAt: appendedAt })) inserted += 1;
        }
        return inserted;
      });
      this.declaredTracks.delete(`${sessionId}/${track}`); // its highest seq may have moved
    }
    return report;
  }

  detail(userId: string, sessionId: string): SessionDetail {
    const session = this.lifecycle.get(userId, sessionId);
    const now = this.clock.now().getTime();
    return {
      ...session,
      tracks: this.repository.listTracks(sessionId).map(toTrackSummary),
      files: this.repository.listFiles(sessionId).map((file) => ({
        track: file.track,
        sizeBytes: file.sizeBytes,
        sha256: file.sha256,
        durationSeconds: file.durationSeconds,
        url: `/api/session/${sessionId}/tracks/${file.track}/audio`,
        createdAt: new Date(file.createdAt).toISOString(),
      })),
      tokens: this.repository
        .listLiveTokens(sessionId, now)
        .map((token) => ({ track: token.track, expiresAt: new Date(token.expiresAt).toISOString() })),
      keptUntil: new Date(retentionDeadline(session, this.retentionHours)).toISOString(),
    };
  }

  /** The finalized WAV of a track, ready to send; 404 when the session or file is not the caller's. */
  finalizedFile(userId: string, sessionId: string, track: number): RangedFile {
    const session = this.lifecycle.requireOwned(userId, sessionId);
    const file = this.repository.findFile(sessionId, track);
    if (!file) throw notFound(`Track ${track} has no finalized file`);
    return {
      path: this.store.wavPath(sessionId, track),
      size: file.sizeBytes,
      etag: file.sha256,
      contentType: "audio/wav",
      filename: `${session.title}-track-${track}.wav`,
    };
  }

  /** A session that accepts tracks and chunks: the caller's, not completed, not being finished. */
  requireWritable(userId: string, sessionId: string): SessionRow {
    const session = this.lifecycle.requireOwned(userId, sessionId);
    this.refuseUnlessWritable(sessionId, session.status);
    return session;
  }

  /** `requireWritable` for the chunk path, from the lifecycle's cache instead of a database read. */
  private assertWritable(userId: string, sessionId: string): void {
    this.refuseUnlessWritable(sessionId, this.lifecycle.requireOwnedStatus(userId, sessionId));
  }

  private refuseUnlessWritable(sessionId: string, status: SessionStatus): void {
    if (status === "completed") throw conflict("Session is completed; it accepts no more audio");
    if (this.finishing.has(sessionId)) throw conflict("Session is being finished; it accepts no more audio");
  }

  /** A declared track (from memory after its first chunk), undefined when it is not declared. */
  private declaredTrack(sessionId: string, track: number): DeclaredTrack | undefined {
    const key = `${sessionId}/${track}`;
    const cached = this.declaredTracks.get(key);
    if (cached) return cached;
    const row = this.repository.findTrack(sessionId, track);
    if (!row) return undefined;
    const declared = { channels: row.channels, highestSeq: row.highestSeq };
    this.declaredTracks.set(key, declared);
    if (this.declaredTracks.size > TRACK_CACHE_LIMIT) {
      const oldest = this.declaredTracks.keys().next().value;
      if (oldest !== undefined) this.declaredTracks.delete(oldest);
    }
    return declared;
  }

  private replayOrConflict(sessionId: string, track: number, seq: number, sha256: string): ChunkAck | null {
    const stored = this.repository.findChunk(sessionId, track, seq);
    if (!stored) return null;
    if (stored.sha256 !== sha256) {
      throw conflict(`Chunk ${seq} of track ${track} is already stored with different content`);
    }
    const trackRow = this.repository.findTrack(sessionId, track)!;
    return { track, seq, size: stored.size, created: false, committedThrough: trackRow.committedThrough, chunkCount: trackRow.chunkCount };
  }
}
