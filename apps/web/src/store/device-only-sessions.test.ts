import type { RecoverableSession } from "@tidemark/client";
import { describe, expect, it } from "vitest";
import { IDLE_SNAPSHOT, type RecorderSnapshot } from "../recording/recorder-snapshot.ts";
import { deviceOnlySessions } from "./device-only-sessions.ts";
import { session } from "./session-fixtures.ts";

const madeOffline: RecoverableSession = {
  sessionId: "0190f5d2-8c4e-7a3b-9d2f-00000000000a",
  title: "Made offline",
  kind: "recording",
  local: { chunks: 5, pendingChunks: 5, seconds: 5 },
  deviceOnly: true,
};
const interrupted: RecoverableSession = {
  sessionId: "0190f5d2-8c4e-7a3b-9d2f-00000000000b",
  title: "On the server too",
  kind: "recording",
  local: { chunks: 3, pendingChunks: 1, seconds: 3 },
};

function recording(overrides: Partial<RecorderSnapshot>): RecorderSnapshot {
  return { ...IDLE_SNAPSHOT, phase: "recording", sessionId: "0190f5d2-8c4e-7a3b-9d2f-00000000000c", title: "Right now", localSeconds: 7, ...overrides };
}

describe("deviceOnlySessions", () => {
  it("lists the interrupted sessions the server has never had, with the audio this device holds", () => {
    expect(deviceOnlySessions([madeOffline, interrupted], [], IDLE_SNAPSHOT)).toEqual([
      { sessionId: madeOffline.sessionId, title: "Made offline", seconds: 5 },
    ]);
  });

  it("puts the take being recorded without the server first", () => {
    const found = deviceOnlySessions([madeOffline], [], recording({ deviceOnly: true }));

    expect(found.map((entry) => [entry.title, entry.seconds])).toEqual([
      ["Right now", 7],
      ["Made offline", 5],
    ]);
  });

  it("leaves out a take the server has, even one recorded while it cannot be reached", () => {
    expect(deviceOnlySessions([], [], recording({ deviceOnly: false, serverUnreachable: true }))).toEqual([]);
  });

  it("drops a session once the server lists it: the uploader has created it there", () => {
    const listed = [session(1, { id: madeOffline.sessionId }), session(2, { id: recording({}).sessionId! })];

    expect(deviceOnlySessions([madeOffline], listed, recording({ deviceOnly: true }))).toEqual([]);
  });

  it("takes the recorder's word over what detection read at page load for the session it records", () => {
    const resumed = recording({ sessionId: madeOffline.sessionId, title: "Made offline", localSeconds: 9 });

    expect(deviceOnlySessions([madeOffline], [], { ...resumed, deviceOnly: false })).toEqual([]);
    expect(deviceOnlySessions([madeOffline], [], { ...resumed, deviceOnly: true })).toEqual([
      { sessionId: madeOffline.sessionId, title: "Made offline", seconds: 9 },
    ]);
  });

  it("still lists a session another tab records while this tab's recorder waits for it", () => {
    const waiting = { ...IDLE_SNAPSHOT, phase: "locked" as const, sessionId: madeOffline.sessionId };

    expect(deviceOnlySessions([madeOffline], [], waiting).map((entry) => entry.sessionId)).toEqual([madeOffline.sessionId]);
  });

  it("counts a finished or idle recorder as holding nothing", () => {
    expect(deviceOnlySessions([], [], recording({ deviceOnly: true, phase: "finished" }))).toEqual([]);
    expect(deviceOnlySessions([], [], { ...IDLE_SNAPSHOT, deviceOnly: true, sessionId: "0190f5d2-8c4e-7a3b-9d2f-00000000000c" })).toEqual([]);
  });
});
