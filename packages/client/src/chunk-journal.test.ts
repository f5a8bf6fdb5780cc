import { CHUNK_MAX_BYTES } from "@tidemark/shared";
import Dexie from "dexie";
import { IDBDatabase, IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChunkJournal, TrackNumber } from "./chunk-journal.ts";
import { sha256Base64 } from "./digest.ts";
import { openTestJournal, pcm } from "./test-support/harness.ts";

const SESSION = "0190f5d2-8c4e-7a3b-9d2f-000000000001";
const OTHER = "0190f5d2-8c4e-7a3b-9d2f-000000000002";

const journals: ChunkJournal[] = [];

afterEach(() => {
  for (const journal of journals.splice(0)) journal.close();
  vi.restoreAllMocks();
});

/** A fresh, empty IndexedDB; journals opened on the same factory share their data (a "reload"). */
function openJournal(indexedDB = new IDBFactory(), now: () => number = () => 1_000) {
  const opened = openTestJournal(indexedDB, now);
  journals.push(opened.journal);
  return opened;
}

async function recordingSession(journal: ChunkJournal, sessionId = SESSION, tracks: TrackNumber[] = [0]) {
  await journal.startSession({ sessionId, title: "Episode 12", kind: "recording" });
  for (const track of tracks) {
    await journal.declareTrack(sessionId, { track, label: `Input ${track}`, sampleRate: 48_000, channels: 1 });
  }
}

async function track(journal: ChunkJournal, track: TrackNumber, sessionId = SESSION) {
  const session = await journal.session(sessionId);
  const entry = session?.tracks.find((candidate) => candidate.track === track);
  if (!entry) throw new Error(`track ${track} missing`);
  return entry;
}

function keys(chunks: Array<{ sessionId: string; track: number; seq: number }>): string[] {
  return chunks.map((chunk) => `${chunk.sessionId.slice(-1)}/${chunk.track}/${chunk.seq}`);
}

