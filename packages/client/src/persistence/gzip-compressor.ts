/**
 * Gzip of whole payloads, without long tasks on the page's main thread. The buffer passed in may
 * be transferred to a worker: the caller must not use it afterwards.
 */
export interface GzipCompressor {
  gzip(bytes: ArrayBuffer): Promise<ArrayBuffer>;
  gunzip(bytes: ArrayBuffer): Promise<ArrayBuffer>;
}

/** Slice fed to a CompressionStream per task when no worker is available. */
const SLICE_BYTES = 64 * 1024;

/**
 * The worker's whole program, started from a blob URL so that no bundler has to know about it.
 * Buffers are transferred both ways, never copied.
 */
const WORKER_SOURCE = `
onmessage = async (event) => {
  const { id, format, bytes } = event.data;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(format === "gzip" ? new CompressionStream("gzip") : new DecompressionStream("gzip"));
    const result = await new Response(stream).arrayBuffer();
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
  return {
    gzip: (bytes) => pipeInSlices(bytes, new CompressionStream("gzip")),
    gunzip: (bytes) => pipeInSlices(bytes, new DecompressionStream("gzip")),
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
  const waiting = new Map<number, { resolve: (bytes: ArrayBuffer) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let broken = false;
  worker.onmessage = (event: MessageEvent<{ id: number; bytes?: ArrayBuffer; error?: string }>) => {
    const { id, bytes, error } = event.data;
    const request = waiting.get(id);
    waiting.delete(id);
    if (bytes) request?.resolve(bytes);
    else request?.reject(new Error(error ?? "Compression failed."));
  };
  worker.onerror = () => {
    // The worker could not run (blocked, crashed): what waits and what comes is done on this thread.
    broken = true;
    for (const request of waiting.values()) request.reject(new Error("The compression worker stopped."));
    waiting.clear();
  };

  function run(format: "gzip" | "gunzip", bytes: ArrayBuffer): Promise<ArrayBuffer> {
    if (broken) return fallback[format](bytes);
    const id = nextId++;
    return new Promise<ArrayBuffer>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      // Transferred, not copied: the caller hands the buffer over and keeps no use for it.
      worker.postMessage({ id, format, bytes }, [bytes]);
    });
  }

  return { gzip: (bytes) => run("gzip", bytes), gunzip: (bytes) => run("gunzip", bytes) };
}

async function pipeInSlices(bytes: ArrayBuffer, transform: CompressionStream | DecompressionStream): Promise<ArrayBuffer> {
  const output = new Response(transform.readable).arrayBuffer();
  const writer = transform.writable.getWriter();
  // A failed write shows up in `output`; these rejections are handled there.
  writer.closed.catch(() => undefined);
  try {
    for (let offset = 0; offset < bytes.byteLength; offset += SLICE_BYTES) {
      await writer.write(new Uint8Array(bytes, offset, Math.min(SLICE_BYTES, bytes.byteLength - offset)));
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
