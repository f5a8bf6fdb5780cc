import type { BackupStatus, PersistenceStatus } from "@tidemark/client";
import { describe, expect, it } from "vitest";
import { describeSaving, storageNotice } from "./save-status.ts";

const status: PersistenceStatus = {
  storageKind: "indexeddb",
  hasHydrated: true,
  phase: "saved",
  lastSavedAt: 1_000,
  persistedVersion: 2,
  outdated: false,
  corruption: null,
  quota: null,
  error: null,
};
const backup: BackupStatus = { pending: 0, phase: "idle", lastSyncedAt: null, preferencesVersion: 0, conflicts: [] };

describe("the auto-save indicator's sentence", () => {
  it("says saved on this device until the server has it, then saved on the server", () => {
    expect(describeSaving(status, backup)).toEqual({ state: "saved-local", text: "Saved on this device", at: 1_000 });
    expect(describeSaving(status, { ...backup, pending: 1, phase: "syncing" }).state).toBe("saved-local");
    expect(describeSaving(status, { ...backup, phase: "synced", lastSyncedAt: 1_500 })).toEqual({
      state: "saved-server",
      text: "Saved on the server",
      at: 1_500,
    });
  });

  it("does not claim the server has edits that still wait for their push", () => {
    expect(describeSaving(status, { ...backup, phase: "synced", lastSyncedAt: 1_500 }, true)).toEqual({
      state: "saved-local",
      text: "Saved on this device, the server copy follows",
      at: 1_000,
    });
  });

  it("says the work is on this device only while the server refuses its backup, not that it is retrying", () => {
    const refused = { ...backup, phase: "error" as const, lastSyncedAt: 1_500, refused: "The server refused the backup of the draft." };

    expect(describeSaving(status, refused)).toEqual({ state: "saved-local", text: "Saved on this device only: the server refused the backup", at: 1_000 });
  });

  it("says offline with the time of the last save on this device", () => {
    expect(describeSaving(status, { ...backup, phase: "offline", pending: 2 })).toEqual({
      state: "offline",
      text: "Offline — saved on this device",
      at: 1_000,
    });
  });

  it("says saving, a failed save, loading and an outdated tab", () => {
    expect(describeSaving({ ...status, phase: "saving" }, backup).state).toBe("saving");
    expect(describeSaving({ ...status, phase: "error", error: "full" }, backup).state).toBe("error");
    expect(describeSaving({ ...status, hasHydrated: false }, backup).state).toBe("loading");
    expect(describeSaving({ ...status, outdated: true }, backup).text).toBe("Outdated tab — reload to keep saving");
  });

  it("names the storage only when it is not IndexedDB", () => {
    expect(storageNotice("indexeddb")).toBeNull();
    expect(storageNotice("localstorage")).toMatch(/localStorage/);
    expect(storageNotice("memory")).toMatch(/Not saved on this device/);
  });
});
