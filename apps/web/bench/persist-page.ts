/**
 * The benchmark's page for everything but detection, driven by bench/run-persist-bench.ts in
 * real Chromium. `?phase=` picks what it does; the answer lands on `window.__benchResult`.
 *
 * - `seed`: fills the chunk journal with interrupted sessions and their chunks.
 * - `save`: saves of the app state with a long draft, through the app's own persistence, each
 *   between two `performance.mark`s.
 */
import { ChunkJournal, createStatePersister, openStateStorage } from "@tidemark/client";
import type { Chapter } from "@tidemark/shared";
import { partializeAppState } from "../src/persistence/app-state-mapping.ts";
import { APP_STATE_KEY, appStatePersistence } from "../src/persistence/persistence-runtime.ts";
import { createTestStore } from "../src/store/test-store.ts";

import { JOURNAL_NAME, report, SAVE_MARK, type Result } from "./bench-page-support.ts";

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

  for (let i = 0; i < saves; i++) {
    const chapter = store.getState().draft.chapters[i % chapters]!;
    // One keystroke in one chapter, then the save it causes, up to the committed write; the
    // driver reads from a trace what the main thread did between the two marks.
    performance.mark(`${SAVE_MARK}${i}:start`);
    store.getState().editChapterText(chapter.id, `${chapter.text}${i % 10}`);
    await persister.flush();
    performance.mark(`${SAVE_MARK}${i}:end`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const record = (await storage.readRecord(APP_STATE_KEY)) as { payload: ArrayBuffer; encoding: string } | undefined;
  const status = persister.getStatus();
  persister.dispose();
  storage.close();
  return {
    ok: true,
    textBytes: new TextEncoder().encode(JSON.stringify(partializeAppState(store.getState()))).byteLength,
    storedBytes: record?.payload.byteLength ?? 0,
    encoding: record?.encoding ?? "none",
    phase: status.phase,
    error: status.error,
  };
}

const phases: Record<string, () => Promise<Result>> = { seed, save };
report(phases[params.get("phase") ?? ""]);
