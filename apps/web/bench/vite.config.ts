import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const benchDir = fileURLToPath(new URL(".", import.meta.url));

/**
 * Builds the persistence benchmark: the page (`vite build -c bench/vite.config.ts`) and the
 * node script that drives it in Chromium (the same with `--ssr bench/run-persist-bench.ts`).
 */
export default defineConfig(({ isSsrBuild }) => ({
  root: benchDir,
  plugins: [react()],
  logLevel: "warn",
  build: isSsrBuild
    ? { outDir: "dist/runner", emptyOutDir: true, target: "node20", rolldownOptions: { output: { entryFileNames: "[name].mjs" } } }
    : { outDir: "dist/page", emptyOutDir: true, rolldownOptions: { input: [`${benchDir}detect.html`, `${benchDir}persist.html`] } },
}));
