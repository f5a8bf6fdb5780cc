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

  it("describes each output as a change of the previous one: the unchanged start and end are counted, only the bytes between are copied", () => {
    const encoder = new JsonBytesEncoder();
    const chapters = Array.from({ length: 50 }, (_, index) => ({ id: `c${index}`, text: `${"lamp ".repeat(400)}${index}` }));
    let state = { title: "Book", chapters };
    const first = encoder.encodeChange(state);
    expect(first).toMatchObject({ base: 0, keepStart: 0, keepEnd: 0, length: first.middle.byteLength });
    expect(json(first.middle)).toBe(JSON.stringify(state));

    let previousBytes = new Uint8Array(first.whole());
    let previousSerial = first.serial;
    for (const edit of [7, 0, 49, 49]) {
      const edited = [...state.chapters];
      edited[edit] = { ...edited[edit]!, text: `${edited[edit]!.text}!` };
      state = { ...state, chapters: edited };
      const change = encoder.encodeChange(state);

      expect(change.base).toBe(previousSerial);
      expect(change.serial).toBeGreaterThan(previousSerial);
      // One chapter of fifty: its text and little else sits between the kept bytes.
      expect(change.middle.byteLength).toBeLessThan(2_100);
      const rebuilt = new Uint8Array(change.length);
      rebuilt.set(previousBytes.subarray(0, change.keepStart), 0);
      rebuilt.set(new Uint8Array(change.middle), change.keepStart);
      rebuilt.set(previousBytes.subarray(previousBytes.byteLength - change.keepEnd), change.length - change.keepEnd);
      expect(new TextDecoder().decode(rebuilt)).toBe(JSON.stringify(state));
      expect(json(change.whole())).toBe(JSON.stringify(state));
      previousBytes = rebuilt;
      previousSerial = change.serial;
    }
  });

  it("starts over without a base after a reset, and numbers outputs of different encoders apart", () => {
    const one = new JsonBytesEncoder();
    const two = new JsonBytesEncoder();
    const a = one.encodeChange({ n: 1 });
    const b = two.encodeChange({ n: 1 });
    one.reset();
    const c = one.encodeChange({ n: 1 });

    expect(new Set([a.serial, b.serial, c.serial]).size).toBe(3);
    expect([a.base, b.base, c.base]).toEqual([0, 0, 0]);
    expect(json(c.middle)).toBe('{"n":1}');
  });
});
