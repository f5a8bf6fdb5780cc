/**
 * Messages between `TrackCapture` (main thread) and the PCM capture worklet. One worklet node
 * serves every track of a recording, one node input per track; `input` names the track's input.
 */

/** Main thread → worklet. Inputs flushed in one command end on the same sample. */
export type CaptureCommand = { type: "flush"; inputs: number[] };

/** Worklet → main thread. */
export type CaptureMessage =
  /** `pcm`: little-endian 16-bit mono samples, transferred (no copy). */
  | { type: "chunk"; input: number; pcm: ArrayBuffer }
  | { type: "level"; input: number; peak: number; rms: number }
  /** Sent after the partial chunk of a flush: nothing more will come from this input. */
  | { type: "flushed"; input: number };

export interface CaptureProcessorOptions {
  /** Samples per chunk; the context's sample rate gives one second per chunk. */
  chunkSamples: number;
  /** Level reports per second. */
  levelsPerSecond: number;
}

export const CAPTURE_PROCESSOR_NAME = "tidemark-pcm-capture";