describe("ChunkJournal", () => {
  it("assigns consecutive seqs from zero per track and stores the bytes with their digest", async () => {
    const { journal } = openJournal();
    await recordingSession(journal, SESSION, [0, 1]);

    const first = await journal.append(SESSION, 0, pcm(4, 0));
    const second = await journal.append(SESSION, 0, pcm(4, 100));
    const otherTrack = await journal.append(SESSION, 1, pcm(4, 200));

    expect([first.seq, second.seq, otherTrack.seq]).toEqual([0, 1, 0]);
    expect(first).toMatchObject({ sessionId: SESSION, track: 0, byteLength: 8, uploaded: false, createdAt: 1_000 });
    expect(first.sha256).toBe(await sha256Base64(pcm(4, 0)));
    const stored = await journal.getChunk(SESSION, 0, 1);
    expect(new Int16Array(stored?.pcm ?? new ArrayBuffer(0))).toEqual(Int16Array.from([100, 101, 102, 103]));
  });

  it("has a chunk committed when append resolves, so another connection to the database already sees it", async () => {
    const { journal, indexedDB } = openJournal();
    await recordingSession(journal);

    await journal.append(SESSION, 0, pcm(4));
    const { journal: secondTab } = openJournal(indexedDB);

    expect(keys(await secondTab.pending())).toEqual(["1/0/0"]);
  });

  it("continues the seqs and keeps pending chunks across a close and reopen of the same database", async () => {
    const before = openJournal();
    await recordingSession(before.journal);
    await before.journal.append(SESSION, 0, pcm(4, 0));
    await before.journal.append(SESSION, 0, pcm(4, 10));
    before.journal.close();

    const { journal: reloaded } = openJournal(before.indexedDB);
    const next = await reloaded.append(SESSION, 0, pcm(4, 20));

    expect(next.seq).toBe(2);
    expect(keys(await reloaded.pending())).toEqual(["1/0/0", "1/0/1", "1/0/2"]);
    expect(await track(reloaded, 0)).toMatchObject({ nextSeq: 3, localChunks: 3, localBytes: 24 });
  });

  it("never hands out the same seq twice when two tracks are appended to concurrently", async () => {
    const { journal } = openJournal();
    await recordingSession(journal, SESSION, [0, 1]);

    const appended = await Promise.all(
      Array.from({ length: 20 }, (_, index) => journal.append(SESSION, (index % 2) as TrackNumber, pcm(2, index))),
    );

    for (const trackNumber of [0, 1] as const) {
      const seqs = appended.filter((chunk) => chunk.track === trackNumber).map((chunk) => chunk.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await track(journal, trackNumber)).toMatchObject({ nextSeq: 10, localChunks: 10, localBytes: 40 });
    }
    expect(await journal.pending(SESSION)).toHaveLength(20);
  });

  it("lists pending chunks ordered by session, track and seq, or of one session with its tracks taking turns, up to a limit", async () => {
    const { journal } = openJournal();
    await recordingSession(journal, OTHER, [0]);
    await recordingSession(journal, SESSION, [0, 1]);
    await journal.append(OTHER, 0, pcm(2));
    await journal.append(SESSION, 1, pcm(2));
    await journal.append(SESSION, 0, pcm(2));
    await journal.append(SESSION, 1, pcm(2));
    await journal.append(SESSION, 0, pcm(2));

    expect(keys(await journal.pending())).toEqual(["1/0/0", "1/0/1", "1/1/0", "1/1/1", "2/0/0"]);
    expect(keys(await journal.pending(SESSION, 3))).toEqual(["1/0/0", "1/1/0", "1/0/1"]);
    expect(keys(await journal.pending(SESSION))).toEqual(["1/0/0", "1/1/0", "1/0/1", "1/1/1"]);
    expect(keys(await journal.pending(OTHER))).toEqual(["2/0/0"]);
  });

  it("gives a track with a few pending chunks its turn within a limit another track's backlog would fill", async () => {
    const { journal } = openJournal();
    await recordingSession(journal, SESSION, [0, 1]);
    for (let chunk = 0; chunk < 5; chunk += 1) await journal.append(SESSION, 0, pcm(2));
    await journal.append(SESSION, 1, pcm(2));

    expect(keys(await journal.pending(SESSION, 3))).toEqual(["1/0/0", "1/1/0", "1/0/1"]);
  });

  it("moves an uploaded chunk out of pending and counts it once, in the session's counters", async () => {
    const { journal } = openJournal();
    await recordingSession(journal);
    await journal.append(SESSION, 0, pcm(4));
    await journal.append(SESSION, 0, pcm(6));

    await journal.markUploaded(SESSION, 0, 0, 0);
    await journal.markUploaded(SESSION, 0, 0, 0);

    expect(keys(await journal.pending())).toEqual(["1/0/1"]);
    expect((await journal.getChunk(SESSION, 0, 0))?.uploaded).toBe(true);
    expect(await track(journal, 0)).toMatchObject({
      localChunks: 2,
      localBytes: 20,
      uploadedChunks: 1,
      uploadedBytes: 8,
      serverCommittedThrough: 0,
    });
  });

  it("marks every pending chunk up to the server's committed position as uploaded in one call", async () => {
    const { journal } = openJournal();
    await recordingSession(journal);
    for (let index = 0; index < 5; index += 1) await journal.append(SESSION, 0, pcm(2, index));
    await journal.markUploaded(SESSION, 0, 0, 0);

    const changed = await journal.markUploadedThrough(SESSION, 0, 3);

    expect(changed).toBe(3);
    expect(keys(await journal.pending())).toEqual(["1/0/4"]);
    expect(await track(journal, 0)).toMatchObject({ uploadedChunks: 4, uploadedBytes: 16, serverCommittedThrough: 3 });
  });

  it("queues chunks the server lacks again, lowers the server position and ignores seqs it never held", async () => {
    const { journal } = openJournal();
    await recordingSession(journal);
    for (let index = 0; index < 4; index += 1) await journal.append(SESSION, 0, pcm(2, index));
    await journal.markUploadedThrough(SESSION, 0, 3);

    await journal.markPending(SESSION, 0, [2, 1, 99]);

    expect(keys(await journal.pending())).toEqual(["1/0/1", "1/0/2"]);
    expect(await track(journal, 0)).toMatchObject({ uploadedChunks: 2, uploadedBytes: 8, serverCommittedThrough: 0 });
  });

  it("raises the next seq to what the server already holds but never lowers it", async () => {
    const { journal } = openJournal();
    await recordingSession(journal);
    await journal.append(SESSION, 0, pcm(2));

    await journal.ensureNextSeq(SESSION, 0, 7);
    await journal.ensureNextSeq(SESSION, 0, 3);

    expect((await journal.append(SESSION, 0, pcm(2))).seq).toBe(7);
  });

  it("purges one session's metadata and audio and leaves other sessions alone", async () => {
    const { journal } = openJournal();
    await recordingSession(journal, SESSION);
    await recordingSession(journal, OTHER);
    await journal.append(SESSION, 0, pcm(2));
    await journal.append(SESSION, 0, pcm(2));
    await journal.append(OTHER, 0, pcm(2));

    await journal.purgeSession(SESSION);

    expect(await journal.session(SESSION)).toBeUndefined();
    expect(await journal.getChunk(SESSION, 0, 0)).toBeUndefined();
    expect(keys(await journal.pending())).toEqual(["2/0/0"]);
    expect((await journal.sessions()).map((session) => session.sessionId)).toEqual([OTHER]);
  });

  it("lists sessions newest first without opening a transaction on the audio table", async () => {
    // Spied before the database opens: Dexie binds the connection's transaction method when it opens.
    const transaction = vi.spyOn(IDBDatabase.prototype, "transaction");
    let clock = 1_000;
    const { journal } = openJournal(new IDBFactory(), () => clock);
    await recordingSession(journal, OTHER);
    clock = 2_000;
    await recordingSession(journal, SESSION);
    await journal.append(SESSION, 0, pcm(2));
    transaction.mockClear();

    const sessions = await journal.sessions();

    expect(sessions.map((session) => session.sessionId)).toEqual([SESSION, OTHER]);
    expect(sessions[0]?.tracks[0]).toMatchObject({ localChunks: 1, localBytes: 4 });
    const storesTouched = transaction.mock.calls.flatMap(([stores]) => (typeof stores === "string" ? [stores] : [...stores]));
    expect(storesTouched).toContain("sessions");
    expect(storesTouched).not.toContain("audio");
    expect(storesTouched).not.toContain("chunks");
  });

  it("flushes audio to disk with each commit and writes the server's acknowledgements without waiting for the flush", async () => {
    // Spied before the database opens: Dexie binds the connection's transaction method when it opens.
    const transaction = vi.spyOn(IDBDatabase.prototype, "transaction");
    const { journal } = openJournal();
    await recordingSession(journal);
    const durabilityOf = async (write: () => Promise<unknown>) => {
      transaction.mockClear();
      await write();
      return transaction.mock.calls.filter(([, mode]) => mode === "readwrite").map(([, , options]) => options?.durability);
    };

    expect(await durabilityOf(() => journal.append(SESSION, 0, pcm(2)))).toEqual(["strict"]);
    expect(await durabilityOf(() => journal.markUploaded(SESSION, 0, 0, 0))).toEqual(["relaxed"]);
    await journal.append(SESSION, 0, pcm(2));
    expect(await durabilityOf(() => journal.markUploadedThrough(SESSION, 0, 1))).toEqual(["relaxed"]);
    expect(await durabilityOf(() => journal.markPending(SESSION, 0, [0]))).toEqual(["strict"]);
    expect((await track(journal, 0)).uploadedChunks).toBe(1);
  });

  it("keeps a session and its counters when the session is started again", async () => {
    const { journal } = openJournal();
    await recordingSession(journal);
    await journal.append(SESSION, 0, pcm(2));
    await journal.setState(SESSION, "stopped");

    await journal.startSession({ sessionId: SESSION, title: "Another title", kind: "recording" });
    await journal.declareTrack(SESSION, { track: 0, label: "Renamed input", sampleRate: 48_000, channels: 1 });

    const session = await journal.session(SESSION);
    expect(session).toMatchObject({ title: "Episode 12", state: "stopped" });
    expect(session?.tracks).toHaveLength(1);
    expect(session?.tracks[0]).toMatchObject({ label: "Renamed input", nextSeq: 1, localChunks: 1 });
  });

  it("remembers a session started before the server had it until it is marked as on the server, across a reload", async () => {
    const indexedDB = new IDBFactory();
    const { journal } = openJournal(indexedDB);
    await journal.startSession({ sessionId: SESSION, title: "Offline take", kind: "recording", onServer: false });
    await journal.startSession({ sessionId: OTHER, title: "Online take", kind: "recording" });
    expect((await journal.session(SESSION))?.onServer).toBe(false);
    expect((await journal.session(OTHER))?.onServer).toBeUndefined();
    // Starting it again (a resume) does not change what the journal knows.
    await journal.startSession({ sessionId: SESSION, title: "Offline take", kind: "recording" });
    journal.close();

    const reopened = openJournal(indexedDB).journal;
    expect((await reopened.session(SESSION))?.onServer).toBe(false);
    await reopened.markOnServer(SESSION);
    expect((await reopened.session(SESSION))?.onServer).toBeUndefined();
    await expect(reopened.markOnServer("0190f5d2-8c4e-7a3b-9d2f-00000000000f")).rejects.toThrow();
  });

  it("refuses to declare an existing track again with a different format", async () => {
    const { journal } = openJournal();
    await recordingSession(journal);

    await expect(
      journal.declareTrack(SESSION, { track: 0, label: "Input 0", sampleRate: 44_100, channels: 1 }),
    ).rejects.toThrow(/already declared as 48000 Hz/);
  });

  it("refuses chunks the server could never accept and stores nothing for them", async () => {
    const { journal } = openJournal();
    await recordingSession(journal);

    await expect(journal.append(SESSION, 0, new ArrayBuffer(3))).rejects.toThrow(RangeError);
    await expect(journal.append(SESSION, 0, new ArrayBuffer(0))).rejects.toThrow(RangeError);
    await expect(journal.append(SESSION, 0, new ArrayBuffer(CHUNK_MAX_BYTES + 2))).rejects.toThrow(RangeError);
    await expect(journal.append(SESSION, 1, pcm(2))).rejects.toThrow(/not declared/);
    await expect(journal.append(OTHER, 0, pcm(2))).rejects.toThrow(/no session/);

    expect(await journal.pending()).toEqual([]);
    expect(await track(journal, 0)).toMatchObject({ nextSeq: 0, localChunks: 0 });
  });

  it("accepts a chunk of exactly the largest size the server takes", async () => {
    const { journal } = openJournal();
    await recordingSession(journal);

    const chunk = await journal.append(SESSION, 0, new ArrayBuffer(CHUNK_MAX_BYTES));

    expect(chunk.byteLength).toBe(CHUNK_MAX_BYTES);
  });
});

