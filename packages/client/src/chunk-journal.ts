import { CHUNK_MAX_BYTES, type TrackNumber } from "@tidemark/shared";
import Dexie, { type Table } from "dexie";
import { sha256Base64 } from "./digest.ts";
import { readRecordDirect } from "./direct-record-read.ts";

export type { TrackNumber };

/** One recorded chunk as the journal holds it: raw little-endian 16-bit PCM and its digest. */
export interface JournalChunk {
  sessionId: string;
  track: TrackNumber;
  seq: number;
  pcm: ArrayBuffer;
  /** Base64 SHA-256 of `pcm`, computed when the chunk was appended. */
  sha256: string;
  byteLength: number;
  createdAt: number;
  /** The server acknowledged these exact bytes. */
  uploaded: boolean;
}

/** A track's declaration and the counters the UI and recovery detection read without touching audio. */
export interface JournalTrack {
  track: TrackNumber;
  label: string;
  sampleRate: number;
  channels: number;
  /** The seq the next appended chunk gets. */
  nextSeq: number;
  /** Chunks held on this device (uploaded or not). */
  localChunks: number;
  localBytes: number;
  /** Of those, chunks the server acknowledged. */
  uploadedChunks: number;
  uploadedBytes: number;
  /** Last seq the server holds with no gap before it, as last heard (-1: none). */
  serverCommittedThrough: number;
}

export interface JournalSession {
  sessionId: string;
  kind: "recording";
  title: string;
  state: "recording" | "stopped" | "finished";
  tracks: JournalTrack[];
  createdAt: number;
  updatedAt: number;
  /**
   * False while the session exists only on this device: it was started while the server could
   * not be reached, under an id made here, and the uploader creates it on the server first.
   * Absent (sessions journaled before this field, and every other one) means the server has it.
   */
  onServer?: false;
}

export interface TrackDeclarationInput {
  track: TrackNumber;
  label: string;
  sampleRate: number;
  channels: number;
}

/** A just-declared track: nothing recorded, nothing on the server. */
export function newJournalTrack(decl: TrackDeclarationInput): JournalTrack {
  return {
    track: decl.track,
    label: decl.label,
    sampleRate: decl.sampleRate,
    channels: decl.channels,
    nextSeq: 0,
    localChunks: 0,
    localBytes: 0,
    uploadedChunks: 0,
    uploadedBytes: 0,
    serverCommittedThrough: -1,
  };
}

export interface ChunkJournalOptions {
  /** IndexedDB database name; one name is one journal. */
  name?: string;
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
  now?: () => number;
}

export const DEFAULT_JOURNAL_NAME = "tidemark-journal";

/** Metadata of a chunk. `pending` is 1/0 rather than a boolean because booleans cannot be indexed. */
interface ChunkRow {
  sessionId: string;
  track: TrackNumber;
  seq: number;
  sha256: string;
  byteLength: number;
  createdAt: number;
  pending: 0 | 1;
}

/** The bytes of a chunk, under the same key as its metadata row. */
interface AudioRow {
  sessionId: string;
  track: TrackNumber;
  seq: number;
  pcm: ArrayBuffer;
}

type ChunkKey = [string, number, number];

/** An interrupted session this device holds audio of, as the journal's recovery summary lists it. */
export interface RecoverableJournalSession {
  sessionId: string;
  title: string;
  createdAt: number;
  chunks: number;
  pendingChunks: number;
  /** Length of the longest track. */
  seconds: number;
  /** False while the session exists only on this device (see `JournalSession.onServer`). */
  onServer: boolean;
}

/** `onServer` is 0 for a session the server does not have yet, 1 otherwise. */
type RecoveryEntry = [createdAt: number, title: string, chunks: number, pendingChunks: number, seconds: number, onServer: 0 | 1];

/**
 * What recovery detection reads on every page load: one record listing the interrupted sessions
 * with audio, kept up to date in the same transaction as every change of a session. One record
 * reads in a fraction of the time a thousand session records take.
 */
type RecoverySummary = Record<string, RecoveryEntry>;

/**
 * The summary as stored: its JSON text, because IndexedDB hands one string back several times
 * faster than a thousand small arrays (journals of version 2 stored the object itself).
 */
type StoredRecoverySummary = string | RecoverySummary;

