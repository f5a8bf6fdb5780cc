import { defineConfig } from "@playwright/test";

/** `bench:catchup` runs on Playwright's runner, one worker, printing its figures (it is not part of the tests). */
export default defineConfig({
  testDir: ".",
  testMatch: "catchup.bench.ts",
  workers: 1,
  reporter: [["list"]],
});
