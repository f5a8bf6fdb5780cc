import { joinPartsFrame, splitPartsFrame } from "./gzip-parts-frame.ts";
import type { JsonBytesChange } from "./json-bytes-encoder.ts";

/**
 * Gzip of whole payloads, without long tasks on the page's main thread. The buffer passed in may
 * be transferred to a worker: the caller must not use it afterwards.
 */
export interface GzipCompressor {
  gzip(bytes: ArrayBuffer): Promise<ArrayBuffer>;
  gunzip(bytes: ArrayBuffer): Promise<ArrayBuffer>;
  /**
   * Gzips in independent parts of at most 64 KiB, framed as `[count][length × count][members…]`
   * (unsigned 32-bit little-endian). Parts of the previous input under the same `reuseKey` whose
   * bytes are unchanged (a common prefix or suffix) are reused as they are, so a save where one
   * chapter of a long draft changed compresses that chapter's part alone.
   */
  gzipParts(bytes: ArrayBuffer, reuseKey: string): Promise<ArrayBuffer>;
  /**
   * `gzipParts` of the bytes a `JsonBytesChange` describes. A compressor that still holds the
   * change's base rebuilds them from it (the page then copies only the changed bytes), any other
   * builds them whole.
   */
  gzipPartsChange(change: JsonBytesChange, reuseKey: string): Promise<ArrayBuffer>;
  /** Reads what `gzipParts` made; rejects a damaged frame or member. */
  gunzipParts(bytes: ArrayBuffer): Promise<ArrayBuffer>;
}

/** A change as the worker receives it: `whole` stays behind. */
type ChangeMessage = Omit<JsonBytesChange, "whole">;

/**
 * The bytes a change describes, from the bytes of its base; `null` when `previous` is not its base.
 * Self-contained: the worker runs its source text.
 */
function rebuildFromChange(previous: { serial: number; bytes: Uint8Array } | undefined, change: ChangeMessage): Uint8Array | null {
  const middle = new Uint8Array(change.middle);
  if (change.base === 0) return change.keepStart === 0 && change.keepEnd === 0 && middle.byteLength === change.length ? middle : null;
  if (!previous || previous.serial !== change.base) return null;
  const base = previous.bytes;
  if (change.keepStart + change.keepEnd > base.byteLength || change.keepStart + middle.byteLength + change.keepEnd !== change.length) return null;
  const bytes = new Uint8Array(change.length);
  bytes.set(base.subarray(0, change.keepStart), 0);
  bytes.set(middle, change.keepStart);
  bytes.set(base.subarray(base.byteLength - change.keepEnd), change.length - change.keepEnd);
  return bytes;
}

/** Slice fed to a CompressionStream per task when no worker is available. */
const SLICE_BYTES = 64 * 1024;

/**
 * The framing and part reuse behind `gzipParts`, given a way to gzip or gunzip one buffer. Kept
 * free of anything outside itself: the worker runs its source text.
 */
