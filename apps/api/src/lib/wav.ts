/** Size of the canonical PCM WAV header written by `wavHeader`. */
export const WAV_HEADER_BYTES = 44;

/** Largest PCM payload a RIFF file can describe (its sizes are 32-bit). */
export const WAV_MAX_DATA_BYTES = 0xffffffff - (WAV_HEADER_BYTES - 8);

export interface PcmFormat {
  sampleRate: number;
  channels: number;
}

/** The 44-byte RIFF/WAVE header for 16-bit little-endian PCM with `dataBytes` of samples. */
export function wavHeader({ sampleRate, channels }: PcmFormat, dataBytes: number): Buffer {
  if (dataBytes > WAV_MAX_DATA_BYTES) throw new RangeError("Audio too long for one WAV file");
  const bitsPerSample = 16;
  const blockAlign = channels * (bitsPerSample / 8);
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataBytes, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28); // byte rate
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(bitsPerSample, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

export interface WavInfo extends PcmFormat {
  bitsPerSample: number;
  dataBytes: number;
  riffSize: number;
}

/** Reads the header written by `wavHeader`; throws on anything else. */
export function parseWavHeader(bytes: Buffer): WavInfo {
  if (bytes.length < WAV_HEADER_BYTES) throw new Error("Too short for a WAV header");
  if (bytes.toString("ascii", 0, 4) !== "RIFF" || bytes.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("Not a RIFF/WAVE file");
  }
  if (bytes.toString("ascii", 12, 16) !== "fmt " || bytes.toString("ascii", 36, 40) !== "data") {
    throw new Error("Unexpected WAV chunk layout");
  }
  return {
    riffSize: bytes.readUInt32LE(4),
    channels: bytes.readUInt16LE(22),
    sampleRate: bytes.readUInt32LE(24),
    bitsPerSample: bytes.readUInt16LE(34),
    dataBytes: bytes.readUInt32LE(40),
  };
}

/** Seconds of 16-bit audio in `bytes`. */
export function pcmSeconds(bytes: number, { sampleRate, channels }: PcmFormat): number {
  return bytes / (sampleRate * channels * 2);
}