/** The stored summary, `{}` when none was written yet, `undefined` when it is damaged (rebuild it). */
function readStoredSummary(stored: unknown): RecoverySummary | undefined {
  if (stored === undefined) return {};
  let summary: unknown = stored;
  if (typeof stored === "string") {
    try {
      summary = JSON.parse(stored);
    } catch {
      return undefined;
    }
  }
  if (typeof summary !== "object" || summary === null || Array.isArray(summary)) return undefined;
  // Summaries written before an entry said whether the server has its session are rebuilt.
  for (const entry of Object.values(summary)) if (!Array.isArray(entry) || entry.length !== 6) return undefined;
  return summary as RecoverySummary;
}

const RECOVERY_SUMMARY_KEY = "summary";

/** Bytes per sample of the journal's 16-bit PCM. */
const BYTES_PER_SAMPLE = 2;

function recoveryEntry(session: JournalSession): RecoveryEntry | undefined {
  const recoverable = (session.state === "recording" || session.state === "stopped") && session.tracks.some((track) => track.localChunks > 0);
  if (!recoverable) return undefined;
  let chunks = 0;
  let pending = 0;
  let seconds = 0;
  for (const track of session.tracks) {
    chunks += track.localChunks;
    pending += track.localChunks - track.uploadedChunks;
    // Tracks are recorded side by side, so the session lasts as long as its longest track.
    seconds = Math.max(seconds, track.localBytes / (track.sampleRate * track.channels * BYTES_PER_SAMPLE));
  }
  return [session.createdAt, session.title, chunks, pending, seconds, session.onServer === false ? 0 : 1];
}

function summaryOf(sessions: JournalSession[]): RecoverySummary {
  const summary: RecoverySummary = {};
  for (const session of sessions) {
    const entry = recoveryEntry(session);
    if (entry) summary[session.sessionId] = entry;
  }
  return summary;
}

/** Writes the summary anew from the session records; callers hold both tables in their transaction. */
async function rebuildSummary(sessions: Table<JournalSession, string>, recovery: Table<StoredRecoverySummary, string>): Promise<RecoverySummary> {
  const summary = summaryOf(await sessions.toArray());
  await recovery.put(JSON.stringify(summary), RECOVERY_SUMMARY_KEY);
  return summary;
}

const TRACK_NUMBERS: readonly TrackNumber[] = [0, 1];

/** The first item of each list, then the second of each, and so on. */
function takeTurns<T>(lists: T[][]): T[] {
  const merged: T[] = [];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  for (let index = 0; index < longest; index += 1) {
    for (const list of lists) if (index < list.length) merged.push(list[index]!);
  }
  return merged;
}

const CHUNK_KEY = "[sessionId+track+seq]";
const PENDING_INDEX = "[pending+sessionId+track+seq]";

class JournalDatabase extends Dexie {
  // `declare`, not fields: class fields would overwrite the tables Dexie assigns in `version()`.
  declare sessions: Table<JournalSession, string>;
  declare chunks: Table<ChunkRow, ChunkKey>;
  declare audio: Table<AudioRow, ChunkKey>;
  declare recovery: Table<StoredRecoverySummary, string>;

  /**
   * The journal is the only copy of audio not yet uploaded: its writes ask Chromium to flush each
   * commit to disk (`strict`) rather than let an OS crash take the last seconds with it. Only the
   * server's acknowledgements go through a `relaxed` connection (see `ChunkJournal`).
   */
  constructor(name: string, options: ChunkJournalOptions, durability: "strict" | "relaxed") {
    super(name, {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
      chromeTransactionDurability: durability,
    });
    // Audio sits in its own table so listing sessions (recovery detection on every page load)
    // never reads a byte of it; the counters that detection needs live in the session record.
    this.version(1).stores({
      sessions: "sessionId",
      chunks: `${CHUNK_KEY}, ${PENDING_INDEX}`,
      audio: CHUNK_KEY,
    });
    this.version(2).stores({ recovery: "" });
    // The summary as JSON text, built from the session records (version 2 stored an object).
    this.version(3).upgrade((transaction) => rebuildSummary(transaction.table("sessions"), transaction.table("recovery")));
  }
}

