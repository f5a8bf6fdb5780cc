import { expect, test } from "@playwright/test";
import { ApiServer } from "./support/api-server.ts";
import { CrashableBrowser } from "./support/crashable-browser.ts";
import { finalTracks } from "./support/final-recording.ts";
import { loseLocalChunk } from "./support/journal.ts";
import { CHUNK_SECONDS, positions, startRecording, waitForLocalSeconds } from "./support/studio.ts";

// A chunk that neither the server nor this device holds any more cannot be repaired: finishing
// must name what is missing and wait for the user to accept the loss.
test.describe.configure({ timeout: 120_000 });

let server: ApiServer;
let browser: CrashableBrowser;

test.beforeEach(async () => {
  server = await ApiServer.start();
  browser = new CrashableBrowser();
});

test.afterEach(async () => {
  await browser.close();
  await server.stop();
});

test("a chunk lost on both sides is named, and the file is finished without it only after the user accepts", async () => {
  const context = await browser.launch();
  const page = await browser.newPage();
  await page.goto(server.url);
  const sessionId = await startRecording(page, { title: "Lost chunk", tracks: 1 });
  await waitForLocalSeconds(page, 2);

  // Offline, so the chunk about to be lost is not uploaded before it disappears.
  await context.setOffline(true);
  await expect(page.getByTestId("offline-banner")).toBeVisible({ timeout: 10_000 });
  const offlineAt = Math.floor((await positions(page)).localSeconds);
  const lostSeq = offlineAt + 1;
  await waitForLocalSeconds(page, lostSeq + 2);
  await loseLocalChunk(page, sessionId, lostSeq);
  await context.setOffline(false);
  await waitForLocalSeconds(page, lostSeq + 4);

  await page.getByTestId("record-stop").click();
  const dialog = page.getByTestId("gaps-dialog");
  await expect(dialog).toBeVisible({ timeout: 60_000 });
  await expect(dialog).toContainText(`chunks ${lostSeq}`);
  // Nothing is finished until the user decides.
  await expect(page.getByTestId("final-file")).toHaveCount(0);
  const detail = await (await page.request.get(`${server.url}/api/session/${sessionId}`)).json();
  expect(detail.status).not.toBe("completed");

  await dialog.getByTestId("gaps-accept").click();
  await expect(page.getByTestId("final-file")).toHaveCount(1, { timeout: 60_000 });
  const recorded = (await positions(page)).localSeconds;
  const [track] = await finalTracks(page, server, sessionId, 1);
  // Everything recorded except exactly the lost chunk.
  expect(track!.summary.chunkCount).toBe(track!.summary.highestSeq);
  expect(Math.abs(track!.wav.seconds - (recorded - CHUNK_SECONDS))).toBeLessThan(0.5);
});
