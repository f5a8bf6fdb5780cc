/** Name of the BroadcastChannel the tabs of one browser profile announce their saves on. */
export const CROSS_TAB_CHANNEL_NAME = "tidemark-state";

/**
 * What a tab tells the others about a persisted key. Messages carry versions and writers, never
 * values: the receiving tab reads the value from storage, where it is checksummed and validated.
 */
export type CrossTabMessage =
  /** A write committed. */
  | { type: "saved"; key: string; writerId: string; schemaVersion: number; savedAt: number }
  /** A tab finished loading and runs code of this schema version. */
  | { type: "hello"; key: string; writerId: string; schemaVersion: number }
  /** The stored value was deleted. */
  | { type: "cleared"; key: string; writerId: string; schemaVersion: number };

export interface CrossTabChannel {
  post(message: CrossTabMessage): void;
  /** Messages from other tabs, unchecked: they may come from older or newer code. */
  subscribe(listener: (message: unknown) => void): () => void;
  close(): void;
}

/** The channel over the browser's BroadcastChannel; `null` where there is none. */
export function openBroadcastCrossTabChannel(name = CROSS_TAB_CHANNEL_NAME): CrossTabChannel | null {
  if (typeof BroadcastChannel === "undefined") return null;
  const channel = new BroadcastChannel(name);
  const listeners = new Set<(message: unknown) => void>();
  channel.onmessage = (event: MessageEvent) => {
    for (const listener of listeners) listener(event.data);
  };
  return {
    post(message) {
      try {
        channel.postMessage(message);
      } catch {
        // A closed channel (the page is going away) has no one left to tell.
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close() {
      listeners.clear();
      channel.close();
    },
  };
}

/** The message if `value` is one this code understands, else `null`. */
export function readCrossTabMessage(value: unknown): CrossTabMessage | null {
  if (typeof value !== "object" || value === null) return null;
  const message = value as Record<string, unknown>;
  if (message.type !== "saved" && message.type !== "hello" && message.type !== "cleared") return null;
  if (typeof message.key !== "string" || typeof message.writerId !== "string") return null;
  if (!Number.isInteger(message.schemaVersion)) return null;
  if (message.type === "saved" && typeof message.savedAt !== "number") return null;
  return message as CrossTabMessage;
}