/** The database of a journal that recorded one chunk of SESSION and was closed, as a crashed page leaves it. */
async function closedJournalWithOneChunk(): Promise<IDBFactory> {
  const indexedDB = new IDBFactory();
  const { journal } = openJournal(indexedDB);
  await recordingSession(journal, SESSION);
  await journal.append(SESSION, 0, pcm(48_000));
  journal.close();
  return indexedDB;
}

describe("ChunkJournal recovery summary", () => {
  it("lists interrupted sessions with audio, newest first, and drops finished and purged ones", async () => {
    let clock = 1_000;
    const { journal } = openJournal(new IDBFactory(), () => clock);
    await recordingSession(journal, SESSION);
    await journal.append(SESSION, 0, pcm(48_000));
    clock = 2_000;
    await recordingSession(journal, OTHER);
    await journal.append(OTHER, 0, pcm(24_000));
    await journal.markUploaded(OTHER, 0, 0, 0);

    expect(await journal.recoverableSessions()).toEqual([
      { sessionId: OTHER, title: "Episode 12", createdAt: 2_000, chunks: 1, pendingChunks: 0, seconds: 0.5, onServer: true },
      { sessionId: SESSION, title: "Episode 12", createdAt: 1_000, chunks: 1, pendingChunks: 1, seconds: 1, onServer: true },
    ]);
    await journal.setState(OTHER, "finished");
    expect((await journal.recoverableSessions()).map((session) => session.sessionId)).toEqual([SESSION]);
    await journal.purgeSession(SESSION);
    expect(await journal.recoverableSessions()).toEqual([]);
  });

  it("says which interrupted sessions the server does not have yet, on a reload too, until they are marked as on it", async () => {
    const indexedDB = new IDBFactory();
    const { journal } = openJournal(indexedDB);
    await journal.startSession({ sessionId: SESSION, title: "Offline take", kind: "recording", onServer: false });
    await journal.declareTrack(SESSION, { track: 0, label: "Mic", sampleRate: 48_000, channels: 1 });
    await journal.append(SESSION, 0, pcm(48_000));
    await recordingSession(journal, OTHER);
    await journal.append(OTHER, 0, pcm(48_000));
    const onServer = async (j: ChunkJournal) => (await j.recoverableSessions()).map((session) => [session.sessionId, session.onServer]);
    journal.close();

    const reopened = openJournal(indexedDB).journal;
    expect(await onServer(reopened)).toEqual(expect.arrayContaining([[SESSION, false], [OTHER, true]]));
    await reopened.markOnServer(SESSION);
    expect(await onServer(reopened)).toEqual(expect.arrayContaining([[SESSION, true], [OTHER, true]]));
  });

  it("queues every chunk of a session again when the server no longer has it, and no other session's", async () => {
    const indexedDB = new IDBFactory();
    const { journal } = openJournal(indexedDB);
    await recordingSession(journal, SESSION, [0, 1]);
    for (const trackNumber of [0, 0, 1] as const) await journal.append(SESSION, trackNumber, pcm(48_000));
    await journal.append(SESSION, 0, pcm(48_000)); // seq 2 of track 0, never uploaded
    await journal.markUploadedThrough(SESSION, 0, 1);
    await journal.markUploaded(SESSION, 1, 0, 0);
    await recordingSession(journal, OTHER);
    await journal.append(OTHER, 0, pcm(10));
    await journal.markUploaded(OTHER, 0, 0, 0);

    expect(await journal.markNotOnServer(SESSION)).toBe(3);

    journal.close();
    const reopened = openJournal(indexedDB).journal;
    expect(keys(await reopened.pending())).toEqual(["1/0/0", "1/0/1", "1/0/2", "1/1/0"]);
    const session = await reopened.session(SESSION);
    expect(session?.onServer).toBe(false);
    expect(session?.tracks.map(({ localChunks, uploadedChunks, uploadedBytes, serverCommittedThrough }) => [localChunks, uploadedChunks, uploadedBytes, serverCommittedThrough])).toEqual([
      [3, 0, 0, -1],
      [1, 0, 0, -1],
    ]);
    expect(await reopened.recoverableSessions()).toEqual(
      expect.arrayContaining([expect.objectContaining({ sessionId: SESSION, chunks: 4, pendingChunks: 4, onServer: false })]),
    );
    expect(await track(reopened, 0, OTHER)).toMatchObject({ uploadedChunks: 1, serverCommittedThrough: 0 });
    await expect(reopened.markNotOnServer("0190f5d2-8c4e-7a3b-9d2f-00000000000f")).rejects.toThrow();
  });

  it("answers detection on a reload with one plain read, before the journal's own open", async () => {
    const indexedDB = await closedJournalWithOneChunk();

    const opens: Array<number | undefined> = [];
    const open = indexedDB.open.bind(indexedDB);
    vi.spyOn(indexedDB, "open").mockImplementation((name: string, version?: number) => {
      opens.push(version);
      return open(name, version);
    });
    const { journal } = openJournal(indexedDB);

    expect((await journal.recoverableSessions()).map((session) => session.sessionId)).toEqual([SESSION]);
    expect(opens).toEqual([undefined]);
    // The journal still opens and works as usual afterwards.
    expect((await journal.append(SESSION, 0, pcm(10))).seq).toBe(1);
  });

  it("answers detection on a device that never recorded without creating the journal's database", async () => {
    const indexedDB = new IDBFactory();
    const { journal } = openJournal(indexedDB);

    expect(await journal.recoverableSessions()).toEqual([]);
    expect(await indexedDB.databases()).toEqual([]);
  });

  it("reads a summary stored as an object by the previous journal version, before and after its upgrade", async () => {
    const indexedDB = new IDBFactory();
    const old = new Dexie("journal-under-test", { indexedDB });
    old.version(2).stores({ sessions: "sessionId", chunks: "[sessionId+track+seq], [pending+sessionId+track+seq]", audio: "[sessionId+track+seq]", recovery: "" });
    const track = { track: 0, label: "Mic", sampleRate: 8_000, channels: 1, nextSeq: 1, localChunks: 1, localBytes: 16_000, uploadedChunks: 0, uploadedBytes: 0, serverCommittedThrough: -1 };
    await old.table("sessions").add({ sessionId: SESSION, kind: "recording", title: "Older", state: "recording", tracks: [track], createdAt: 7, updatedAt: 7 });
    await old.table("recovery").put({ [SESSION]: [7, "Older", 1, 1, 1] }, "summary");
    old.close();
    const expected = [{ sessionId: SESSION, title: "Older", createdAt: 7, chunks: 1, pendingChunks: 1, seconds: 1, onServer: true }];

    const { journal: reloaded } = openJournal(indexedDB);
    expect(await reloaded.recoverableSessions()).toEqual(expected);
    // Opening it upgrades the summary; every later read and write goes on from there.
    await reloaded.append(SESSION, 0, pcm(8_000));
    expect(await reloaded.recoverableSessions()).toEqual([{ ...expected[0], chunks: 2, pendingChunks: 2, seconds: 2 }]);
    reloaded.close();
    const { journal: again } = openJournal(indexedDB);
    expect(await again.recoverableSessions()).toEqual([{ ...expected[0], chunks: 2, pendingChunks: 2, seconds: 2 }]);
  });

  it("rebuilds a damaged summary from the session records instead of losing the recoverable sessions", async () => {
    const indexedDB = await closedJournalWithOneChunk();
    const raw = new Dexie("journal-under-test", { indexedDB });
    await raw.open();
    await raw.table("recovery").put("{not json", "summary");
    raw.close();

    const { journal } = openJournal(indexedDB);
    expect((await journal.recoverableSessions()).map((session) => [session.sessionId, session.chunks])).toEqual([[SESSION, 1]]);
    await journal.append(SESSION, 0, pcm(10));
    expect((await journal.recoverableSessions()).map((session) => [session.sessionId, session.chunks])).toEqual([[SESSION, 2]]);
  });

  it("summarizes the sessions of a journal written before the summary existed", async () => {
    const indexedDB = new IDBFactory();
    const old = new Dexie("journal-under-test", { indexedDB });
    old.version(1).stores({ sessions: "sessionId", chunks: "[sessionId+track+seq], [pending+sessionId+track+seq]", audio: "[sessionId+track+seq]" });
    const track = { track: 0, label: "Mic", sampleRate: 8_000, channels: 1, nextSeq: 2, localChunks: 2, localBytes: 32_000, uploadedChunks: 1, uploadedBytes: 16_000, serverCommittedThrough: 0 };
    await old.table("sessions").add({ sessionId: SESSION, kind: "recording", title: "Before", state: "stopped", tracks: [track], createdAt: 5, updatedAt: 5 });
    old.close();

    const { journal } = openJournal(indexedDB);

    expect(await journal.recoverableSessions()).toEqual([
      { sessionId: SESSION, title: "Before", createdAt: 5, chunks: 2, pendingChunks: 1, seconds: 2, onServer: true },
    ]);
  });
});
