import type { ChunkAck, SessionDetail, TrackDeclaration, TrackSummary } from "@tidemark/shared";
import type { Clock } from "../lib/clock.ts";
import type { GroupCommit } from "../lib/group-commit.ts";
import { badRequest, conflict, notFound } from "../lib/http-errors.ts";
import type { RangedFile } from "../lib/send-file-range.ts";
import { pcmSeconds } from "../lib/wav.ts";
import type { RecordingRepository, TrackRow } from "../repositories/recording-repository.ts";
import type { SessionRow } from "../repositories/session-repository.ts";
import type { AudioStore } from "./audio-store.ts";
import type { EventLog } from "./event-log.ts";
import type { SessionLifecycle } from "./session-lifecycle.ts";

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
 * Tracks and chunks of recording sessions. A chunk is acknowledged only once its bytes are
 * fsynced and its row committed; replaying the same chunk is harmless, and a different payload
 * for a stored seq is refused, never overwritten.
 */
export class RecordingService {
  /** Sessions whose files are being assembled: no chunk may land in them meanwhile. */
  readonly finishing = new Set<string>();

  constructor(
    private readonly repository: RecordingRepository,
    private readonly lifecycle: SessionLifecycle,
    private readonly eventLog: EventLog,
    private readonly store: AudioStore,
    private readonly clock: Clock,
    private readonly commits: GroupCommit,
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
    body: Buffer,
    contentDigest: string | undefined,
  ): Promise<ChunkAck> {
    const claimed = sha256FromContentDigest(contentDigest);
    if (!claimed) throw badRequest("Missing or malformed Content-Digest header; expected sha-256=:<base64>:");
    const session = this.requireWritable(userId, sessionId);
    const trackRow = this.repository.findTrack(session.id, track);
    if (!trackRow) throw conflict(`Track ${track} is not declared; PUT /api/session/${sessionId}/tracks/${track} first`);
    // Hashed off the event loop (Web Crypto runs on the thread pool): ~1 MiB bodies add up.
    const actual = Buffer.from(await crypto.subtle.digest("SHA-256", body)).toString("hex");
    if (actual !== claimed) throw badRequest("Content-Digest does not match the body");
    if (body.length === 0 || body.length % (2 * trackRow.channels) !== 0) {
      throw badRequest(`Chunk length must be a positive multiple of ${2 * trackRow.channels} bytes (16-bit PCM frames)`);
    }

    const replay = this.replayOrConflict(sessionId, track, seq, actual);
    if (replay) return replay;

    const offset = await this.store.appendChunk(sessionId, track, body);

    // The checks and the insert run together in one synchronous savepoint, so no finish can
    // start between them; concurrent uploads share the commit (group commit).
    return this.commits.run(() => {
      this.requireWritable(userId, sessionId);
      const raced = this.replayOrConflict(sessionId, track, seq, actual);
      if (raced) return raced;
      const updated = this.repository.insertChunk({
        sessionId,
        track,
        seq,
        size: body.length,
        offset,
        sha256: actual,
        createdAt: this.clock.now().getTime(),
      });
      return { track, seq, size: body.length, created: true, committedThrough: updated.committedThrough, chunkCount: updated.chunkCount };
    });
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
    if (session.status === "completed") throw conflict("Session is completed; it accepts no more audio");
    if (this.finishing.has(sessionId)) throw conflict("Session is being finished; it accepts no more audio");
    return session;
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
