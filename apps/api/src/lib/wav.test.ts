import { describe, expect, it } from "vitest";
import { parseWavHeader, pcmSeconds, WAV_HEADER_BYTES, wavHeader } from "./wav.ts";

describe("wav header", () => {
  it("describes 16-bit PCM with correct RIFF and data sizes", () => {
    const header = wavHeader({ sampleRate: 48_000, channels: 2 }, 192_000);
    expect(header.length).toBe(WAV_HEADER_BYTES);
    expect(parseWavHeader(header)).toEqual({
      riffSize: 36 + 192_000,
      channels: 2,
      sampleRate: 48_000,
      bitsPerSample: 16,
      dataBytes: 192_000,
    });
    expect(header.readUInt32LE(28)).toBe(48_000 * 4); // byte rate
    expect(header.readUInt16LE(32)).toBe(4); // block align
  });

  it("refuses audio too long for 32-bit RIFF sizes", () => {
    expect(() => wavHeader({ sampleRate: 48_000, channels: 1 }, 2 ** 32)).toThrow(RangeError);
  });

  it("rejects bytes that are not a WAV header", () => {
    expect(() => parseWavHeader(Buffer.alloc(44))).toThrow(/RIFF/);
    expect(() => parseWavHeader(Buffer.alloc(10))).toThrow(/short/);
  });

  it("converts bytes of 16-bit audio to seconds", () => {
    expect(pcmSeconds(96_000, { sampleRate: 48_000, channels: 1 })).toBe(1);
    expect(pcmSeconds(96_000, { sampleRate: 48_000, channels: 2 })).toBe(0.5);
  });
});
