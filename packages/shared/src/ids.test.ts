import { describe, expect, it } from "vitest";
import { IdSchema } from "./common.ts";
import { uuidv7 } from "./ids.ts";

describe("uuidv7", () => {
  it("makes valid version 7 UUIDs that carry the given time", () => {
    const at = Date.parse("2026-03-01T12:00:00.000Z");
    const id = uuidv7(at);
    expect(IdSchema.safeParse(id).success).toBe(true);
    expect(id[14]).toBe("7");
    expect(parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(at);
  });

  it("orders ids made in the same millisecond by creation", () => {
    const at = Date.parse("2030-01-01T00:00:00.000Z");
    const ids = Array.from({ length: 5000 }, () => uuidv7(at));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("never goes backwards when the clock does", () => {
    const a = uuidv7(Date.parse("2031-01-01T00:00:00.000Z"));
    const b = uuidv7(Date.parse("2020-01-01T00:00:00.000Z"));
    expect(b > a).toBe(true);
  });
});
