import { createHash } from "node:crypto";
import { constants, readdirSync, writev } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { ensureDirectory, fsyncDirectory, writeFileAtomically } from "../lib/durable-file.ts";
import { wavHeader, type PcmFormat } from "../lib/wav.ts";
import { CHUNK_RECORD_HEADER_BYTES, decodeChunkRecordHeader, encodeChunkRecordHeader } from "./chunk-log.ts";

export interface StoredChunkRef {
  seq: number;
  sha256: string;
  size: number;
  /** Where the chunk's payload starts in the track's log. */
  offset: number;
}

export type AssembleResult =
  | { ok: true; sizeBytes: number; sha256: string; dataBytes: number }
  /** Chunks whose bytes are gone or no longer match their digest. */
  | { ok: false; damaged: number[] };

/** What a chunk record says about itself, besides its payload. */
export interface ChunkIdentity {
  sessionId: string;
  track: number;
  seq: number;
  /** SHA-256 of the payload (32 bytes), already checked against the client's digest. */
  sha256: Buffer;
  appendedAt: number;
}

export interface AppendedChunk {
  /** Where the payload starts in the track's log. */
  offset: number;
  /**
   * Whether the log holds a self-describing record of the chunk, from which startup recovery
   * re-creates its row — then the row's commit need not be durable by itself. A log written
   * before records had headers holds bare payloads, and its rows must be committed durably.
   */
  recoverable: boolean;
}

/** A chunk found in a log with no row pointing at it, its payload verified against its digest. */
export interface RecoveredChunk {
  seq: number;
  size: number;
  offset: number;
  sha256: string;
  appendedAt: number;
}

export interface LogRecovery {
  chunks: RecoveredChunk[];
  /** Bytes cut off the end: a record that was being written when the server stopped. */
  truncatedBytes: number;
  /** Records in the middle of the log that could not be read (no row needs them). */
  unreadable: number;
}

interface OpenLog {
  handle: FileHandle;
  /** The log's length: where the next record goes. */
  size: number;
  /** false for a log written before records had headers: it holds bare payloads, appended as such. */
  records: boolean;
}

/** Chunk logs kept open between appends; a recorder appends to its tracks every second. */
const OPEN_LOG_LIMIT = 256;

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Session audio on the local disk. Chunks go to one append-only log per track
 * (`<DATA_DIR>/sessions/<id>/track-<n>.chunks`), each as a self-describing record (header with
 * session, track, seq, length and SHA-256, then the payload — see chunk-log.ts) written
 * durably (O_DSYNC) before the chunk is acknowledged. The chunk's database row (offset, size, digest)
 * is what makes it part of the track; bytes without a row are never read, except by startup
 * recovery, which re-creates the rows of whole records that a crash lost. Appends never
 * overwrite, so two payloads for one seq cannot clobber each other. Finalized files
 * (`track-<n>.wav`) are written atomically (temp, fsync, rename).
 */
export class AudioStore {
  /** One operation at a time per log, so each record starts where the previous one ended. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Open logs, least recently used first. */
  private readonly openLogs = new Map<string, OpenLog>();
  /** Logs whose end could not be restored after a failed append: no appends until recovery has run. */
  private readonly damagedLogs = new Set<string>();

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

  /**
   * Appends a chunk's record durably (written with O_DSYNC: on stable storage when the write returns) and says where its payload starts.
   * `payload` may come in pieces (as it came off the socket); they are written as one record.
   */
  appendChunk(chunk: ChunkIdentity, payload: Uint8Array | readonly Uint8Array[]): Promise<AppendedChunk> {
    const log = this.chunkLogPath(chunk.sessionId, chunk.track);
    if (this.damagedLogs.has(log)) {
      return Promise.reject(new Error(`The chunk log ${log} could not be repaired after a failed write; it takes no appends until restart`));
    }
    const pieces = payload instanceof Uint8Array ? [payload] : payload;
    return this.serialize(log, () => this.appendRecord(log, chunk, pieces));
  }

