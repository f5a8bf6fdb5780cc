import { resolveObjectURL } from "node:buffer";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSlicedGzipCompressor, createWorkerGzipCompressor, type GzipCompressor } from "./gzip-compressor.ts";
import { JsonBytesEncoder } from "./json-bytes-encoder.ts";

afterEach(() => vi.unstubAllGlobals());

/** Runs the worker's real program in this thread, behind the Worker interface; messages are cloned with their transfers. */
class InProcessWorker {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly #program: Promise<(event: { data: unknown }) => Promise<void>>;
  static crash = false;

  constructor(url: string) {
    const blob = resolveObjectURL(url);
    if (!blob) throw new Error("no such blob URL");
    const reply = (data: unknown, transfer: Transferable[] = []) => {
      const cloned = structuredClone(data, { transfer });
      setTimeout(() => this.onmessage?.({ data: cloned }), 0);
    };
    this.#program = blob.text().then((source) => new Function("postMessage", `let onmessage; ${source}; return onmessage;`)(reply));
  }

  postMessage(data: unknown, transfer: Transferable[] = []): void {
    const cloned = structuredClone(data, { transfer });
    if (InProcessWorker.crash) {
      setTimeout(() => this.onerror?.(new Event("error")), 0);
      return;
    }
    void this.#program.then((handle) => handle({ data: cloned }));
  }
}

const text = new TextEncoder().encode("It is a truth universally acknowledged. ".repeat(5_000));

async function roundTrip(compressor: GzipCompressor): Promise<{ compressed: number; restored: string }> {
  const compressed = await compressor.gzip(text.slice().buffer);
  const restored = new TextDecoder().decode(await compressor.gunzip(compressed.slice(0)));
  return { compressed: compressed.byteLength, restored };
}

async function inProcessWorkerCompressor(): Promise<GzipCompressor> {
  vi.stubGlobal("Worker", InProcessWorker);
  const compressor = createWorkerGzipCompressor();
  if (!compressor) throw new Error("expected a worker compressor");
  return compressor;
}

