import { accessSync, constants } from "node:fs";
import path from "node:path";

/**
 * The Chromium the end-to-end tests drive: `TIDEMARK_CHROMIUM` when set, otherwise the first
 * system browser found on PATH. Tests never download a browser of their own.
 */
export function chromiumExecutable(): string {
  const fromEnv = process.env.TIDEMARK_CHROMIUM;
  if (fromEnv) return fromEnv;
  const names = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  throw new Error("No Chromium found: install one (e.g. apt-get install chromium) or set TIDEMARK_CHROMIUM");
}

/** Flags that keep a headless Chromium quiet and self-contained on a machine without network. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
