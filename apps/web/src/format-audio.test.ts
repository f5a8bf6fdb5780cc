import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration } from "./format-audio.ts";

describe("formatDuration", () => {
  it("shows minutes and zero-padded seconds", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(8.9)).toBe("0:08");
    expect(formatDuration(75)).toBe("1:15");
    expect(formatDuration(59 * 60 + 59)).toBe("59:59");
  });

  it("adds hours from one hour on", () => {
    expect(formatDuration(3600)).toBe("1:00:00");
    expect(formatDuration(2 * 3600 + 5 * 60 + 7)).toBe("2:05:07");
  });

  it("treats negative and non-finite input as zero", () => {
    expect(formatDuration(-3)).toBe("0:00");
    expect(formatDuration(Number.NaN)).toBe("0:00");
  });
});

describe("formatBytes", () => {
  it("shows small sizes in bytes", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
  });

  it("uses binary units with one decimal below ten", () => {
    expect(formatBytes(1024)).toBe("1.0 KB");
    expect(formatBytes(1_536_044)).toBe("1.5 MB");
    expect(formatBytes(96_000 * 600)).toBe("55 MB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GB");
  });
});
