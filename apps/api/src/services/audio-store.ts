import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomically } from "../lib/durable-file.ts";
import { wavHeader, type PcmFormat } from "../lib/wav.ts";

export interface StoredChunkRef {
  seq: number;
  sha256: string;
  size: number;
}

export type AssembleResult =
  | { ok: true; sizeBytes: number; sha256: string; dataBytes: number }
  /** Chunks whose file is gone or whose bytes no longer match their digest. */
  | { ok: false; damaged: number[] };

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Session audio on the local disk: `<DATA_DIR>/sessions/<id>/track-<n>/<seq>-<sha256>.pcm` for
 * chunks and `<DATA_DIR>/sessions/<id>/track-<n>.wav` for finalized files. Every write is
 * atomic and fsynced. Chunk files carry their digest in the name, so two different payloads
 * for one seq can never overwrite each other; the database row says which one counts.
 */
export class AudioStore {
  constructor(private readonly dataDir: string) {}

  dirFor(sessionId: string): string {
    return path.join(this.dataDir, "sessions", sessionId);
  }

  wavPath(sessionId: string, track: number): string {
    return path.join(this.dirFor(sessionId), `track-${track}.wav`);
  }

  private chunkDir(sessionId: string, track: number): string {
    return path.join(this.dirFor(sessionId), `track-${track}`);
  }

  private chunkPath(sessionId: string, track: number, seq: number, sha256: string): string {
    return path.join(this.chunkDir(sessionId, track), `${String(seq).padStart(8, "0")}-${sha256}.pcm`);
  }

  async writeChunk(sessionId: string, track: number, seq: number, sha256: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomically(this.chunkPath(sessionId, track, seq, sha256), async (handle) => {
      await handle.writeFile(bytes);
    });
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
    try {
      await writeFileAtomically(this.wavPath(sessionId, track), async (handle) => {
        const header = wavHeader(format, dataBytes);
        fileHash.update(header);
        await handle.write(header);
        sizeBytes += header.length;
        for (const chunk of chunks) {
          const bytes = await readFile(this.chunkPath(sessionId, track, chunk.seq, chunk.sha256)).catch(() => null);
          if (!bytes || bytes.length !== chunk.size || sha256Hex(bytes) !== chunk.sha256) {
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
    }
    return { ok: true, sizeBytes, sha256: fileHash.digest("hex"), dataBytes };
  }

  /** Chunk files are no longer needed once the track's WAV is durable and recorded. */
  async removeChunks(sessionId: string, track: number): Promise<void> {
    await rm(this.chunkDir(sessionId, track), { recursive: true, force: true });
  }

  /** Removes everything of a session; a directory that is already gone is not an error. */
  async remove(sessionId: string): Promise<void> {
    await rm(this.dirFor(sessionId), { recursive: true, force: true });
  }
}

class DamagedChunksError extends Error {}
