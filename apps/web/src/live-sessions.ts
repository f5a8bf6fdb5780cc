import { EventClient, fullJitterDelay, serverUnreachable, type SessionApi } from "@tidemark/client";
import type { TidemarkEvent } from "@tidemark/shared";
import type { AppStore } from "./store/app-store.ts";

export interface LiveSessionsOptions {
  store: AppStore;
  api: SessionApi;
  /** Absolute ws: or wss: URL of `/api/ws`. */
  eventStreamUrl: string;
  /** Called once the device cookie exists, so other requests (uploads, recovery) can begin. */
  onDeviceReady?: () => void;
  /** Every live event, after the session list took it (the server backup reads its own). */
  onEvent?: (event: TidemarkEvent) => void;
  /** Events may have been missed: whatever follows them should look again. */
  onResync?: () => void;
}

const DEVICE_RETRY = { baseMs: 1_000, maxMs: 30_000 };

/** Shown while the page, opened from this device's copy, waits for the server. */
export const SERVER_UNREACHABLE_AT_START =
  "The server cannot be reached right now. Recording works: audio is saved on this device and uploads once the server answers.";

/**
 * Makes sure this browser is a known device, loads the session list and keeps it live from the
 * event stream. If the server cannot be reached at start, it keeps trying, since a page opened
 * while the server restarts should recover by itself. Returns a function that stops it all.
 */
export function startLiveSessions({ store, api, eventStreamUrl, onDeviceReady, onEvent, onResync }: LiveSessionsOptions): () => void {
  const events = new EventClient({ url: eventStreamUrl });
  events.onEvent((event) => {
    store.getState().applyEvent(event);
    onEvent?.(event);
  });
  // Asked when events may have been missed: the list is refetched rather than patched.
  events.onResync(() => {
    void store.getState().load();
    onResync?.();
  });
  events.onStatus((status) => store.getState().setLiveStatus(status));
  events.onError((error) => console.debug("Event stream:", error));

  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const reconnectWhenOnline = () => events.reconnectNow();

  async function begin(attempt: number): Promise<void> {
    try {
      // The event stream authenticates with the device cookie, so it must exist first.
      await api.ensureDevice();
    } catch (error) {
      if (stopped) return;
      // It keeps trying by itself; what matters to the user is that nothing waits for it.
      store.getState().reportError(serverUnreachable(error) ? new Error(SERVER_UNREACHABLE_AT_START, { cause: error }) : error);
      const delay = fullJitterDelay(attempt, DEVICE_RETRY, Math.random);
      retryTimer = setTimeout(() => void begin(attempt + 1), delay);
      return;
    }
    if (stopped) return;
    if (attempt > 0) store.getState().dismissError();
    onDeviceReady?.();
    events.connect();
    await store.getState().load();
  }

  void begin(0);
  window.addEventListener("online", reconnectWhenOnline);

  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    window.removeEventListener("online", reconnectWhenOnline);
    events.close();
  };
}
