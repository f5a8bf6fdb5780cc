import type { JournalTrack } from "@tidemark/client";
import { describe, expect, it } from "vitest";
import { savedPositions, serverBaseline } from "./track-positions.ts";

const SECOND = 96_000; // bytes of one second of 48 kHz 16-bit mono

function track(number: 0 | 1, localSeconds: number, uploadedSeconds: number): JournalTrack {
  return {
    track: number,
    label: number === 0 ? "Microphone" : "Second input",
    sampleRate: 48_000,
    channels: 1,
    nextSeq: Math.ceil(localSeconds),
    localChunks: Math.ceil(localSeconds),
    localBytes: localSeconds * SECOND,
    uploadedChunks: Math.ceil(uploadedSeconds),
    uploadedBytes: uploadedSeconds * SECOND,
    serverCommittedThrough: Math.ceil(uploadedSeconds) - 1,
  };
}

describe("savedPositions", () => {
  it("reports the recorded length locally and what the server acknowledged", () => {
    expect(savedPositions({ tracks: [track(0, 8, 6)] }, [0])).toEqual({ localSeconds: 8, serverSeconds: 6 });
  });

  it("takes the worst lag of any track as the server's position", () => {
    const session = { tracks: [track(0, 10, 10), track(1, 10, 7)] };
    expect(savedPositions(session, [0, 1])).toEqual({ localSeconds: 10, serverSeconds: 7 });
  });

  it("is not held back by a second track that ended early and is fully uploaded", () => {
    const session = { tracks: [track(0, 60, 59), track(1, 30, 30)] };
    expect(savedPositions(session, [0, 1])).toEqual({ localSeconds: 60, serverSeconds: 59 });
  });

  it("counts audio the server held before this device joined as saved on both sides", () => {
    const session = { tracks: [track(0, 5, 3)] };
    expect(savedPositions(session, [0], { 0: 60 * SECOND })).toEqual({ localSeconds: 65, serverSeconds: 63 });
  });

  it("is zero for a session the journal does not hold", () => {
    expect(savedPositions(undefined, [0, 1])).toEqual({ localSeconds: 0, serverSeconds: 0 });
  });
});

describe("serverBaseline", () => {
  it("is what the server holds beyond what this journal uploaded", () => {
    const local = { tracks: [track(0, 12, 10)] };
    expect(
      serverBaseline(
        [
          { track: 0, bytes: 10 * SECOND },
          { track: 1, bytes: 4 * SECOND },
        ],
        local,
      ),
    ).toEqual({ 0: 0, 1: 4 * SECOND });
  });

  it("is everything on the server for a session this device never saw", () => {
    expect(serverBaseline([{ track: 0, bytes: 500 }], undefined)).toEqual({ 0: 500 });
  });
});