describe("gzip compressors", () => {
  it("compresses and restores on this thread in slices", async () => {
    const { compressed, restored } = await roundTrip(createSlicedGzipCompressor());

    expect(compressed).toBeLessThan(text.byteLength / 20);
    expect(restored).toBe(new TextDecoder().decode(text));
  });

  it("rejects bytes that are not gzip", async () => {
    await expect(createSlicedGzipCompressor().gunzip(new TextEncoder().encode("plain text").buffer)).rejects.toThrow();
  });

  it("runs the worker program on a worker, handing the buffer over instead of copying it", async () => {
    vi.stubGlobal("Worker", InProcessWorker);
    const compressor = createWorkerGzipCompressor();
    if (!compressor) throw new Error("expected a worker compressor");
    const input = text.slice().buffer;

    const compressed = await compressor.gzip(input);

    expect(input.byteLength).toBe(0);
    expect(new TextDecoder().decode(await compressor.gunzip(compressed))).toBe(new TextDecoder().decode(text));
    await expect(compressor.gunzip(new TextEncoder().encode("plain text").buffer)).rejects.toThrow();
  });

  it("falls back to this thread once the worker stops", async () => {
    vi.stubGlobal("Worker", InProcessWorker);
    const compressor = createWorkerGzipCompressor();
    if (!compressor) throw new Error("expected a worker compressor");
    InProcessWorker.crash = true;
    try {
      await expect(compressor.gzip(text.slice().buffer)).rejects.toThrow(/worker stopped/);
      const { restored } = await roundTrip(compressor);
      expect(restored).toBe(new TextDecoder().decode(text));
    } finally {
      InProcessWorker.crash = false;
    }
  });

  it("gzips in parts, reusing the unchanged parts of the previous input under the same key", async () => {
    const chapters = Array.from({ length: 8 }, (_, index) => `Chapter ${index}: ${"the keeper lit the lamp ".repeat(1_500 + index)}`);
    const first = new TextEncoder().encode(chapters.join("\n"));
    const edited = [...chapters];
    edited[3] = `${edited[3]}!`;
    const second = new TextEncoder().encode(edited.join("\n"));
    const members = (frame: ArrayBuffer) => {
      const view = new DataView(frame);
      const count = view.getUint32(0, true);
      let offset = 4 + 4 * count;
      return Array.from({ length: count }, (_, index) => {
        const length = view.getUint32(4 + 4 * index, true);
        const member = new Uint8Array(frame, offset, length).join(",");
        offset += length;
        return member;
      });
    };

    for (const compressor of [createSlicedGzipCompressor(), await inProcessWorkerCompressor()]) {
      const one = await compressor.gzipParts(first.slice().buffer, "app");
      const two = await compressor.gzipParts(second.slice().buffer, "app");
      const three = await compressor.gzipParts(second.slice().buffer, "other");

      const before = new Set(members(one));
      const after = members(two);
      expect(before.size).toBeGreaterThan(3);
      // Only the part holding the change (and at most one the change shifted into) is compressed again.
      expect(after.filter((member) => before.has(member)).length).toBeGreaterThanOrEqual(after.length - 2);
      const decode = (bytes: ArrayBuffer) => new TextDecoder().decode(bytes);
      expect(decode(await compressor.gunzipParts(two.slice(0)))).toBe(decode(second.buffer));
      expect(decode(await compressor.gunzipParts(three.slice(0)))).toBe(decode(second.buffer));
      await expect(compressor.gunzipParts(two.slice(0, two.byteLength - 3))).rejects.toThrow();
      await expect(compressor.gunzipParts(new TextEncoder().encode("plain text").buffer)).rejects.toThrow();
    }
  });

  it("gzips the bytes of an encoder's changes, rebuilt from the base the worker holds or sent whole when it holds another", async () => {
    const decode = (bytes: ArrayBuffer) => new TextDecoder().decode(bytes);
    for (const compressor of [createSlicedGzipCompressor(), await inProcessWorkerCompressor()]) {
      const encoder = new JsonBytesEncoder();
      const other = new JsonBytesEncoder();
      let state = { chapters: Array.from({ length: 12 }, (_, index) => ({ id: index, text: "the keeper lit the lamp ".repeat(700 + index) })) };
      const edit = (index: number) => {
        const chapters = [...state.chapters];
        chapters[index] = { ...chapters[index]!, text: `${chapters[index]!.text} and waited` };
        state = { chapters };
      };

      const first = await compressor.gzipPartsChange(encoder.encodeChange(state), "draft");
      expect(decode(await compressor.gunzipParts(first))).toBe(JSON.stringify(state));
      edit(4);
      const second = await compressor.gzipPartsChange(encoder.encodeChange(state), "draft");
      expect(decode(await compressor.gunzipParts(second))).toBe(JSON.stringify(state));
      // Another encoder's output under the same key comes between: the next change of the first
      // cannot build on what the compressor holds now, and must still come out right.
      const interloper = { chapters: state.chapters.map((chapter) => ({ ...chapter, text: chapter.text.toUpperCase() })) };
      expect(decode(await compressor.gunzipParts(await compressor.gzipPartsChange(other.encodeChange(interloper), "draft")))).toBe(JSON.stringify(interloper));
      edit(9);
      const third = await compressor.gzipPartsChange(encoder.encodeChange(state), "draft");
      expect(decode(await compressor.gunzipParts(third))).toBe(JSON.stringify(state));
      edit(0);
      const fourth = await compressor.gzipPartsChange(encoder.encodeChange(state), "draft");
      expect(decode(await compressor.gunzipParts(fourth))).toBe(JSON.stringify(state));
    }
  });

  it("is not offered where there are no workers", () => {
    vi.stubGlobal("Worker", undefined);

    expect(createWorkerGzipCompressor()).toBeNull();
  });
});
