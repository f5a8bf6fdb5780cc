import { expect, test } from "@playwright/test";
import { serverAndCrashableBrowserPerTest } from "./support/crashable-browser.ts";
import { savingStatus, waitForSavedState } from "./support/saved-state.ts";

// The setup a user makes (parameters, voice, text) is saved on the device within a second of the
// change, so killing the browser right after loses none of it; a reload or a navigation right
// after a change loses none of it either.
test.describe.configure({ timeout: 60_000 });

const running = serverAndCrashableBrowserPerTest();

test("a parameter change survives a browser SIGKILL less than a second after it was made", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  let page = await browser.newPage();
  await page.goto(server.url);
  await waitForSavedState(page);
  expect((await savingStatus(page)).storageKind).toBe("indexeddb");

  await page.getByTestId("param-paragraph-pause").fill("850");
  await page.getByTestId("synthesis-voice").fill("kal");
  await page.getByTestId("chapter-text").first().fill("It was the best of times.");
  // The last change: the save that follows it holds all of them.
  const changedAt = Date.now();
  await page.getByTestId("param-rate").fill("1.35");
  await expect
    .poll(async () => (await savingStatus(page)).lastSavedAt ?? 0, { timeout: 1_000, intervals: [25] })
    .toBeGreaterThanOrEqual(changedAt);
  const killedAfterMs = Date.now() - changedAt;
  await browser.crash();
  expect(killedAfterMs).toBeLessThan(1_000);

  await browser.launch();
  page = await browser.newPage();
  await page.goto(server.url);
  await waitForSavedState(page);
  await expect(page.getByTestId("param-rate")).toHaveValue("1.35");
  await expect(page.getByTestId("param-rate-slider")).toHaveValue("1.35");
  await expect(page.getByTestId("param-paragraph-pause")).toHaveValue("850");
  await expect(page.getByTestId("synthesis-voice")).toHaveValue("kal");
  await expect(page.getByTestId("chapter-text").first()).toHaveValue("It was the best of times.");
});

test("a change followed at once by a reload, or by a navigation away, is there afterwards", async () => {
  const server = running.server();
  const browser = running.browser();
  await browser.launch();
  const page = await browser.newPage();
  await page.goto(server.url);
  await waitForSavedState(page);

  await page.getByTestId("param-rate").fill("1.45");
  await page.reload();
  await waitForSavedState(page);
  await expect(page.getByTestId("param-rate")).toHaveValue("1.45");

  await page.getByTestId("param-paragraph-pause").fill("640");
  await page.goto("about:blank");
  await page.goto(server.url);
  await waitForSavedState(page);
  await expect(page.getByTestId("param-paragraph-pause")).toHaveValue("640");
  await expect(page.getByTestId("param-rate")).toHaveValue("1.45");
});
