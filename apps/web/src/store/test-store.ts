/** Builds stores for unit tests: every dependency faked, any of them replaceable. */
import type { RecordingApi } from "@tidemark/client";
import { controllerFakes } from "../recording/controller-fakes.ts";
import { RecorderController } from "../recording/recorder-controller.ts";
import { createAppStore, type StoreDependencies } from "./app-store.ts";
import type { RecorderEnvironment } from "./recorder-slice.ts";
import type { RecoveryDetector } from "./recovery-slice.ts";

function unexpected(name: string) {
  return () => Promise.reject(new Error(`The test did not expect a call to ${name}.`));
}

/** An api whose every method fails unless the test provides it. */
export function fakeApi(overrides: Partial<RecordingApi> = {}): RecordingApi {
  return {
    ensureDevice: unexpected("ensureDevice"),
    listSessions: unexpected("listSessions"),
    createSession: unexpected("createSession"),
    resumeSession: unexpected("resumeSession"),
    finishSession: unexpected("finishSession"),
    keepalive: unexpected("keepalive"),
    getSession: unexpected("getSession"),
    declareTrack: unexpected("declareTrack"),
    putChunk: unexpected("putChunk"),
    createRecoveryToken: unexpected("createRecoveryToken"),
    ...overrides,
  };
}

export function fakeRecovery(overrides: Partial<RecoveryDetector> = {}): RecoveryDetector {
  return {
    detectLocal: async () => [],
    detect: async () => [],
    localTracks: async () => [],
    exportLocalTrack: () => Promise.reject(new Error("The test did not expect an export.")),
    removeLocal: () => Promise.reject(new Error("The test did not expect a removal.")),
    ...overrides,
  };
}

export function fakeEnvironment(overrides: Partial<RecorderEnvironment> = {}): RecorderEnvironment {
  return {
    listAudioInputs: async () => [],
    canCaptureDisplayAudio: () => false,
    estimateStorage: async () => null,
    isOnline: () => true,
    sessionsBeingRecorded: async () => [],
    ...overrides,
  };
}

/** A store with a real recorder controller over faked collaborators (returned for the test to drive). */
export function createTestStore(overrides: Partial<StoreDependencies> = {}) {
  const fakes = controllerFakes();
  const recorder = new RecorderController(fakes.options);
  const store = createAppStore({
    api: fakeApi(),
    recorder,
    recovery: fakeRecovery(),
    environment: fakeEnvironment(),
    ...overrides,
  });
  return { store, recorder, ...fakes };
}
