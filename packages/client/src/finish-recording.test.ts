import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./api-client.ts";
import type { ChunkJournal } from "./chunk-journal.ts";
import { finishRecording, MissingChunksError } from "./finish-recording.ts";
import { FakeRecordingServer } from "./test-support/fake-recording-api.ts";
import { instantTimers, openTestJournal, outcome, pcm, recordedSession, settle } from "./test-support/harness.ts";
import { ChunkUploader } from "./uploader.ts";

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server session recorded on two tracks, with a journal and an uploader (running unless `started` is false). */
async function recording(chunks = 3, { started = true } = {}) {
  const server = new FakeRecordingServer();
  const { id } = server.addSession();
  const { journal } = openTestJournal();
  cleanups.push(() => journal.close());
  await recordedSession(journal, id, { tracks: [0, 1], chunks });
  const timers = instantTimers();
  const uploader = new ChunkUploader({ journal, api: server, random: () => 0.5, ...timers });
  cleanups.push(() => uploader.stop());
  if (started) uploader.start();
  const finish = vi.spyOn(server, "finishSession");
  const run = (allowGaps?: boolean) =>
    finishRecording({ sessionId: id, journal, uploader, api: server, ...(allowGaps ? { allowGaps } : {}) });
  return { server, id, journal, uploader, finish, run };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );
}

/** The server holds seq 4 of track 0 from a device whose journal is gone: seq 3 exists nowhere. */
async function serverAheadOfJournal(server: FakeRecordingServer, journal: ChunkJournal, id: string) {
  await server.declareTrack(id, 0, { label: "Input 0", sampleRate: 48_000, channels: 1 });
  await server.storeChunk(id, 0, 4, pcm(4, 4_000));
  await journal.ensureNextSeq(id, 0, 5);
}

