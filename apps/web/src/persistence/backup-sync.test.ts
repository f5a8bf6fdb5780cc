import type { LostCheckpointHandler } from "@tidemark/client";
import type { Preferences, SessionCheckpointState } from "@tidemark/shared";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createTestStore } from "../store/test-store.ts";
import { createBackupSync, type OverwrittenEdit } from "./backup-sync.ts";

const SESSION = "0190f5d2-8c4e-7a3b-9d2f-000000000001";

function setup(options: { createDraftSession?: () => Promise<string>; holdPreferences?: () => boolean } = {}) {
  const overwritten: OverwrittenEdit[] = [];
  const { store } = createTestStore();
  const pushes: Array<{ kind: "preferences"; value: Preferences } | { kind: "checkpoint"; sessionId: string; value: SessionCheckpointState }> = [];
  let remote = false;
  const createDraftSession = vi.fn(options.createDraftSession ?? (async () => SESSION));
  // What the server backup calls when a checkpoint push answers 404.
  let lostSessionHandler: LostCheckpointHandler | null = null;
  const sync = createBackupSync({
    store,
    backup: {
      pushPreferences: async (value) => void pushes.push({ kind: "preferences", value }),
      pushCheckpoint: async (sessionId, value) => void pushes.push({ kind: "checkpoint", sessionId, value }),
      handleLostSessions: (handler) => {
        lostSessionHandler = handler;
        return () => void (lostSessionHandler = null);
      },
    },
    createDraftSession,
    isRemoteChange: () => remote,
    ...(options.holdPreferences ? { holdPreferences: options.holdPreferences } : {}),
    now: () => new Date(),
    checkpointDelayMs: 2_000,
    checkpointMaxWaitMs: 30_000,
    preferencesDelayMs: 1_000,
    onError: () => {},
    onOverwritten: (edit) => void overwritten.push(edit),
  });
  const asRemote = (change: () => void) => {
    remote = true;
    try {
      change();
    } finally {
      remote = false;
    }
  };
  const sessionLost = (sessionId: string, value: SessionCheckpointState) => {
    if (!lostSessionHandler) throw new Error("No one takes lost sessions.");
    return lostSessionHandler({ sessionId, value });
  };
  return { store, state: () => store.getState(), sync, pushes, asRemote, createDraftSession, overwritten, sessionLost };
}

async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

