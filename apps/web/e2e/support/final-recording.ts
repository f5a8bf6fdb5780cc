import { createHash } from "node:crypto";
import { expect, type Page } from "@playwright/test";
import type { ChunkAck, FinishBody, SessionDetail, SessionList, TrackSummary } from "@tidemark/shared";
import type { ApiServer } from "./api-server.ts";
import { journalTracks, type JournalTrackCounters } from "./journal.ts";
import { readWav, type WavSummary } from "./wav.ts";

/** `GET /api/session/:id`, asked with the page's own identity. */
export async function sessionDetail(page: Page, server: ApiServer, sessionId: string): Promise<SessionDetail> {
  const response = await page.request.get(`${server.url}/api/session/${sessionId}`);
  expect(response.status(), `GET /api/session/${sessionId}`).toBe(200);
  return (await response.json()) as SessionDetail;
}

/** Ids of the page user's sessions, newest first. */
export async function sessionIds(page: Page, server: ApiServer): Promise<string[]> {
  const response = await page.request.get(`${server.url}/api/sessions`);
  expect(response.status(), "GET /api/sessions").toBe(200);
  return ((await response.json()) as SessionList).sessions.map((session) => session.id);
}

/** A finished track: what the server says it stored, and its WAV as read from the server's disk. */
export interface FinalTrack {
  summary: TrackSummary;
  wav: WavSummary;
}

/**
 * The finalized tracks of a completed session. Each WAV's header is checked field by field
 * against the format the track was declared with, the file size against the one the server
 * recorded, and its audio against the chunks stored: a file that is the stored chunks end to end
 * holds exactly their bytes / 2 samples.
 */
export async function finalTracks(page: Page, server: ApiServer, sessionId: string, tracks: number): Promise<FinalTrack[]> {
  const detail = await sessionDetail(page, server, sessionId);
  expect(detail.status).toBe("completed");
  expect(detail.tracks.map((summary) => summary.track)).toEqual(Array.from({ length: tracks }, (_, track) => track));
  return detail.tracks.map((summary) => {
    // The recorder captures mono; the file must be in the rate the track declared.
    expect(summary.channels, `track ${summary.track} channels`).toBe(1);
    const wav = readWav(server.wavPath(sessionId, summary.track), summary);
    expect(detail.files.find((file) => file.track === summary.track)?.sizeBytes, `track ${summary.track} file size`).toBe(wav.fileBytes);
    expect(wav.samples, `track ${summary.track} samples`).toBe(summary.bytes / 2);
    return { summary, wav };
  });
}

/**
 * Seqs 0..n stored once each, none missing and none twice: the server counts a stored chunk once
 * per seq, so a count equal to the length of the gap-free run from seq 0, with nothing stored
 * above it, is exactly that run.
 */
export function expectContiguousSeqs({ summary }: FinalTrack): void {
  expect(summary.chunkCount, `track ${summary.track} chunks stored`).toBe(summary.committedThrough + 1);
  expect(summary.highestSeq, `track ${summary.track} highest seq`).toBe(summary.committedThrough);
}

/** The finish request the page sent, and the journal's counters at that moment. */
export interface FinishSeen {
  body: NonNullable<FinishBody>;
  journal: JournalTrackCounters[];
}

/**
 * Reads the page's journal while each finish request of the session is held back. The journal
 * keeps every chunk until the server has finished the session and purges it right after, so the
 * counters read while the (last) finish waits are the final word on what this device recorded.
 */
export async function readJournalAtFinish(page: Page, sessionId: string): Promise<() => FinishSeen> {
  let seen: FinishSeen | undefined;
  await page.route(`**/api/session/${sessionId}/finish`, async (route) => {
    try {
      const journal = await journalTracks(page, sessionId);
      if (journal) seen = { body: (route.request().postDataJSON() as FinishBody) ?? {}, journal };
    } finally {
      await route.continue();
    }
  });
  return () => {
    if (!seen) throw new Error(`No finish of ${sessionId} was sent while its journal was there to read.`);
    return seen;
  };
}

