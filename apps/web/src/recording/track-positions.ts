import type { JournalSession } from "@tidemark/client";
import type { TrackNumber } from "@tidemark/shared";
import { pcmSeconds } from "../audio/pcm.ts";

/** The two positions the recorder shows: how much audio is safe on this device, and on the server. */
export interface SavedPositions {
  localSeconds: number;
  serverSeconds: number;
}

/**
 * Bytes of a track the server held before this device's journal knew the session (it was
 * recorded on another device, or this device's journal was lost). They count as saved on both
 * sides, since they cannot be lost from here.
 */
export type ServerBaselineBytes = Partial<Record<TrackNumber, number>>;

/**
 * Positions of a recording from the journal's counters (no audio is read). Local is the
 * longest track; server is local minus the worst lag of any track, so a second track that
 * ended early (screen sharing stopped) does not pin the positions to its end, while any track
 * still waiting for uploads shows as behind.
 */
export function savedPositions(
  session: Pick<JournalSession, "tracks"> | undefined,
  recordedTracks: readonly TrackNumber[],
  baseline: ServerBaselineBytes = {},
): SavedPositions {
  let localSeconds = 0;
  let behindSeconds = 0;
  for (const track of recordedTracks) {
    const entry = session?.tracks.find((candidate) => candidate.track === track);
    if (!entry) continue;
    const base = baseline[track] ?? 0;
    const local = pcmSeconds(base + entry.localBytes, entry.sampleRate, entry.channels);
    const server = pcmSeconds(base + entry.uploadedBytes, entry.sampleRate, entry.channels);
    localSeconds = Math.max(localSeconds, local);
    behindSeconds = Math.max(behindSeconds, local - server);
  }
  return { localSeconds, serverSeconds: Math.max(0, localSeconds - behindSeconds) };
}

/** Server-held bytes per track that this device's journal does not account for. */
export function serverBaseline(
  serverTracks: ReadonlyArray<{ track: number; bytes: number }>,
  local: Pick<JournalSession, "tracks"> | undefined,
): ServerBaselineBytes {
  const baseline: ServerBaselineBytes = {};
  for (const serverTrack of serverTracks) {
    if (serverTrack.track !== 0 && serverTrack.track !== 1) continue;
    const uploadedHere = local?.tracks.find((entry) => entry.track === serverTrack.track)?.uploadedBytes ?? 0;
    baseline[serverTrack.track] = Math.max(0, serverTrack.bytes - uploadedHere);
  }
  return baseline;
}
