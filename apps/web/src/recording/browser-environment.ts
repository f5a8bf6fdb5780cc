import { canCaptureDisplayAudio, listAudioInputs } from "../audio/media-sources.ts";
import type { RecorderEnvironment, StorageUsage } from "../store/recorder-slice.ts";
import { recordingLockName } from "./recording-lock.ts";

const LOCK_PREFIX = recordingLockName("");

/** The recorder's view of this browser: inputs, storage, network. */
export const browserEnvironment: RecorderEnvironment = {
  listAudioInputs,
  canCaptureDisplayAudio,
  async estimateStorage(): Promise<StorageUsage | null> {
    if (typeof navigator === "undefined" || !navigator.storage?.estimate) return null;
    const { usage, quota } = await navigator.storage.estimate();
    if (usage === undefined || quota === undefined) return null;
    return { usageBytes: usage, quotaBytes: quota };
  },
  isOnline: () => (typeof navigator === "undefined" ? true : navigator.onLine),
  async sessionsBeingRecorded(): Promise<string[]> {
    if (typeof navigator === "undefined" || !navigator.locks?.query) return [];
    const { held = [] } = await navigator.locks.query();
    return held.flatMap((lock) => (lock.name?.startsWith(LOCK_PREFIX) ? [lock.name.slice(LOCK_PREFIX.length)] : []));
  },
};

/**
 * Asks the browser to keep the journal even under storage pressure. Best effort: browsers may
 * decline (Chromium grants it to sites the user engages with), and recording goes on either way.
 */
export function requestPersistentStorage(): void {
  if (typeof navigator === "undefined" || !navigator.storage?.persist) return;
  void navigator.storage.persist().catch(() => false);
}
