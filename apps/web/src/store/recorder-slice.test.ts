import type { RecoverableSession } from "@tidemark/client";
import { describe, expect, it } from "vitest";
import { detail, trackSummary } from "../recording/controller-fakes.ts";
import { createTestStore, fakeEnvironment, fakeRecovery } from "./test-store.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe("recorder slice", () => {
  it("starts a recording with the title and both enabled inputs, mirrors the controller and clears the title", async () => {
    const { store, inputs } = createTestStore();
    const state = () => store.getState();
    state().setRecorderTitle("Episode 3");
    state().setSecondTrackEnabled(true);
    state().setTrackInput(1, { kind: "display" });

    await state().startRecording();

    expect(inputs.opened.map((capture) => capture.source.kind)).toEqual(["microphone", "display"]);
    expect(state().recorder).toMatchObject({ phase: "recording", sessionId: "s1", title: "Episode 3" });
    expect(state().recorderTitle).toBe("");
  });

  it("records only the first track while the second is not enabled", async () => {
    const { store, inputs } = createTestStore();
    store.getState().setTrackInput(1, { kind: "display" });

    await store.getState().startRecording();

    expect(inputs.opened.map((capture) => capture.source.kind)).toEqual(["microphone"]);
  });

  it("follows the input levels while recording and falls silent when stopped", async () => {
    const { store, inputs } = createTestStore();
    await store.getState().startRecording();

    inputs.opened[0]!.level({ peak: 0.8, rms: 0.3 });
    expect(store.getState().levels[0]).toEqual({ peak: 0.8, rms: 0.3 });

    await store.getState().stopRecording();
    expect(store.getState().levels[0]).toEqual({ peak: 0, rms: 0 });
    expect(store.getState().recorder.phase).toBe("finished");
  });

  it("keeps the title and shows the reason when the recording cannot start", async () => {
    const { store, inputs } = createTestStore();
    inputs.failWith = new Error("Permission denied");
    store.getState().setRecorderTitle("Episode 3");

    await store.getState().startRecording();

    expect(store.getState().recorder).toMatchObject({ phase: "idle", error: "Permission denied" });
    expect(store.getState().recorderTitle).toBe("Episode 3");
  });

  it("shows that recording stopped because storage on this device is full", async () => {
    const { store, journal, inputs } = createTestStore();
    await store.getState().startRecording();

    journal.appendError = new DOMException("The quota has been exceeded.", "QuotaExceededError");
    inputs.opened[0]!.chunk();
    await settle();

    expect(store.getState().recorder).toMatchObject({
      phase: "halted",
      haltReason: "storage-full",
      error: "Storage on this device is full, so recording stopped.",
    });
  });

  it("warns before leaving while recording or while anything waits for upload, and not otherwise", async () => {
    const { store, inputs } = createTestStore();
    const state = () => store.getState();
    expect(state().hasUnsavedAudio()).toBe(false);

    await state().startRecording();
    inputs.opened[0]!.chunk();
    await settle();
    expect(state().hasUnsavedAudio()).toBe(true);

    await state().stopRecording();
    expect(state().hasUnsavedAudio()).toBe(false);

    state().applyUploadProgress({ sessionId: "older", track: 0, serverCommittedThrough: 3, pendingChunks: 2 });
    expect(state().hasUnsavedAudio()).toBe(true);
    state().applyUploadProgress({ sessionId: "older", track: 0, serverCommittedThrough: 5, pendingChunks: 0 });
    expect(state().hasUnsavedAudio()).toBe(false);
  });

  it("counts audio of an interrupted session found at load as unsaved until the uploader reports on it", async () => {
    const interrupted: RecoverableSession = {
      sessionId: "old",
      title: "",
      kind: "recording",
      local: { chunks: 5, pendingChunks: 2, seconds: 5 },
    };
    const { store } = createTestStore({
      recovery: fakeRecovery({ detectLocal: async () => [interrupted], detect: async () => [interrupted] }),
    });
    await store.getState().detectLocalRecovery();
    expect(store.getState().hasUnsavedAudio()).toBe(true);

    store.getState().applyUploadProgress({ sessionId: "old", track: 0, serverCommittedThrough: 4, pendingChunks: 0 });
    expect(store.getState().hasUnsavedAudio()).toBe(false);
  });

  it("enables the second track when the resumed session has one", async () => {
    const { store, api } = createTestStore();
    api.details.set("s7", detail("s7", { status: "incomplete", tracks: [trackSummary(0), trackSummary(1)] }));

    await store.getState().resumeRecording("s7");

    expect(store.getState().recorder.phase).toBe("recording");
    expect(store.getState().devices.secondInput).toBe("default");
  });

  it("remembers the picked inputs in the device choices, also the second track's while it is off", () => {
    const { store } = createTestStore();
    const state = () => store.getState();

    state().setTrackInput(0, { kind: "microphone", deviceId: "usb" });
    state().setSecondTrackEnabled(true);
    state().setTrackInput(1, { kind: "display" });
    expect(state().devices).toEqual({ microphoneId: "usb", secondInput: "display" });

    state().setSecondTrackEnabled(false);
    expect(state().devices.secondInput).toBeNull();
    state().setSecondTrackEnabled(true);
    expect(state().devices.secondInput).toBe("display");
  });

  it("records from the remembered inputs, as after a reload", async () => {
    const { store, inputs } = createTestStore();
    store.getState().setDeviceChoices({ microphoneId: "usb", secondInput: "display" });

    await store.getState().startRecording();

    expect(inputs.opened.map((capture) => capture.source)).toEqual([{ kind: "microphone", deviceId: "usb" }, { kind: "display" }]);
  });

  it("resumes a two-track session's second track from the remembered input, not silently the default microphone", async () => {
    const { store, api, inputs } = createTestStore();
    const state = () => store.getState();
    state().setDeviceChoices({ secondInput: "guest-mic" });
    state().setSecondTrackEnabled(false);
    api.details.set("s7", detail("s7", { status: "incomplete", tracks: [trackSummary(0), trackSummary(1)] }));

    await state().resumeRecording("s7");

    expect(inputs.opened.map((capture) => capture.source)).toEqual([
      { kind: "microphone", deviceId: null },
      { kind: "microphone", deviceId: "guest-mic" },
    ]);
    expect(state().devices.secondInput).toBe("guest-mic");
  });

  it("makes the session being recorded the current session", async () => {
    const { store } = createTestStore();

    await store.getState().startRecording();

    expect(store.getState().currentSessionId).toBe("s1");
  });

  it.each(["keepSessionOpen", "finishInBackground"] as const)(
    "reads the recovery list again after %s, so the session the recorder let go of stays listed",
    async (action) => {
      const kept: RecoverableSession = { sessionId: "s7", title: "", kind: "recording", local: { chunks: 2, pendingChunks: 2, seconds: 2 }, deviceOnly: true };
      const { store } = createTestStore({ recovery: fakeRecovery({ detect: async () => [kept] }) });

      store.getState()[action]();

      await expect.poll(() => store.getState().recoverable).toEqual([kept]);
    },
  );

  it("drops a session from the recovery list once the recorder finished it", async () => {
    const leftover: RecoverableSession = { sessionId: "s5", title: "", kind: "recording", local: { chunks: 1, pendingChunks: 0, seconds: 1 } };
    const { store } = createTestStore({
      recovery: fakeRecovery({ detectLocal: async () => [leftover], detect: async () => [leftover] }),
    });
    await store.getState().detectLocalRecovery();

    await store.getState().completeRecording("s5");

    expect(store.getState().recorder.phase).toBe("finished");
    expect(store.getState().recoverable).toEqual([]);
  });

  it("reads the inputs, the storage estimate and the network state from the environment", async () => {
    const { store } = createTestStore({
      environment: fakeEnvironment({
        listAudioInputs: async () => [{ deviceId: "usb", label: "USB microphone" }],
        estimateStorage: async () => ({ usageBytes: 1_000, quotaBytes: 1_000_000 }),
        canCaptureDisplayAudio: () => true,
        isOnline: () => false,
      }),
    });
    await store.getState().refreshAudioInputs();
    await store.getState().refreshStorage();

    const state = store.getState();
    expect(state.audioInputs).toEqual([{ deviceId: "usb", label: "USB microphone" }]);
    expect(state.storage).toEqual({ usageBytes: 1_000, quotaBytes: 1_000_000 });
    expect(state.displayAudioAvailable).toBe(true);
    expect(state.online).toBe(false);

    state.setOnline(true);
    state.setUploaderStatus("waiting-for-network", "The server could not be reached.");
    expect(store.getState()).toMatchObject({ online: true, uploaderStatus: "waiting-for-network", uploaderDetail: "The server could not be reached." });

    state.setUploadRefused("taken", "The server refused this session: Session id is in use");
    state.setUploadRefused("finished", "This session was already finished");
    expect(store.getState().refusedUploads).toEqual({
      taken: "The server refused this session: Session id is in use",
      finished: "This session was already finished",
    });
  });
});
