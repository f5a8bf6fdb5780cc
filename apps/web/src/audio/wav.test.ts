import { describe, expect, it } from "vitest";
import { WAV_HEADER_BYTES, wavHeader } from "./wav.ts";

describe("wavHeader", () => {
  it("describes 16-bit PCM with RIFF sizes that match the data", () => {
    const view = new DataView(wavHeader({ dataBytes: 96_000, sampleRate: 48_000 }));
    const text = (offset: number) => String.fromCharCode(...new Uint8Array(view.buffer, offset, 4));

    expect(view.byteLength).toBe(WAV_HEADER_BYTES);
    expect([text(0), text(8), text(12), text(36)]).toEqual(["RIFF", "WAVE", "fmt ", "data"]);
    expect(view.getUint32(4, true)).toBe(96_000 + 36);
    expect(view.getUint16(20, true)).toBe(1);
    expect(view.getUint16(22, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(48_000);
    expect(view.getUint32(28, true)).toBe(96_000);
    expect(view.getUint16(32, true)).toBe(2);
    expect(view.getUint16(34, true)).toBe(16);
    expect(view.getUint32(40, true)).toBe(96_000);
  });

  it("counts both channels of stereo in the byte rate and block size", () => {
    const view = new DataView(wavHeader({ dataBytes: 8, sampleRate: 44_100, channels: 2 }));
    expect(view.getUint32(28, true)).toBe(176_400);
    expect(view.getUint16(32, true)).toBe(4);
  });

  it("refuses audio too long for the 32-bit size fields", () => {
    expect(() => wavHeader({ dataBytes: 2 ** 32, sampleRate: 48_000 })).toThrow(RangeError);
  });
});