function createPartsCodec(
  pipe: (format: "gzip" | "gunzip", bytes: Uint8Array) => Promise<ArrayBuffer>,
  frame: { join: typeof joinPartsFrame; split: typeof splitPartsFrame },
) {
  const PART_BYTES = 64 * 1024;
  const previous = new Map<string, { input: Uint8Array; parts: Array<{ start: number; end: number; packed: Uint8Array }> }>();
  const chains = new Map<string, Promise<unknown>>();

  // Four bytes per step (a whole draft is compared on every save), then byte by byte.
  function commonPrefix(a: Uint8Array, b: Uint8Array): number {
    const limit = Math.min(a.length, b.length);
    const viewA = new DataView(a.buffer, a.byteOffset, a.byteLength);
    const viewB = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let index = 0;
    while (index + 4 <= limit && viewA.getUint32(index) === viewB.getUint32(index)) index += 4;
    while (index < limit && a[index] === b[index]) index += 1;
    return index;
  }

  function commonSuffix(a: Uint8Array, b: Uint8Array, limit: number): number {
    const viewA = new DataView(a.buffer, a.byteOffset, a.byteLength);
    const viewB = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let count = 0;
    while (count + 4 <= limit && viewA.getUint32(a.length - count - 4) === viewB.getUint32(b.length - count - 4)) count += 4;
    while (count < limit && a[a.length - 1 - count] === b[b.length - 1 - count]) count += 1;
    return count;
  }

  async function encode(key: string, input: Uint8Array): Promise<ArrayBuffer> {
    const before = previous.get(key);
    const parts: Array<{ start: number; end: number; packed: Uint8Array }> = [];
    const tail: Array<{ start: number; end: number; packed: Uint8Array }> = [];
    let headEnd = 0;
    if (before) {
      const prefix = commonPrefix(before.input, input);
      const suffix = commonSuffix(before.input, input, Math.min(before.input.length, input.length) - prefix);
      const shift = input.length - before.input.length;
      for (const part of before.parts) {
        if (part.end <= prefix) {
          parts.push(part);
          headEnd = part.end;
        } else if (part.start >= before.input.length - suffix) {
          tail.push({ start: part.start + shift, end: part.end + shift, packed: part.packed });
        }
      }
    }
    const tailStart = tail.length > 0 ? (tail[0] as { start: number }).start : input.length;
    for (let start = headEnd; start < tailStart; start += PART_BYTES) {
      const end = Math.min(tailStart, start + PART_BYTES);
      parts.push({ start, end, packed: new Uint8Array(await pipe("gzip", input.subarray(start, end))) });
    }
    for (const part of tail) parts.push(part);
    previous.set(key, { input, parts });
    return frame.join(parts.map((part) => part.packed));
  }

  async function decode(bytes: ArrayBuffer): Promise<ArrayBuffer> {
    const members = frame.split(bytes);
    if (!members) throw new Error("The compressed parts are not framed whole.");
    const outputs: Uint8Array[] = [];
    for (const member of members) outputs.push(new Uint8Array(await pipe("gunzip", member)));
    let total = 0;
    for (const output of outputs) total += output.byteLength;
    const joined = new Uint8Array(total);
    total = 0;
    for (const output of outputs) {
      joined.set(output, total);
      total += output.byteLength;
    }
    return joined.buffer;
  }

  return {
    /** Parts for one key are made one after another, each building on the one before. */
    encode(key: string, input: Uint8Array): Promise<ArrayBuffer> {
      const run = (chains.get(key) ?? Promise.resolve()).then(() => encode(key, input));
      chains.set(key, run.catch(() => undefined));
      return run;
    },
    decode,
  };
}

