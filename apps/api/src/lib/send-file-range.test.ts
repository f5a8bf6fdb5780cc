import { describe, expect, it } from "vitest";
import { parseRange } from "./send-file-range.ts";

describe("parseRange", () => {
  it.each([
    ["bytes=0-99", { start: 0, end: 99 }],
    ["bytes=100-", { start: 100, end: 999 }],
    ["bytes=-100", { start: 900, end: 999 }],
    ["bytes=900-5000", { start: 900, end: 999 }],
    ["bytes=-5000", { start: 0, end: 999 }],
  ])("reads %s of a 1000-byte file", (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });

  it.each([["bytes=1000-"], ["bytes=5000-6000"], ["bytes=-0"]])("finds %s unsatisfiable", (header) => {
    expect(parseRange(header, 1000)).toBe("unsatisfiable");
  });

  it.each([[undefined], ["items=0-1"], ["bytes=5-1"], ["bytes=0-1,5-9"], ["bytes=-"], ["bytes=abc"]])(
    "ignores %s and sends the whole file",
    (header) => {
      expect(parseRange(header, 1000)).toBeNull();
    },
  );
});
