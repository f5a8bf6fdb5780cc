import type { JournalSession } from "@tidemark/client";
import type { TrackNumber, TrackSummary } from "@tidemark/shared";
import { DEFAULT_MICROPHONE, type AudioSourceChoice } from "../audio/media-sources.ts";

/** The inputs picked in the UI: track 0 always records, track 1 only when enabled (not null). */
export interface TrackSources {
  0: AudioSourceChoice;
  1: AudioSourceChoice | null;
  /** The input last picked for track 1, for resuming a two-track session while track 1 is switched off. */
  rememberedSecond?: AudioSourceChoice;
}

export const TRACK_LABELS: Record<TrackNumber, string> = { 0: "Microphone", 1: "Second input" };

/** How the app names a track to the user: "Track 2 · Second input". */
export function trackName(track: number, label?: string): string {
  return `Track ${track + 1}${label ? ` · ${label}` : ""}`;
}

/** One track to record: its number, name, input, and (when resuming) its declared rate. */
export interface TrackPlan {
  track: TrackNumber;
  label: string;
  source: AudioSourceChoice;
  /** Set when resuming a declared track, whose rate cannot change. */
  sampleRate?: number;
}

/** The tracks of a new recording: track 0 always, track 1 when enabled. */
export function plannedTracks(sources: TrackSources): TrackPlan[] {
  const plan: TrackPlan[] = [{ track: 0, label: TRACK_LABELS[0], source: sources[0] }];
  if (sources[1]) plan.push({ track: 1, label: TRACK_LABELS[1], source: sources[1] });
  return plan;
}

/**
 * A resumed session keeps the tracks it has (so its tracks stay aligned), with their labels
 * and sample rates, as this device's journal and the server (`serverTracks`, empty when it cannot
 * be reached) know them; the inputs are today's picks. A second track the picker has switched off
 * still records, from `sources.rememberedSecond` (the input last picked for it), not silently from the
 * default microphone unless nothing was ever picked. A session with no track yet records like
 * a new one.
 */
export function resumePlan(
  serverTracks: ReadonlyArray<Pick<TrackSummary, "track" | "label" | "sampleRate">>,
  local: JournalSession | undefined,
  sources: TrackSources,
): TrackPlan[] {
  const declared = new Map<TrackNumber, { label: string; sampleRate: number }>();
  for (const track of local?.tracks ?? []) declared.set(track.track, { label: track.label, sampleRate: track.sampleRate });
  for (const track of serverTracks) {
    if ((track.track === 0 || track.track === 1) && !declared.has(track.track)) {
      declared.set(track.track, { label: track.label, sampleRate: track.sampleRate });
    }
  }
  if (declared.size === 0) return plannedTracks(sources);
  return [...declared.entries()]
    .sort(([a], [b]) => a - b)
    .map(([track, { label, sampleRate }]) => ({
      track,
      label,
      sampleRate,
      source: track === 0 ? sources[0] : (sources[1] ?? sources.rememberedSecond ?? DEFAULT_MICROPHONE),
    }));
}
