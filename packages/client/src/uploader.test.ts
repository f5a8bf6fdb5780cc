import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./api-client.ts";
import type { ChunkJournal } from "./chunk-journal.ts";
import { FakeRecordingServer, networkError } from "./test-support/fake-recording-api.ts";
import {
  heldTimers,
  instantTimers,
  openTestJournal,
  outcome,
  pcm,
  recordedSession,
  settle,
  sharedLock,
  until,
} from "./test-support/harness.ts";
import { ChunkUploader, UPLOAD_LOCK_NAME, webLockRunner, type ChunkUploaderOptions, type UploaderStatus } from "./uploader.ts";

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllGlobals();
});

function journalFor(indexedDB?: Parameters<typeof openTestJournal>[0]) {
  const opened = openTestJournal(indexedDB);
  cleanups.push(() => opened.journal.close());
  return opened;
}

function uploaderFor(
  journal: ChunkJournal,
  api: FakeRecordingServer,
  options: Partial<ChunkUploaderOptions> = {},
): ChunkUploader {
  const timers = instantTimers();
  const uploader = new ChunkUploader({
    journal,
    api,
    random: () => 0.5,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    ...options,
  });
  cleanups.push(() => uploader.stop());
  return uploader;
}

function statusLog(uploader: ChunkUploader): Array<[UploaderStatus, string | undefined]> {
  const log: Array<[UploaderStatus, string | undefined]> = [];
  uploader.onStatus((status, detail) => log.push([status, detail]));
  return log;
}

/** A started uploader waiting out the backoff after its first upload failed, with `chunks` in the journal. */
async function inBackoff(chunks: number, options: Partial<ChunkUploaderOptions> = {}) {
  const server = new FakeRecordingServer();
  const { id } = server.addSession();
  const { journal } = journalFor();
  await recordedSession(journal, id, { chunks });
  server.fail("putChunk", networkError);
  const timers = heldTimers();
  const uploader = uploaderFor(journal, server, { ...timers, ...options });
  uploader.start();
  await until(() => timers.scheduled.length === 1);
  return { server, id, journal, timers, uploader };
}

function chunkUploads(server: FakeRecordingServer): string[] {
  return server.requests.filter((request) => request.startsWith("putChunk"));
}

/** Runs `hook` once, when the server receives chunk `seq` and before it handles it. */
function onceChunkArrives(server: FakeRecordingServer, seq: number, hook: () => void | Promise<void>): void {
  const putChunk = server.putChunk.bind(server);
  let done = false;
  vi.spyOn(server, "putChunk").mockImplementation(async (...request) => {
    if (request[2] === seq && !done) {
      done = true;
      await hook();
    }
    return putChunk(...request);
  });
}