/**
 * Durable local journal of recorded audio (IndexedDB through Dexie).
 *
 * A chunk is durable once `append` resolves: the bytes, their metadata and the session's
 * counters are written in one transaction, and the promise settles only after it commits.
 * Local copies stay until `purgeSession`, which callers run only after the server finished the
 * session, so any chunk the server turns out to lack can be sent again.
 *
 * The server's acknowledgements (`markUploaded`, `markUploadedThrough`) are written through a
 * second connection that does not wait for the disk flush, which made each one cost as much as a
 * chunk's own commit and slowed an upload backlog to a few chunks a second. An acknowledgement
 * lost to an OS crash costs nothing: after a reload the uploader asks the server what it holds
 * before sending, and a chunk sent again is answered as already stored.
 */
export class ChunkJournal {
  readonly #db: JournalDatabase;
  readonly #acks: JournalDatabase;
  readonly #now: () => number;
  readonly #name: string;
  readonly #indexedDB: IDBFactory | undefined;

  constructor(options: ChunkJournalOptions = {}) {
    this.#name = options.name ?? DEFAULT_JOURNAL_NAME;
    this.#db = new JournalDatabase(this.#name, options, "strict");
    this.#acks = new JournalDatabase(this.#name, options, "relaxed");
    this.#now = options.now ?? Date.now;
    this.#indexedDB = options.indexedDB ?? globalThis.indexedDB;
  }

  /**
   * Records a new session; a session already in the journal is left as it is. `onServer: false`
   * marks one the server does not have yet.
   */
  async startSession(input: { sessionId: string; title: string; kind: "recording"; onServer?: boolean }): Promise<void> {
    const db = this.#db;
    await db.transaction("rw", [db.sessions, db.recovery], async () => {
      if (await db.sessions.get(input.sessionId)) return;
      const now = this.#now();
      const session: JournalSession = { sessionId: input.sessionId, kind: input.kind, title: input.title, state: "recording", tracks: [], createdAt: now, updatedAt: now };
      if (input.onServer === false) session.onServer = false;
      await db.sessions.add(session);
      await this.#updateRecoverySummary(db, session.sessionId, session);
    });
  }

  /**
   * Declares a track before its first chunk. Declaring it again with the same format is harmless
   * (the label may change); a different sample rate or channel count is refused, because chunks
   * already recorded would be read in the wrong format.
   */
  async declareTrack(sessionId: string, decl: TrackDeclarationInput): Promise<void> {
    assertTrackNumber(decl.track);
    const db = this.#db;
    await db.transaction("rw", [db.sessions, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      const existing = session.tracks.find((entry) => entry.track === decl.track);
      if (existing) {
        if (existing.sampleRate !== decl.sampleRate || existing.channels !== decl.channels) {
          throw new Error(
            `Track ${decl.track} is already declared as ${existing.sampleRate} Hz, ${existing.channels} channel(s).`,
          );
        }
        if (existing.label === decl.label) return;
        existing.label = decl.label;
      } else {
        session.tracks.push(newJournalTrack(decl));
        session.tracks.sort((a, b) => a.track - b.track);
      }
      session.updatedAt = this.#now();
      await this.#putSession(db, session);
    });
  }

  /**
   * Stores a chunk under the track's next seq. The seq is taken and advanced in the same
   * transaction that writes the bytes, so concurrent appends never share a seq and a crash never
   * leaves a seq that was handed out but not written. Resolves after the transaction committed.
   */
  async append(sessionId: string, track: TrackNumber, pcm: ArrayBuffer): Promise<JournalChunk> {
    assertTrackNumber(track);
    assertChunkBody(pcm);
    // Digest first: a transaction commits as soon as it waits on anything but its own requests.
    const sha256 = await sha256Base64(pcm);
    const byteLength = pcm.byteLength;
    const db = this.#db;
    return db.transaction("rw", [db.sessions, db.chunks, db.audio, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      const entry = requireTrack(session, track);
      const createdAt = this.#now();
      const seq = entry.nextSeq;
      entry.nextSeq = seq + 1;
      entry.localChunks += 1;
      entry.localBytes += byteLength;
      session.updatedAt = createdAt;
      // `add`, never `put`: an existing seq must fail loudly rather than be overwritten.
      await db.chunks.add({ sessionId, track, seq, sha256, byteLength, createdAt, pending: 1 });
      await db.audio.add({ sessionId, track, seq, pcm });
      await this.#putSession(db, session);
      return { sessionId, track, seq, pcm, sha256, byteLength, createdAt, uploaded: false };
    });
  }

