import { expect, test } from "@playwright/test";

test("a new visitor creates a session, sees it time out live, resumes it and marks it complete", async ({ page }) => {
  const refused: string[] = [];
  page.on("response", (response) => {
    if (response.status() === 401) refused.push(response.url());
  });
  await page.goto("/");
  await expect(page.getByTestId("live-status")).toContainText(/live/i);
  // Registering the new device went without a refused request.
  await expect(page.getByTestId("session-list-empty")).toBeVisible();
  expect(refused).toEqual([]);

  await page.getByTestId("session-kind-select").selectOption("recording");
  await page.getByTestId("session-title-input").fill("Episode 1");
  await page.getByTestId("create-session").click();

  const item = page.getByTestId("session-item").filter({ hasText: "Episode 1" });
  await expect(item).toHaveAttribute("data-status", "active");

  // No keepalives are sent from this page, so the server's sweeper marks the session
  // incomplete after the (shortened) timeout and the page learns it over the event stream.
  await expect(item).toHaveAttribute("data-status", "incomplete", { timeout: 15_000 });

  await item.getByTestId("resume-session").click();
  await expect(item).toHaveAttribute("data-status", "active");

  await item.getByTestId("finish-session").click();
  await expect(item).toHaveAttribute("data-status", "completed");

  // The list comes from the server: a reload shows the same session, completed.
  await page.reload();
  await expect(page.getByTestId("session-item").filter({ hasText: "Episode 1" })).toHaveAttribute(
    "data-status",
    "completed",
  );
});

test("each browser is its own user and sees only its own sessions", async ({ browser }) => {
  const first = await browser.newContext();
  const second = await browser.newContext();
  const a = await first.newPage();
  const b = await second.newPage();

  await a.goto("/");
  await a.getByTestId("session-title-input").fill("Private to A");
  await a.getByTestId("create-session").click();
  await expect(a.getByTestId("session-item").filter({ hasText: "Private to A" })).toBeVisible();

  await b.goto("/");
  await expect(b.getByTestId("live-status")).toContainText(/live/i);
  await expect(b.getByTestId("session-item").filter({ hasText: "Private to A" })).toHaveCount(0);

  await first.close();
  await second.close();
});
