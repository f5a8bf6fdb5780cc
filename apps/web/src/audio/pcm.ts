/**
 * Pure helpers that turn Web Audio's Float32 samples into the 16-bit PCM the journal and the
 * server store. They run inside the audio worklet (so they must stay free of DOM and imports)
 * and in unit tests.
 */

/**
 * Converts one Float32 sample in [-1, 1] to a signed 16-bit integer. Out-of-range input
 * (a hot microphone, a sum of channels) is clamped instead of wrapping around, which would
 * turn a loud peak into a full-scale click. Negative values scale by 32768 and positive by
 * 32767 so both ends of the range are reachable without overflow.
 */
export function floatToInt16(sample: number): number {
  if (Number.isNaN(sample)) return 0;
  const clamped = sample < -1 ? -1 : sample > 1 ? 1 : sample;
  return clamped < 0 ? Math.round(clamped * 0x8000) : Math.round(clamped * 0x7fff);
}

/**
 * Mixes the channels of one render quantum to mono by averaging them, so a stereo source
 * keeps its level instead of doubling it. One channel is returned as is; none (a source that
 * has not started yet) is silence of `frames` samples.
 */
export function downmixToMono(channels: readonly Float32Array[], frames: number): Float32Array {
  if (channels.length === 0) return new Float32Array(frames);
  if (channels.length === 1) return channels[0]!;
  const mono = new Float32Array(channels[0]!.length);
  const scale = 1 / channels.length;
  for (const channel of channels) {
    for (let i = 0; i < mono.length; i++) mono[i]! += channel[i]! * scale;
  }
  return mono;
}

export interface AudioLevel {
  /** Largest absolute sample, 0..1. */
  peak: number;
  /** Root mean square, 0..1; closer to perceived loudness than the peak. */
  rms: number;
}

/**
 * Collects mono Float32 samples into fixed-size 16-bit chunks. Each full chunk is handed to
 * `onChunk` as its own ArrayBuffer, so it can be transferred to the main thread without a copy.
 */
export class PcmChunkAccumulator {
  readonly chunkSamples: number;
  private buffer: Int16Array<ArrayBuffer>;
  private filled = 0;
  private readonly onChunk: (pcm: ArrayBuffer) => void;

  constructor(chunkSamples: number, onChunk: (pcm: ArrayBuffer) => void) {
    if (!Number.isInteger(chunkSamples) || chunkSamples <= 0) {
      throw new RangeError(`A chunk must hold a positive whole number of samples, not ${chunkSamples}.`);
    }
    this.chunkSamples = chunkSamples;
    this.buffer = new Int16Array(chunkSamples);
    this.onChunk = onChunk;
  }

  /** Samples waiting for the next chunk. */
  get pendingSamples(): number {
    return this.filled;
  }

  push(samples: Float32Array): void {
    for (let i = 0; i < samples.length; i++) {
      this.buffer[this.filled++] = floatToInt16(samples[i]!);
      if (this.filled === this.chunkSamples) this.emit(this.chunkSamples);
    }
  }

  /** Emits the partial chunk, if any: called on stop so the last fraction of a second is kept. */
  flush(): void {
    if (this.filled > 0) this.emit(this.filled);
  }

  private emit(samples: number): void {
    const full = this.buffer;
    // A fresh buffer for what comes next: the emitted one is about to be transferred (detached).
    this.buffer = new Int16Array(this.chunkSamples);
    this.filled = 0;
    this.onChunk(samples === full.length ? full.buffer : full.slice(0, samples).buffer);
  }
}

/**
 * Measures peak and RMS over a window of samples that may span several render quanta
 * (128 frames each), reporting once per `windowSamples`, so the meter updates ~20 times a
 * second whatever the sample rate.
 */
export class LevelMeter {
  private readonly windowSamples: number;
  private readonly onLevel: (level: AudioLevel) => void;
  private peak = 0;
  private sumSquares = 0;
  private count = 0;

  constructor(windowSamples: number, onLevel: (level: AudioLevel) => void) {
    this.windowSamples = Math.max(1, Math.floor(windowSamples));
    this.onLevel = onLevel;
  }

  push(samples: Float32Array): void {
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      const magnitude = Math.abs(sample);
      if (magnitude > this.peak) this.peak = magnitude;
      this.sumSquares += sample * sample;
      if (++this.count === this.windowSamples) this.report();
    }
  }

  private report(): void {
    const rms = Math.sqrt(this.sumSquares / this.count);
    this.onLevel({ peak: Math.min(1, this.peak), rms: Math.min(1, rms) });
    this.peak = 0;
    this.sumSquares = 0;
    this.count = 0;
  }
}

/** Seconds of audio in a 16-bit PCM byte count. */
export function pcmSeconds(bytes: number, sampleRate: number, channels = 1): number {
  if (sampleRate <= 0 || channels <= 0) return 0;
  return bytes / (2 * channels * sampleRate);
}
