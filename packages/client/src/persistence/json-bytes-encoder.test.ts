import { describe, expect, it, vi } from "vitest";
import { JsonBytesEncoder } from "./json-bytes-encoder.ts";

function json(bytes: ArrayBuffer): string {
  return new TextDecoder().decode(bytes);
}

const awkward = {
  text: "Grüße \u2028 \"quoted\" \\ back\nslash 😀 \u0007",
  numbers: [0, -0, 1.5e300, Number.NaN, Number.POSITIVE_INFINITY],
  nested: { empty: {}, list: [], deep: [[{ a: null }]] },
  skipped: undefined,
  fn: () => 1,
  inArray: [undefined, () => 1, Symbol("s"), 2],
  holes: [1, , 3],
  date: new Date(Date.UTC(2025, 0, 2)),
  withToJson: { toJSON: () => "replaced" },
  "2": "integer keys come first",
  b: true,
};

describe("JsonBytesEncoder", () => {
  it("produces exactly the UTF-8 bytes of JSON.stringify, awkward values included", () => {
    const encoder = new JsonBytesEncoder();

    expect(json(encoder.encode(awkward))).toBe(JSON.stringify(awkward));
    expect(json(encoder.encode([awkward, awkward]))).toBe(JSON.stringify([awkward, awkward]));
    expect(json(encoder.encode("top-level string"))).toBe('"top-level string"');
  });

  it("re-encodes only the chapter that changed and still matches JSON.stringify", () => {
    const encoder = new JsonBytesEncoder();
    const chapters = Array.from({ length: 50 }, (_, index) => ({ id: `c${index}`, text: `chapter ${index} `.repeat(100) }));
    const first = { draft: { chapters }, rate: 1 };
    encoder.encode(first);
    const stringify = vi.spyOn(JSON, "stringify");

    const changed = chapters.map((chapter, index) => (index === 7 ? { ...chapter, text: `${chapter.text}!` } : chapter));
    const second = { draft: { chapters: changed }, rate: 1.1 };
    const bytes = encoder.encode(second);
    const calls = stringify.mock.calls.length;
    stringify.mockRestore();

    expect(json(bytes)).toBe(JSON.stringify(second));
    // The changed chapter's two members, the new rate, and the keys of the new containers.
    expect(calls).toBeLessThan(10);
  });

  it("notices an object changed in place, at any depth, and encodes it again", () => {
    const encoder = new JsonBytesEncoder();
    const state = { draft: { chapters: [{ id: "c1", text: "before" }] }, voices: ["a", "b"] };
    encoder.encode(state);

    const chapter = state.draft.chapters[0] as { id: string; text: string; extra?: string };
    chapter.text = "after";
    chapter.extra = "added";
    state.voices.push("c");
    delete (state as { voices?: string[] }).voices;

    expect(json(encoder.encode(state))).toBe(JSON.stringify(state));
  });

  it("refuses a cycle like JSON.stringify and keeps working afterwards", () => {
    const encoder = new JsonBytesEncoder();
    const looped: Record<string, unknown> = { name: "loop" };
    looped.self = { back: looped };

    expect(() => encoder.encode(looped)).toThrow(TypeError);
    expect(json(encoder.encode({ fine: true }))).toBe('{"fine":true}');
  });

  it("encodes an object that appears twice the same way in both places", () => {
    const encoder = new JsonBytesEncoder();
    const shared = { id: "v1", name: "Warm narrator" };
    const value = { selected: shared, saved: [shared, shared] };

    expect(json(encoder.encode(value))).toBe(JSON.stringify(value));
    expect(json(encoder.encode({ ...value }))).toBe(JSON.stringify(value));
  });
});
