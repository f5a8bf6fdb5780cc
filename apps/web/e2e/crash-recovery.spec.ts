import { expect, test, type Page } from "@playwright/test";
import type { ApiServer } from "./support/api-server.ts";
import { serverAndCrashableBrowserPerTest, type CrashableBrowser } from "./support/crashable-browser.ts";
import {
  expectEveryRecordedChunkInFile,
  expectFileIsAcknowledgedChunks,
  finalTracks,
  type FinishSeen,
  readJournalAtFinish,
  sessionDetail,
  sessionIds,
  watchAcknowledgedChunks,
} from "./support/final-recording.ts";
import { CHUNK_SECONDS, positions, startRecording, stopRecording, waitForLocalSeconds } from "./support/studio.ts";
import { journalTracks } from "./support/journal.ts";
import { readWav } from "./support/wav.ts";

// Each scenario runs the built app on its own server and its own Chromium profile, and judges
// the result by the finalized WAV files on the server's disk: their headers, and their audio
// against what the device recorded and the server acknowledged.
test.describe.configure({ mode: "serial", timeout: 180_000 });

const running = serverAndCrashableBrowserPerTest({ SESSION_TIMEOUT_MS: "5000", SWEEP_INTERVAL_MS: "500" });

/** Whole seconds as the studio shows them (m:ss). */
function formatSeconds(seconds: number): string {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** SIGKILLs the browser, starts it again on the same profile and opens the studio. */
async function crashAndReopen(browser: CrashableBrowser, url: string): Promise<Page> {
  await browser.crash();
  await browser.launch();
  const page = await browser.newPage();
  await page.goto(url);
  return page;
}

/** The recovery notice's entry for `sessionId`. */
function recoveryOffer(page: Page, sessionId: string) {
  return page.locator(`[data-testid="recovery-banner"] [data-testid="recovery-item"][data-session-id="${sessionId}"]`);
}

/**
 * SIGKILLs the browser, starts it again on the same profile, resumes `sessionId` from the recovery
 * notice and waits until it records again, as the same session.
 */
async function crashAndResume(browser: CrashableBrowser, url: string, sessionId: string) {
  const page = await crashAndReopen(browser, url);
  const item = recoveryOffer(page, sessionId);
  await expect(item).toBeVisible({ timeout: 15_000 });
  await item.getByTestId("recovery-resume").click();
  await expect(page.getByTestId("record-stop")).toBeVisible({ timeout: 15_000 });
  expect((await positions(page)).sessionId).toBe(sessionId);
  return page;
}

/**
 * Stops the recording and returns what the page's journal held as the finish went out. Watching
 * for the finish intercepts every request of the page (Playwright's routing), which slows its
 * uploads, so it starts only now.
 */
async function stopWatchingFinish(page: Page, sessionId: string, tracks: number): Promise<() => FinishSeen> {
  const finishSeen = await readJournalAtFinish(page, sessionId);
  await stopRecording(page, tracks);
  return finishSeen;
}

/** Waits until `seconds` more of audio are committed on this device. */
async function recordMore(page: Page, seconds: number): Promise<void> {
  await waitForLocalSeconds(page, (await positions(page)).localSeconds + seconds);
}

/** Waits until the server holds all but at most the chunk being recorded. */
async function waitForServerToCatchUp(page: Page, timeoutMs: number): Promise<void> {
  await expect.poll(async () => {
    const now = await positions(page);
    return now.localSeconds - now.serverSeconds;
  }, { timeout: timeoutMs }).toBeLessThanOrEqual(CHUNK_SECONDS);
}

/**
 * One session throughout (a resume or an offline start made no other), each file holds every
 * chunk the device recorded (seqs continued across a crash, none missing and none twice), and
 * lasts what was recorded: at least `atLeastSeconds`, minus at most one chunk.
 */
async function expectOneCompleteSession(
  page: Page,
  server: ApiServer,
  sessionId: string,
  recorded: { atLeastSeconds: number; finishSeen: () => FinishSeen },
): Promise<void> {
  const total = (await positions(page)).localSeconds;
  expect(await sessionIds(page, server)).toEqual([sessionId]);
  const tracks = await finalTracks(page, server, sessionId, 2);
  expectEveryRecordedChunkInFile(tracks, recorded.finishSeen());
  for (const { wav } of tracks) {
    expect(wav.seconds).toBeGreaterThanOrEqual(recorded.atLeastSeconds - CHUNK_SECONDS);
    expect(Math.abs(wav.seconds - total)).toBeLessThanOrEqual(CHUNK_SECONDS);
  }
}

test("records two tracks and finalizes one valid WAV per track with the recorded duration", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  const page = await browser.newPage();
  await page.goto(server.url);
  const sessionId = await startRecording(page, { title: "Two tracks", tracks: 2 });
  await waitForLocalSeconds(page, 8);
  const finishSeen = await stopWatchingFinish(page, sessionId, 2);
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
  page = await crashAndResume(browser, server.url, sessionId);
  await recordMore(page, 4);
  const finishSeen = await stopWatchingFinish(page, sessionId, 2);
  await expectOneCompleteSession(page, server, sessionId, { atLeastSeconds: beforeCrash + 4, finishSeen });
});

