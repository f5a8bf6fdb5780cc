import type { BackupStatus, PersistenceStatus, StorageKind } from "@tidemark/client";

export type SaveState = "loading" | "idle" | "saving" | "saved-local" | "saved-server" | "offline" | "error" | "outdated";

export interface SaveDescription {
  state: SaveState;
  /** One short sentence, without the time. */
  text: string;
  /** Epoch ms the sentence refers to ("saved at …"), when there is one. */
  at: number | null;
}

/**
 * What the auto-save indicator says: the furthest place the work has reached (this device, the
 * server), or what keeps it from getting there. The server holds the preferences and the draft;
 * once nothing of them waits, the work is on the server (what else is saved, such as the recent
 * sessions list, is the server's own data anyway).
 */
export function describeSaving(status: PersistenceStatus, backup: BackupStatus, unpushedEdits = false): SaveDescription {
  if (status.outdated) return { state: "outdated", text: "Outdated tab — reload to keep saving", at: null };
  if (!status.hasHydrated) return { state: "loading", text: "Loading saved work…", at: null };
  if (status.phase === "error") return { state: "error", text: "Not saved on this device", at: status.lastSavedAt };
  if (status.phase === "saving") return { state: "saving", text: "Saving…", at: null };
  const local = status.lastSavedAt;
  if (backup.phase === "offline") {
    return { state: "offline", text: local === null ? "Offline" : "Offline — saved on this device", at: local };
  }
  if (unpushedEdits || backup.pending > 0 || backup.phase === "syncing") {
    return { state: "saved-local", text: local === null ? "Sending to the server…" : "Saved on this device, the server copy follows", at: local };
  }
  if (backup.refused) return { state: "saved-local", text: "Saved on this device only: the server refused the backup", at: local };
  if (backup.phase === "error") return { state: "saved-local", text: "Saved on this device; the server backup is retrying", at: local };
  if (backup.lastSyncedAt !== null) return { state: "saved-server", text: "Saved on the server", at: backup.lastSyncedAt };
  if (local !== null) return { state: "saved-local", text: "Saved on this device", at: local };
  return { state: "idle", text: "Nothing changed yet", at: null };
}

/** Said when the work is not kept in IndexedDB, and what that means for the user. */
export function storageNotice(kind: StorageKind): string | null {
  switch (kind) {
    case "indexeddb":
      return null;
    case "localstorage":
      return "Saving in this browser's localStorage: IndexedDB is not available here, so space is small.";
    case "memory":
      return "Not saved on this device: this browser allows no storage here. Work lasts while this tab is open and is backed up to the server.";
  }
}
