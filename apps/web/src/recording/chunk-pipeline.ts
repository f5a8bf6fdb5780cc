import type { JournalChunk } from "@tidemark/client";
import type { TrackNumber } from "@tidemark/shared";

export type AppendChunk = (sessionId: string, track: TrackNumber, pcm: ArrayBuffer) => Promise<JournalChunk>;

export interface ChunkPipelineOptions {
  track: TrackNumber;
  /** The session id, once the session and its track are declared in the journal; rejects if starting failed. */
  sessionReady: Promise<string>;
  append: AppendChunk;
  /** A chunk is committed to the journal: only now may anything else happen to it. */
  onSaved: (chunk: JournalChunk) => void;
  /** A chunk could not be saved even after retries. */
  onFailed: (error: unknown) => void;
  /** Waits between attempts; tests make it instant. */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [100, 400, 1_000];

/**
 * The way from a track's capture into the journal. Appends run one after another, so seqs
 * follow capture order even though each append first hashes its chunk (which may finish out
 * of order). Chunks that arrive while the session is still being created wait in memory for it.
 */
export class ChunkPipeline {
  private tail: Promise<void> = Promise.resolve();
  private readonly options: ChunkPipelineOptions;

  constructor(options: ChunkPipelineOptions) {
    this.options = options;
    // Observed here so a failed start is not reported as an unhandled rejection.
    options.sessionReady.catch(() => undefined);
  }

  push(pcm: ArrayBuffer): void {
    if (pcm.byteLength === 0) return;
    this.tail = this.tail.then(() => this.save(pcm));
  }

  /** Resolves once every chunk pushed so far is committed (or given up on). */
  settled(): Promise<void> {
    return this.tail;
  }

  private async save(pcm: ArrayBuffer): Promise<void> {
    let sessionId: string;
    try {
      sessionId = await this.options.sessionReady;
    } catch {
      return; // The recording never started; there is no session to keep this audio in.
    }
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const chunk = await this.options.append(sessionId, this.options.track, pcm);
        this.options.onSaved(chunk);
        return;
      } catch (error) {
        // A transaction can fail transiently (the browser compacting its storage); a full disk will not recover.
        const delay = delays[attempt];
        if (delay === undefined || isQuotaError(error)) {
          this.options.onFailed(error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** The browser refused the write for lack of space (Dexie wraps the DOMException, keeping it as `inner`). */
export function isQuotaError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const inner = (error as { inner?: unknown }).inner;
  return error.name === "QuotaExceededError" || (inner instanceof Error && inner.name === "QuotaExceededError");
}