describe("finishRecording", () => {
  it("uploads what is pending, finishes with each track's last seq and purges the local copy", async () => {
    const { server, id, journal, finish, run } = await recording(3);

    const finished = await run();

    expect(finished.status).toBe("completed");
    expect(finished.recoveryTokens.map((token) => token.track)).toEqual([0, 1]);
    expect(finish).toHaveBeenCalledTimes(1);
    expect(finish).toHaveBeenCalledWith(id, { lastSeq: { "0": 2, "1": 2 } });
    expect(server.storedSeqs(id, 1)).toEqual([0, 1, 2]);
    expect(await journal.session(id)).toBeUndefined();
    expect(await journal.pending()).toEqual([]);
  });

  it("names a track the session never used as having no last seq", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = openTestJournal();
    cleanups.push(() => journal.close());
    await recordedSession(journal, id, { tracks: [0], chunks: 2 });
    const uploader = new ChunkUploader({ journal, api: server, ...instantTimers() });
    cleanups.push(() => uploader.stop());
    uploader.start();
    const finish = vi.spyOn(server, "finishSession");

    await finishRecording({ sessionId: id, journal, uploader, api: server });

    expect(finish).toHaveBeenCalledWith(id, { lastSeq: { "0": 1, "1": -1 } });
  });

  it("sends again from the journal the chunks the server reports missing and then finishes", async () => {
    const { server, id, journal, uploader, finish, run } = await recording(3);
    await uploader.drain(id);
    server.dropChunk(id, 0, 1);
    server.dropChunk(id, 1, 2);

    const finished = await run();

    expect(finished.status).toBe("completed");
    expect(finish).toHaveBeenCalledTimes(2);
    expect(server.uploadsOf(id, 0, 1)).toBe(2);
    expect(server.uploadsOf(id, 1, 2)).toBe(2);
    expect(server.storedBytes(id, 0, 1)).toEqual(new Uint8Array(pcm(4, 10)));
    expect(await journal.session(id)).toBeUndefined();
  });

  it("throws MissingChunksError for chunks neither the server nor the journal holds, and keeps the journal", async () => {
    const { server, id, journal, run } = await recording(3);
    await serverAheadOfJournal(server, journal, id);

    const error = await failure(run());

    expect(error).toBeInstanceOf(MissingChunksError);
    expect((error as MissingChunksError).missing).toEqual({ "0": [3], "1": [] });
    expect((error as MissingChunksError).message).toBe(
      "Chunks are missing on the server and on this device (track 0: 3).",
    );
    expect(await journal.session(id)).toMatchObject({ state: "stopped" });
    expect(server.storedSeqs(id, 0)).toEqual([0, 1, 2, 4]);
  });

  it("re-sends the missing chunks the journal holds before reporting the ones that are lost", async () => {
    const { server, id, journal, uploader, run } = await recording(3);
    await uploader.drain(id);
    await serverAheadOfJournal(server, journal, id);
    server.dropChunk(id, 1, 0);

    const error = await failure(run());

    expect((error as MissingChunksError).missing).toEqual({ "0": [3], "1": [] });
    expect(server.storedSeqs(id, 1)).toEqual([0, 1, 2]);
  });

  it("finishes with the gaps once the user accepts them, and purges the journal", async () => {
    const { server, id, journal, finish, run } = await recording(3);
    await serverAheadOfJournal(server, journal, id);
    await failure(run());

    const finished = await run(true);

    expect(finished.status).toBe("completed");
    expect(finish).toHaveBeenLastCalledWith(id, { lastSeq: { "0": 4, "1": 2 }, allowGaps: true });
    expect(await journal.session(id)).toBeUndefined();
  });

  it("gives up with MissingChunksError when the server keeps reporting chunks missing after they were re-sent", async () => {
    const { server, id, journal, uploader, finish, run } = await recording(2);
    await uploader.drain(id);
    finish.mockImplementation(() =>
      Promise.reject(new ApiError(409, "1 chunk(s) are missing.", { missing: { "0": [1], "1": [] } })),
    );

    const error = await failure(run());

    expect(error).toBeInstanceOf(MissingChunksError);
    expect((error as Error).message).toMatch(/still lacks chunks after 3 attempts/);
    expect(finish).toHaveBeenCalledTimes(3);
    expect(server.uploadsOf(id, 0, 1)).toBe(3);
    expect(await journal.session(id)).toBeDefined();
  });

  it("completes a session the server had already finished when the previous answer was lost", async () => {
    const { server, id, journal, uploader, run } = await recording(2);
    await uploader.drain(id);
    server.loseAnswer("finishSession");
    await failure(run());
    expect(await journal.session(id)).toBeDefined();

    const finished = await run();

    expect(finished.status).toBe("completed");
    expect(finished.recoveryTokens.map((token) => token.track)).toEqual([0, 1]);
    expect(server.requests.filter((request) => request.startsWith("createRecoveryToken"))).toHaveLength(2);
    expect(await journal.session(id)).toBeUndefined();
  });

  it("waits for an uploader that has not started yet, as on a page opened while the server was down, instead of failing", async () => {
    const { server, id, journal, uploader, run } = await recording(2, { started: false });

    const finishing = outcome(run());
    await settle();
    expect(finishing.settled()).toBe("pending");
    expect(server.requests).toEqual([]);
    // The device check reaches the server at last, which starts the uploader.
    uploader.start();
    await finishing.promise;

    expect(server.storedSeqs(id, 0)).toEqual([0, 1]);
    expect(await journal.session(id)).toBeUndefined();
  });

  it("sends a session the server lost again from the journal, then finishes it with every chunk", async () => {
    const { server, id, journal, uploader, finish, run } = await recording(3);
    await uploader.drain(id);
    // Everything was uploaded; then the server's data went back to a backup without the session.
    server.forgetSession(id);

    const finished = await run();

    expect(finished.status).toBe("completed");
    expect(finish).toHaveBeenCalledTimes(2);
    expect(server.storedSeqs(id, 0)).toEqual([0, 1, 2]);
    expect(server.storedSeqs(id, 1)).toEqual([0, 1, 2]);
    expect(await journal.session(id)).toBeUndefined();
  });

  it("passes on the 404 of a session the server does not know when this device holds no audio of it", async () => {
    const { server, id, journal, uploader, run } = await recording(0);
    await uploader.drain(id);
    server.forgetSession(id);

    const error = await failure(run());

    expect(error).toMatchObject({ status: 404 });
    expect(server.requests.filter((request) => request.startsWith("createSession"))).toEqual([]);
    expect(await journal.session(id)).toMatchObject({ state: "stopped" });
  });

  it("passes other failures on and keeps the journal", async () => {
    const { server, id, journal, run } = await recording(1);
    server.fail("finishSession", () => new ApiError(503, "The server is unavailable right now (503)."));

    const error = await failure(run());

    expect(error).toMatchObject({ status: 503 });
    expect(await journal.session(id)).toMatchObject({ state: "stopped" });
  });
});
