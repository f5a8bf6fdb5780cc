import type { RecoverableSession } from "@tidemark/client";
import { describe, expect, it } from "vitest";
import { deferred } from "../recording/controller-fakes.ts";
import { DISMISSED_RECOVERY_LIMIT } from "./recovery-slice.ts";
import { createTestStore, fakeRecovery } from "./test-store.ts";

const onDevice: RecoverableSession = {
  sessionId: "s1",
  title: "Interview",
  kind: "recording",
  local: { chunks: 12, pendingChunks: 4, seconds: 12 },
};
const withServer: RecoverableSession = { ...onDevice, serverStatus: "incomplete", server: { chunks: 8, seconds: 8 } };
const serverOnly: RecoverableSession = { sessionId: "s2", title: "Other laptop", kind: "recording", serverStatus: "incomplete", server: { chunks: 3, seconds: 3 } };

describe("recovery slice", () => {
  it("shows what this device holds first, then fills in the server's view", async () => {
    const server = deferred<RecoverableSession[]>();
    const { store } = createTestStore({
      recovery: fakeRecovery({ detectLocal: async () => [onDevice], detect: () => server.promise }),
    });

    await store.getState().detectLocalRecovery();
    const asking = store.getState().detectServerRecovery();
    expect(store.getState()).toMatchObject({ recoverable: [onDevice], recoveryCheck: "local" });

    server.resolve([withServer, serverOnly]);
    await asking;
    expect(store.getState()).toMatchObject({ recoverable: [withServer, serverOnly], recoveryCheck: "complete" });
  });

  it("does not let a late answer from this device replace the server's", async () => {
    const local = deferred<RecoverableSession[]>();
    const { store } = createTestStore({
      recovery: fakeRecovery({ detectLocal: () => local.promise, detect: async () => [withServer] }),
    });

    const localCheck = store.getState().detectLocalRecovery();
    await store.getState().detectServerRecovery();
    local.resolve([onDevice]);
    await localCheck;

    expect(store.getState().recoverable).toEqual([withServer]);
  });

  it("keeps the device's list and says why when the server's side fails", async () => {
    const { store } = createTestStore({
      recovery: fakeRecovery({
        detectLocal: async () => [onDevice],
        detect: () => Promise.reject(new Error("The server could not be reached.")),
      }),
    });

    await store.getState().detectLocalRecovery();
    await store.getState().detectServerRecovery();

    expect(store.getState()).toMatchObject({
      recoverable: [onDevice],
      recoveryCheck: "local",
      recoveryError: "The server could not be reached.",
    });
  });

  it("builds a local copy through the recovery service", async () => {
    const wav = new Blob(["RIFF"]);
    const { store } = createTestStore({
      recovery: fakeRecovery({
        localTracks: async () => [{ track: 0, label: "Microphone", seconds: 12 }],
        exportLocalTrack: async (sessionId, track) => (sessionId === "s1" && track === 0 ? wav : new Blob()),
      }),
    });

    expect(await store.getState().listLocalTracks("s1")).toEqual([{ track: 0, label: "Microphone", seconds: 12 }]);
    expect(await store.getState().exportLocalTrack("s1", 0)).toBe(wav);
  });

  it("adds what this device holds to the list when a refresh cannot reach the server", async () => {
    const listed: RecoverableSession = { sessionId: "s1", title: "", kind: "recording", local: { chunks: 3, pendingChunks: 0, seconds: 3 }, server: { chunks: 3, seconds: 3 } };
    const offline: RecoverableSession = { sessionId: "s2", title: "", kind: "recording", local: { chunks: 2, pendingChunks: 2, seconds: 2 }, deviceOnly: true };
    let serverUp = true;
    const { store } = createTestStore({
      recovery: fakeRecovery({
        detect: async () => (serverUp ? [listed] : Promise.reject(new Error("The server could not be reached."))),
        detectLocal: async () => [{ ...listed, server: undefined }, offline],
      }),
    });
    await store.getState().detectServerRecovery();
    serverUp = false;

    await store.getState().refreshRecovery();

    // What the server said of s1 is kept; s2, which only this device has, is added.
    expect(store.getState().recoverable).toEqual([listed, offline]);
    expect(store.getState().recoveryError).toBe("The server could not be reached.");
  });

  it("removes this device's copy of a session through the recovery service and stops listing it", async () => {
    const refused: RecoverableSession = { sessionId: "s1", title: "", kind: "recording", local: { chunks: 3, pendingChunks: 3, seconds: 3 }, deviceOnly: true };
    const kept: RecoverableSession = { ...refused, sessionId: "s2" };
    const removed: string[] = [];
    const { store } = createTestStore({
      recovery: fakeRecovery({
        detectLocal: async () => [refused, kept],
        removeLocal: async (sessionId) => void removed.push(sessionId),
      }),
    });
    await store.getState().detectLocalRecovery();

    await store.getState().removeLocalCopy("s1");

    expect(removed).toEqual(["s1"]);
    expect(store.getState().recoverable.map((session) => session.sessionId)).toEqual(["s2"]);
  });

  it("keeps listing a session whose copy could not be removed", async () => {
    const refused: RecoverableSession = { sessionId: "s1", title: "", kind: "recording", local: { chunks: 3, pendingChunks: 3, seconds: 3 }, deviceOnly: true };
    const { store } = createTestStore({
      recovery: fakeRecovery({
        detectLocal: async () => [refused],
        removeLocal: () => Promise.reject(new Error("QuotaExceededError")),
      }),
    });
    await store.getState().detectLocalRecovery();

    await expect(store.getState().removeLocalCopy("s1")).rejects.toThrow("QuotaExceededError");

    expect(store.getState().recoverable).toEqual([refused]);
  });

  it("dismisses a session, offers it again on request, and keeps each id once", () => {
    const { store } = createTestStore();
    const state = () => store.getState();

    state().dismissRecovery("s1");
    state().dismissRecovery("s1");
    state().dismissRecovery("s2");
    expect(state().dismissedRecoveryIds).toEqual(["s1", "s2"]);

    state().undoRecoveryDismissal("s1");
    expect(state().dismissedRecoveryIds).toEqual(["s2"]);
  });

  it("dismisses every session offered right now at once", async () => {
    const { store } = createTestStore({ recovery: fakeRecovery({ detectLocal: async () => [onDevice, serverOnly] }) });
    await store.getState().detectLocalRecovery();
    store.getState().dismissRecovery("older");

    store.getState().dismissAllRecoveries();

    expect(store.getState().dismissedRecoveryIds).toEqual(["older", "s1", "s2"]);
  });

  it("keeps at most the persisted limit of dismissals, forgetting the oldest", () => {
    const { store } = createTestStore();
    for (let i = 0; i < DISMISSED_RECOVERY_LIMIT + 5; i++) store.getState().dismissRecovery(`s${i}`);

    const dismissed = store.getState().dismissedRecoveryIds;
    expect(dismissed).toHaveLength(DISMISSED_RECOVERY_LIMIT);
    expect(dismissed[0]).toBe("s5");
  });
});
