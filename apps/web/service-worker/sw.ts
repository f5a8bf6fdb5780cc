/**
 * Tidemark's service worker: keeps the app shell (see src/offline/app-shell.ts) so the studio
 * opens, shows what this device saved and records on while the server or the network is down.
 * It never touches the API: uploads, keepalives and downloads go to the network as if it were
 * not there. Built into `sw.js` at the root of the build, with the build's manifest written in.
 */
import {
  APP_SHELL_CACHE_PREFIX,
  PAGE_NETWORK_TIMEOUT_MS,
  appShellCacheName,
  serverAnsweredPage,
  shellRoute,
  type AppShellManifest,
} from "../src/offline/app-shell.ts";

declare const self: ServiceWorkerGlobalScope;

// The build replaces this string (APP_SHELL_MANIFEST_PLACEHOLDER) with the manifest's JSON (see vite.config.ts).
const MANIFEST = JSON.parse("__TIDEMARK_APP_SHELL_MANIFEST__") as AppShellManifest;
const CACHE = appShellCacheName(MANIFEST);

/** Chromium's static routing: API requests then bypass the worker altogether, without waking it. */
type InstallEventWithRoutes = ExtendableEvent & { addRoutes?: (rules: unknown) => Promise<void> };

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // From the server, not the HTTP cache: the files of this build, all or none.
      await cache.addAll(MANIFEST.files.map((file) => new Request(file, { cache: "reload" })));
      // A new build takes over at once; a page of the old one keeps the code it loaded.
      await self.skipWaiting();
    })(),
  );
  const routes = event as InstallEventWithRoutes;
  if (typeof routes.addRoutes === "function") {
    try {
      const api = `${new URL(self.registration.scope).pathname}api/*`;
      event.waitUntil(routes.addRoutes([{ condition: { urlPattern: { pathname: api } }, source: "network" }]).catch(() => undefined));
    } catch {
      // An older routing API: the fetch handler passes API requests through anyway.
    }
  }
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(APP_SHELL_CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const route = shellRoute(event.request, self.registration.scope, MANIFEST);
  if (route === "network") return;
  event.respondWith(route === "page" ? page(event.request) : file(event.request));
});

/** A page load: the server's page when it answers in time, otherwise the kept one. */
async function page(request: Request): Promise<Response> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), PAGE_NETWORK_TIMEOUT_MS);
  try {
    const response = await fetch(request, { signal: timeout.signal });
    if (serverAnsweredPage(response.status)) return response;
    return (await keptPage()) ?? response;
  } catch (error) {
    const kept = await keptPage();
    if (kept) return kept;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function keptPage(): Promise<Response | undefined> {
  const cache = await caches.open(CACHE);
  return cache.match(MANIFEST.files[0]!);
}

/** A built file: the kept copy, or the network when the cache lost it. */
async function file(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  return (await cache.match(request)) ?? fetch(request);
}
