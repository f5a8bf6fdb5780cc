import { describe, expect, it } from "vitest";
import type { TrackRow } from "../repositories/recording-repository.ts";
import { sha256FromContentDigest } from "./recording.ts";
import { findMissing } from "./session-finisher.ts";

describe("sha256FromContentDigest", () => {
  const digest = Buffer.alloc(32, 7);
  const b64 = digest.toString("base64");

  it("reads the sha-256 member of an RFC 9530 header, among others", () => {
    expect(sha256FromContentDigest(`sha-256=:${b64}:`)).toBe(digest.toString("hex"));
    expect(sha256FromContentDigest(`sha-512=:${Buffer.alloc(64).toString("base64")}:, sha-256=:${b64}:`)).toBe(
      digest.toString("hex"),
    );
    expect(sha256FromContentDigest(`SHA-256=:${b64}:`)).toBe(digest.toString("hex"));
  });

  it.each([[undefined], [""], [`sha-256=${b64}`], ["sha-256=:AAAA:"], [`md5=:${b64}:`]])("rejects %s", (header) => {
    expect(sha256FromContentDigest(header)).toBeNull();
  });
});

describe("findMissing", () => {
  const track = (n: number, highestSeq: number) => ({ track: n, highestSeq }) as TrackRow;

  it("lists holes below the highest stored seq and below the client's last seq", () => {
    const stored: Record<number, number[]> = { 0: [0, 1, 3], 1: [0, 1, 2] };
    const missing = findMissing([track(0, 3), track(1, 2)], (n) => stored[n] ?? [], { "1": 4 });
    expect(missing).toEqual({ "0": [2], "1": [3, 4] });
  });

  it("reports a track the client recorded but never declared as wholly missing", () => {
    expect(findMissing([], () => [], { "1": 2 })).toEqual({ "1": [0, 1, 2] });
  });

  it("finds nothing missing for complete tracks", () => {
    expect(findMissing([track(0, 1)], () => [0, 1], { "0": 1 })).toEqual({});
  });

  it("bounds the list for an absurd lastSeq", () => {
    const missing = findMissing([], () => [], { "0": 9_000_000 });
    expect(missing["0"]).toHaveLength(10_000);
  });
});
