import { crc32 } from "node:zlib";

/**
 * The record format of a track's chunk log. Every chunk is stored as a fixed header followed by
 * its payload, so the log describes itself: after a crash that lost database rows (their commit
 * need not wait for an fsync), startup recovery reads the log and re-creates them.
 *
 * Header, little-endian, `CHUNK_RECORD_HEADER_BYTES` long:
 *
 * | bytes | field |
 * |---|---|
 * | 0–3 | magic `TMCK` |
 * | 4 | format version (1) |
 * | 5 | track |
 * | 6–7 | reserved, 0 |
 * | 8–11 | seq |
 * | 12–15 | payload length in bytes |
 * | 16–23 | when the chunk was appended, ms since the epoch (float64) |
 * | 24–59 | session id, 36 ASCII characters |
 * | 60–91 | SHA-256 of the payload |
 * | 92–95 | CRC-32 of bytes 0–91 |
 *
 * The CRC tells a whole header from a torn or foreign one; the SHA-256 tells a whole payload
 * from a torn one (and is the digest the client sent, checked again at finish).
 */
export const CHUNK_RECORD_HEADER_BYTES = 96;

const MAGIC = 0x4b434d54; // "TMCK" read as a little-endian uint32
const VERSION = 1;
const SESSION_ID_BYTES = 36;
const CRC_OFFSET = 92;

export interface ChunkRecordHeader {
  sessionId: string;
  track: number;
  seq: number;
  /** Payload length in bytes. */
  size: number;
  /** SHA-256 of the payload (32 bytes). */
  sha256: Buffer;
  appendedAt: number;
}

export function encodeChunkRecordHeader(header: ChunkRecordHeader): Buffer {
  if (header.sessionId.length !== SESSION_ID_BYTES) throw new Error(`Session ids in chunk logs have ${SESSION_ID_BYTES} characters`);
  if (header.sha256.length !== 32) throw new Error("A chunk record carries a 32-byte SHA-256");
  const bytes = Buffer.allocUnsafe(CHUNK_RECORD_HEADER_BYTES);
  bytes.writeUInt32LE(MAGIC, 0);
  bytes.writeUInt8(VERSION, 4);
  bytes.writeUInt8(header.track, 5);
  bytes.writeUInt16LE(0, 6);
  bytes.writeUInt32LE(header.seq, 8);
  bytes.writeUInt32LE(header.size, 12);
  bytes.writeDoubleLE(header.appendedAt, 16);
  bytes.write(header.sessionId, 24, SESSION_ID_BYTES, "latin1");
  header.sha256.copy(bytes, 60);
  bytes.writeUInt32LE(crc32(bytes.subarray(0, CRC_OFFSET)), CRC_OFFSET);
  return bytes;
}

/** The header at the start of `bytes`, or null when it is not a whole, intact record header. */
export function decodeChunkRecordHeader(bytes: Buffer): ChunkRecordHeader | null {
  if (bytes.length < CHUNK_RECORD_HEADER_BYTES) return null;
  if (bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt8(4) !== VERSION) return null;
  if (bytes.readUInt32LE(CRC_OFFSET) !== crc32(bytes.subarray(0, CRC_OFFSET))) return null;
  return {
    track: bytes.readUInt8(5),
    seq: bytes.readUInt32LE(8),
    size: bytes.readUInt32LE(12),
    appendedAt: bytes.readDoubleLE(16),
    sessionId: bytes.toString("latin1", 24, 24 + SESSION_ID_BYTES),
    sha256: Buffer.from(bytes.subarray(60, 92)),
  };
}
