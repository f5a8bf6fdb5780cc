import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import path from "node:path";
import { ensureDirectory, fsyncDirectory, writeFileAtomically } from "../lib/durable-file.ts";
import { wavHeader, type PcmFormat } from "../lib/wav.ts";

export interface StoredChunkRef {
  seq: number;
  sha256: string;
  size: number;
  offset: number;
}

export type AssembleResult =
  | { ok: true; sizeBytes: number; sha256: string; dataBytes: number }
  /** Chunks whose bytes are gone or no longer match their digest. */
  | { ok: false; damaged: number[] };

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Session audio on the local disk. Chunks go to one append-only log per track
 * (`<DATA_DIR>/sessions/<id>/track-<n>.chunks`): each is appended and fdatasynced, and only
 * then does its database row — offset, size, digest — make it part of the track. The row is
 * the commit record: bytes without a row (a crash between the two, a refused duplicate) are
 * never read. Appends never overwrite, so two payloads for one seq cannot clobber each other.
 * Finalized files (`track-<n>.wav`) are written atomically (temp, fsync, rename).
 */
export class AudioStore {
  /** One append at a time per log, so each chunk's offset is the log's size before it. */
  private readonly appendQueues = new Map<string, Promise<unknown>>();

  constructor(private readonly dataDir: string) {}

  dirFor(sessionId: string): string {
    return path.join(this.dataDir, "sessions", sessionId);
  }

  wavPath(sessionId: string, track: number): string {
    return path.join(this.dirFor(sessionId), `track-${track}.wav`);
  }

  chunkLogPath(sessionId: string, track: number): string {
    return path.join(this.dirFor(sessionId), `track-${track}.chunks`);
  }

  /** Appends a chunk durably and returns where it starts in the track's log. */
  appendChunk(sessionId: string, track: number, bytes: Uint8Array): Promise<number> {
    const log = this.chunkLogPath(sessionId, track);
    const previous = this.appendQueues.get(log) ?? Promise.resolve();
    const append = previous.catch(() => undefined).then(() => this.appendDurably(log, bytes));
    this.appendQueues.set(log, append);
    void append.finally(() => {
      if (this.appendQueues.get(log) === append) this.appendQueues.delete(log);
    });
    return append;
  }

  private async appendDurably(log: string, bytes: Uint8Array): Promise<number> {
    const dir = path.dirname(log);
    // Only a track's first chunk creates its log (and perhaps the session's directory).
    const isNew = !existsSync(log);
    if (isNew) await ensureDirectory(dir);
    const handle = await open(log, "a");
    try {
      const offset = (await handle.stat()).size;
      await handle.write(bytes, 0, bytes.length);
      await handle.datasync();
      if (isNew) await fsyncDirectory(dir); // the new log's directory entry must survive too
      return offset;
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes the track's WAV from its chunks in seq order, checking every chunk against its
   * digest on the way. Nothing is written when a chunk is damaged or missing.
   */
  async assembleWav(sessionId: string, track: number, format: PcmFormat, chunks: StoredChunkRef[]): Promise<AssembleResult> {
    const damaged: number[] = [];
    const dataBytes = chunks.reduce((sum, chunk) => sum + chunk.size, 0);
    const fileHash = createHash("sha256");
    let sizeBytes = 0;
    const log = await open(this.chunkLogPath(sessionId, track), "r").catch(() => null);
    try {
      await writeFileAtomically(this.wavPath(sessionId, track), async (handle) => {
        const header = wavHeader(format, dataBytes);
        fileHash.update(header);
        await handle.write(header);
        sizeBytes += header.length;
        for (const chunk of chunks) {
          const bytes = log ? await readExactly(log, chunk.offset, chunk.size) : null;
          if (!bytes || sha256Hex(bytes) !== chunk.sha256) {
            damaged.push(chunk.seq);
            continue;
          }
          if (damaged.length > 0) continue; // keep checking, but the file will be discarded
          fileHash.update(bytes);
          await handle.write(bytes);
          sizeBytes += bytes.length;
        }
        if (damaged.length > 0) throw new DamagedChunksError();
      });
    } catch (error) {
      if (error instanceof DamagedChunksError) return { ok: false, damaged };
      throw error;
    } finally {
      await log?.close();
    }
    return { ok: true, sizeBytes, sha256: fileHash.digest("hex"), dataBytes };
  }

  /** The chunk log is no longer needed once the track's WAV is durable and recorded. */
  async removeChunks(sessionId: string, track: number): Promise<void> {
    await rm(this.chunkLogPath(sessionId, track), { force: true });
  }

  /** Removes everything of a session; a directory that is already gone is not an error. */
  async remove(sessionId: string): Promise<void> {
    await rm(this.dirFor(sessionId), { recursive: true, force: true });
  }
}

async function readExactly(handle: import("node:fs/promises").FileHandle, offset: number, size: number): Promise<Buffer | null> {
  const buffer = Buffer.alloc(size);
  const { bytesRead } = await handle.read(buffer, 0, size, offset);
  return bytesRead === size ? buffer : null;
}

class DamagedChunksError extends Error {}
