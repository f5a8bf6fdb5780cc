import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDataDir } from "../test-support/test-app.ts";
import { decodeEncryptionKey, loadOrCreateKeyFile } from "./encryption-key.ts";

describe("decodeEncryptionKey", () => {
  it("accepts the base64 encoding of exactly 32 bytes, with surrounding whitespace", () => {
    const key = randomBytes(32);
    expect(decodeEncryptionKey(key.toString("base64"))?.equals(key)).toBe(true);
    expect(decodeEncryptionKey(` ${key.toString("base64")}\n`)?.equals(key)).toBe(true);
  });

  it("refuses anything else", () => {
    for (const text of [
      "",
      "not base64 at all",
      randomBytes(31).toString("base64"),
      randomBytes(33).toString("base64"),
      randomBytes(32).toString("hex"),
      randomBytes(32).toString("base64url"),
      `${randomBytes(32).toString("base64")}AAAA`,
    ]) {
      expect(decodeEncryptionKey(text), text).toBeNull();
    }
  });
});

describe("loadOrCreateKeyFile", () => {
  let data: ReturnType<typeof tempDataDir>;
  let file: string;

  beforeEach(() => {
    data = tempDataDir();
    file = path.join(data.dir, "nested", "encryption.key");
  });
  afterEach(() => {
    data.remove();
  });

  it("generates a key once, readable only by its owner, and reuses it on every later start", async () => {
    const first = await loadOrCreateKeyFile(file);
    expect(first).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe(`${first.toString("base64")}\n`);
    expect(readdirSync(path.dirname(file))).toEqual(["encryption.key"]); // no temp file left behind

    const again = await loadOrCreateKeyFile(file);
    expect(again.equals(first)).toBe(true);
  });

  it("generates no key while values encrypted with an earlier key are stored, and says what to restore", async () => {
    await expect(loadOrCreateKeyFile(file, () => true)).rejects.toThrow(/encryption key file .* is missing.*Restore the key file/);
    expect(existsSync(file)).toBe(false);
  });

  it("refuses a key file that holds no valid key with a clear message, and leaves the file as it was", async () => {
    await loadOrCreateKeyFile(file);
    writeFileSync(file, "half a key");
    await expect(loadOrCreateKeyFile(file)).rejects.toThrow(/encryption key file .*32 bytes.*ENCRYPTION_KEY/);
    expect(readFileSync(file, "utf8")).toBe("half a key");
  });
});
