import { expect, test, type Page } from "@playwright/test";
import { savingStatus, waitForSavedState, waitForServerBackup } from "./support/saved-state.ts";

// Two places editing one session's draft: the other tab is updated, or the losing edit is kept
// as a visible conflict copy. Nothing typed disappears unseen.

const chapterText = (page: Page) => page.getByTestId("chapter-text").first();

/** Waits until this page has nothing waiting for the server, and returns the draft text it shows. */
async function settled(page: Page): Promise<string> {
  await expect.poll(async () => {
    const status = await savingStatus(page);
    return !status.unpushedEdits && status.backupPending === 0 && status.phase !== "saving";
  }, { timeout: 20_000 }).toBe(true);
  return chapterText(page).inputValue();
}

async function conflictTexts(page: Page): Promise<string[]> {
  return page.getByTestId("conflict-summary").allTextContents();
}

test("two tabs of one browser: an edit in one shows in the other, and simultaneous edits lose nothing unseen", async ({ context }) => {
  const first = await context.newPage();
  await first.goto("/");
  await waitForSavedState(first);
  const startedAt = Date.now();
  await first.getByTestId("draft-title").fill("Shared draft");
  await chapterText(first).fill("Shared start.");
  await expect(first.getByTestId("draft-session")).not.toHaveAttribute("data-session-id", "", { timeout: 10_000 });
  await waitForServerBackup(first, startedAt);
  const sessionId = await first.getByTestId("draft-session").getAttribute("data-session-id");

  const second = await context.newPage();
  await second.goto("/");
  await waitForSavedState(second);
  await expect(chapterText(second)).toHaveValue("Shared start.");
  await expect(second.getByTestId("draft-session")).toHaveAttribute("data-session-id", sessionId!);

  // One after the other: the other tab follows.
  await chapterText(first).fill("Edited in the first tab.");
  await expect(chapterText(second)).toHaveValue("Edited in the first tab.", { timeout: 5_000 });
  await chapterText(second).fill("Then edited in the second tab.");
  await expect(chapterText(first)).toHaveValue("Then edited in the second tab.", { timeout: 5_000 });

  // At the same moment: both edits of the same text.
  await Promise.all([chapterText(first).fill("Alpha from the first tab."), chapterText(second).fill("Beta from the second tab.")]);
  const [left, right] = await Promise.all([settled(first), settled(second)]);
  await expect(chapterText(first)).toHaveValue(right, { timeout: 10_000 });
  expect(left === right || (await chapterText(first).inputValue()) === right).toBe(true);
  const shown = new Set([right, ...(await conflictTexts(first)), ...(await conflictTexts(second))].join("\n").match(/(Alpha|Beta) from the \w+ tab\./g));
  expect(shown).toEqual(new Set(["Alpha from the first tab.", "Beta from the second tab."]));
});

test("two devices of one user edit the same draft at once: the losing edit becomes a conflict copy the user can keep", async ({ browser }) => {
  const laptop = await browser.newContext();
  const desktop = await browser.newContext();
  const onLaptop = await laptop.newPage();
  await onLaptop.goto("/");
  await waitForSavedState(onLaptop);
  const startedAt = Date.now();
  await onLaptop.getByTestId("draft-title").fill("Travel book");
  await chapterText(onLaptop).fill("Written on the laptop.");
  await expect(onLaptop.getByTestId("draft-session")).not.toHaveAttribute("data-session-id", "", { timeout: 10_000 });
  await waitForServerBackup(onLaptop, startedAt);
  const sessionId = (await onLaptop.getByTestId("draft-session").getAttribute("data-session-id"))!;

  // The same user on a second device: the draft's session is offered for recovery there.
  await desktop.addCookies(await laptop.cookies());
  const onDesktop = await desktop.newPage();
  await onDesktop.goto("/");
  await waitForSavedState(onDesktop);
  const offered = onDesktop.locator(`[data-testid="recovery-item"][data-session-id="${sessionId}"]`);
  await expect(offered).toBeVisible({ timeout: 15_000 });
  await offered.getByTestId("recovery-resume").click();
  await expect(chapterText(onDesktop)).toHaveValue("Written on the laptop.");
  await expect(onDesktop.getByTestId("draft-session")).toHaveAttribute("data-session-id", sessionId);

  await Promise.all([chapterText(onLaptop).fill("Laptop's ending."), chapterText(onDesktop).fill("Desktop's ending.")]);
  await Promise.all([settled(onLaptop), settled(onDesktop)]);

  // Both show the same winner; the other edit is a conflict copy on the device that lost.
  await expect.poll(async () => (await chapterText(onLaptop).inputValue()) === (await chapterText(onDesktop).inputValue()), { timeout: 10_000 }).toBe(true);
  const winner = await chapterText(onLaptop).inputValue();
  const [loser, losingText] = winner === "Laptop's ending." ? [onDesktop, "Desktop's ending."] : [onLaptop, "Laptop's ending."];
  const copy = loser.getByTestId("conflict-copy");
  await expect(copy).toHaveCount(1);
  await expect(copy.getByTestId("conflict-summary")).toContainText(losingText);

  // Keeping it makes it the draft everywhere.
  await copy.getByTestId("conflict-keep").click();
  await expect(loser.getByTestId("conflict-copy")).toHaveCount(0);
  await expect(chapterText(onLaptop)).toHaveValue(losingText, { timeout: 10_000 });
  await expect(chapterText(onDesktop)).toHaveValue(losingText, { timeout: 10_000 });

  await laptop.close();
  await desktop.close();
});
