import { defineConfig } from "vitest/config";

// Unit tests cover store logic and helpers, which need no DOM; browser behaviour is left to
// the Playwright specs in e2e/.
export default defineConfig({
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
