// Recording chunks for the chunk benchmark: 1 s of 48 kHz mono 16-bit PCM each, with the
// digests a client sends, generated before any measurement so generating them costs nothing
// while it runs.
import { createHash } from "node:crypto";

export const SAMPLE_RATE = 48_000;
export const CHANNELS = 1;
/** One second of audio per chunk, as the recorder sends it. */
export const CHUNK_SAMPLES = SAMPLE_RATE;
export const CHUNK_BYTES = CHUNK_SAMPLES * CHANNELS * 2;

/** Two seconds of a tone whose pitch depends on the stream; every chunk of the stream is cut from it. */
function toneOf(stream) {
  const samples = new Int16Array(2 * CHUNK_SAMPLES);
  const frequency = 110.3 + (stream % 97) * 7.31;
  for (let i = 0; i < samples.length; i += 1) {
    samples[i] = Math.round(12_000 * Math.sin((2 * Math.PI * frequency * i) / SAMPLE_RATE));
  }
  return samples;
}

/**
 * Chunk `index` of a stream: one second of its tone from an offset that differs from chunk to
 * chunk, with the stream and chunk numbers written into the first samples so no two chunks of a
 * run have the same bytes (or digest). Cutting instead of computing keeps generation cheap.
 */
function pcmChunk(tone, stream, index) {
  const offset = (index * 7_919) % CHUNK_SAMPLES;
  const samples = tone.slice(offset, offset + CHUNK_SAMPLES);
  samples[0] = stream & 0x7fff;
  samples[1] = (stream >>> 15) & 0x7fff;
  samples[2] = index & 0x7fff;
  samples[3] = (index >>> 15) & 0x7fff;
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/**
 * `count` distinct chunks of one stream, each with its SHA-256 as hex and as the RFC 9530
 * `Content-Digest` header value. A run uses chunk `seq % count` for seq `seq`, so memory stays
 * bounded however long it runs; every chunk within a window of `count` seqs, and every chunk of
 * another stream, has different bytes. Nothing stored dedupes, so repeating after `count` seqs
 * changes nothing measured.
 */
export function chunkPool(stream, count) {
  const tone = toneOf(stream);
  return Array.from({ length: count }, (_, index) => {
    const bytes = pcmChunk(tone, stream, index);
    const digest = createHash("sha256").update(bytes).digest();
    return { bytes, sha256Hex: digest.toString("hex"), contentDigest: `sha-256=:${digest.toString("base64")}:` };
  });
}

/** How many distinct chunks each of `streams` streams gets within a memory budget (≥ 4 each). */
export function distinctChunksPerStream(streams, budgetBytes) {
  return Math.max(4, Math.floor(budgetBytes / (streams * CHUNK_BYTES)));
}