/**
 * Every chunk this device recorded is in the file, and nothing else. Exact, not within a chunk:
 * the journal counts a chunk in the same transaction that stores it (seq, bytes), recording had
 * stopped, and the finish asked for no gaps to be allowed, with the journal's last seq. So the
 * server must hold seqs 0..nextSeq-1 — which `chunkCount` and contiguity confirm — and a file of
 * exactly the journal's byte count holds all of their audio.
 */
export function expectEveryRecordedChunkInFile(tracks: FinalTrack[], finish: FinishSeen): void {
  expect(finish.body.allowGaps, "finish allowed gaps").toBeUndefined();
  for (const final of tracks) {
    const { track } = final.summary;
    const recorded = finish.journal.find((counters) => counters.track === track);
    expect(recorded, `journal track ${track}`).toBeDefined();
    // The device still held every seq it handed out.
    expect(recorded!.localChunks, `track ${track} chunks on the device`).toBe(recorded!.nextSeq);
    expect(finish.body.lastSeq?.[String(track) as "0" | "1"], `track ${track} lastSeq sent`).toBe(recorded!.nextSeq - 1);
    expectContiguousSeqs(final);
    expect(final.summary.chunkCount, `track ${track} chunks on the server`).toBe(recorded!.nextSeq);
    expect(final.wav.dataBytes, `track ${track} audio bytes`).toBe(recorded!.localBytes);
  }
}

/** A chunk upload the server acknowledged (2xx), as the page saw it. */
export interface AcknowledgedChunk {
  track: number;
  seq: number;
  size: number;
  /** Base64 SHA-256 of the body, from the request's `Content-Digest`. */
  sha256: string;
}

const CHUNK_PATH = /\/api\/session\/[^/]+\/tracks\/\d+\/chunks\/\d+$/;

/**
 * Records every chunk acknowledgement the page receives. `soFar()` is what had been acknowledged
 * when it is called; a test awaits it after a crash to learn what the server had promised.
 */
export function watchAcknowledgedChunks(page: Page): { soFar(): Promise<AcknowledgedChunk[]> } {
  const acknowledged: Array<Promise<AcknowledgedChunk>> = [];
  page.on("response", (response) => {
    const request = response.request();
    if (request.method() !== "PUT" || !response.ok() || !CHUNK_PATH.test(new URL(response.url()).pathname)) return;
    const sha256 = /sha-256=:([A-Za-z0-9+/=]+):/.exec(request.headers()["content-digest"] ?? "")?.[1] ?? "";
    acknowledged.push(response.json().then((ack: ChunkAck) => ({ track: ack.track, seq: ack.seq, size: ack.size, sha256 })));
  });
  return { soFar: () => Promise.all(acknowledged.slice()) };
}

/**
 * The file is the acknowledged chunks end to end, in seq order, byte for byte: every stored seq
 * was acknowledged (the client retries until it is), and the audio at its place in the file has
 * the digest the client sent and the server accepted.
 */
export function expectFileIsAcknowledgedChunks({ summary, wav }: FinalTrack, acknowledged: AcknowledgedChunk[]): void {
  const bySeq = new Map<number, AcknowledgedChunk>();
  for (const ack of acknowledged.filter((ack) => ack.track === summary.track)) {
    const earlier = bySeq.get(ack.seq);
    // A replay is acknowledged again; it must be the same chunk.
    if (earlier) expect(ack, `track ${summary.track} seq ${ack.seq} acknowledged twice differently`).toEqual(earlier);
    bySeq.set(ack.seq, ack);
  }
  let offset = 0;
  for (let seq = 0; seq <= summary.highestSeq; seq += 1) {
    const ack = bySeq.get(seq);
    expect(ack, `track ${summary.track} seq ${seq} acknowledged`).toBeDefined();
    const inFile = wav.data.subarray(offset, offset + ack!.size);
    expect(createHash("sha256").update(inFile).digest("base64"), `track ${summary.track} seq ${seq} in the file`).toBe(ack!.sha256);
    offset += ack!.size;
  }
  expect(offset, `track ${summary.track} bytes of acknowledged chunks`).toBe(wav.dataBytes);
}
