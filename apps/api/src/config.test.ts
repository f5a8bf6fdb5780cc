import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("has a default for every setting", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: "127.0.0.1",
      DATA_DIR: "./data",
      SESSION_TIMEOUT_MS: 30_000,
      SWEEP_INTERVAL_MS: 5_000,
      RETENTION_HOURS: 24,
      LOG_LEVEL: "info",
    });
    expect(config.WEB_DIST_DIR).toMatch(/web[\\/]dist$/);
  });

  it("reads overrides from the environment", () => {
    const config = loadConfig({ PORT: "8080", SESSION_TIMEOUT_MS: "1000", DATA_DIR: "/srv/tidemark", LOG_LEVEL: "warn" });
    expect(config).toMatchObject({ PORT: 8080, SESSION_TIMEOUT_MS: 1000, DATA_DIR: "/srv/tidemark", LOG_LEVEL: "warn" });
  });

  it("refuses invalid values with a message naming the setting", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ SESSION_TIMEOUT_MS: "-5" })).toThrow(/SESSION_TIMEOUT_MS/);
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });

  it("reads ENCRYPTION_KEY as 32 bytes of base64 and refuses any other value with a message saying what it must be", () => {
    const key = Buffer.alloc(32, 7);
    expect(loadConfig({}).ENCRYPTION_KEY).toBeUndefined();
    expect(loadConfig({ ENCRYPTION_KEY: key.toString("base64") }).ENCRYPTION_KEY?.equals(key)).toBe(true);
    for (const bad of ["secret", Buffer.alloc(16).toString("base64"), key.toString("hex")]) {
      expect(() => loadConfig({ ENCRYPTION_KEY: bad })).toThrow(/ENCRYPTION_KEY: must be the base64 encoding of exactly 32 bytes/);
    }
  });
});
