import { readFileSync } from "node:fs";

export interface WavSummary {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  dataBytes: number;
  frames: number;
  seconds: number;
}

/** Reads a finalized file's header and checks that its sizes agree with the file itself. */
export function readWav(file: string): WavSummary {
  const bytes = readFileSync(file);
  if (bytes.toString("ascii", 0, 4) !== "RIFF" || bytes.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error(`${file} is not a RIFF/WAVE file`);
  }
  const riffSize = bytes.readUInt32LE(4);
  const channels = bytes.readUInt16LE(22);
  const sampleRate = bytes.readUInt32LE(24);
  const bitsPerSample = bytes.readUInt16LE(34);
  const dataBytes = bytes.readUInt32LE(40);
  if (riffSize !== bytes.length - 8) throw new Error(`RIFF size ${riffSize} does not match file size ${bytes.length}`);
  if (dataBytes !== bytes.length - 44) throw new Error(`data size ${dataBytes} does not match file size ${bytes.length}`);
  const frames = dataBytes / (channels * (bitsPerSample / 8));
  return { sampleRate, channels, bitsPerSample, dataBytes, frames, seconds: frames / sampleRate };
}
