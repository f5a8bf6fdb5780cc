import type { JournalChunk, JournalSession } from "@tidemark/client";
import { describe, expect, it } from "vitest";
import { WAV_HEADER_BYTES } from "../audio/wav.ts";
import { exportLocalTrack, localTracks, type ExportJournal } from "./local-export.ts";

const RATE = 8_000; // one chunk = 8000 samples = 16 000 bytes

/** A journal holding `seqs` of track 0 (each chunk's samples equal its seq + 1) and nothing of track 1. */
function journalWith(seqs: number[], nextSeq: number): ExportJournal {
  const session: JournalSession = {
    sessionId: "s1",
    kind: "recording",
    title: "",
    state: "stopped",
    createdAt: 0,
    updatedAt: 0,
    tracks: [
      {
        track: 0,
        label: "Microphone",
        sampleRate: RATE,
        channels: 1,
        nextSeq,
        localChunks: seqs.length,
        localBytes: seqs.length * RATE * 2,
        uploadedChunks: 0,
        uploadedBytes: 0,
        serverCommittedThrough: -1,
      },
      { track: 1, label: "Second input", sampleRate: RATE, channels: 1, nextSeq: 0, localChunks: 0, localBytes: 0, uploadedChunks: 0, uploadedBytes: 0, serverCommittedThrough: -1 },
    ],
  };
  return {
    session: async (id) => (id === "s1" ? session : undefined),
    getChunk: async (_id, track, seq): Promise<JournalChunk | undefined> => {
      if (track !== 0 || !seqs.includes(seq)) return undefined;
      const pcm = new Int16Array(RATE).fill(seq + 1).buffer;
      return { sessionId: "s1", track, seq, pcm, sha256: "", byteLength: pcm.byteLength, createdAt: 0, uploaded: true };
    },
  };
}

async function samples(blob: Blob): Promise<Int16Array> {
  return new Int16Array((await blob.arrayBuffer()).slice(WAV_HEADER_BYTES));
}

describe("exportLocalTrack", () => {
  it("joins the track's chunks in seq order behind a WAV header", async () => {
    const blob = await exportLocalTrack(journalWith([0, 1, 2], 3), "s1", 0);
    const view = new DataView(await blob.arrayBuffer());

    expect(blob.type).toBe("audio/wav");
    expect(view.getUint32(40, true)).toBe(3 * RATE * 2);
    const pcm = await samples(blob);
    expect([pcm[0], pcm[RATE], pcm[2 * RATE]]).toEqual([1, 2, 3]);
  });

  it("fills a gap inside the recording with a second of silence so later audio keeps its time", async () => {
    const pcm = await samples(await exportLocalTrack(journalWith([0, 2], 3), "s1", 0));

    expect(pcm.length).toBe(3 * RATE);
    expect([pcm[0], pcm[RATE], pcm[2 * RATE]]).toEqual([1, 0, 3]);
  });

  it("leaves out seqs after the last chunk it holds", async () => {
    const pcm = await samples(await exportLocalTrack(journalWith([0, 1], 5), "s1", 0));
    expect(pcm.length).toBe(2 * RATE);
  });

  it("says so when the device holds nothing of the track", async () => {
    await expect(exportLocalTrack(journalWith([0], 1), "s1", 1)).rejects.toThrow("holds no audio of track 2");
    await expect(exportLocalTrack(journalWith([0], 1), "other", 0)).rejects.toThrow("holds no track 1");
  });
});

describe("localTracks", () => {
  it("lists the tracks with audio on this device and their length", async () => {
    expect(await localTracks(journalWith([0, 1], 2), "s1")).toEqual([{ track: 0, label: "Microphone", seconds: 2 }]);
  });
});