describe("backup sync", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("pushes the preferences once, a second after a burst of changes", async () => {
    const { state, sync, pushes } = setup();
    await sync.start();

    state().updateParameters({ rate: 1.1 });
    await advance(500);
    state().updateParameters({ rate: 1.2 });
    await advance(999);
    expect(pushes).toEqual([]);
    await advance(1);

    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ kind: "preferences", value: { parameters: { rate: 1.2 } } });
  });

  it("does not push a change back that came from storage, another tab or the server", async () => {
    const { state, sync, pushes, asRemote } = setup();
    await sync.start();

    asRemote(() => state().updateParameters({ rate: 1.7 }));
    await advance(5_000);

    expect(pushes).toEqual([]);
  });

  it("pushes nothing when a change is undone before its delay", async () => {
    const { state, sync, pushes } = setup();
    await sync.start();

    state().setRecoveryPrompts(false);
    state().setRecoveryPrompts(true);
    await advance(2_000);

    expect(pushes).toEqual([]);
  });

  it("gives a draft with content a synthesis session, then pushes its checkpoint when editing pauses", async () => {
    const { state, sync, pushes, createDraftSession } = setup();
    await sync.start();
    const chapter = state().draft.chapters[0]!.id;
    state().setDraftTitle("Audiobook");
    state().editChapterText(chapter, "Once upon a time");

    await advance(2_000);
    expect(createDraftSession).toHaveBeenCalledWith("Audiobook");
    expect(state().draft.sessionId).toBe(SESSION);
    expect(state().currentSessionId).toBe(SESSION);

    await advance(2_000);
    const checkpoints = pushes.filter((push) => push.kind === "checkpoint");
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]).toMatchObject({ sessionId: SESSION, value: { title: "Audiobook", chapters: [{ text: "Once upon a time" }] } });
  });

  it("pushes the checkpoint at least every 30 seconds while edits go on without a pause", async () => {
    const { state, sync, pushes, asRemote } = setup();
    asRemote(() => state().attachDraftSession(SESSION));
    await sync.start();
    const chapter = state().draft.chapters[0]!.id;

    for (let second = 1; second <= 31; second++) {
      state().editChapterText(chapter, "a".repeat(second));
      await advance(1_000);
    }

    const checkpoints = pushes.filter((push) => push.kind === "checkpoint");
    expect(checkpoints).toHaveLength(1);
    expect((checkpoints[0]!.value as SessionCheckpointState).chapters[0]!.text.length).toBeGreaterThanOrEqual(29);
  });

  it("pushes what waits at once when flushed, as when the page is hidden", async () => {
    const { state, sync, pushes, asRemote } = setup();
    asRemote(() => state().attachDraftSession(SESSION));
    await sync.start();

    state().setDraftNotes("Slower in chapter 2.");
    state().selectVoice("kal");
    await sync.flush();

    expect(pushes.map((push) => push.kind).sort()).toEqual(["checkpoint", "preferences"]);
  });

  it("keeps the session another tab attached while this one was asking for one", async () => {
    let answer!: (id: string) => void;
    const { state, sync, asRemote } = setup({ createDraftSession: () => new Promise((resolve) => (answer = resolve)) });
    await sync.start();
    state().setDraftTitle("Shared draft");
    await advance(2_000);

    const other = "0190f5d2-8c4e-7a3b-9d2f-000000000002";
    asRemote(() => state().attachDraftSession(other));
    answer(SESSION);
    await advance(0);

    expect(state().draft.sessionId).toBe(other);
  });

  it("tries again to give the draft a session after a failure", async () => {
    let calls = 0;
    const { state, sync } = setup({
      createDraftSession: async () => {
        calls += 1;
        if (calls === 1) throw new Error("The server could not be reached.");
        return SESSION;
      },
    });
    await sync.start();
    state().setDraftTitle("Offline draft");
    await advance(2_000);
    expect(state().draft.sessionId).toBeNull();

    await sync.flush();

    expect(state().draft.sessionId).toBe(SESSION);
  });

  it("holds the preferences back while told to, and pushes them once the hold ends", async () => {
    let held = true;
    const { state, sync, pushes } = setup({ holdPreferences: () => held });
    await sync.start();

    state().updateParameters({ rate: 1.8 });
    await advance(5_000);
    expect(pushes).toEqual([]);

    held = false;
    await sync.flush();
    expect(pushes).toMatchObject([{ kind: "preferences", value: { parameters: { rate: 1.8 } } }]);
  });

  it("pushes at start what was changed before it (the page loaded offline)", async () => {
    const { state, sync, pushes } = setup();

    state().updateParameters({ rate: 0.7 });
    await sync.start();

    expect(pushes).toMatchObject([{ kind: "preferences", value: { parameters: { rate: 0.7 } } }]);
  });

  it("pushes at start an edit a closed page marked but never queued, and only then", async () => {
    const kept = { preferences: true, checkpoint: SESSION };
    const { store } = createTestStore();
    store.getState().attachDraftSession(SESSION);
    const pushes: string[] = [];
    const written: unknown[] = [];
    const sync = createBackupSync({
      store,
      backup: { pushPreferences: async () => void pushes.push("preferences"), pushCheckpoint: async (id) => void pushes.push(`checkpoint ${id}`) },
      createDraftSession: async () => SESSION,
      isRemoteChange: () => false,
      unpushed: { read: async () => kept, write: async (edits) => void written.push(edits) },
      onError: () => {},
    });

    await sync.start();

    expect(pushes.sort()).toEqual([`checkpoint ${SESSION}`, "preferences"]);
    expect(written.at(-1)).toEqual({ preferences: false, checkpoint: null });
  });

  it("pushes an edit that a change from another tab merged in, instead of taking it for the server's", async () => {
    const { state, sync, pushes, asRemote } = setup();
    await sync.start();

    state().updateParameters({ rate: 1.9 });
    asRemote(() => state().selectVoice("kal"));
    await advance(1_000);

    expect(pushes).toMatchObject([{ kind: "preferences", value: { parameters: { rate: 1.9 }, voice: "kal" } }]);
  });

  it("keeps an edit as a conflict copy when another tab's save replaces it before its push", async () => {
    const { state, sync, pushes, asRemote, overwritten } = setup();
    asRemote(() => state().attachDraftSession(SESSION));
    await sync.start();
    const chapter = state().draft.chapters[0]!.id;

    state().editChapterText(chapter, "Mine");
    state().updateParameters({ rate: 1.5 });
    asRemote(() => {
      state().editChapterText(chapter, "Theirs");
      state().updateParameters({ rate: 0.6 });
    });
    await advance(5_000);

    expect(overwritten).toMatchObject([
      { kind: "checkpoint", sessionId: SESSION, value: { chapters: [{ text: "Mine" }], parameters: { rate: 1.5 } } },
      { kind: "preferences", value: { parameters: { rate: 1.5 } } },
    ]);
    // The other tab pushes its own value; this one has nothing left to push.
    expect(pushes).toEqual([]);
  });

  it("pushes this page's edit together with a change another tab made meanwhile", async () => {
    const { state, sync, pushes, asRemote, overwritten } = setup();
    asRemote(() => state().attachDraftSession(SESSION));
    await sync.start();
    const chapter = state().draft.chapters[0]!.id;

    state().editChapterText(chapter, "Mine");
    asRemote(() => state().setDraftTitle("Their title"));
    await advance(0);
    expect(pushes).toEqual([]);
    expect(overwritten).toEqual([]);

    await advance(2_000);
    expect(pushes).toMatchObject([{ kind: "checkpoint", value: { title: "Their title", chapters: [{ text: "Mine" }] } }]);
  });
  describe("when the server has lost the session of a checkpoint", () => {
    const NEW_SESSION = "0190f5d2-8c4e-7a3b-9d2f-000000000003";
    const lastCheckpoint = (pushes: ReturnType<typeof setup>["pushes"]) => pushes.filter((push) => push.kind === "checkpoint").at(-1);

    /** A started sync whose open draft, attached to SESSION, has text; new sessions come from `createDraftSession`. */
    async function draftOnSession(createDraftSession: () => Promise<string> = async () => NEW_SESSION) {
      const setupResult = setup({ createDraftSession });
      const { state, sync, asRemote } = setupResult;
      asRemote(() => state().attachDraftSession(SESSION));
      await sync.start();
      state().setDraftTitle("Moby Dick");
      state().editChapterText(state().draft.chapters[0]!.id, "Call me Ishmael.");
      await sync.flush();
      return setupResult;
    }

    it("detaches the open draft, gives it a new session and pushes all of it there", async () => {
      const { state, pushes, createDraftSession, sessionLost } = await draftOnSession();
      const lost = lastCheckpoint(pushes)!.value as SessionCheckpointState;

      await expect(sessionLost(SESSION, lost)).resolves.toBe(NEW_SESSION);

      expect(createDraftSession).toHaveBeenCalledWith("Moby Dick");
      expect(state().draft).toMatchObject({ sessionId: NEW_SESSION, chapters: [{ text: "Call me Ishmael." }] });
      expect(state().currentSessionId).toBe(NEW_SESSION);
      expect(lastCheckpoint(pushes)).toMatchObject({ sessionId: NEW_SESSION, value: { title: "Moby Dick", chapters: [{ text: "Call me Ishmael." }] } });
    });

    it("keeps the open draft detached when no session can be made yet, and gives it one on the next flush", async () => {
      let offline = true;
      const { state, sync, pushes, sessionLost } = await draftOnSession(async () => {
        if (offline) throw new Error("The server could not be reached.");
        return NEW_SESSION;
      });

      await expect(sessionLost(SESSION, lastCheckpoint(pushes)!.value as SessionCheckpointState)).resolves.toBeNull();
      expect(state().draft).toMatchObject({ sessionId: null, chapters: [{ text: "Call me Ishmael." }] });
      expect(state().currentSessionId).toBeNull();

      offline = false;
      await sync.flush();
      await sync.flush();

      expect(state().draft.sessionId).toBe(NEW_SESSION);
      expect(lastCheckpoint(pushes)).toMatchObject({ sessionId: NEW_SESSION, value: { chapters: [{ text: "Call me Ishmael." }] } });
    });

    it("gives a draft that is no longer open a session of its own for the value that waited", async () => {
      const { state, pushes, createDraftSession, sessionLost } = await draftOnSession();
      const waited = lastCheckpoint(pushes)!.value as SessionCheckpointState;
      state().startNewDraft();

      await expect(sessionLost(SESSION, waited)).resolves.toBe(NEW_SESSION);

      expect(createDraftSession).toHaveBeenCalledWith("Moby Dick");
      expect(lastCheckpoint(pushes)).toEqual({ kind: "checkpoint", sessionId: NEW_SESSION, value: waited });
      expect(state().draft.sessionId).toBeNull();
    });

    it("stops taking lost sessions once stopped", async () => {
      const { sync, pushes, sessionLost } = await draftOnSession();
      const lost = lastCheckpoint(pushes)!.value as SessionCheckpointState;

      sync.stop();

      expect(() => sessionLost(SESSION, lost)).toThrow("No one takes lost sessions.");
    });
  });
});
