import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { CHROMIUM_FLAGS, chromiumExecutable } from "./e2e/support/chromium.ts";

const port = Number(process.env.TIDEMARK_E2E_PORT ?? 4310);
const dataDir = mkdtempSync(path.join(tmpdir(), "tidemark-e2e-"));

/** The built app (API serving the built SPA) on a fresh data directory, in real Chromium. */
export default defineConfig({
  testDir: "e2e",
  workers: 1,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    launchOptions: { executablePath: chromiumExecutable(), args: CHROMIUM_FLAGS },
    trace: "retain-on-failure",
  },
  webServer: {
    command: "node ../api/dist/server.js",
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 30_000,
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      WEB_DIST_DIR: "dist",
      LOG_LEVEL: "warn",
      // Short timings so a session visibly times out during a test.
      SESSION_TIMEOUT_MS: "2000",
      SWEEP_INTERVAL_MS: "200",
    },
  },
});
