import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { APP_SHELL_MANIFEST_PLACEHOLDER, appShellManifest } from "./src/offline/app-shell.ts";

const apiUrl = process.env.TIDEMARK_API_URL ?? "http://127.0.0.1:3000";

/**
 * Builds the service worker (service-worker/sw.ts) into `sw.js` at the root of the build, and
 * writes into it the manifest of the app shell: every other file of this build.
 */
function appShellWorker(): Plugin {
  let base = "/";
  return {
    name: "tidemark-app-shell-worker",
    apply: "build",
    // After index.html is emitted, so the manifest can include (and hash) it.
    enforce: "post",
    configResolved(config) {
      base = config.base;
    },
    buildStart() {
      this.emitFile({ type: "chunk", id: fileURLToPath(new URL("./service-worker/sw.ts", import.meta.url)), fileName: "sw.js" });
    },
    generateBundle(_options, bundle) {
      const worker = bundle["sw.js"];
      const page = bundle["index.html"];
      if (worker?.type !== "chunk" || page?.type !== "asset") return this.error("sw.js or index.html is missing from the build");
      const manifest = appShellManifest(base, Object.keys(bundle), String(page.source), (text) =>
        createHash("sha256").update(text).digest("hex"),
      );
      const placeholder = new RegExp(`(["'\`])${APP_SHELL_MANIFEST_PLACEHOLDER}\\1`);
      if (!placeholder.test(worker.code)) return this.error("the app shell manifest placeholder is missing from sw.js");
      worker.code = worker.code.replace(placeholder, () => JSON.stringify(JSON.stringify(manifest)));
    },
  };
}

export default defineConfig({
  plugins: [react(), appShellWorker()],
  server: {
    // The API runs separately in development. Everything under /api, including the event
    // stream's WebSocket upgrade, is forwarded so the page and the API share one origin, as
    // in production. The Host header is kept so the cookie and any origin check see the page's host.
    // `vite preview` inherits this proxy.
    proxy: {
      "/api": { target: apiUrl, ws: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
});
