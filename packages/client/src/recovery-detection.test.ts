import { afterEach, describe, expect, it } from "vitest";
import type { ChunkJournal } from "./chunk-journal.ts";
import { detectLocalRecovery, detectRecovery } from "./recovery-detection.ts";
import { FakeRecordingServer, networkError } from "./test-support/fake-recording-api.ts";
import { openTestJournal, pcm } from "./test-support/harness.ts";

const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function journalWithClock() {
  const clock = { now: 1_000 };
  const { journal } = openTestJournal(undefined, () => clock.now);
  cleanups.push(() => journal.close());
  return { journal, clock };
}

/** A session of `seconds` whole seconds of 8 kHz audio per track, one chunk per second. */
async function recorded(
  journal: ChunkJournal,
  sessionId: string,
  options: { seconds: number[]; channels?: number; title?: string; onServer?: false },
): Promise<void> {
  const channels = options.channels ?? 1;
  await journal.startSession({ sessionId, title: options.title ?? "Episode", kind: "recording", ...(options.onServer === false ? { onServer: false } : {}) });
  for (const [track, seconds] of options.seconds.entries()) {
    const number = track === 0 ? 0 : 1;
    await journal.declareTrack(sessionId, { track: number, label: `Input ${track}`, sampleRate: 8_000, channels });
    for (let second = 0; second < seconds; second += 1) await journal.append(sessionId, number, pcm(8_000 * channels));
  }
}

const A = "0190f5d2-8c4e-7a3b-9d2f-00000000000a";
const B = "0190f5d2-8c4e-7a3b-9d2f-00000000000b";

describe("detectLocalRecovery", () => {
  it("offers unfinished recordings with chunks, newest first, with their length from the bytes held", async () => {
    const { journal, clock } = journalWithClock();
    await recorded(journal, A, { seconds: [3], title: "Older" });
    clock.now = 2_000;
    await recorded(journal, B, { seconds: [2], channels: 2, title: "Newer" });
    await journal.setState(B, "stopped");
    await journal.markUploaded(A, 0, 0, 0);

    const found = await detectLocalRecovery(journal);

    expect(found).toEqual([
      { sessionId: B, title: "Newer", kind: "recording", local: { chunks: 2, pendingChunks: 2, seconds: 2 } },
      { sessionId: A, title: "Older", kind: "recording", local: { chunks: 3, pendingChunks: 2, seconds: 3 } },
    ]);
  });

  it("marks a session started while the server could not be reached as held by this device only", async () => {
    const { journal } = journalWithClock();
    await recorded(journal, A, { seconds: [2], onServer: false });

    expect(await detectLocalRecovery(journal)).toEqual([
      { sessionId: A, title: "Episode", kind: "recording", local: { chunks: 2, pendingChunks: 2, seconds: 2 }, deviceOnly: true },
    ]);
  });

  it("counts a two-track session as long as its longest track", async () => {
    const { journal } = journalWithClock();
    await recorded(journal, A, { seconds: [2, 5] });

    const [found] = await detectLocalRecovery(journal);

    expect(found?.local).toEqual({ chunks: 7, pendingChunks: 7, seconds: 5 });
  });

  it("leaves out finished sessions and sessions without any chunk", async () => {
    const { journal } = journalWithClock();
    await recorded(journal, A, { seconds: [1] });
    await journal.setState(A, "finished");
    await recorded(journal, B, { seconds: [0] });

    expect(await detectLocalRecovery(journal)).toEqual([]);
  });
});

describe("detectRecovery", () => {
  it("adds the server's incomplete sessions and the server's numbers for every session it knows", async () => {
    const server = new FakeRecordingServer();
    const { journal, clock } = journalWithClock();
    const mine = server.addSession({ status: "incomplete", title: "On this device" }).id;
    const elsewhere = server.addSession({ status: "incomplete", title: "On another device" }).id;
    server.addSession({ status: "active", title: "Someone recording right now" });
    server.addSession({ status: "completed", title: "Done" });
    await server.declareTrack(elsewhere, 0, { label: "Mic", sampleRate: 8_000, channels: 1 });
    await server.storeChunk(elsewhere, 0, 0, pcm(8_000));
    await server.storeChunk(elsewhere, 0, 1, pcm(4_000));
    clock.now = Date.UTC(2030, 0, 1);
    await recorded(journal, mine, { seconds: [2], title: "On this device" });
    await server.declareTrack(mine, 0, { label: "Input 0", sampleRate: 8_000, channels: 1 });
    await server.storeChunk(mine, 0, 0, pcm(8_000));

    const found = await detectRecovery(journal, server);

    expect(found).toEqual([
      {
        sessionId: mine,
        title: "On this device",
        kind: "recording",
        serverStatus: "incomplete",
        local: { chunks: 2, pendingChunks: 2, seconds: 2 },
        server: { chunks: 1, seconds: 1 },
      },
      {
        sessionId: elsewhere,
        title: "On another device",
        kind: "recording",
        serverStatus: "incomplete",
        server: { chunks: 2, seconds: 1.5 },
      },
    ]);
  });

  it("shows a local session the server already completed, so a lost purge can be finished", async () => {
    const server = new FakeRecordingServer();
    const { journal } = journalWithClock();
    const { id } = server.addSession({ status: "completed" });
    await recorded(journal, id, { seconds: [1] });

    const [found] = await detectRecovery(journal, server);

    expect(found).toMatchObject({ sessionId: id, serverStatus: "completed", server: { chunks: 0, seconds: 0 } });
  });

  it("returns what this device holds when the server cannot be reached", async () => {
    const server = new FakeRecordingServer();
    server.offline = true;
    const { journal } = journalWithClock();
    await recorded(journal, A, { seconds: [1] });

    const found = await detectRecovery(journal, server);

    expect(found).toEqual(await detectLocalRecovery(journal));
    expect(found).toHaveLength(1);
  });

  it("keeps a session without the server's numbers when its detail cannot be read", async () => {
    const server = new FakeRecordingServer();
    const { journal } = journalWithClock();
    const { id } = server.addSession({ status: "incomplete" });
    await recorded(journal, id, { seconds: [1] });
    server.fail("getSession", networkError);

    const [found] = await detectRecovery(journal, server);

    expect(found).toMatchObject({ sessionId: id, serverStatus: "incomplete", local: { chunks: 1 } });
    expect(found?.server).toBeUndefined();
  });

  it("does not ask the server about a local session it does not list", async () => {
    const server = new FakeRecordingServer();
    const { journal } = journalWithClock();
    await recorded(journal, A, { seconds: [1] });

    const found = await detectRecovery(journal, server);

    expect(found).toEqual([{ sessionId: A, title: "Episode", kind: "recording", local: { chunks: 1, pendingChunks: 1, seconds: 1 } }]);
    expect(server.requests).toEqual(["listSessions"]);
  });

  it("keeps a device-only session so while the server does not list it, and drops the mark once it does", async () => {
    const server = new FakeRecordingServer();
    const { journal } = journalWithClock();
    await recorded(journal, A, { seconds: [1], onServer: false });

    expect((await detectRecovery(journal, server))[0]?.deviceOnly).toBe(true);

    // The uploader created it on the server; the journal has not heard yet.
    await server.createSession({ id: A, kind: "recording", title: "Episode" });
    const [found] = await detectRecovery(journal, server);
    expect(found).toMatchObject({ sessionId: A, serverStatus: "active", local: { chunks: 1 } });
    expect(found).not.toHaveProperty("deviceOnly");
  });
});
