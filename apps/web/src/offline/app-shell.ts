/**
 * The app shell: the built page and its files, kept by the service worker so the studio opens
 * on a device even when the server or the network cannot be reached (a crash while the server
 * restarts, a laptop without Wi-Fi). What the user recorded is in IndexedDB; this makes sure the
 * page that reads it, shows the recovery notice and records on can load too.
 *
 * Shared by the build (which writes the manifest into the worker) and the worker itself; it uses
 * nothing of a page or a worker, only the URL and request shapes both have.
 */

/** The build's shell: its version (which names the cache) and every file to keep, as absolute paths. */
export interface AppShellManifest {
  version: string;
  /** The page itself first (the base path, answered with index.html), then every built file. */
  files: string[];
}

/** Names every cache of the shell; older versions are deleted once a new worker takes over. */
export const APP_SHELL_CACHE_PREFIX = "tidemark-app-shell-";

/** Stands in the worker's source for the manifest, until the build writes the real one there. */
export const APP_SHELL_MANIFEST_PLACEHOLDER = "__TIDEMARK_APP_SHELL_MANIFEST__";

/** How long a page load waits for the server before the kept shell is shown instead. */
export const PAGE_NETWORK_TIMEOUT_MS = 4_000;

export function appShellCacheName(manifest: AppShellManifest): string {
  return `${APP_SHELL_CACHE_PREFIX}${manifest.version}`;
}

/**
 * How the worker answers a request:
 * - `page`: a page load. The server first (a new build shows at once), the kept shell when the
 *   server does not answer in time or answers that it is unavailable.
 * - `file`: one of the build's files. Their names carry their content's hash, so the kept copy
 *   is always right.
 * - `network`: anything else (the API above all, and ranges of audio) is not the shell's: the
 *   browser sends it as if there were no worker.
 */
export type ShellRoute = "page" | "file" | "network";

export interface ShellRequest {
  method: string;
  mode: string;
  url: string;
  headers: { has(name: string): boolean };
}

export function shellRoute(request: ShellRequest, scope: string, manifest: AppShellManifest): ShellRoute {
  if (request.method !== "GET" || request.headers.has("range")) return "network";
  const url = new URL(request.url);
  const base = new URL(scope);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return "network";
  if (url.pathname.startsWith(`${base.pathname}api/`) || url.pathname === `${base.pathname}api`) return "network";
  if (request.mode === "navigate") return "page";
  return manifest.files.includes(url.pathname) ? "file" : "network";
}

/** The answer a page load falls back from: none at all, or a gateway saying the server is down. */
export function serverAnsweredPage(status: number): boolean {
  return status < 500;
}

/**
 * The manifest of a build: `base` (the page) and every emitted file except the worker and source
 * maps, named by a hash of the page and of the file names (which carry their content's hash).
 */
export function appShellManifest(
  base: string,
  fileNames: readonly string[],
  page: string,
  hash: (text: string) => string,
): AppShellManifest {
  const files = fileNames
    .filter((name) => name !== "index.html" && name !== "sw.js" && !name.endsWith(".map"))
    .map((name) => `${base}${name}`)
    .sort();
  const version = hash([page, ...files].join("\n")).slice(0, 16);
  return { version, files: [base, ...files] };
}