  /** Moves the track's next seq to at least `atLeast`, so no seq the server already holds is reused. */
  async ensureNextSeq(sessionId: string, track: TrackNumber, atLeast: number): Promise<void> {
    const db = this.#db;
    await db.transaction("rw", [db.sessions, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      const entry = requireTrack(session, track);
      if (entry.nextSeq >= atLeast) return;
      entry.nextSeq = atLeast;
      session.updatedAt = this.#now();
      await this.#putSession(db, session);
    });
  }

  /**
   * Chunks not yet acknowledged by the server. Of one session, each track's in seq order, the
   * tracks taking turns, so that a backlog of one track (say, while the uploader is slower than
   * the recording) never holds the other one back; of every session, ordered by session id,
   * track and seq.
   */
  async pending(sessionId?: string, limit?: number): Promise<JournalChunk[]> {
    const db = this.#db;
    const pendingRows = (from: unknown[], to: unknown[]) => {
      const rows = db.chunks.where(PENDING_INDEX).between(from, to, true, true);
      return (limit === undefined ? rows : rows.limit(limit)).toArray();
    };
    return db.transaction("r", [db.chunks, db.audio], async () => {
      if (sessionId === undefined) return this.#withAudio(await pendingRows([1, Dexie.minKey, Dexie.minKey, Dexie.minKey], [1, Dexie.maxKey, Dexie.maxKey, Dexie.maxKey]));
      const tracks = await Promise.all(TRACK_NUMBERS.map((track) => pendingRows([1, sessionId, track, Dexie.minKey], [1, sessionId, track, Dexie.maxKey])));
      const inTurns = takeTurns(tracks);
      return this.#withAudio(limit === undefined ? inTurns : inTurns.slice(0, limit));
    });
  }

