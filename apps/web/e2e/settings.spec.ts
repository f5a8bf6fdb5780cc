import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { waitForSavedState } from "./support/saved-state.ts";

// Settings: recovery prompts can be turned off, everything saved can go to a file and come back
// from one, and all of a user's data can be deleted.

/** A recording session that the server marks interrupted (no keepalives are sent for it). */
async function interruptedSession(page: Page, title: string): Promise<void> {
  await page.getByTestId("session-kind-select").selectOption("recording");
  await page.getByTestId("session-title-input").fill(title);
  await page.getByTestId("create-session").click();
  const item = page.getByTestId("session-item").filter({ hasText: title });
  await expect(item).toHaveAttribute("data-status", "incomplete", { timeout: 15_000 });
}

test("with recovery prompts off the banner stays away, and the details dialog lists each interrupted session and dismisses it for good", async ({ page }) => {
  await page.goto("/");
  await waitForSavedState(page);
  await interruptedSession(page, "Interrupted interview");
  await page.reload();
  const banner = page.getByTestId("recovery-banner");
  await expect(banner.getByTestId("recovery-item")).toHaveCount(1, { timeout: 10_000 });

  // Reloaded at once: a change not yet saved when the page goes is kept all the same.
  await page.getByTestId("settings-recovery-prompts").uncheck();
  await expect(banner).toHaveCount(0);
  await page.reload();
  await waitForSavedState(page);
  await expect(page.getByTestId("recovery-button")).toHaveText("Recovery (1)", { timeout: 10_000 });
  await expect(banner).toHaveCount(0);

  await page.getByTestId("recovery-button").click();
  const dialog = page.getByTestId("recovery-modal");
  await expect(dialog.getByRole("heading", { name: "Recoverable sessions" })).toBeVisible();
  const item = dialog.getByTestId("recovery-item");
  await expect(item).toContainText("Interrupted interview");
  await expect(item.getByTestId("recovery-server")).toContainText(/nothing yet|0:00/);
  await item.getByTestId("recovery-dismiss").click();
  await expect(dialog.getByTestId("recovery-modal-empty")).toBeVisible();
  await expect(dialog.getByTestId("recovery-dismissed-item")).toContainText("Interrupted interview");

  // Dismissals are saved: after a reload (at once) nothing is offered until the user asks again.
  await page.reload();
  await waitForSavedState(page);
  await expect(page.getByTestId("recovery-button")).toHaveCount(0);
  await page.getByTestId("settings-recovery-prompts").check();
  await expect(banner).toHaveCount(0);
});

test("everything saved goes to a file and comes back from it; a bad file changes nothing", async ({ page }, testInfo) => {
  await page.goto("/");
  await waitForSavedState(page);
  await page.getByTestId("param-rate").fill("1.3");
  await page.getByTestId("draft-title").fill("Exported book");
  await page.getByTestId("chapter-text").first().fill("Text that travels in a file.");

  const downloading = page.waitForEvent("download");
  await page.getByTestId("settings-export").click();
  const download = await downloading;
  const exported = testInfo.outputPath("export.json");
  await download.saveAs(exported);
  expect(JSON.parse(readFileSync(exported, "utf8"))).toMatchObject({ format: "tidemark-export", state: { parameters: { rate: 1.3 } } });

  await page.getByTestId("param-rate").fill("0.7");
  await page.getByTestId("draft-title").fill("Changed since");
  const result = page.getByTestId("settings-import-result");

  await page.getByTestId("settings-import").setInputFiles({ name: "broken.json", mimeType: "application/json", buffer: Buffer.from('{"format":"tidemark-export"') });
  await expect(result).toHaveAttribute("data-ok", "false");
  await expect(result).toContainText("Nothing was changed");
  await expect(page.getByTestId("param-rate")).toHaveValue("0.7");

  await page.getByTestId("settings-import").setInputFiles(exported);
  await expect(result).toHaveAttribute("data-ok", "true");
  await expect(page.getByTestId("param-rate")).toHaveValue("1.3");
  await expect(page.getByTestId("draft-title")).toHaveValue("Exported book");
  await expect(page.getByTestId("chapter-text").first()).toHaveValue("Text that travels in a file.");
});

test("deleting all my data empties the server and this device, after a confirmation", async ({ page }) => {
  await page.goto("/");
  await waitForSavedState(page);
  await page.getByTestId("param-rate").fill("1.8");
  await interruptedSession(page, "To be deleted");

  await page.getByTestId("settings-delete").click();
  await expect(page.getByTestId("settings-delete-confirmation")).toContainText("cannot be undone");
  await page.getByTestId("settings-delete-cancel").click();
  await expect(page.getByTestId("settings-delete-confirmation")).toHaveCount(0);

  await page.getByTestId("settings-delete").click();
  await page.getByTestId("settings-delete-confirm").click();
  await expect(page.getByTestId("settings-deleted")).toBeVisible();
  // The page starts afresh by itself: a new, empty identity, default settings.
  await page.waitForEvent("load");
  await waitForSavedState(page);
  await expect(page.getByTestId("session-list-empty")).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId("param-rate")).toHaveValue("1");
  await expect(page.getByTestId("session-item")).toHaveCount(0);
});
