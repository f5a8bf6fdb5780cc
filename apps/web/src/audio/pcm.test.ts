import { describe, expect, it } from "vitest";
import { LevelMeter, PcmChunkAccumulator, downmixToMono, floatToInt16, pcmSeconds, type AudioLevel } from "./pcm.ts";

describe("floatToInt16", () => {
  it("maps full scale to the ends of the 16-bit range and zero to zero", () => {
    expect(floatToInt16(1)).toBe(32767);
    expect(floatToInt16(-1)).toBe(-32768);
    expect(floatToInt16(0)).toBe(0);
    expect(floatToInt16(0.5)).toBe(16384);
    expect(floatToInt16(-0.5)).toBe(-16384);
  });

  it("clamps samples outside [-1, 1] instead of wrapping around", () => {
    expect(floatToInt16(1.7)).toBe(32767);
    expect(floatToInt16(-3)).toBe(-32768);
    expect(floatToInt16(Number.POSITIVE_INFINITY)).toBe(32767);
    expect(floatToInt16(Number.NEGATIVE_INFINITY)).toBe(-32768);
  });

  it("turns a NaN sample into silence", () => {
    expect(floatToInt16(Number.NaN)).toBe(0);
  });
});

describe("downmixToMono", () => {
  it("returns a single channel unchanged", () => {
    const only = Float32Array.of(0.1, -0.2);
    expect(downmixToMono([only], 2)).toBe(only);
  });

  it("averages two channels so a stereo source keeps its level", () => {
    const left = Float32Array.of(1, 0.5, -1);
    const right = Float32Array.of(1, -0.5, 0);
    expect(Array.from(downmixToMono([left, right], 3))).toEqual([1, 0, -0.5]);
  });

  it("gives silence of the quantum's length when the source has no channels yet", () => {
    expect(Array.from(downmixToMono([], 4))).toEqual([0, 0, 0, 0]);
  });
});

describe("PcmChunkAccumulator", () => {
  function collect(chunkSamples: number) {
    const chunks: Int16Array[] = [];
    const accumulator = new PcmChunkAccumulator(chunkSamples, (pcm) => chunks.push(new Int16Array(pcm)));
    return { chunks, accumulator };
  }

  it("emits exactly chunkSamples samples per chunk across render quanta of 128 frames", () => {
    const { chunks, accumulator } = collect(300);
    for (let quantum = 0; quantum < 5; quantum++) accumulator.push(new Float32Array(128).fill(0.5));

    // 640 samples: two full chunks of 300, 40 waiting.
    expect(chunks.map((chunk) => chunk.length)).toEqual([300, 300]);
    expect(chunks[0]!.byteLength).toBe(600);
    expect(accumulator.pendingSamples).toBe(40);
  });

  it("keeps the samples in order from one chunk into the next", () => {
    const { chunks, accumulator } = collect(3);
    accumulator.push(Float32Array.of(0, 0.25, 0.5, 0.75));
    accumulator.push(Float32Array.of(1, -1));

    expect(chunks.map((chunk) => Array.from(chunk))).toEqual([
      [0, 8192, 16384],
      [24575, 32767, -32768],
    ]);
  });

  it("emits the partial chunk on flush, sized to what it holds, and nothing when empty", () => {
    const { chunks, accumulator } = collect(10);
    accumulator.push(Float32Array.of(0.5, 0.5, 0.5, 0.5));
    accumulator.flush();
    accumulator.flush();

    expect(chunks.map((chunk) => chunk.length)).toEqual([4]);
    expect(chunks[0]!.buffer.byteLength).toBe(8);
    expect(accumulator.pendingSamples).toBe(0);
  });

  it("hands out a buffer of its own for every chunk so each can be transferred", () => {
    const buffers: ArrayBuffer[] = [];
    const accumulator = new PcmChunkAccumulator(2, (pcm) => buffers.push(pcm));
    accumulator.push(Float32Array.of(0.1, 0.2, 0.3, 0.4));

    expect(buffers).toHaveLength(2);
    expect(buffers[0]).not.toBe(buffers[1]);
    // Detaching the first (as postMessage with transfer does) leaves the accumulator working.
    structuredClone(buffers[0], { transfer: [buffers[0]!] });
    accumulator.push(Float32Array.of(0.5, 0.6));
    expect(buffers).toHaveLength(3);
  });

  it("refuses a chunk size that is not a positive whole number", () => {
    expect(() => new PcmChunkAccumulator(0, () => {})).toThrow(RangeError);
    expect(() => new PcmChunkAccumulator(1.5, () => {})).toThrow(RangeError);
  });
});

describe("LevelMeter", () => {
  it("reports peak and RMS once per window, spanning render quanta", () => {
    const levels: AudioLevel[] = [];
    const meter = new LevelMeter(4, (level) => levels.push(level));
    meter.push(Float32Array.of(0.5, -0.5));
    expect(levels).toEqual([]);
    meter.push(Float32Array.of(0.5, -1, 0, 0, 0, 0));

    expect(levels).toHaveLength(2);
    expect(levels[0]!.peak).toBe(1);
    expect(levels[0]!.rms).toBeCloseTo(Math.sqrt((0.25 * 3 + 1) / 4));
    expect(levels[1]).toEqual({ peak: 0, rms: 0 });
  });

  it("never reports more than full scale for clipped input", () => {
    const levels: AudioLevel[] = [];
    const meter = new LevelMeter(2, (level) => levels.push(level));
    meter.push(Float32Array.of(2, -2));
    expect(levels).toEqual([{ peak: 1, rms: 1 }]);
  });
});

describe("pcmSeconds", () => {
  it("counts two bytes per sample per channel", () => {
    expect(pcmSeconds(96_000, 48_000)).toBe(1);
    expect(pcmSeconds(96_000, 48_000, 2)).toBe(0.5);
    expect(pcmSeconds(100, 0)).toBe(0);
  });
});