  async getChunk(sessionId: string, track: TrackNumber, seq: number): Promise<JournalChunk | undefined> {
    const db = this.#db;
    return db.transaction("r", [db.chunks, db.audio], async () => {
      const row = await db.chunks.get([sessionId, track, seq]);
      if (!row) return undefined;
      return (await this.#withAudio([row]))[0];
    });
  }

  /**
   * Records the server's acknowledgement of one chunk and where the track stands on the server;
   * returns the track's counters as they are now.
   */
  async markUploaded(sessionId: string, track: TrackNumber, seq: number, serverCommittedThrough: number): Promise<JournalTrack> {
    const db = this.#acks;
    return db.transaction("rw", [db.sessions, db.chunks, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      const entry = requireTrack(session, track);
      const row = await db.chunks.get([sessionId, track, seq]);
      if (row?.pending === 1) {
        await db.chunks.update([sessionId, track, seq], { pending: 0 });
        entry.uploadedChunks += 1;
        entry.uploadedBytes += row.byteLength;
      }
      // Acks of one track can arrive out of order (two tabs); the position only moves forward here.
      entry.serverCommittedThrough = Math.max(entry.serverCommittedThrough, serverCommittedThrough);
      session.updatedAt = this.#now();
      await this.#putSession(db, session);
      return { ...entry };
    });
  }

  /**
   * Marks every pending chunk up to `committedThrough` as uploaded, in one transaction: the server
   * reported it holds them all (e.g. after a reload lost the last acknowledgements), so they must
   * not be sent again. Returns how many chunks changed.
   */
  async markUploadedThrough(sessionId: string, track: TrackNumber, committedThrough: number): Promise<number> {
    const db = this.#acks;
    return db.transaction("rw", [db.sessions, db.chunks, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      const entry = requireTrack(session, track);
      let changed = 0;
      if (committedThrough >= 0) {
        const rows = await db.chunks
          .where(PENDING_INDEX)
          .between([1, sessionId, track, 0], [1, sessionId, track, committedThrough], true, true)
          .toArray();
        for (const row of rows) {
          await db.chunks.update([sessionId, track, row.seq], { pending: 0 });
          entry.uploadedChunks += 1;
          entry.uploadedBytes += row.byteLength;
        }
        changed = rows.length;
      }
      const before = entry.serverCommittedThrough;
      entry.serverCommittedThrough = Math.max(before, committedThrough);
      if (changed === 0 && entry.serverCommittedThrough === before) return 0;
      session.updatedAt = this.#now();
      await this.#putSession(db, session);
      return changed;
    });
  }

  /** The server says it lacks these seqs: queue them to be sent again. Seqs not in the journal are ignored. */
  async markPending(sessionId: string, track: TrackNumber, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    const db = this.#db;
    await db.transaction("rw", [db.sessions, db.chunks, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      const entry = requireTrack(session, track);
      for (const seq of seqs) {
        const row = await db.chunks.get([sessionId, track, seq]);
        if (row?.pending !== 0) continue;
        await db.chunks.update([sessionId, track, seq], { pending: 1 });
        entry.uploadedChunks -= 1;
        entry.uploadedBytes -= row.byteLength;
      }
      // The server holds nothing without a gap past the first seq it lacks.
      const firstMissing = seqs.reduce((lowest, seq) => Math.min(lowest, seq), Infinity);
      entry.serverCommittedThrough = Math.min(entry.serverCommittedThrough, firstMissing - 1);
      session.updatedAt = this.#now();
      await this.#putSession(db, session);
    });
  }

  async setState(sessionId: string, state: JournalSession["state"]): Promise<void> {
    const db = this.#db;
    await db.transaction("rw", [db.sessions, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      if (session.state === state) return;
      session.state = state;
      session.updatedAt = this.#now();
      await this.#putSession(db, session);
    });
  }

  /** The server has created a session that was journaled before it could be (see `JournalSession.onServer`). */
  async markOnServer(sessionId: string): Promise<void> {
    const db = this.#db;
    await db.transaction("rw", [db.sessions, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      if (session.onServer !== false) return;
      delete session.onServer;
      await this.#putSession(db, session);
    });
  }

  /**
   * The server no longer has the session (its data there was lost or removed): it is marked as
   * on this device only again and every chunk held here is queued to be sent anew, in the same
   * transaction. Returns how many chunks were queued again.
   */
  async markNotOnServer(sessionId: string): Promise<number> {
    const db = this.#db;
    return db.transaction("rw", [db.sessions, db.chunks, db.recovery], async () => {
      const session = await this.#requireSession(db, sessionId);
      const uploaded = await db.chunks
        .where(PENDING_INDEX)
        .between([0, sessionId, Dexie.minKey, Dexie.minKey], [0, sessionId, Dexie.maxKey, Dexie.maxKey], true, true)
        .primaryKeys();
      for (const key of uploaded) await db.chunks.update(key, { pending: 1 });
      for (const entry of session.tracks) {
        entry.uploadedChunks = 0;
        entry.uploadedBytes = 0;
        entry.serverCommittedThrough = -1;
      }
      session.onServer = false;
      session.updatedAt = this.#now();
      await this.#putSession(db, session);
      return uploaded.length;
    });
  }

  /** Every session's metadata and counters, newest first. Reads the session table only, never audio. */
  async sessions(): Promise<JournalSession[]> {
    const sessions = await this.#db.sessions.toArray();
    return sessions.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Sessions interrupted with audio on this device, newest first, from the recovery summary alone. */
  async recoverableSessions(): Promise<RecoverableJournalSession[]> {
    const summary = await this.#readRecoverySummary();
    return Object.entries(summary)
      .map(([sessionId, [createdAt, title, chunks, pendingChunks, seconds, onServer]]) => ({
        sessionId,
        title,
        createdAt,
        chunks,
        pendingChunks,
        seconds,
        onServer: onServer === 1,
      }))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  async session(sessionId: string): Promise<JournalSession | undefined> {
    return this.#db.sessions.get(sessionId);
  }

  /** Deletes a session and all its audio: once the server has finished it, or when the user discards this device's copy. */
  async purgeSession(sessionId: string): Promise<void> {
    const db = this.#db;
    await db.transaction("rw", [db.sessions, db.chunks, db.audio, db.recovery], async () => {
      const lower = [sessionId, Dexie.minKey, Dexie.minKey];
      const upper = [sessionId, Dexie.maxKey, Dexie.maxKey];
      await db.chunks.where(CHUNK_KEY).between(lower, upper, true, true).delete();
      await db.audio.where(CHUNK_KEY).between(lower, upper, true, true).delete();
      await db.sessions.delete(sessionId);
      await this.#updateRecoverySummary(db, sessionId, undefined);
    });
  }

  close(): void {
    this.#db.close();
    this.#acks.close();
  }

  /** Writes a session and its line of the recovery summary; callers hold both tables in their transaction. */
  async #putSession(db: JournalDatabase, session: JournalSession): Promise<void> {
    await db.sessions.put(session);
    await this.#updateRecoverySummary(db, session.sessionId, session);
  }

  async #updateRecoverySummary(db: JournalDatabase, sessionId: string, session: JournalSession | undefined): Promise<void> {
    const summary = readStoredSummary(await db.recovery.get(RECOVERY_SUMMARY_KEY)) ?? summaryOf(await db.sessions.toArray());
    const entry = session && recoveryEntry(session);
    const current = summary[sessionId];
    if (entry === undefined ? current === undefined : current !== undefined && entry.every((value, index) => value === current[index])) return;
    if (entry) summary[sessionId] = entry;
    else delete summary[sessionId];
    await db.recovery.put(JSON.stringify(summary), RECOVERY_SUMMARY_KEY);
  }

  /**
   * On page load the journal is not open yet, and detection is the first thing it is asked: the
   * summary is read with one plain IndexedDB read instead of waiting for Dexie's open. A journal
   * whose database predates the summary (or any surprise) goes through Dexie, which upgrades it.
   */
  async #readRecoverySummary(): Promise<RecoverySummary> {
    if (!this.#db.isOpen() && this.#indexedDB) {
      try {
        const read = await readRecordDirect<unknown>(this.#indexedDB, this.#name, "recovery", RECOVERY_SUMMARY_KEY);
        if (read.found === "no-database") return {};
        const summary = read.found === "value" ? readStoredSummary(read.value) : undefined;
        if (summary) return summary;
      } catch {
        // Dexie's open below reports what is wrong, or repairs it.
      }
    }
    const db = this.#db;
    const summary = readStoredSummary(await db.recovery.get(RECOVERY_SUMMARY_KEY));
    if (summary) return summary;
    // A damaged summary is rebuilt from the session records it summarizes.
    return db.transaction("rw", [db.sessions, db.recovery], () => rebuildSummary(db.sessions, db.recovery));
  }

  async #requireSession(db: JournalDatabase, sessionId: string): Promise<JournalSession> {
    const session = await db.sessions.get(sessionId);
    if (!session) throw new Error(`The journal holds no session ${sessionId}.`);
    return session;
  }

