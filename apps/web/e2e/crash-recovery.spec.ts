import { expect, test } from "@playwright/test";
import { serverAndCrashableBrowserPerTest } from "./support/crashable-browser.ts";
import {
  expectEveryRecordedChunkInFile,
  expectFileIsAcknowledgedChunks,
  finalTracks,
  readJournalAtFinish,
  sessionDetail,
  sessionIds,
  watchAcknowledgedChunks,
} from "./support/final-recording.ts";
import { CHUNK_SECONDS, positions, startRecording, stopRecording, waitForLocalSeconds } from "./support/studio.ts";

// Each scenario runs the built app on its own server and its own Chromium profile, and judges
// the result by the finalized WAV files on the server's disk: their headers, and their audio
// against what the device recorded and the server acknowledged.
test.describe.configure({ mode: "serial", timeout: 180_000 });

const running = serverAndCrashableBrowserPerTest({ SESSION_TIMEOUT_MS: "5000", SWEEP_INTERVAL_MS: "500" });

test("records two tracks and finalizes one valid WAV per track with the recorded duration", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  const page = await browser.newPage();
  await page.goto(server.url);
  const sessionId = await startRecording(page, { title: "Two tracks", tracks: 2 });
  const finishSeen = await readJournalAtFinish(page, sessionId);
  await waitForLocalSeconds(page, 8);
  await stopRecording(page, 2);
  const recorded = (await positions(page)).localSeconds;
  // The user is told until when the server keeps the files (the default retention, 24 h).
  const retention = page.getByTestId("final-files").getByTestId("server-retention");
  await expect(retention).toContainText("Download them to keep them.");
  const keptUntil = Date.parse((await retention.locator("time").getAttribute("datetime")) ?? "");
  expect(keptUntil - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
  expect(keptUntil - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);

  const tracks = await finalTracks(page, server, sessionId, 2);
  expectEveryRecordedChunkInFile(tracks, finishSeen());
  for (const { wav } of tracks) {
    expect(Math.abs(wav.seconds - recorded)).toBeLessThanOrEqual(CHUNK_SECONDS);
    expect(wav.seconds).toBeGreaterThanOrEqual(8 - CHUNK_SECONDS);
  }
});

test("after a browser crash the recovery notice offers to resume the same session, losing at most one chunk", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  let page = await browser.newPage();
  await page.goto(server.url);
  const sessionId = await startRecording(page, { title: "Crash mid-take", tracks: 2 });
  await waitForLocalSeconds(page, 6);
  const beforeCrash = (await positions(page)).localSeconds;
  await browser.crash();

  await browser.launch();
  page = await browser.newPage();
  await page.goto(server.url);
  const banner = page.getByTestId("recovery-banner");
  await expect(banner).toBeVisible({ timeout: 10_000 });
  const item = banner.locator(`[data-testid="recovery-item"][data-session-id="${sessionId}"]`);
  await item.getByTestId("recovery-resume").click();
  await expect(page.getByTestId("record-stop")).toBeVisible({ timeout: 15_000 });
  expect((await positions(page)).sessionId).toBe(sessionId);
  const finishSeen = await readJournalAtFinish(page, sessionId);

  const resumedAt = (await positions(page)).localSeconds;
  await waitForLocalSeconds(page, resumedAt + 4);
  await stopRecording(page, 2);
  const total = (await positions(page)).localSeconds;

  // One session throughout: the resume made no new one, and what came after the crash continued
  // the seqs from before it, none missing and none twice.
  expect(await sessionIds(page, server)).toEqual([sessionId]);
  const tracks = await finalTracks(page, server, sessionId, 2);
  expectEveryRecordedChunkInFile(tracks, finishSeen());
  for (const { wav } of tracks) {
    // Everything committed before the crash, plus everything after the resume, minus at most one chunk.
    expect(wav.seconds).toBeGreaterThanOrEqual(beforeCrash + 4 - CHUNK_SECONDS);
    expect(Math.abs(wav.seconds - total)).toBeLessThanOrEqual(CHUNK_SECONDS);
  }
});

