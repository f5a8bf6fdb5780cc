import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { contentDigest, sha256Base64 } from "./digest.ts";

function bytes(text: string): ArrayBuffer {
  return new TextEncoder().encode(text).buffer as ArrayBuffer;
}

describe("sha256Base64", () => {
  it("matches the published SHA-256 test vector for abc", async () => {
    expect(await sha256Base64(bytes("abc"))).toBe("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  });

  it("digests an empty body", async () => {
    expect(await sha256Base64(new ArrayBuffer(0))).toBe("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  });

  it("agrees with the server's SHA-256 on a chunk of binary audio", async () => {
    const pcm = new Int16Array(24_000).map((_, index) => Math.round(Math.sin(index / 10) * 30_000));

    const digest = await sha256Base64(pcm.buffer);

    expect(digest).toBe(createHash("sha256").update(new Uint8Array(pcm.buffer)).digest("base64"));
  });
});

describe("contentDigest", () => {
  it("wraps a base64 SHA-256 in the RFC 9530 header syntax", () => {
    expect(contentDigest("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")).toBe(
      "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:",
    );
  });
});
