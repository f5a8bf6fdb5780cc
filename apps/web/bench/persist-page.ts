/**
 * The benchmark's page for everything but detection, driven by bench/run-persist-bench.ts in
 * real Chromium. `?phase=` picks what it does; the answer lands on `window.__benchResult`.
 *
 * - `seed`: fills the chunk journal with interrupted sessions and their chunks.
 * - `save`: saves of the app state with a long draft, through the app's own persistence.
 */
import { ChunkJournal, createStatePersister, openStateStorage } from "@tidemark/client";
import type { Chapter } from "@tidemark/shared";
import { partializeAppState } from "../src/persistence/app-state-mapping.ts";
import { APP_STATE_KEY, appStatePersistence } from "../src/persistence/persistence-runtime.ts";
import { createTestStore } from "../src/store/test-store.ts";

import { JOURNAL_NAME, report, type Result } from "./bench-page-support.ts";

const STATE_NAME = "bench-state";

const params = new URLSearchParams(location.search);

async function seed(): Promise<Result> {
  const sessions = Number(params.get("sessions"));
  const chunksPerSession = Number(params.get("chunks")) / sessions;
  const journal = new ChunkJournal({ name: JOURNAL_NAME });
  // Short chunks: detection never reads audio, so their length does not matter, only their number.
  const pcm = new ArrayBuffer(1_024);
  const started = performance.now();
  const batch = 25;
  for (let first = 0; first < sessions; first += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, sessions - first) }, async (_, offset) => {
        const sessionId = `bench-session-${String(first + offset).padStart(5, "0")}`;
        await journal.startSession({ sessionId, title: `Interrupted take ${first + offset}`, kind: "recording" });
        await journal.declareTrack(sessionId, { track: 0, label: "Microphone", sampleRate: 48_000, channels: 1 });
        for (let chunk = 0; chunk < chunksPerSession; chunk++) await journal.append(sessionId, 0, pcm);
      }),
    );
  }
  journal.close();
  return { ok: true, seconds: (performance.now() - started) / 1000 };
}

/** Words of a made-up book, so compression meets ordinary prose. */
function prose(characters: number, seed: number): string {
  const words = ["the", "keeper", "climbed", "stairs", "at", "dusk", "and", "lit", "lamp", "while", "waves", "broke", "on", "rocks", "below", "her", "old", "house"];
  let text = "";
  let n = seed;
  while (text.length < characters) {
    n = (n * 1_103_515_245 + 12_345) % 2_147_483_648;
    text += words[n % words.length]! + (n % 13 === 0 ? ".\n\n" : " ");
  }
  return text.slice(0, characters);
}

/**
 * Main-thread time of `task`, async parts included: a message loop runs beside it, and every gap
 * between two of its turns longer than an idle turn is time something else held the thread.
 * Answers the total and the longest such slice (what a keystroke could have waited for).
 */
async function mainThreadTime(task: () => Promise<void>): Promise<{ total: number; longest: number }> {
  const channel = new MessageChannel();
  let last = performance.now();
  let total = 0;
  let longest = 0;
  let running = true;
  const count = (now: number) => {
    const gap = now - last;
    if (gap > IDLE_TURN_MS) {
      total += gap;
      longest = Math.max(longest, gap);
    }
    last = now;
  };
  channel.port1.onmessage = () => {
    count(performance.now());
    if (running) channel.port2.postMessage(0);
  };
  channel.port2.postMessage(0);
  await task();
  running = false;
  count(performance.now());
  channel.port1.close();
  return { total, longest };
}

/** A loop turn with nothing else to do takes a few microseconds; longer gaps are other work. */
const IDLE_TURN_MS = 0.1;

async function save(): Promise<Result> {
  const chapters = Number(params.get("chapters"));
  const characters = Number(params.get("characters"));
  const saves = Number(params.get("saves"));
  const storage = await openStateStorage({ name: STATE_NAME });
  const { store } = createTestStore();
  const persister = createStatePersister({
    ...appStatePersistence(store, storage),
    crossTab: false,
    lifecycle: null,
    // Written only when the benchmark says so.
    writeDelayMs: 3_600_000,
    maxWriteDelayMs: 3_600_000,
  });
  await persister.hydrate();
  const book: Chapter[] = Array.from({ length: chapters }, (_, index) => ({ id: `chapter-${index + 1}`, title: `Chapter ${index + 1}`, text: prose(characters, index + 1) }));
  store.setState({ draft: { ...store.getState().draft, chapters: book, title: "A long book" } });
  await persister.flush();

  const perSave: number[] = [];
  const longestSlice: number[] = [];
  let payloadBytes = 0;
  for (let i = 0; i < saves; i++) {
    const chapter = store.getState().draft.chapters[i % chapters]!;
    const busy = await mainThreadTime(async () => {
      // One keystroke in one chapter, then the save it causes.
      store.getState().editChapterText(chapter.id, `${chapter.text}${i % 10}`);
      await persister.flush();
    });
    perSave.push(busy.total);
    longestSlice.push(busy.longest);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const record = (await storage.readRecord(APP_STATE_KEY)) as { payload: ArrayBuffer; encoding: string } | undefined;
  payloadBytes = record?.payload.byteLength ?? 0;
  const status = persister.getStatus();
  persister.dispose();
  storage.close();
  return {
    ok: true,
    perSave,
    longestSlice,
    textBytes: new TextEncoder().encode(JSON.stringify(partializeAppState(store.getState()))).byteLength,
    storedBytes: payloadBytes,
    encoding: record?.encoding ?? "none",
    phase: status.phase,
    error: status.error,
  };
}

const phases: Record<string, () => Promise<Result>> = { seed, save };
report(phases[params.get("phase") ?? ""]);