describe("ChunkUploader", () => {
  it("declares each track once and uploads each track's chunks in seq order, the tracks taking turns, marking each uploaded after its acknowledgement", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { tracks: [0, 1], chunks: 3 });
    const uploader = uploaderFor(journal, server);

    uploader.start();
    uploader.wake();
    uploader.wake();
    await uploader.drain(id);

    expect(server.requests).toEqual([
      `getSession ${id}`,
      `declareTrack ${id}/0`,
      `putChunk ${id}/0/0`,
      `declareTrack ${id}/1`,
      `putChunk ${id}/1/0`,
      `putChunk ${id}/0/1`,
      `putChunk ${id}/1/1`,
      `putChunk ${id}/0/2`,
      `putChunk ${id}/1/2`,
    ]);
    expect(server.maxInFlightPerTrack).toBe(1);
    expect(server.storedBytes(id, 1, 2)).toEqual(new Uint8Array(pcm(4, 21)));
    expect(await journal.pending(id)).toEqual([]);
    const session = await journal.session(id);
    expect(session?.tracks.map((track) => [track.uploadedChunks, track.serverCommittedThrough])).toEqual([
      [3, 2],
      [3, 2],
    ]);
  });

  it("asks the server what it holds after the journal failed to record an acknowledgement, sending nothing it has again", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 3 });
    const markUploaded = journal.markUploaded.bind(journal);
    vi.spyOn(journal, "markUploaded").mockImplementation(async (...write) => {
      if (write[2] === 1 && vi.mocked(journal.markUploaded).mock.calls.length === 2) throw new Error("disk I/O error");
      return markUploaded(...write);
    });
    const timers = instantTimers();
    const uploader = uploaderFor(journal, server, timers);
    const statuses = statusLog(uploader);

    uploader.start();
    await uploader.drain(id);

    expect(statuses).toContainEqual(["error", "The local recording store failed: disk I/O error"]);
    expect(timers.delays).toHaveLength(1);
    expect(server.storedSeqs(id, 0)).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((seq) => server.uploadsOf(id, 0, seq))).toEqual([1, 1, 1]);
    expect(server.requests.filter((request) => request.startsWith("getSession"))).toHaveLength(2);
    expect(await journal.pending(id)).toEqual([]);
  });

  it("uploads chunks appended later after wake() without declaring the track again", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    const uploader = uploaderFor(journal, server);
    uploader.start();
    await uploader.drain(id);

    await journal.append(id, 0, pcm(4, 500));
    uploader.wake();
    await uploader.drain(id);

    expect(server.storedSeqs(id, 0)).toEqual([0, 1]);
    expect(server.requests.filter((request) => request.startsWith("declareTrack"))).toHaveLength(1);
  });

  it("keeps every track of every session in order while sessions take turns", async () => {
    const server = new FakeRecordingServer();
    const first = server.addSession().id;
    const second = server.addSession().id;
    const { journal } = journalFor();
    await recordedSession(journal, first, { tracks: [0, 1], chunks: 5 });
    await recordedSession(journal, second, { chunks: 5 });
    const uploader = uploaderFor(journal, server, { batchSize: 2 });

    uploader.start();
    await Promise.all([uploader.drain(first), uploader.drain(second)]);

    for (const [id, track] of [
      [first, 0],
      [first, 1],
      [second, 0],
    ] as const) {
      const seqs = chunkUploads(server)
        .filter((request) => request.startsWith(`putChunk ${id}/${track}/`))
        .map((request) => Number(request.split("/").at(-1)));
      expect(seqs).toEqual([0, 1, 2, 3, 4]);
    }
    const sessionsInOrder = chunkUploads(server).map((request) => request.slice(9, 9 + first.length));
    const turns = sessionsInOrder.filter((session, index) => session !== sessionsInOrder[index - 1]).length;
    expect(turns).toBeGreaterThan(2);
  });

  it("retries network failures, 5xx, 408 and 429 with full-jitter delays drawn from the injected random and timers", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    server.fail("putChunk", networkError);
    server.fail("putChunk", () => new ApiError(503, "The server is unavailable right now (503)."));
    server.fail("putChunk", () => new ApiError(408, "Request timeout."));
    server.fail("putChunk", () => new ApiError(429, "Too many requests."));
    server.fail("putChunk", () => new ApiError(500, "Internal error."));
    const timers = instantTimers();
    const random = vi.fn(() => 0.999);
    const uploader = uploaderFor(journal, server, {
      ...timers,
      random,
      baseDelayMs: 100,
      maxDelayMs: 500,
    });
    const statuses = statusLog(uploader);

    uploader.start();
    await uploader.drain(id);

    // Ceilings 100, 200, 400, then capped at 500; full jitter takes 0.999 of each.
    expect(timers.delays).toEqual([99, 199, 399, 499, 499]);
    expect(random).toHaveBeenCalledTimes(5);
    expect(server.uploadsOf(id, 0, 0)).toBe(6);
    expect(server.storedSeqs(id, 0)).toEqual([0]);
    expect(statuses).toContainEqual(["waiting-for-network", "Too many requests."]);
    await until(() => uploader.status === "idle");
    expect(statuses.at(-1)).toEqual(["idle", undefined]);
  });

  it("starts the backoff over after a successful upload", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    const timers = instantTimers();
    const uploader = uploaderFor(journal, server, { ...timers, random: () => 0.5, baseDelayMs: 100 });
    uploader.start();
    server.fail("putChunk", networkError, 2);
    await uploader.drain(id);

    await journal.append(id, 0, pcm(4, 99));
    server.fail("putChunk", networkError);
    uploader.wake();
    await uploader.drain(id);

    expect(timers.delays).toEqual([50, 100, 50]);
  });

  it("lets a backoff wait run its course when a chunk is appended, so an outage is not retried once per chunk", async () => {
    const { server, id, journal, timers, uploader } = await inBackoff(1);

    for (let seq = 1; seq <= 3; seq += 1) {
      await journal.append(id, 0, pcm(4, seq * 10));
      uploader.wake();
    }
    await settle();
    expect(chunkUploads(server)).toEqual([`putChunk ${id}/0/0`]);
    expect(timers.cleared).toEqual([]);

    timers.fire();
    await until(() => server.storedSeqs(id, 0).length === 4);
    expect(server.uploadsOf(id, 0, 0)).toBe(2);
  });

  it("cuts the backoff wait short on retryNow() and cancels the wait's timer", async () => {
    const { server, id, timers, uploader } = await inBackoff(2, { maxDelayMs: 60_000, baseDelayMs: 60_000 });

    expect(timers.delays).toEqual([30_000]);
    uploader.retryNow();
    await until(() => server.storedSeqs(id, 0).length === 2);

    expect(timers.cleared).toHaveLength(1);
    expect(timers.scheduled).toEqual([]);
  });

  it("wakes up when the browser reports it is online again and stops listening once stopped", async () => {
    const window = new EventTarget();
    const removeEventListener = vi.fn(window.removeEventListener.bind(window));
    vi.stubGlobal("addEventListener", window.addEventListener.bind(window));
    vi.stubGlobal("removeEventListener", removeEventListener);
    const { server, id, journal, uploader } = await inBackoff(1);

    window.dispatchEvent(new Event("online"));
    await until(() => server.storedSeqs(id, 0).length === 1);
    await uploader.stop();
    await journal.append(id, 0, pcm(4, 7));
    window.dispatchEvent(new Event("online"));
    await settle();

    expect(removeEventListener).toHaveBeenCalledWith("online", expect.any(Function));
    expect(server.storedSeqs(id, 0)).toEqual([0]);
  });

  it("continues from the journal's pending chunks after a reload, without sending acknowledged chunks again", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const before = journalFor();
    await recordedSession(before.journal, id, { chunks: 4 });
    const firstTimers = heldTimers();
    const firstPage = uploaderFor(before.journal, server, firstTimers);
    onceChunkArrives(server, 2, () => {
      server.offline = true;
    });
    firstPage.start();
    await until(() => firstTimers.scheduled.length === 1);
    await firstPage.stop();
    before.journal.close();

    server.offline = false;
    const { journal: reloaded } = journalFor(before.indexedDB);
    const secondPage = uploaderFor(reloaded, server);
    secondPage.start();
    await secondPage.drain(id);

    expect(server.storedSeqs(id, 0)).toEqual([0, 1, 2, 3]);
    expect([0, 1, 2, 3].map((seq) => server.uploadsOf(id, 0, seq))).toEqual([1, 1, 2, 1]);
  });

  it("never uploads a chunk again that the server stored when a reload lost its acknowledgement", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const before = journalFor();
    await recordedSession(before.journal, id, { chunks: 3 });
    const firstTimers = heldTimers();
    const firstPage = uploaderFor(before.journal, server, firstTimers);
    // The answer to seq 2 is lost: the server holds it, the journal still has it pending.
    onceChunkArrives(server, 2, () => server.loseAnswer("putChunk"));
    firstPage.start();
    await until(() => firstTimers.scheduled.length === 1);
    await firstPage.stop();
    before.journal.close();
    expect(server.storedSeqs(id, 0)).toEqual([0, 1, 2]);

    const { journal: reloaded } = journalFor(before.indexedDB);
    expect((await reloaded.pending(id)).map((chunk) => chunk.seq)).toEqual([2]);
    await reloaded.append(id, 0, pcm(4, 300));
    const secondPage = uploaderFor(reloaded, server);
    secondPage.start();
    await secondPage.drain(id);

    expect([0, 1, 2, 3].map((seq) => server.uploadsOf(id, 0, seq))).toEqual([1, 1, 1, 1]);
    expect(await reloaded.session(id)).toMatchObject({
      tracks: [expect.objectContaining({ uploadedChunks: 4, serverCommittedThrough: 3 })],
    });
  });

  it("reports progress with the server position and what is left to send after every acknowledgement", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 3 });
    const uploader = uploaderFor(journal, server);
    const progress: Array<[number, number]> = [];
    uploader.onProgress((update) => progress.push([update.serverCommittedThrough, update.pendingChunks]));
    uploader.onProgress(() => {
      throw new Error("a broken listener");
    });

    uploader.start();
    await uploader.drain(id);

    // The first report comes from asking the server where the track stands.
    expect(progress).toEqual([
      [-1, 3],
      [0, 2],
      [1, 1],
      [2, 0],
    ]);
  });

  it("stops uploading a session the server has already completed, says why once and keeps its chunks", async () => {
    const server = new FakeRecordingServer();
    const done = server.addSession({ status: "completed" }).id;
    const open = server.addSession().id;
    const { journal } = journalFor();
    await recordedSession(journal, done, { chunks: 2 });
    await recordedSession(journal, open, { chunks: 2 });
    const uploader = uploaderFor(journal, server);
    const statuses = statusLog(uploader);

    uploader.start();
    const refused = await uploader.drain(done).then(
      () => undefined,
      (error: unknown) => error,
    );
    await uploader.drain(open);
    uploader.wake();
    await uploader.drain(open);

    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/already finished/);
    expect(server.requests.filter((request) => request.includes(done))).toEqual([`getSession ${done}`]);
    expect(statuses.filter(([status]) => status === "error")).toHaveLength(1);
    expect(await journal.pending(done)).toHaveLength(2);
    expect(server.storedSeqs(open, 0)).toEqual([0, 1]);
  });

  it("sends a session the server lost again: creates it under its id and uploads every chunk this device holds", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession({ title: "Episode 12" });
    const { journal } = journalFor();
    await recordedSession(journal, id, { tracks: [0, 1], chunks: 2 });
    const uploader = uploaderFor(journal, server);
    uploader.start();
    await uploader.drain(id);
    // The server's data is restored from a backup older than the session; recording goes on.
    server.forgetSession(id);
    await journal.append(id, 0, pcm(4, 500));
    const statuses = statusLog(uploader);
    const requestsBefore = server.requests.length;

    await uploader.drain(id);

    expect(server.requests.slice(requestsBefore).filter((request) => !request.startsWith("putChunk"))).toEqual([
      `createSession ${id}`,
      `getSession ${id}`,
      `declareTrack ${id}/0`,
      `declareTrack ${id}/1`,
    ]);
    expect(server.storedSeqs(id, 0)).toEqual([0, 1, 2]);
    expect(server.storedSeqs(id, 1)).toEqual([0, 1]);
    expect(server.storedBytes(id, 0, 2)).toEqual(new Uint8Array(pcm(4, 500)));
    expect((await server.listSessions()).map((session) => [session.id, session.title])).toEqual([[id, "Episode 12"]]);
    expect(await journal.pending(id)).toEqual([]);
    expect((await journal.session(id))?.onServer).toBeUndefined();
    expect(statuses).toContainEqual(["error", "The server no longer has this session; it is being sent again from this device."]);
  });

  it("stops a lost session whose id the server now gives another user, keeping its chunks as on this device only", async () => {
    const server = new FakeRecordingServer();
    const taken = "0190f5d2-8c4e-7a3b-9d2f-00000000dead";
    server.addForeignSession(taken);
    // Another user's session answers 404, like one that does not exist.
    server.fail("getSession", () => new ApiError(404, "Session not found."));
    const { journal } = journalFor();
    await recordedSession(journal, taken, { chunks: 2 });
    await journal.markUploadedThrough(taken, 0, 0);
    const timers = instantTimers();
    const uploader = uploaderFor(journal, server, timers);

    uploader.start();
    await expect(uploader.drain(taken)).rejects.toThrow(/refused this session/);
    uploader.wake();
    await settle();

    expect(server.requests).toEqual([`getSession ${taken}`, `createSession ${taken}`]);
    expect(chunkUploads(server)).toEqual([]);
    expect(await journal.pending(taken)).toHaveLength(2);
    expect((await journal.recoverableSessions()).map((session) => [session.sessionId, session.onServer])).toEqual([[taken, false]]);
  });

  it("gives up on a session the server keeps losing after three re-creations instead of sending it forever", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    server.fail("putChunk", () => new ApiError(404, "Session not found."), 100);
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    const uploader = uploaderFor(journal, server);

    uploader.start();
    await expect(uploader.drain(id)).rejects.toThrow(/does not know this session/);

    expect(server.requests.filter((request) => request.startsWith("createSession"))).toHaveLength(3);
    expect(chunkUploads(server)).toHaveLength(4);
    expect(await journal.pending(id)).toHaveLength(1);
  });

  it("creates a session recorded before the server was reached under its own id, once, then uploads it", async () => {
    const server = new FakeRecordingServer();
    const offline = "0190f5d2-8c4e-7a3b-9d2f-00000000beef";
    const { journal } = journalFor();
    await recordedSession(journal, offline, { chunks: 2, title: "Offline take", onServer: false });
    // The first create reaches the server but its answer is lost: repeating it is harmless.
    server.loseAnswer("createSession");
    const uploader = uploaderFor(journal, server);

    uploader.start();
    await uploader.drain(offline);

    expect(server.requests.filter((request) => !request.startsWith("putChunk"))).toEqual([
      `createSession ${offline}`,
      `createSession ${offline}`,
      `getSession ${offline}`,
      `declareTrack ${offline}/0`,
    ]);
    expect(server.storedSeqs(offline, 0)).toEqual([0, 1]);
    expect((await server.listSessions()).map((session) => [session.id, session.title])).toEqual([[offline, "Offline take"]]);
    expect((await journal.session(offline))?.onServer).toBeUndefined();
  });

  it("creates a session recorded offline even without audio before its drain resolves, so it can be finished", async () => {
    const server = new FakeRecordingServer();
    const empty = "0190f5d2-8c4e-7a3b-9d2f-00000000cafe";
    const { journal } = journalFor();
    await recordedSession(journal, empty, { chunks: 0, onServer: false });
    server.fail("createSession", networkError);
    const uploader = uploaderFor(journal, server);

    uploader.start();
    await uploader.drain(empty);

    expect(server.requests).toEqual([`createSession ${empty}`, `createSession ${empty}`, `getSession ${empty}`]);
    expect((await server.getSession(empty)).status).toBe("active");
  });

  it("stops a session recorded offline whose id the server refuses, keeping its chunks, and tells why", async () => {
    const server = new FakeRecordingServer();
    const taken = "0190f5d2-8c4e-7a3b-9d2f-00000000f00d";
    server.addForeignSession(taken);
    const { journal } = journalFor();
    await recordedSession(journal, taken, { chunks: 1, onServer: false });
    const uploader = uploaderFor(journal, server);
    const stopped: Array<[string, string]> = [];
    uploader.onSessionStopped((sessionId, reason) => stopped.push([sessionId, reason]));

    uploader.start();
    await expect(uploader.drain(taken)).rejects.toThrow(/refused this session/);

    expect(stopped).toEqual([[taken, expect.stringMatching(/^The server refused this session: /)]]);
    expect(chunkUploads(server)).toEqual([]);
    expect(await journal.pending(taken, 10)).toHaveLength(1);
    expect((await journal.session(taken))?.onServer).toBe(false);
  });

  it("stops a session completed elsewhere while its chunks were being uploaded", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 3 });
    const uploader = uploaderFor(journal, server);
    onceChunkArrives(server, 1, () => server.setStatus(id, "completed"));

    uploader.start();
    await expect(uploader.drain(id)).rejects.toThrow(/already finished/);

    expect(server.requests.slice(-2)).toEqual([`putChunk ${id}/0/1`, `getSession ${id}`]);
    expect(server.storedSeqs(id, 0)).toEqual([0]);
    expect((await journal.pending(id)).map((chunk) => chunk.seq)).toEqual([1, 2]);
  });

  it("passes over a chunk the server holds with different content, never overwriting it, and uploads the rest", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    await server.declareTrack(id, 0, { label: "Input 0", sampleRate: 48_000, channels: 1 });
    const theirs = pcm(4, 9_000);
    await server.storeChunk(id, 0, 1, theirs);
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 3 });
    const uploader = uploaderFor(journal, server);
    const statuses = statusLog(uploader);

    uploader.start();
    await uploader.drain(id);
    uploader.wake();
    await uploader.drain(id);

    expect(server.storedSeqs(id, 0)).toEqual([0, 1, 2]);
    expect(server.storedBytes(id, 0, 1)).toEqual(new Uint8Array(theirs));
    expect(server.uploadsOf(id, 0, 1)).toBe(1);
    expect(statuses).toContainEqual(["error", "Chunk 1 of track 0 was not uploaded: Chunk 1 is already stored with different content."]);
    expect((await journal.pending(id)).map((chunk) => chunk.seq)).toEqual([1]);
  });

  it("passes over a chunk the server refuses as malformed rather than sending it forever", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 2 });
    server.fail("putChunk", () => new ApiError(400, "The Content-Digest does not match the body."));
    const timers = instantTimers();
    const uploader = uploaderFor(journal, server, timers);

    uploader.start();
    await uploader.drain(id);

    expect(server.storedSeqs(id, 0)).toEqual([1]);
    expect(server.uploadsOf(id, 0, 0)).toBe(1);
    expect(timers.delays).toEqual([]);
  });

  it("declares a track again after the server answered that it is not declared", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    await server.declareTrack(id, 0, { label: "Input 0", sampleRate: 48_000, channels: 1 });
    const uploader = uploaderFor(journal, server);
    uploader.start();
    await uploader.drain(id);
    // The server forgets the track (a restore from an older backup, say).
    server.forgetTracks(id);

    await journal.append(id, 0, pcm(4, 1));
    uploader.wake();
    await uploader.drain(id);

    expect(server.requests.filter((request) => request.startsWith("declareTrack"))).toHaveLength(3);
    expect(server.storedSeqs(id, 0)).toEqual([1]);
  });

  it("stops a session whose track the server has with another format", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    await server.declareTrack(id, 0, { label: "Input 0", sampleRate: 44_100, channels: 1 });
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    const uploader = uploaderFor(journal, server);

    uploader.start();

    await expect(uploader.drain(id)).rejects.toThrow(/Track 0 could not be declared/);
    expect(chunkUploads(server)).toEqual([]);
  });

  it("resolves a drain at once for a session with nothing to send", async () => {
    const server = new FakeRecordingServer();
    const { journal } = journalFor();
    const uploader = uploaderFor(journal, server);

    uploader.start();
    await uploader.drain("0190f5d2-8c4e-7a3b-9d2f-000000000000");

    expect(server.requests).toEqual([]);
  });

  it("holds a drain asked for before start() until the uploader starts, then uploads and resolves it", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 2 });
    const uploader = uploaderFor(journal, server);

    const drained = outcome(uploader.drain(id));
    await settle();
    expect(drained.settled()).toBe("pending");
    expect(server.requests).toEqual([]);
    uploader.start();
    await drained.promise;

    expect(server.storedSeqs(id, 0)).toEqual([0, 1]);
  });

  it("rejects a drain still waiting for the start when the uploader is stopped", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    const uploader = uploaderFor(journal, server);

    const draining = uploader.drain(id);
    await uploader.stop();

    await expect(draining).rejects.toThrow(/stopped before the session was uploaded/);
  });

  it("rejects a waiting drain when stopped and sends nothing afterwards", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    server.offline = true;
    const timers = heldTimers();
    const uploader = uploaderFor(journal, server, timers);
    uploader.start();
    const drained = uploader.drain(id).then(
      () => undefined,
      (error: unknown) => error,
    );
    await until(() => timers.scheduled.length === 1);

    await uploader.stop();
    server.offline = false;
    uploader.wake();
    await settle();

    expect(await drained).toEqual(new Error("The uploader stopped before the session was uploaded."));
    expect(server.storedSeqs(id, 0)).toEqual([]);
    expect(uploader.status).toBe("idle");
  });

  it("sends a chunk refused while the session is being finished again once that finish was refused, instead of passing it over", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 3 });
    const timers = heldTimers();
    const uploader = uploaderFor(journal, server, timers);
    const statuses = statusLog(uploader);
    // Another device asks the server to finish right after seq 0 arrived.
    onceChunkArrives(server, 1, () => server.setFinishing(id, true));

    uploader.start();
    const drained = uploader.drain(id);
    await until(() => timers.scheduled.length === 1);
    expect(server.storedSeqs(id, 0)).toEqual([0]);
    // That finish is refused (seqs 1 and 2 are missing), so the session takes chunks again.
    server.setFinishing(id, false);
    timers.fire();
    await drained;

    expect(server.storedSeqs(id, 0)).toEqual([0, 1, 2]);
    expect(await journal.pending(id)).toEqual([]);
    expect(statuses).toContainEqual(["error", "Session is being finished; it accepts no more audio"]);
  });

  it("declares a track again after a backoff when the session was being finished, instead of giving the session up", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks: 1 });
    // Declared the same way from an earlier page load, so the format is not what is refused.
    await server.declareTrack(id, 0, { label: "Input 0", sampleRate: 48_000, channels: 1 });
    server.setFinishing(id, true);
    const timers = heldTimers();
    const uploader = uploaderFor(journal, server, timers);

    uploader.start();
    const drained = uploader.drain(id);
    await until(() => timers.scheduled.length === 1);
    server.setFinishing(id, false);
    timers.fire();
    await drained;

    expect(server.requests.filter((request) => request.startsWith("declareTrack"))).toHaveLength(3);
    expect(server.storedSeqs(id, 0)).toEqual([0]);
  });
});