test("going offline for ten seconds loses nothing and needs no user action", async () => {
  const server = running.server();
  const browser = running.browser();
  const context = await browser.launch();
  const page = await browser.newPage();
  const acknowledged = watchAcknowledgedChunks(page);
  await page.goto(server.url);
  const sessionId = await startRecording(page, { title: "Offline", tracks: 1 });
  const finishSeen = await readJournalAtFinish(page, sessionId);
  await waitForLocalSeconds(page, 3);

  await context.setOffline(true);
  await expect(page.getByTestId("offline-banner")).toBeVisible({ timeout: 10_000 });
  const offlineAt = await positions(page);
  await page.waitForTimeout(10_000);
  const stillOffline = await positions(page);
  // Recording went on to the device while the server heard nothing.
  expect(stillOffline.localSeconds).toBeGreaterThanOrEqual(offlineAt.localSeconds + 8);
  expect(stillOffline.serverSeconds).toBeLessThanOrEqual(offlineAt.localSeconds + CHUNK_SECONDS);
  await context.setOffline(false);

  await expect.poll(async () => {
    const now = await positions(page);
    return now.localSeconds - now.serverSeconds;
  }, { timeout: 30_000 }).toBeLessThanOrEqual(CHUNK_SECONDS);
  await stopRecording(page, 1);
  const [track] = await finalTracks(page, server, sessionId, 1);
  // Nothing lost, exactly: every chunk recorded, before, during and after the outage, is in the
  // file, byte for byte as acknowledged.
  expectEveryRecordedChunkInFile([track!], finishSeen());
  expectFileIsAcknowledgedChunks(track!, await acknowledged.soFar());
  expect(track!.wav.seconds).toBeGreaterThanOrEqual(13 - CHUNK_SECONDS);
});

test("a server crash during uploads keeps every acknowledged chunk and the client catches up by itself", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  const page = await browser.newPage();
  const acknowledged = watchAcknowledgedChunks(page);
  await page.goto(server.url);
  const sessionId = await startRecording(page, { title: "Server crash", tracks: 2 });
  const finishSeen = await readJournalAtFinish(page, sessionId);
  await waitForLocalSeconds(page, 4);
  await expect.poll(async () => (await positions(page)).serverSeconds, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

  // What the server had promised before it dies: its stored positions, and the acknowledgements
  // the page had received by then.
  const heldBeforeKill = (await sessionDetail(page, server, sessionId)).tracks;
  const acknowledgedBeforeKill = acknowledged.soFar();
  await server.kill();
  await page.waitForTimeout(4_000);
  await server.start();

  await expect.poll(async () => {
    const now = await positions(page);
    return now.localSeconds - now.serverSeconds;
  }, { timeout: 40_000 }).toBeLessThanOrEqual(CHUNK_SECONDS);
  await stopRecording(page, 2);
  const tracks = await finalTracks(page, server, sessionId, 2);
  expectEveryRecordedChunkInFile(tracks, finishSeen());
  const beforeKill = await acknowledgedBeforeKill;
  const everyAcknowledgement = await acknowledged.soFar();
  for (const final of tracks) {
    const { track, committedThrough, chunkCount } = final.summary;
    const held = heldBeforeKill.find((summary) => summary.track === track);
    // Everything the server held or acknowledged before the kill is within the final gap-free run
    // of seqs, and so in the file, at its place, with the bytes acknowledged.
    expect(held?.committedThrough, `track ${track} held before the kill`).toBeGreaterThanOrEqual(0);
    expect(committedThrough).toBeGreaterThanOrEqual(held!.committedThrough);
    expect(chunkCount).toBeGreaterThanOrEqual(held!.chunkCount);
    const acknowledgedHere = beforeKill.filter((ack) => ack.track === track);
    expect(acknowledgedHere.length, `track ${track} chunks acknowledged before the kill`).toBeGreaterThan(0);
    for (const { seq } of acknowledgedHere) expect(seq).toBeLessThanOrEqual(committedThrough);
    expectFileIsAcknowledgedChunks(final, everyAcknowledgement);
  }
});

test("a second tab cannot record the same session until it takes over", async () => {
  const server = running.server();
  const browser = running.browser();
  const context = await browser.launch();
  const first = await browser.newPage();
  await first.goto(server.url);
  const sessionId = await startRecording(first, { title: "Two tabs", tracks: 1 });
  await waitForLocalSeconds(first, 2);

  const second = await context.newPage();
  await second.goto(server.url);
  // The second tab sees the session in its recovery notice, marked as recorded elsewhere.
  const item = second.locator(`[data-testid="recovery-item"][data-session-id="${sessionId}"]`);
  await expect(item.getByTestId("recovery-recording-elsewhere")).toBeVisible({ timeout: 10_000 });

  // Asking to record it here is refused while the first tab holds it.
  await item.getByTestId("recovery-resume").click();
  await expect(second.getByTestId("recording-locked")).toBeVisible({ timeout: 10_000 });
  await expect(second.getByTestId("record-stop")).toHaveCount(0);
  const firstStillRecording = (await positions(first)).localSeconds;
  await waitForLocalSeconds(first, firstStillRecording + 1);

  await second.getByTestId("take-over").click();
  await expect(second.getByTestId("record-stop")).toBeVisible({ timeout: 15_000 });
  await expect(first.locator('[data-testid="recording-locked"][data-reason="taken-over"]')).toBeVisible({ timeout: 10_000 });
  await expect(first.getByTestId("record-stop")).toHaveCount(0);
  expect((await positions(second)).sessionId).toBe(sessionId);
});