/** One whole gzip or gunzip through the streams API; self-contained, for the worker's source too. */
async function pipeWhole(format: "gzip" | "gunzip", bytes: Uint8Array): Promise<ArrayBuffer> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(format === "gzip" ? new CompressionStream("gzip") : new DecompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

/**
 * The worker's whole program, started from a blob URL so that no bundler has to know about it.
 * Buffers are transferred both ways, never copied.
 */
const WORKER_SOURCE = `
const pipeWhole = ${pipeWhole.toString()};
const parts = (${createPartsCodec.toString()})(pipeWhole, { join: ${joinPartsFrame.toString()}, split: ${splitPartsFrame.toString()} });
const rebuildFromChange = ${rebuildFromChange.toString()};
// The input last compressed per key, with the serial of the encoding it came from: the base
// the next change is rebuilt from. Set when a message arrives, so changes apply in order.
const latest = new Map();
onmessage = async (event) => {
  const { id, format, bytes, key, serial, change } = event.data;
  try {
    let result;
    if (format === "gzip-parts-change") {
      const input = rebuildFromChange(latest.get(key), change);
      if (!input) {
        postMessage({ id, stale: true });
        return;
      }
      latest.set(key, { serial: change.serial, bytes: input });
      result = await parts.encode(key, input);
    } else if (format === "gzip-parts") {
      const input = new Uint8Array(bytes);
      if (serial) latest.set(key, { serial, bytes: input });
      else latest.delete(key);
      result = await parts.encode(key, input);
    } else {
      result = format === "gunzip-parts" ? await parts.decode(bytes) : await pipeWhole(format, new Uint8Array(bytes));
    }
    postMessage({ id, bytes: result }, [result]);
  } catch (error) {
    postMessage({ id, error: String(error && error.message ? error.message : error) });
  }
};
`;

let shared: GzipCompressor | null = null;

/**
 * The page's compressor: a worker where the browser can start one (a 2 MB draft takes a slow
 * machine's main thread a few hundred milliseconds to gzip in one go), else CompressionStream on
 * this thread fed in slices, one per task, so no task runs long.
 */
export function sharedGzipCompressor(): GzipCompressor {
  shared ??= createWorkerGzipCompressor() ?? createSlicedGzipCompressor();
  return shared;
}

/** CompressionStream on the calling thread, fed `SLICE_BYTES` per task. */
export function createSlicedGzipCompressor(): GzipCompressor {
  const parts = createPartsCodec(
    (format, bytes) => pipeInSlices(bytes, format === "gzip" ? new CompressionStream("gzip") : new DecompressionStream("gzip")),
    { join: joinPartsFrame, split: splitPartsFrame },
  );
  return {
    gzip: (bytes) => pipeInSlices(new Uint8Array(bytes), new CompressionStream("gzip")),
    gunzip: (bytes) => pipeInSlices(new Uint8Array(bytes), new DecompressionStream("gzip")),
    gzipParts: (bytes, reuseKey) => parts.encode(reuseKey, new Uint8Array(bytes)),
    // On this thread the whole bytes are at hand anyway.
    gzipPartsChange: (change, reuseKey) => parts.encode(reuseKey, new Uint8Array(change.whole())),
    gunzipParts: (bytes) => parts.decode(bytes),
  };
}

/** A compressor on a worker, or `null` where workers or blob URLs are unavailable. */
export function createWorkerGzipCompressor(): GzipCompressor | null {
  if (typeof Worker === "undefined" || typeof URL.createObjectURL !== "function") return null;
  let worker: Worker;
  try {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    worker = new Worker(url);
    URL.revokeObjectURL(url);
  } catch {
    // A content security policy may forbid blob workers.
    return null;
  }
  const fallback = createSlicedGzipCompressor();
  const waiting = new Map<number, { resolve: (bytes: ArrayBuffer | typeof STALE) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let broken = false;
  worker.onmessage = (event: MessageEvent<{ id: number; bytes?: ArrayBuffer; stale?: true; error?: string }>) => {
    const { id, bytes, stale, error } = event.data;
    const request = waiting.get(id);
    waiting.delete(id);
    if (bytes) request?.resolve(bytes);
    else if (stale) request?.resolve(STALE);
    else request?.reject(new Error(error ?? "Compression failed."));
  };
  worker.onerror = () => {
    // The worker could not run (blocked, crashed): what waits and what comes is done on this thread.
    broken = true;
    for (const request of waiting.values()) request.reject(new Error("The compression worker stopped."));
    waiting.clear();
  };

  function post(message: Record<string, unknown>, transfer: ArrayBuffer): Promise<ArrayBuffer | typeof STALE> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      // Transferred, not copied: the caller hands the buffer over and keeps no use for it.
      worker.postMessage({ ...message, id }, [transfer]);
    });
  }

  async function run(format: "gzip" | "gunzip" | "gzip-parts" | "gunzip-parts", bytes: ArrayBuffer, key = "", serial = 0): Promise<ArrayBuffer> {
    if (broken) {
      if (format === "gzip-parts") return fallback.gzipParts(bytes, key);
      if (format === "gunzip-parts") return fallback.gunzipParts(bytes);
      return fallback[format](bytes);
    }
    const result = await post({ format, bytes, key, serial }, bytes);
    if (result === STALE) throw new Error("The compression worker answered out of turn.");
    return result;
  }

  async function gzipPartsChange(change: JsonBytesChange, key: string): Promise<ArrayBuffer> {
    if (!broken) {
      const { whole: _whole, ...message } = change;
      const result = await post({ format: "gzip-parts-change", key, change: message }, change.middle);
      if (result !== STALE) return result;
    }
    // The worker does not hold the base (the first save, another encoder's save came between):
    // the whole bytes go over once, and the next change builds on them.
    return run("gzip-parts", change.whole(), key, change.serial);
  }

  return {
    gzip: (bytes) => run("gzip", bytes),
    gunzip: (bytes) => run("gunzip", bytes),
    gzipParts: (bytes, reuseKey) => run("gzip-parts", bytes, reuseKey),
    gzipPartsChange,
    gunzipParts: (bytes) => run("gunzip-parts", bytes),
  };
}

/** The worker's answer to a change whose base it does not hold. */
const STALE = Symbol("stale");

async function pipeInSlices(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<ArrayBuffer> {
  const output = new Response(transform.readable).arrayBuffer();
  const writer = transform.writable.getWriter();
  // A failed write shows up in `output`; these rejections are handled there.
  writer.closed.catch(() => undefined);
  try {
    for (let offset = 0; offset < bytes.byteLength; offset += SLICE_BYTES) {
      await writer.write(bytes.subarray(offset, Math.min(bytes.byteLength, offset + SLICE_BYTES)) as Uint8Array<ArrayBuffer>);
      if (offset + SLICE_BYTES < bytes.byteLength) await nextTask();
    }
    await writer.close();
  } catch {
    // The stream failed (bad gzip data): `output` rejects with the reason.
  }
  return output;
}

/** Waits for a new task (not a timer: timers are clamped, throttled in background tabs, and faked in tests). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      channel.port2.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