test("going offline for ten seconds loses nothing and needs no user action", async () => {
  const server = running.server();
  const browser = running.browser();
  const context = await browser.launch();
  const page = await browser.newPage();
  const acknowledged = watchAcknowledgedChunks(page);
  await page.goto(server.url);
  const sessionId = await startRecording(page, { title: "Offline", tracks: 1 });
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

  await waitForServerToCatchUp(page, 30_000);
  const finishSeen = await stopWatchingFinish(page, sessionId, 1);
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
  await waitForLocalSeconds(page, 4);
  await expect.poll(async () => (await positions(page)).serverSeconds, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

  // What the server had promised before it dies: its stored positions, and the acknowledgements
  // the page had received by then.
  const heldBeforeKill = (await sessionDetail(page, server, sessionId)).tracks;
  const acknowledgedBeforeKill = acknowledged.soFar();
  await server.kill();
  await page.waitForTimeout(4_000);
  await server.start();

  await waitForServerToCatchUp(page, 60_000);
  const finishSeen = await stopWatchingFinish(page, sessionId, 2);
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

test("when the browser and the server crash together, the studio opens while the server is down, records on, and uploads everything once it is back", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  let page = await browser.newPage();
  await page.goto(server.url);
  // The app shell is kept on this device before anything happens.
  const keptShell = await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    return (await caches.keys()).filter((name) => name.startsWith("tidemark-app-shell-"));
  });
  expect(keptShell).toHaveLength(1);
  const sessionId = await startRecording(page, { title: "Power cut", tracks: 2 });
  await waitForLocalSeconds(page, 4);
  await expect.poll(async () => (await positions(page)).serverSeconds, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  await server.kill();
  const beforeCrash = (await positions(page)).localSeconds;
  // The server is still down: the page comes from this device, and so does the recovery notice.
  page = await crashAndResume(browser, server.url, sessionId);
  await expect(page.getByTestId("recording-without-server")).toBeVisible();
  await recordMore(page, 4);

  await server.start();
  // No user action: the page finds the server again, uploads what it missed and says so.
  await waitForServerToCatchUp(page, 60_000);
  await expect(page.getByTestId("recording-without-server")).toHaveCount(0);
  const finishSeen = await stopWatchingFinish(page, sessionId, 2);
  await expectOneCompleteSession(page, server, sessionId, { atLeastSeconds: beforeCrash + 4, finishSeen });
});

test("a recording started while the server is down is made on this device, survives a browser crash there, and reaches the server once it is back", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  let page = await browser.newPage();
  await page.goto(server.url);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await server.kill();
  await page.reload();
  await expect(page.getByTestId("error-alert")).toContainText("Recording works: audio is saved on this device");

  const sessionId = await startRecording(page, { title: "Started offline", tracks: 2 });
  await expect(page.getByTestId("recording-without-server")).toBeVisible();
  await recordMore(page, 4);
  expect((await positions(page)).serverSeconds).toBe(0);
  // The session history lists it as this device's alone.
  const inHistory = (on: Page) => on.locator(`[data-testid="session-list"] [data-testid="session-item"][data-session-id="${sessionId}"]`);
  await expect(inHistory(page)).toHaveAttribute("data-status", "device-only");
  await expect(inHistory(page).getByTestId("session-status")).toHaveText("On this device only");
  const beforeCrash = (await positions(page)).localSeconds;

  // The browser dies with the server still down: on the next start the device still knows the
  // session is its alone, and it resumes from the history.
  page = await crashAndReopen(browser, server.url);
  await expect(inHistory(page)).toHaveAttribute("data-status", "device-only", { timeout: 15_000 });
  await expect(recoveryOffer(page, sessionId).getByTestId("recovery-server")).toContainText("not yet");
  await inHistory(page).getByTestId("resume-session").click();
  await expect(page.getByTestId("record-stop")).toBeVisible({ timeout: 15_000 });
  expect((await positions(page)).sessionId).toBe(sessionId);
  await expect(page.getByTestId("recording-without-server")).toBeVisible();
  await recordMore(page, 2);

  await server.start();
  await waitForServerToCatchUp(page, 60_000);
  await expect(page.getByTestId("recording-without-server")).toHaveCount(0);
  // Now the server's session, under the same id.
  await expect(inHistory(page)).toHaveAttribute("data-status", "active", { timeout: 15_000 });
  await expect(inHistory(page)).toHaveCount(1);
  await recordMore(page, 2);
  const finishSeen = await stopWatchingFinish(page, sessionId, 2);

  // The session the server made is the one this device named, with its title, and nothing else.
  await expectOneCompleteSession(page, server, sessionId, { atLeastSeconds: beforeCrash + 4, finishSeen });
  expect(await sessionDetail(page, server, sessionId)).toMatchObject({ title: "Started offline", status: "completed" });
});