  async #withAudio(rows: ChunkRow[]): Promise<JournalChunk[]> {
    const audio = await this.#db.audio.bulkGet(rows.map((row) => [row.sessionId, row.track, row.seq]));
    const chunks: JournalChunk[] = [];
    rows.forEach((row, index) => {
      const bytes = audio[index];
      // Bytes and metadata are written in one transaction, so a row without bytes means the
      // browser damaged its storage; such a chunk cannot be sent and is left out.
      if (!bytes) return;
      chunks.push({
        sessionId: row.sessionId,
        track: row.track,
        seq: row.seq,
        pcm: bytes.pcm,
        sha256: row.sha256,
        byteLength: row.byteLength,
        createdAt: row.createdAt,
        uploaded: row.pending === 0,
      });
    });
    return chunks;
  }
}

function requireTrack(session: JournalSession, track: TrackNumber): JournalTrack {
  const entry = session.tracks.find((candidate) => candidate.track === track);
  if (!entry) throw new Error(`Track ${track} of session ${session.sessionId} is not declared in the journal.`);
  return entry;
}

function assertTrackNumber(track: number): asserts track is TrackNumber {
  if (track !== 0 && track !== 1) throw new RangeError(`Tracks are numbered 0 and 1, not ${track}.`);
}

// The server refuses such bodies for good; storing them would only queue an upload that never ends.
function assertChunkBody(pcm: ArrayBuffer): void {
  if (pcm.byteLength === 0) throw new RangeError("A chunk needs at least one sample.");
  if (pcm.byteLength % 2 !== 0) throw new RangeError("A chunk of 16-bit PCM has an even number of bytes.");
  if (pcm.byteLength > CHUNK_MAX_BYTES) {
    throw new RangeError(`A chunk holds at most ${CHUNK_MAX_BYTES} bytes, not ${pcm.byteLength}.`);
  }
}
