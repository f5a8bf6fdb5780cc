import type { ChunkJournal } from "@tidemark/client";
import type { TrackNumber } from "@tidemark/shared";
import { pcmSeconds } from "../audio/pcm.ts";
import { wavHeader } from "../audio/wav.ts";

export type ExportJournal = Pick<ChunkJournal, "session" | "getChunk">;

export interface LocalTrack {
  track: TrackNumber;
  label: string;
  seconds: number;
}

/** The tracks this device's journal holds of a session, for "save from this device". */
export async function localTracks(journal: ExportJournal, sessionId: string): Promise<LocalTrack[]> {
  const session = await journal.session(sessionId);
  return (session?.tracks ?? [])
    .filter((track) => track.localChunks > 0)
    .map((track) => ({ track: track.track, label: track.label, seconds: pcmSeconds(track.localBytes, track.sampleRate, track.channels) }));
}

/**
 * One track as a WAV file, assembled from the journal alone: the way out when the server no
 * longer has the session (its retention expired, or this browser lost its device identity).
 * A seq the journal lacks is filled with one chunk (one second) of silence, so what follows
 * stays in time with the other track. Chunks are read one at a time and kept as Blob parts,
 * which browsers may page to disk, so an hour-long track does not need an hour in memory.
 */
export async function exportLocalTrack(journal: ExportJournal, sessionId: string, track: TrackNumber): Promise<Blob> {
  const session = await journal.session(sessionId);
  const entry = session?.tracks.find((candidate) => candidate.track === track);
  if (!entry) throw new Error(`This device holds no track ${track + 1} of this session.`);
  const parts: BlobPart[] = [];
  let dataBytes = 0;
  let lastHeld = -1;
  let gap = 0;
  for (let seq = 0; seq < entry.nextSeq; seq++) {
    const chunk = await journal.getChunk(sessionId, track, seq);
    if (!chunk) {
      gap += 1;
      continue;
    }
    // Gaps inside the recording become silence; seqs skipped at the end (after a resume
    // elsewhere) are not audio this device ever had, and are left out.
    for (; gap > 0; gap--) {
      const silence = new ArrayBuffer(entry.sampleRate * entry.channels * 2);
      parts.push(silence);
      dataBytes += silence.byteLength;
    }
    parts.push(chunk.pcm);
    dataBytes += chunk.byteLength;
    lastHeld = seq;
  }
  if (lastHeld === -1) throw new Error(`This device holds no audio of track ${track + 1}.`);
  return new Blob([wavHeader({ dataBytes, sampleRate: entry.sampleRate, channels: entry.channels }), ...parts], { type: "audio/wav" });
}
