/**
 * Registers the service worker that keeps the app shell, so this page opens again on this device
 * while the server or the network is down. Only built apps have one (`vite build` writes
 * `sw.js`); the development server serves fresh modules and registers nothing.
 */
export function registerAppShell(): void {
  if (!import.meta.env.PROD || typeof navigator === "undefined" || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`).catch((error: unknown) => {
    // Without it the studio still works; it just cannot open while the server is unreachable.
    console.warn("The offline copy of the app could not be set up:", error);
  });
}
