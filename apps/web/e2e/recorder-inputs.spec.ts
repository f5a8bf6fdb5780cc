import { expect, test } from "@playwright/test";
import { CHROMIUM_FLAGS, chromiumExecutable } from "./support/chromium.ts";

// A microphone is present, but nobody answers the permission prompt: headless Chromium refuses.
test.use({ launchOptions: { executablePath: chromiumExecutable(), args: [...CHROMIUM_FLAGS, "--use-fake-device-for-media-stream"] } });

test("a refused microphone says which track and what to do, and leaves no session behind", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByTestId("live-status")).toContainText(/live/i);
  await page.getByTestId("track-enabled-1").check();

  await page.getByTestId("record-start").click();

  await expect(page.getByTestId("recorder-error")).toHaveText(
    /^Track 1 · Microphone: The browser did not allow the microphone\. Allow microphone access for this site/,
  );
  await expect(page.getByTestId("record-start")).toBeEnabled();
  // Inputs open before the session is made, so a refusal creates nothing on the server.
  const sessions = await page.evaluate(async () => (await fetch("/api/sessions").then((response) => response.json())).sessions);
  expect(sessions).toEqual([]);
});
