import type { FinishBody, FinishResponse, SeqsByTrack } from "@tidemark/shared";
import type { Clock } from "../lib/clock.ts";
import { conflict } from "../lib/http-errors.ts";
import { pcmSeconds } from "../lib/wav.ts";
import type { RecordingRepository, TrackRow } from "../repositories/recording-repository.ts";
import type { AudioStore } from "./audio-store.ts";
import type { EventLog } from "./event-log.ts";
import type { RecordingService } from "./recording.ts";
import type { RecoveryTokens } from "./recovery-tokens.ts";
import type { SessionLifecycle } from "./session-lifecycle.ts";

/** At most this many missing seqs are listed per track in one answer; the client sends those and asks again. */
const MISSING_LIST_LIMIT = 10_000;

type MissingByTrack = Partial<Record<"0" | "1", number[]>>;

/** Seqs below a track's highest stored seq (or the client's `lastSeq`) that the server lacks. */
export function findMissing(
  tracks: TrackRow[],
  storedSeqs: (track: number) => number[],
  lastSeq: SeqsByTrack | undefined,
): MissingByTrack {
  const missing: MissingByTrack = {};
  for (const key of ["0", "1"] as const) {
    const track = Number(key);
    const declared = tracks.find((row) => row.track === track);
    const upTo = Math.max(declared?.highestSeq ?? -1, lastSeq?.[key] ?? -1);
    if (upTo < 0) continue;
    const have = new Set(declared ? storedSeqs(track) : []);
    const lacking: number[] = [];
    for (let seq = 0; seq <= upTo && lacking.length < MISSING_LIST_LIMIT; seq += 1) {
      if (!have.has(seq)) lacking.push(seq);
    }
    if (lacking.length > 0) missing[key] = lacking;
  }
  return missing;
}

/**
 * Finishing a session: refuse while chunks are missing (unless the user accepts the loss),
 * assemble each track into a WAV atomically, then record files, recovery tokens and the
 * completed status in one transaction. A crash at any point leaves the session unfinished
 * and the finish can simply be retried.
 */
export class SessionFinisher {
  constructor(
    private readonly recording: RecordingService,
    private readonly repository: RecordingRepository,
    private readonly lifecycle: SessionLifecycle,
    private readonly eventLog: EventLog,
    private readonly store: AudioStore,
    private readonly tokens: RecoveryTokens,
    private readonly clock: Clock,
  ) {}

  async finish(userId: string, sessionId: string, body: FinishBody): Promise<FinishResponse> {
    this.recording.requireWritable(userId, sessionId); // 404 / 409 completed / 409 already finishing
    this.recording.finishing.add(sessionId);
    try {
      const assembled = await this.assembleTracks(sessionId, body);
      const recoveryTokens = this.eventLog.transaction((record) => {
        const row = this.lifecycle.requireOwned(userId, sessionId);
        const now = this.clock.now().getTime();
        const created = assembled.map(({ track, sizeBytes, sha256, durationSeconds }) => {
          this.repository.upsertFile({ sessionId, track, sizeBytes, sha256, durationSeconds, createdAt: now });
          return this.tokens.create(userId, sessionId, track);
        });
        this.lifecycle.completeWithin(record, row);
        return created;
      });
      // The WAVs are durable and recorded; the chunk logs have served their purpose.
      for (const { track } of assembled) await this.store.removeChunks(sessionId, track).catch(() => undefined);
      return { ...this.recording.detail(userId, sessionId), recoveryTokens };
    } finally {
      this.recording.finishing.delete(sessionId);
    }
  }

  private async assembleTracks(sessionId: string, body: FinishBody) {
    const allowGaps = body?.allowGaps === true;
    const tracks = this.repository.listTracks(sessionId);
    const chunksOf = (track: number) => this.repository.listChunks(sessionId, track);

    const missing = findMissing(tracks, (track) => chunksOf(track).map((chunk) => chunk.seq), body?.lastSeq);
    if (Object.keys(missing).length > 0 && !allowGaps) {
      throw conflict(describeMissing(missing), { missing });
    }

    const results = [];
    for (const track of tracks) {
      let result = await this.store.assembleWav(sessionId, track.track, track, chunksOf(track.track));
      if (!result.ok) {
        // Bytes on disk that no longer match their digest are forgotten so the client can resend them.
        this.repository.deleteChunks(sessionId, track.track, result.damaged);
        if (!allowGaps) {
          const damaged = { [String(track.track)]: result.damaged } as MissingByTrack;
          throw conflict(`Stored chunks failed verification; send them again. ${describeMissing(damaged)}`, { missing: damaged });
        }
        result = await this.store.assembleWav(sessionId, track.track, track, chunksOf(track.track));
        if (!result.ok) throw new Error("Chunks keep failing verification");
      }
      results.push({
        track: track.track,
        sizeBytes: result.sizeBytes,
        sha256: result.sha256,
        durationSeconds: pcmSeconds(result.dataBytes, track),
      });
    }
    return results;
  }
}

function describeMissing(missing: MissingByTrack): string {
  const parts = Object.entries(missing).map(([track, seqs]) => `track ${track}: ${seqs.length} chunk(s) from seq ${seqs[0]}`);
  return `Chunks are missing (${parts.join("; ")})`;
}