/**
 * A registered device goes offline and records `seconds` on one track, then stops: the session
 * exists on this device only. Returns it with its session-history entry.
 */
async function stoppedOfflineRecording(title: string, seconds: number) {
  const server = running.server();
  const context = await running.browser().launch();
  const page = await running.browser().newPage();
  await page.goto(server.url);
  await expect(page.getByTestId("session-list-empty")).toBeVisible({ timeout: 15_000 });
  await context.setOffline(true);
  const sessionId = await startRecording(page, { title, tracks: 1 });
  await expect(page.getByTestId("recording-without-server")).toBeVisible();
  await recordMore(page, seconds);
  const recorded = (await positions(page)).localSeconds;
  await page.getByTestId("record-stop").click();
  const inHistory = page.locator(`[data-testid="session-list"] [data-testid="session-item"][data-session-id="${sessionId}"]`);
  return { server, context, page, sessionId, recorded, inHistory };
}

test("a recording stopped offline and left to finish in the background stays in the history, and shows completed once the network is back", async () => {
  const { server, context, page, sessionId, recorded, inHistory } = await stoppedOfflineRecording("Finished later", 2);
  await page.getByTestId("finish-in-background").click();
  await expect(page.getByTestId("record-start")).toBeVisible();

  // Out of the recorder, still listed: only this device has it.
  await expect(inHistory).toHaveAttribute("data-status", "device-only");
  await expect(inHistory.getByTestId("session-local-seconds")).toHaveText(formatSeconds(recorded));

  await context.setOffline(false);
  await expect(inHistory).toHaveAttribute("data-status", "completed", { timeout: 30_000 });
  const [track] = await finalTracks(page, server, sessionId, 1);
  expect(track!.wav.seconds).toBeGreaterThanOrEqual(recorded - CHUNK_SECONDS);
});

