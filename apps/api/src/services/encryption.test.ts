import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UnsealError, ValueCipher, type SealedValue } from "./encryption.ts";

describe("ValueCipher", () => {
  const cipher = new ValueCipher(randomBytes(32));
  const where = '["preferences","user-1",null,1]';

  const flipped = (bytes: Buffer, at = 0) => {
    const copy = Buffer.from(bytes);
    copy[at] = copy[at]! ^ 0x01;
    return copy;
  };

  it("opens what it sealed, and never shows the plaintext in the sealed value", () => {
    const sealed = cipher.seal("my secret text", where);
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.authTag).toHaveLength(16);
    expect(sealed.ciphertext.toString("latin1")).not.toContain("secret");
    expect(cipher.open(sealed, where)).toBe("my secret text");
  });

  it("uses a fresh IV for every write, so equal values never look equal", () => {
    const a = cipher.seal("same", where);
    const b = cipher.seal("same", where);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it("detects a changed ciphertext, IV or auth tag", () => {
    const sealed = cipher.seal("my secret text", where);
    const tampered: SealedValue[] = [
      { ...sealed, ciphertext: flipped(sealed.ciphertext, 3) },
      { ...sealed, iv: flipped(sealed.iv) },
      { ...sealed, authTag: flipped(sealed.authTag, 15) },
      { ...sealed, authTag: sealed.authTag.subarray(0, 8) },
      { ...sealed, ciphertext: sealed.ciphertext.subarray(1) },
    ];
    for (const value of tampered) expect(() => cipher.open(value, where)).toThrow(UnsealError);
  });

  it("refuses a value opened for another owner, kind, session or version", () => {
    const sealed = cipher.seal("my secret text", where);
    expect(() => cipher.open(sealed, '["preferences","user-2",null,1]')).toThrow(UnsealError);
    expect(() => cipher.open(sealed, '["preferences","user-1",null,2]')).toThrow(UnsealError);
    expect(() => cipher.open(sealed, '["checkpoint","user-1","s1",1]')).toThrow(UnsealError);
  });

  it("refuses a value sealed with another key", () => {
    const sealed = new ValueCipher(randomBytes(32)).seal("my secret text", where);
    expect(() => cipher.open(sealed, where)).toThrow(UnsealError);
  });

  it("accepts only a 256-bit key", () => {
    expect(() => new ValueCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});
