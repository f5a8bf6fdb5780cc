import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { damageSavedState, savingStatus, waitForSavedState, waitForServerBackup } from "./support/saved-state.ts";

// Damaged browser storage must not stop the app nor lose the user's setup: the damaged copy is
// set aside, the user is told, and the server's backup comes back with one click.
test("damaged saved settings are reported at load and restored from the server backup with one click", async ({ page }) => {
  await page.goto("/");
  await waitForSavedState(page);

  const changedAt = Date.now();
  await page.getByTestId("param-rate").fill("1.6");
  await page.getByTestId("param-pitch").fill("0.8");
  await page.getByTestId("synthesis-voice").fill("awb");
  await page.getByTestId("preset-name").fill("Deep and quick");
  await page.getByTestId("preset-save").click();
  await page.getByTestId("draft-title").fill("The lighthouse");
  await page.getByTestId("chapter-text").first().fill("The keeper climbed the stairs at dusk.");
  // Saved on this device, then on the server (the draft under a session of its own).
  await expect(page.getByTestId("draft-session")).not.toHaveAttribute("data-session-id", "", { timeout: 10_000 });
  await waitForServerBackup(page, changedAt);
  await expect(page.getByTestId("autosave-indicator")).toHaveAttribute("data-state", "saved-server", { timeout: 10_000 });
  await page.evaluate(() => (window as unknown as { __tidemark: { persistence: { flush(): Promise<void> } } }).__tidemark.persistence.flush());

  await damageSavedState(page);
  await page.reload();
  await waitForSavedState(page);

  // The app starts, with defaults, and says what happened.
  const notice = page.getByTestId("corruption-notice");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("Your saved settings on this device were damaged and set aside");
  await expect(notice).toHaveAttribute("data-reason", "checksum");
  await expect(page.getByTestId("param-rate")).toHaveValue("1");
  expect((await savingStatus(page)).corrupted).toBe(true);

  // The damaged copy is the user's to keep: it downloads as a file, its bytes and what still reads of it.
  const downloading = page.waitForEvent("download");
  await page.getByTestId("corruption-download").click();
  const download = await downloading;
  const file = JSON.parse(readFileSync((await download.path())!, "utf8")) as { format: string; copies: Array<{ reason: string; payloadBase64?: string }> };
  expect(file.format).toBe("tidemark-damaged-copies/1");
  expect(file.copies.map((copy) => copy.reason)).toContain("checksum");
  expect(file.copies.find((copy) => copy.reason === "checksum")?.payloadBase64?.length).toBeGreaterThan(100);

  await page.getByTestId("restore-from-server").click();
  await expect(page.getByTestId("restore-done")).toBeVisible();
  await expect(page.getByTestId("corruption-notice")).toHaveCount(0);
  await expect(page.getByTestId("param-rate")).toHaveValue("1.6");
  await expect(page.getByTestId("param-pitch")).toHaveValue("0.8");
  await expect(page.getByTestId("synthesis-voice")).toHaveValue("awb");
  await expect(page.getByTestId("preset-item")).toHaveText([/Deep and quick/]);
  await expect(page.getByTestId("draft-title")).toHaveValue("The lighthouse");
  await expect(page.getByTestId("chapter-text").first()).toHaveValue("The keeper climbed the stairs at dusk.");

  // What was restored is saved on this device again.
  await page.reload();
  await waitForSavedState(page);
  await expect(page.getByTestId("corruption-notice")).toHaveCount(0);
  await expect(page.getByTestId("param-rate")).toHaveValue("1.6");
  await expect(page.getByTestId("chapter-text").first()).toHaveValue("The keeper climbed the stairs at dusk.");
});
