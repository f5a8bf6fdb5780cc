/** RIFF/WAVE headers for 16-bit PCM, for files assembled in the browser from journaled chunks. */

export const WAV_HEADER_BYTES = 44;

/**
 * The 44-byte header of a canonical PCM WAV file holding `dataBytes` of 16-bit samples.
 * The RIFF size fields are 32-bit, so a file tops out just under 4 GiB (13 h of 44.1 kHz mono).
 */
export function wavHeader({ dataBytes, sampleRate, channels = 1 }: { dataBytes: number; sampleRate: number; channels?: number }): ArrayBuffer {
  if (dataBytes + WAV_HEADER_BYTES - 8 > 0xffffffff) {
    throw new RangeError("The audio is too long for one WAV file (4 GiB).");
  }
  const header = new ArrayBuffer(WAV_HEADER_BYTES);
  const view = new DataView(header);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  const blockAlign = channels * 2;
  ascii(0, "RIFF");
  view.setUint32(4, WAV_HEADER_BYTES - 8 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true); // byte rate
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  return header;
}