test("a recording made offline whose id the server has given another user stays on this device, and the history says why", async () => {
  const { server, context, page, sessionId, inHistory } = await stoppedOfflineRecording("Taken id", 2);
  await expect(inHistory).toHaveAttribute("data-status", "device-only");
  await expect(inHistory.getByTestId("session-server-state")).toContainText("not yet");

  // Meanwhile another user's device creates a session under the same id.
  const other = (await (await fetch(`${server.url}/api/auth/device`, { method: "POST" })).json()) as { token: string };
  const taken = await fetch(`${server.url}/api/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${other.token}`, "content-type": "application/json" },
    body: JSON.stringify({ id: sessionId, kind: "recording" }),
  });
  expect(taken.status).toBe(201);

  await context.setOffline(false);
  await expect(inHistory.getByTestId("session-server-state")).toContainText("refused (The server refused this session", { timeout: 30_000 });
  await expect(inHistory.getByTestId("session-server-state")).toContainText("its audio stays on this device");
  // The recorder's finish cannot succeed: it offers the device's copy instead of trying again.
  const notice = page.getByTestId("finish-failed");
  await expect(notice).toHaveAttribute("data-refused", "true", { timeout: 15_000 });
  await expect(notice).toContainText("The server refused this session: A session with this id already exists. Everything recorded is safe on this device");
  await expect(notice.getByTestId("retry-finish")).toHaveCount(0);
  await notice.getByTestId("recovery-save-local").click();
  const downloading = page.waitForEvent("download");
  await notice.getByTestId("local-track-download").click();
  // Recorded in the audio context's rate; the file holds every byte this device journaled.
  const sampleRate = await page.evaluate(() => new AudioContext().sampleRate);
  const wav = readWav(await (await downloading).path(), { sampleRate, channels: 1 });
  const [journaled] = (await journalTracks(page, sessionId)) ?? [];
  expect(wav.dataBytes).toBe(journaled?.localBytes);
  expect(wav.seconds).toBeGreaterThanOrEqual(2);

  // Saved, the user removes the device's copy from the history; it stays gone after a reload.
  await notice.getByRole("button", { name: "Finish later" }).click();
  await inHistory.getByTestId("remove-local-copy").click();
  await inHistory.getByTestId("remove-local-confirm").click();
  await expect(inHistory).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("session-list-empty")).toBeVisible({ timeout: 15_000 });
  expect(await journalTracks(page, sessionId)).toBeUndefined();
  // The other user's session got none of this device's audio.
  const detail = await fetch(`${server.url}/api/session/${sessionId}`, { headers: { authorization: `Bearer ${other.token}` } });
  expect(((await detail.json()) as { tracks: unknown[] }).tracks).toEqual([]);
});

test("a server restored from a backup older than the recording gets all of it again from this device, with no user action", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  const page = await browser.newPage();
  await page.goto(server.url);
  // The device is registered, then the server's data is backed up.
  await expect(page.getByTestId("session-list-empty")).toBeVisible({ timeout: 15_000 });
  await server.kill();
  const backup = server.backUp();
  await server.start();

  const sessionId = await startRecording(page, { title: "Restored server", tracks: 2 });
  await waitForLocalSeconds(page, 4);
  await expect.poll(async () => (await positions(page)).serverSeconds, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);

  // The server goes down and comes back from the backup: it has never heard of the session.
  await server.kill();
  const restoredAt = (await positions(page)).localSeconds;
  server.restore(backup);
  await server.start();
  // Recording goes on; the device sends the whole session again, under its id (the files below
  // hold the chunks the restored server had lost).
  await recordMore(page, 2);
  const finishSeen = await stopWatchingFinish(page, sessionId, 2);

  await expectOneCompleteSession(page, server, sessionId, { atLeastSeconds: restoredAt + 2, finishSeen });
  expect(await sessionDetail(page, server, sessionId)).toMatchObject({ title: "Restored server", status: "completed" });
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
