import type { FinishBody, FinishResponse } from "@tidemark/shared";
import { ApiError, type MissingSeqs, type RecordingApi } from "./api-client.ts";
import type { ChunkJournal, JournalSession, TrackNumber } from "./chunk-journal.ts";
import type { ChunkUploader } from "./uploader.ts";

/** The server lacks chunks that this device does not hold either; only the user can accept the loss. */
export class MissingChunksError extends Error {
  /** Per track, the seqs that are lost unless another device still has them. */
  readonly missing: MissingSeqs;

  constructor(missing: MissingSeqs, message?: string) {
    super(message ?? describeMissing(missing));
    this.name = "MissingChunksError";
    this.missing = missing;
  }
}

export interface FinishRecordingOptions {
  sessionId: string;
  journal: ChunkJournal;
  uploader: ChunkUploader;
  api: RecordingApi;
  /** The user accepts finishing with gaps where chunks are lost. */
  allowGaps?: boolean;
}

/** Re-sending rounds before giving up on a server that keeps reporting the same chunks missing. */
const MAX_RESEND_ROUNDS = 3;

/**
 * Finishes a recording: waits until the uploader has sent everything the journal holds, asks the
 * server to finish with each track's last recorded seq (so a lost tail counts as missing, not as
 * the end), re-sends from the journal whatever the server reports missing, and deletes the local
 * copy only once the server has finished the session.
 */
export async function finishRecording(options: FinishRecordingOptions): Promise<FinishResponse> {
  const { sessionId, journal, uploader, api } = options;
  const session = await journal.session(sessionId);
  // A crash from here on must show the recording as stopped, not as still running.
  if (session?.state === "recording") await journal.setState(sessionId, "stopped");

  for (let round = 1; ; round += 1) {
    await uploader.drain(sessionId);
    let finished: FinishResponse;
    try {
      finished = await api.finishSession(sessionId, finishBody(await journal.session(sessionId), options.allowGaps));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && round < MAX_RESEND_ROUNDS && (await holdsAudio(journal, sessionId))) {
        // The server lost the session: the next round's drain creates it there again and sends
        // everything this device holds of it.
        await journal.markNotOnServer(sessionId);
        continue;
      }
      if (!(error instanceof ApiError) || error.status !== 409) throw error;
      if (!error.missing) {
        finished = await alreadyFinished(api, sessionId, error);
      } else {
        const { requeued, lost } = await requeueFromJournal(journal, sessionId, error.missing);
        if (lost) {
          // Send what this device still has before asking the user about the rest.
          if (requeued > 0) await uploader.drain(sessionId);
          throw new MissingChunksError(lost);
        }
        if (round >= MAX_RESEND_ROUNDS) {
          throw new MissingChunksError(error.missing, `The server still lacks chunks after ${round} attempts to send them.`);
        }
        continue; // the next round's drain sends the requeued chunks
      }
    }
    if (await journal.session(sessionId)) {
      // Marked first: should the purge be cut short, recovery no longer offers a finished session.
      await journal.setState(sessionId, "finished");
      await journal.purgeSession(sessionId);
    }
    return finished;
  }
}

async function holdsAudio(journal: ChunkJournal, sessionId: string): Promise<boolean> {
  return (await journal.session(sessionId))?.tracks.some((track) => track.localChunks > 0) ?? false;
}

function finishBody(session: JournalSession | undefined, allowGaps: boolean | undefined): NonNullable<FinishBody> {
  const body: NonNullable<FinishBody> = {};
  if (session) {
    const lastSeq = (track: TrackNumber) =>
      (session.tracks.find((entry) => entry.track === track)?.nextSeq ?? 0) - 1;
    body.lastSeq = { "0": lastSeq(0), "1": lastSeq(1) };
  }
  if (allowGaps) body.allowGaps = true;
  return body;
}

/** Queues the missing seqs the journal holds to be sent again; returns those it does not hold. */
async function requeueFromJournal(
  journal: ChunkJournal,
  sessionId: string,
  missing: MissingSeqs,
): Promise<{ requeued: number; lost: MissingSeqs | null }> {
  const lost: MissingSeqs = { "0": [], "1": [] };
  let requeued = 0;
  for (const key of ["0", "1"] as const) {
    const track: TrackNumber = key === "0" ? 0 : 1;
    const held: number[] = [];
    for (const seq of missing[key]) {
      if (await journal.getChunk(sessionId, track, seq)) held.push(seq);
      else lost[key].push(seq);
    }
    if (held.length > 0) await journal.markPending(sessionId, track, held);
    requeued += held.length;
  }
  return { requeued, lost: lost["0"].length + lost["1"].length > 0 ? lost : null };
}

/**
 * A 409 without missing chunks means the session is already completed: an earlier finish went
 * through but its answer, or the purge after it, was lost. The answer is rebuilt with fresh
 * recovery tokens, since a token is only ever shown when it is made.
 */
async function alreadyFinished(api: RecordingApi, sessionId: string, conflict: ApiError): Promise<FinishResponse> {
  const detail = await api.getSession(sessionId).catch(() => undefined);
  if (detail?.status !== "completed") throw conflict;
  const recoveryTokens = await Promise.all(
    detail.files.map((file) => api.createRecoveryToken(sessionId, file.track === 1 ? 1 : 0)),
  );
  return { ...detail, recoveryTokens };
}

function describeMissing(missing: MissingSeqs): string {
  const parts = (["0", "1"] as const)
    .filter((track) => missing[track].length > 0)
    .map((track) => `track ${track}: ${missing[track].join(", ")}`);
  return `Chunks are missing on the server and on this device (${parts.join("; ")}).`;
}
