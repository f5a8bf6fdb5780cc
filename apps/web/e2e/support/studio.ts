import { expect, type Page } from "@playwright/test";

/** What the recorder shows, as exposed read-only on `window.__tidemark`. */
export interface RecorderPositions {
  sessionId: string | null;
  localSeconds: number;
  serverSeconds: number;
}

export async function positions(page: Page): Promise<RecorderPositions> {
  return page.evaluate(() => (window as unknown as { __tidemark: RecorderPositions }).__tidemark);
}

/** Starts a new recording from the recorder form, with the second track on when asked. */
export async function startRecording(page: Page, options: { title: string; tracks: 1 | 2 }): Promise<string> {
  await page.getByTestId("recorder-title").fill(options.title);
  if (options.tracks === 2) await page.getByTestId("track-enabled-1").check();
  await page.getByTestId("record-start").click();
  await expect(page.getByTestId("record-stop")).toBeVisible();
  await expect.poll(async () => (await positions(page)).sessionId, { timeout: 15_000 }).not.toBeNull();
  return (await positions(page)).sessionId!;
}

/** Waits until at least `seconds` of audio are committed on this device. */
export async function waitForLocalSeconds(page: Page, seconds: number): Promise<void> {
  await expect.poll(async () => (await positions(page)).localSeconds, { timeout: seconds * 1000 + 20_000 }).toBeGreaterThanOrEqual(seconds);
}

/** Stops, lets the recorder upload and finish, and waits for the finalized files. */
export async function stopRecording(page: Page, tracks: number): Promise<void> {
  await page.getByTestId("record-stop").click();
  await expect(page.getByTestId("final-file")).toHaveCount(tracks, { timeout: 60_000 });
}

/** One chunk is one second of audio. */
export const CHUNK_SECONDS = 1;
