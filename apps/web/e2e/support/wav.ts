import { readFileSync } from "node:fs";

/** The canonical RIFF/WAVE header of 16-bit PCM: RIFF, a 16-byte `fmt ` chunk, then `data`. */
export const WAV_HEADER_BYTES = 44;

/** The format a track was declared with (`PUT /api/session/:id/tracks/:track`). */
export interface DeclaredFormat {
  sampleRate: number;
  channels: number;
}

export interface WavSummary {
  fileBytes: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  dataBytes: number;
  /** 16-bit samples in the data chunk, over all channels. */
  samples: number;
  /** Samples per channel. */
  frames: number;
  seconds: number;
  /** The audio itself: the data chunk's bytes. */
  data: Buffer;
}

/**
 * Reads a finalized file and checks every field of its header: the sizes against the file
 * itself, the format against 16-bit PCM in the track's declared rate and channels, and the
 * derived fields against each other. Throws naming every field that is wrong.
 */
export function readWav(file: string, declared: DeclaredFormat): WavSummary {
  const bytes = readFileSync(file);
  if (bytes.length < WAV_HEADER_BYTES) throw new Error(`${file} is ${bytes.length} bytes, shorter than a WAV header`);
  const ascii = (at: number) => bytes.toString("ascii", at, at + 4);
  const channels = bytes.readUInt16LE(22);
  const sampleRate = bytes.readUInt32LE(24);
  const blockAlign = bytes.readUInt16LE(32);
  const bitsPerSample = bytes.readUInt16LE(34);
  const dataBytes = bytes.readUInt32LE(40);

  const fields: Array<[field: string, actual: number | string, expected: number | string]> = [
    ["chunk id", ascii(0), "RIFF"],
    ["RIFF size", bytes.readUInt32LE(4), bytes.length - 8],
    ["format", ascii(8), "WAVE"],
    ["fmt chunk id", ascii(12), "fmt "],
    ["fmt chunk size", bytes.readUInt32LE(16), 16],
    ["audio format (1 = PCM)", bytes.readUInt16LE(20), 1],
    ["channels", channels, declared.channels],
    ["sample rate", sampleRate, declared.sampleRate],
    ["bits per sample", bitsPerSample, 16],
    ["block align", blockAlign, declared.channels * 2],
    ["byte rate", bytes.readUInt32LE(28), declared.sampleRate * declared.channels * 2],
    ["data chunk id", ascii(36), "data"],
    ["data size", dataBytes, bytes.length - WAV_HEADER_BYTES],
  ];
  const wrong = fields.filter(([, actual, expected]) => actual !== expected);
  if (wrong.length > 0) {
    const list = wrong.map(([field, actual, expected]) => `${field} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    throw new Error(`${file} has a bad WAV header: ${list.join("; ")}`);
  }
  if (dataBytes % blockAlign !== 0) throw new Error(`${file} holds ${dataBytes} data bytes, not whole ${blockAlign}-byte frames`);

  const frames = dataBytes / blockAlign;
  return {
    fileBytes: bytes.length,
    sampleRate,
    channels,
    bitsPerSample,
    dataBytes,
    samples: dataBytes / 2,
    frames,
    seconds: frames / sampleRate,
    data: bytes.subarray(WAV_HEADER_BYTES),
  };
}