  private async appendRecord(log: string, chunk: ChunkIdentity, payload: readonly Uint8Array[]): Promise<AppendedChunk> {
    const opened = await this.openLog(log);
    const size = payload.reduce((sum, piece) => sum + piece.length, 0);
    const buffers = opened.records ? [encodeChunkRecordHeader({ ...chunk, size }), ...payload] : payload;
    const length = opened.records ? CHUNK_RECORD_HEADER_BYTES + size : size;
    const start = opened.size;
    try {
      // Positional, so the record lands exactly at the end this store knows of.
      const bytesWritten = await writeDurably(opened.handle.fd, buffers, start);
      if (bytesWritten !== length) throw new Error(`Short write to ${log}: ${bytesWritten} of ${length} bytes`);
    } catch (error) {
      await this.abandonAppend(log, opened, start);
      throw error;
    }
    opened.size = start + length;
    return { offset: start + length - size, recoverable: opened.records };
  }

  /**
   * Cuts a failed append off the log so the next record starts at a clean boundary. When even
   * that fails the log is left alone until startup recovery trims its torn tail.
   */
  private async abandonAppend(log: string, opened: OpenLog, start: number): Promise<void> {
    this.openLogs.delete(log);
    try {
      await opened.handle.truncate(start);
      await opened.handle.datasync();
    } catch {
      this.damagedLogs.add(log);
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
  }

  private async openLog(log: string): Promise<OpenLog> {
    const cached = this.openLogs.get(log);
    if (cached) {
      this.openLogs.delete(log); // re-insert: most recently used last
      this.openLogs.set(log, cached);
      return cached;
    }
    const dir = path.dirname(log);
    await ensureDirectory(dir);
    // Not O_APPEND: records are written at the offset this store tracks, and read back for the
    // format. O_DSYNC: a write returns once its bytes are on stable storage, as a write followed
    // by an fdatasync would, in one call instead of two.
    const handle = await open(log, constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC, 0o644);
    let opened: OpenLog;
    try {
      const { size } = await handle.stat();
      // An empty log may be new: its directory entry must be durable before its first record.
      if (size === 0) await fsyncDirectory(dir);
      opened = { handle, size, records: size === 0 || (await startsWithRecord(handle)) };
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.openLogs.set(log, opened);
    this.closeIdleLogs();
    return opened;
  }

  /** Keeps the number of open logs bounded by closing the least recently used idle ones. */
  private closeIdleLogs(): void {
    let excess = this.openLogs.size - OPEN_LOG_LIMIT;
    for (const log of this.openLogs.keys()) {
      if (excess <= 0) return;
      if (this.queues.has(log)) continue;
      excess -= 1;
      void this.serialize(log, () => this.closeLog(log)).catch(() => undefined);
    }
  }

  private async closeLog(log: string): Promise<void> {
    const opened = this.openLogs.get(log);
    if (!opened) return;
    this.openLogs.delete(log);
    await opened.handle.close();
  }

  /** Runs `task` after every earlier operation on `log` has settled. */
  private serialize<T>(log: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(log) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.queues.set(log, next);
    void next.then(
      () => this.queues.get(log) === next && this.queues.delete(log),
      () => this.queues.get(log) === next && this.queues.delete(log),
    );
    return next;
  }

  /** The tracks that have a chunk log on disk, by session. */
  listChunkLogs(): Array<{ sessionId: string; track: number }> {
    const sessionsDir = path.join(this.dataDir, "sessions");
    const found: Array<{ sessionId: string; track: number }> = [];
    let sessionIds: string[];
    try {
      sessionIds = readdirSync(sessionsDir);
    } catch {
      return found;
    }
    for (const sessionId of sessionIds) {
      let files: string[];
      try {
        files = readdirSync(path.join(sessionsDir, sessionId));
      } catch {
        continue;
      }
      for (const file of files) {
        const match = /^track-(\d)\.chunks$/.exec(file);
        if (match) found.push({ sessionId, track: Number(match[1]) });
      }
    }
    return found;
  }

  /**
   * Reads a track's log after a restart and returns the whole chunk records that no row points
   * at (`committed` are the rows the database holds), each payload verified against the digest
   * in its header. A record torn by the crash at the end of the log is cut off (durably), so the
   * next append starts at a clean boundary; nothing a row points at is ever cut. Unreadable
   * records in the middle are skipped (their rows, if any, are checked again at finish).
   */
  recoverLog(sessionId: string, track: number, committed: readonly StoredChunkRef[]): Promise<LogRecovery> {
    const log = this.chunkLogPath(sessionId, track);
    return this.serialize(log, async () => {
      await this.closeLog(log);
      const handle = await open(log, constants.O_RDWR);
      try {
        const result = await scanLog(handle, sessionId, track, committed);
        this.damagedLogs.delete(log);
        return result;
      } finally {
        await handle.close();
      }
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
    const log = this.chunkLogPath(sessionId, track);
    await this.serialize(log, async () => {
      await this.closeLog(log);
      await rm(log, { force: true });
    });
  }

  /** Removes everything of a session; a directory that is already gone is not an error. */
  async remove(sessionId: string): Promise<void> {
    for (const track of [0, 1]) {
      const log = this.chunkLogPath(sessionId, track);
      await this.serialize(log, () => this.closeLog(log));
    }
    await rm(this.dirFor(sessionId), { recursive: true, force: true });
  }

  /** Closes every open log once its pending appends are done; for shutdown. */
  async close(): Promise<void> {
    await Promise.all([...this.openLogs.keys()].map((log) => this.serialize(log, () => this.closeLog(log)).catch(() => undefined)));
  }
}

/**
 * `writev` at `position` on a log opened with O_DSYNC, so it returns once the bytes are durable.
 * The callback form costs the event loop a fraction of what the promise-based `FileHandle`
 * method does on the hottest path of the server (every chunk).
 */
function writeDurably(fd: number, buffers: readonly Uint8Array[], position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    writev(fd, buffers as NodeJS.ArrayBufferView[], position, (error, bytesWritten) => (error ? reject(error) : resolve(bytesWritten)));
  });
}

async function startsWithRecord(handle: FileHandle): Promise<boolean> {
  const head = await readExactly(handle, 0, CHUNK_RECORD_HEADER_BYTES);
  return head !== null && decodeChunkRecordHeader(head) !== null;
}

/** The walk behind `AudioStore.recoverLog`, on an open log. */
async function scanLog(handle: FileHandle, sessionId: string, track: number, committed: readonly StoredChunkRef[]): Promise<LogRecovery> {
  const { size } = await handle.stat();
  const committedOffsets = new Set(committed.map((chunk) => chunk.offset));
  const storedSeqs = new Set(committed.map((chunk) => chunk.seq));
  // Where the records that rows point at start, to step over a damaged record in the middle.
  const recordStarts = committed
    .map((chunk) => chunk.offset - CHUNK_RECORD_HEADER_BYTES)
    .filter((start) => start >= 0)
    .sort((a, b) => a - b);
  // Nothing below the end of the last committed chunk is ever cut off.
  const committedEnd = committed.reduce((end, chunk) => Math.max(end, chunk.offset + chunk.size), 0);
  const result: LogRecovery = { chunks: [], truncatedBytes: 0, unreadable: 0 };

  let position = 0;
  while (position < size) {
    const headerBytes = await readExactly(handle, position, CHUNK_RECORD_HEADER_BYTES);
    const header = headerBytes && decodeChunkRecordHeader(headerBytes);
    const payloadOffset = position + CHUNK_RECORD_HEADER_BYTES;
    const end = header ? payloadOffset + header.size : Number.POSITIVE_INFINITY;
    if (header && header.sessionId === sessionId && header.track === track && end <= size) {
      if (!committedOffsets.has(payloadOffset) && !storedSeqs.has(header.seq)) {
        const payload = await readExactly(handle, payloadOffset, header.size);
        const sha256 = header.sha256.toString("hex");
        if (payload && sha256Hex(payload) === sha256) {
          result.chunks.push({ seq: header.seq, size: header.size, offset: payloadOffset, sha256, appendedAt: header.appendedAt });
          storedSeqs.add(header.seq); // a second record of the same seq (a retried upload) is a duplicate
        } else if (end === size && position >= committedEnd) {
          break; // the header reached the disk but not all of the payload: torn, cut below
        } else {
          result.unreadable += 1;
        }
      }
      position = end;
      continue;
    }
    // Not a whole record of this track: step to the next record a row points at, if any.
    const next = recordStarts.find((start) => start > position);
    if (next === undefined) break;
    result.unreadable += 1;
    position = next;
  }
  if (position < size) {
    const cutAt = Math.max(position, committedEnd);
    if (cutAt < size) {
      await handle.truncate(cutAt);
      await handle.datasync();
      result.truncatedBytes = size - cutAt;
    }
  }
  return result;
}

async function readExactly(handle: FileHandle, offset: number, size: number): Promise<Buffer | null> {
  const buffer = Buffer.alloc(size);
  const { bytesRead } = await handle.read(buffer, 0, size, offset);
  return bytesRead === size ? buffer : null;
}

class DamagedChunksError extends Error {}