describe("ChunkUploader in several tabs", () => {
  /** Two tabs of one browser: two journals over the same IndexedDB, two uploaders sharing one lock. */
  function twoTabs(server: FakeRecordingServer) {
    const lock = sharedLock();
    const first = journalFor();
    const second = journalFor(first.indexedDB);
    const options = { runExclusively: lock.run };
    return {
      lock,
      first: { journal: first.journal, uploader: uploaderFor(first.journal, server, options) },
      second: { journal: second.journal, uploader: uploaderFor(second.journal, server, options) },
    };
  }

  it("sends each pending chunk once when two tabs upload the journal they share", async () => {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const { first, second } = twoTabs(server);
    await recordedSession(first.journal, id, { tracks: [0, 1], chunks: 4 });

    first.uploader.start();
    second.uploader.start();
    await Promise.all([first.uploader.drain(id), second.uploader.drain(id)]);

    for (const track of [0, 1] as const) {
      expect(server.storedSeqs(id, track)).toEqual([0, 1, 2, 3]);
      expect([0, 1, 2, 3].map((seq) => server.uploadsOf(id, track, seq))).toEqual([1, 1, 1, 1]);
    }
    expect(server.maxInFlightPerTrack).toBe(1);
  });

  /** An uploader over one session with `chunks` pending, while a tab outside the test holds the upload lock. */
  async function lockedElsewhere(chunks: number) {
    const server = new FakeRecordingServer();
    const { id } = server.addSession();
    const lock = sharedLock();
    const release = lock.holdElsewhere();
    const { journal } = journalFor();
    await recordedSession(journal, id, { chunks });
    const uploader = uploaderFor(journal, server, { runExclusively: lock.run });
    return { server, id, lock, release, uploader };
  }

  it("leaves the uploads to the tab holding the lock, and still drains once it may look itself", async () => {
    const { server, id, lock, release, uploader } = await lockedElsewhere(2);

    uploader.start();
    const drained = outcome(uploader.drain(id));
    await settle();
    expect(server.requests).toEqual([]);
    expect(drained.settled()).toBe("pending");
    release();
    await drained.promise;

    expect(server.storedSeqs(id, 0)).toEqual([0, 1]);
    await until(() => !lock.isHeld());
  });

  it("stops while waiting for the lock without uploading anything later", async () => {
    const { server, lock, release, uploader } = await lockedElsewhere(1);

    uploader.start();
    await settle();
    expect(lock.waiting()).toBe(1);
    await uploader.stop();
    release();
    await settle();

    expect(lock.waiting()).toBe(0);
    expect(server.requests).toEqual([]);
  });

  it.each([
    { when: "before", stored: [0] },
    { when: "after", stored: [0, 1] },
  ] as const)(
    "takes a session that another tab finished and purged $when chunk 1 reached the server as done, not as a failure",
    async ({ when, stored }) => {
      const server = new FakeRecordingServer();
      const { id } = server.addSession();
      const { first, second } = twoTabs(server);
      await recordedSession(first.journal, id, { chunks: 3 });
      const finishElsewhere = async () => {
        server.setStatus(id, "completed");
        await second.journal.purgeSession(id);
      };
      const putChunk = server.putChunk.bind(server);
      vi.spyOn(server, "putChunk").mockImplementation(async (...request) => {
        const seq = request[2];
        if (seq === 1 && when === "before") await finishElsewhere();
        const ack = await putChunk(...request);
        // Before this tab writes the answer to the journal.
        if (seq === 1 && when === "after") await finishElsewhere();
        return ack;
      });
      const timers = instantTimers();
      const uploader = uploaderFor(first.journal, server, timers);
      const statuses = statusLog(uploader);

      uploader.start();
      await uploader.drain(id);

      expect(chunkUploads(server)).toEqual([`putChunk ${id}/0/0`, `putChunk ${id}/0/1`]);
      expect(server.storedSeqs(id, 0)).toEqual(stored);
      expect(statuses.filter(([status]) => status === "error")).toEqual([]);
      expect(timers.delays).toEqual([]);
    },
  );
});

describe("webLockRunner", () => {
  it("runs the task under the uploader's Web Lock, passing the wait's signal on", async () => {
    const requests: Array<{ name: string; signal: AbortSignal | undefined }> = [];
    const locks = {
      request: async (name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>) => {
        requests.push({ name, signal: options.signal });
        return callback();
      },
    };
    const run = webLockRunner(locks);
    const signal = new AbortController().signal;
    let ran = false;

    await run?.(async () => {
      ran = true;
    }, signal);

    expect(ran).toBe(true);
    expect(requests).toEqual([{ name: UPLOAD_LOCK_NAME, signal }]);
    expect(UPLOAD_LOCK_NAME).toBe("tidemark-uploader");
  });

  it("gives no runner where the browser has no Web Locks, so the loop runs unguarded", () => {
    expect(webLockRunner(undefined)).toBeUndefined();
  });
});
