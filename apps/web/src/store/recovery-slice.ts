import type { RecoverableSession } from "@tidemark/client";
import type { TrackNumber } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import type { LocalTrack } from "../recording/local-export.ts";
import { messageOf } from "../error-message.ts";
import type { AppState, StoreDependencies } from "./app-store.ts";

/** Recovery detection from the engine, bound to the page's journal and api. */
export interface RecoveryDetector {
  /** What this device's journal holds; no network, so it answers at once. */
  detectLocal(): Promise<RecoverableSession[]>;
  /** The same plus the server's interrupted sessions and how much audio it holds of each. */
  detect(): Promise<RecoverableSession[]>;
  /** Tracks of a session this device holds audio of. */
  localTracks(sessionId: string): Promise<LocalTrack[]>;
  /** One track as a WAV file built from this device's journal alone. */
  exportLocalTrack(sessionId: string, track: TrackNumber): Promise<Blob>;
  /** Deletes this device's copy of a session: its journal entry and all its audio. */
  removeLocal(sessionId: string): Promise<void>;
}

export type RecoveryCheck =
  /** Not looked yet. */
  | "pending"
  /** This device's journal was read; the server has not answered yet. */
  | "local"
  /** The server answered too. */
  | "complete";

export interface RecoverySlice {
  /** Sessions interrupted before they were finished, with what this device and the server hold. */
  recoverable: RecoverableSession[];
  recoveryCheck: RecoveryCheck;
  /** Why the server's side could not be checked (the local list still shows). */
  recoveryError: string | null;
  /** Sessions some tab of this browser is recording right now: not interrupted, just elsewhere. */
  sessionsBeingRecorded: string[];
  /** Interrupted sessions the user chose not to be asked about again, oldest first; persisted. */
  dismissedRecoveryIds: string[];
  /** The recovery details dialog is open. */
  recoveryDetailsOpen: boolean;

  detectLocalRecovery: () => Promise<void>;
  detectServerRecovery: () => Promise<void>;
  /**
   * Reads the recovery list again, from the server and this device; with the server out of
   * reach, adds what this device holds, so a session the recorder let go of stays in view.
   */
  refreshRecovery: () => Promise<void>;
  refreshSessionsBeingRecorded: () => Promise<void>;
  listLocalTracks: (sessionId: string) => Promise<LocalTrack[]>;
  /** A WAV of one track from this device's copy, for when the server cannot provide it. */
  exportLocalTrack: (sessionId: string, track: TrackNumber) => Promise<Blob>;
  /**
   * Deletes this device's copy of a session the server will not take (it refused the session),
   * at the user's word, once they saved what they wanted; it leaves the history and the banner.
   */
  removeLocalCopy: (sessionId: string) => Promise<void>;
  /** Stops offering a session for recovery; its audio and its place in the history stay. */
  dismissRecovery: (sessionId: string) => void;
  /** Offers a dismissed session again. */
  undoRecoveryDismissal: (sessionId: string) => void;
  /** Dismisses every session offered right now. */
  dismissAllRecoveries: () => void;
  showRecoveryDetails: (open: boolean) => void;
}

/** How many dismissals are kept (the persisted schema's limit); the oldest go first. */
export const DISMISSED_RECOVERY_LIMIT = 1_000;

function withDismissed(dismissed: string[], ids: string[]): string[] {
  const added = ids.filter((id) => !dismissed.includes(id));
  if (added.length === 0) return dismissed;
  return [...dismissed, ...added].slice(-DISMISSED_RECOVERY_LIMIT);
}

export function createRecoverySlice({ recovery, environment }: StoreDependencies): StateCreator<AppState, [], [], RecoverySlice> {
  return (set, get) => ({
    recoverable: [],
    recoveryCheck: "pending",
    recoveryError: null,
    sessionsBeingRecorded: [],
    dismissedRecoveryIds: [],
    recoveryDetailsOpen: false,

    async detectLocalRecovery() {
      try {
        const sessions = await recovery.detectLocal();
        // The server's answer includes the local one; a late local answer must not replace it.
        if (get().recoveryCheck !== "pending") return;
        set({ recoverable: sessions, recoveryCheck: "local" });
      } catch (error) {
        if (get().recoveryCheck === "pending") set({ recoveryError: messageOf(error) });
      }
    },

    async detectServerRecovery() {
      try {
        const sessions = await recovery.detect();
        const { recorder } = get();
        // A session finished in this tab while the server was asked is done, whatever the answer says.
        const finished = recorder.phase === "finished" ? recorder.sessionId : null;
        set({
          recoverable: sessions.filter((session) => session.sessionId !== finished),
          recoveryCheck: "complete",
          recoveryError: null,
        });
      } catch (error) {
        set({ recoveryError: messageOf(error) });
      }
    },

    async refreshRecovery() {
      await get().detectServerRecovery();
      if (get().recoveryError === null) return;
      let local: RecoverableSession[];
      try {
        local = await recovery.detectLocal();
      } catch {
        return; // the list stays as it was
      }
      set((state) => {
        const added = local.filter((session) => !state.recoverable.some((listed) => listed.sessionId === session.sessionId));
        return added.length === 0 ? {} : { recoverable: [...state.recoverable, ...added] };
      });
    },

    async refreshSessionsBeingRecorded() {
      try {
        const ids = await environment.sessionsBeingRecorded();
        const current = get().sessionsBeingRecorded;
        // Same list: keep the old array so components reading it do not re-render.
        if (ids.length === current.length && ids.every((id) => current.includes(id))) return;
        set({ sessionsBeingRecorded: ids });
      } catch {
        // Without the lock list every recoverable session simply shows as interrupted.
      }
    },

    listLocalTracks: (sessionId) => recovery.localTracks(sessionId),
    exportLocalTrack: (sessionId, track) => recovery.exportLocalTrack(sessionId, track),

    async removeLocalCopy(sessionId) {
      await recovery.removeLocal(sessionId);
      set((state) => ({ recoverable: state.recoverable.filter((session) => session.sessionId !== sessionId) }));
    },

    dismissRecovery(sessionId) {
      const dismissed = get().dismissedRecoveryIds;
      const next = withDismissed(dismissed, [sessionId]);
      if (next !== dismissed) set({ dismissedRecoveryIds: next });
    },

    undoRecoveryDismissal(sessionId) {
      const dismissed = get().dismissedRecoveryIds;
      if (dismissed.includes(sessionId)) set({ dismissedRecoveryIds: dismissed.filter((id) => id !== sessionId) });
    },

    dismissAllRecoveries() {
      const { dismissedRecoveryIds, recoverable } = get();
      const next = withDismissed(dismissedRecoveryIds, recoverable.map((session) => session.sessionId));
      if (next !== dismissedRecoveryIds) set({ dismissedRecoveryIds: next });
    },

    showRecoveryDetails: (recoveryDetailsOpen) => set({ recoveryDetailsOpen }),
  });
}
