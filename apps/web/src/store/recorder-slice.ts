import type { UploadProgress, UploaderStatus } from "@tidemark/client";
import type { TrackNumber } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import type { AudioInputDevice, AudioSourceChoice } from "../audio/media-sources.ts";
import type { AudioLevel } from "../audio/pcm.ts";
import { messageOf } from "../error-message.ts";
import type { RecorderController } from "../recording/recorder-controller.ts";
import { DEFAULT_SECOND_INPUT, secondInputValue, trackSources, withTrackChoice } from "../recording/device-choices.ts";
import type { RecorderSnapshot } from "../recording/recorder-snapshot.ts";
import type { AppState, StoreDependencies } from "./app-store.ts";

/** The controller surface the store drives; tests pass a fake. */
export type RecorderPort = Pick<
  RecorderController,
  | "getSnapshot"
  | "subscribe"
  | "onLevel"
  | "hasUnsavedWork"
  | "start"
  | "resume"
  | "stop"
  | "markComplete"
  | "acceptGaps"
  | "retryFinish"
  | "keepSessionOpen"
  | "finishInBackground"
  | "takeOver"
  | "dismiss"
>;

export interface StorageUsage {
  usageBytes: number;
  quotaBytes: number;
}

/** The browser facts the recorder shows (inputs, storage, network); tests pass a fake. */
export interface RecorderEnvironment {
  listAudioInputs(): Promise<AudioInputDevice[]>;
  canCaptureDisplayAudio(): boolean;
  estimateStorage(): Promise<StorageUsage | null>;
  isOnline(): boolean;
  /** Sessions whose recording lock some tab of this browser holds (this one included). */
  sessionsBeingRecorded(): Promise<string[]>;
}

const SILENCE: AudioLevel = { peak: 0, rms: 0 };

export interface RecorderSlice {
  /** The controller's state, mirrored. */
  recorder: RecorderSnapshot;
  levels: Readonly<Record<TrackNumber, AudioLevel>>;

  recorderTitle: string;
  /**
   * The second track's input while it is switched off (`devices.secondInput` is null then), so
   * switching it back on, or resuming a two-track session, uses what was picked last.
   */
  offSecondInput: string | null;
  audioInputs: AudioInputDevice[];
  displayAudioAvailable: boolean;
  storage: StorageUsage | null;
  online: boolean;
  uploaderStatus: UploaderStatus;
  uploaderDetail: string | null;
  /** Chunks on this device not yet acknowledged by the server, per `sessionId/track`. */
  pendingUploads: Readonly<Record<string, number>>;
  /** Sessions the server refused for good (their audio stays on this device), with the reason. */
  refusedUploads: Readonly<Record<string, string>>;

  setRecorderTitle: (title: string) => void;
  /** Picks a track's input, remembered in `devices`; for an off track 1, what it records from once on. */
  setTrackInput: (track: TrackNumber, choice: AudioSourceChoice) => void;
  setSecondTrackEnabled: (enabled: boolean) => void;
  refreshAudioInputs: () => Promise<void>;
  refreshStorage: () => Promise<void>;
  setOnline: (online: boolean) => void;
  setUploaderStatus: (status: UploaderStatus, detail?: string) => void;
  setUploadRefused: (sessionId: string, reason: string) => void;
  applyUploadProgress: (progress: UploadProgress) => void;

  startRecording: () => Promise<void>;
  stopRecording: () => Promise<void>;
  /** Continues recording an interrupted session (recovery banner, session history). */
  resumeRecording: (sessionId: string) => Promise<void>;
  /** Uploads what this device still holds of a session, then finishes it. */
  completeRecording: (sessionId: string) => Promise<void>;
  acceptGaps: () => Promise<void>;
  retryFinish: () => Promise<void>;
  keepSessionOpen: () => void;
  finishInBackground: () => void;
  takeOver: () => Promise<void>;
  dismissRecorder: () => void;
  /** Something is not on the server yet, or a recording runs: leaving the page now risks audio. */
  hasUnsavedAudio: () => boolean;
}

export function createRecorderSlice({
  recorder,
  environment,
}: StoreDependencies): StateCreator<AppState, [], [], RecorderSlice> {
  return (set, get) => {
    recorder.subscribe((snapshot) => {
      set((state) => ({
        recorder: snapshot,
        // The session being recorded is the one the user works in.
        currentSessionId: snapshot.phase === "recording" && snapshot.sessionId !== null ? snapshot.sessionId : state.currentSessionId,
        levels: isCapturing(snapshot) ? state.levels : { 0: SILENCE, 1: SILENCE },
        // A session the recorder finished needs no recovery any more.
        recoverable:
          snapshot.phase === "finished" && snapshot.sessionId !== null
            ? state.recoverable.filter((session) => session.sessionId !== snapshot.sessionId)
            : state.recoverable,
      }));
    });
    recorder.onLevel((track, level) => set((state) => ({ levels: { ...state.levels, [track]: level } })));

    const sources = () => trackSources(get().devices, get().offSecondInput);

    /** The controller reports its own failures in its snapshot; anything else thrown lands there too. */
    async function guarded(action: () => Promise<void>): Promise<void> {
      try {
        await action();
      } catch (error) {
        set((state) => ({ recorder: { ...state.recorder, error: messageOf(error) } }));
      }
    }

    return {
      recorder: recorder.getSnapshot(),
      levels: { 0: SILENCE, 1: SILENCE },
      recorderTitle: "",
      offSecondInput: null,
      audioInputs: [],
      displayAudioAvailable: environment.canCaptureDisplayAudio(),
      storage: null,
      online: environment.isOnline(),
      uploaderStatus: "idle",
      uploaderDetail: null,
      pendingUploads: {},
      refusedUploads: {},

      setRecorderTitle: (recorderTitle) => set({ recorderTitle }),
      setTrackInput(track, choice) {
        const { devices, setDeviceChoices } = get();
        if (track === 1 && devices.secondInput === null) {
          set({ offSecondInput: secondInputValue(choice) });
          return;
        }
        setDeviceChoices(withTrackChoice(devices, track, choice));
      },
      setSecondTrackEnabled(enabled) {
        const { devices, offSecondInput, setDeviceChoices } = get();
        if (enabled === (devices.secondInput !== null)) return;
        if (!enabled) set({ offSecondInput: devices.secondInput });
        setDeviceChoices({ secondInput: enabled ? (offSecondInput ?? DEFAULT_SECOND_INPUT) : null });
      },

      async refreshAudioInputs() {
        try {
          set({ audioInputs: await environment.listAudioInputs() });
        } catch {
          // Without a device list the pickers still offer the system default.
        }
      },

      async refreshStorage() {
        try {
          set({ storage: await environment.estimateStorage() });
        } catch {
          // An estimate is informative only.
        }
      },

      setOnline: (online) => set({ online }),
      setUploaderStatus: (uploaderStatus, detail) => set({ uploaderStatus, uploaderDetail: detail ?? null }),
      setUploadRefused: (sessionId, reason) => set((state) => ({ refusedUploads: { ...state.refusedUploads, [sessionId]: reason } })),
      applyUploadProgress: (progress) =>
        set((state) => {
          const key = `${progress.sessionId}/${progress.track}`;
          if (state.pendingUploads[key] === progress.pendingChunks) return {};
          return { pendingUploads: { ...state.pendingUploads, [key]: progress.pendingChunks } };
        }),

      async startRecording() {
        await guarded(() => recorder.start({ title: get().recorderTitle, sources: sources() }));
        if (get().recorder.phase === "recording") {
          set({ recorderTitle: "" });
          void get().refreshAudioInputs(); // labels become readable once access is granted
        }
      },
      stopRecording: () => guarded(() => recorder.stop()),

      async resumeRecording(sessionId) {
        await guarded(() => recorder.resume(sessionId, { sources: sources() }));
        // The resumed session may have a second track the picker did not enable; it records
        // from the remembered input, which the picker now shows.
        const { recorder: snapshot, devices, offSecondInput, setDeviceChoices } = get();
        if (snapshot.tracks.some((track) => track.track === 1) && devices.secondInput === null) {
          setDeviceChoices({ secondInput: offSecondInput ?? DEFAULT_SECOND_INPUT });
        }
      },
      completeRecording: (sessionId) => guarded(() => recorder.markComplete(sessionId)),
      acceptGaps: () => guarded(() => recorder.acceptGaps()),
      retryFinish: () => guarded(() => recorder.retryFinish()),
      // Out of the recorder, the session is listed from what recovery detection finds (one that
      // only this device has, from detection alone) until the server has it finished.
      keepSessionOpen() {
        recorder.keepSessionOpen();
        void get().refreshRecovery();
      },
      finishInBackground() {
        recorder.finishInBackground();
        void get().refreshRecovery();
      },
      takeOver: () => guarded(() => recorder.takeOver()),
      dismissRecorder: () => recorder.dismiss(),

      hasUnsavedAudio() {
        if (recorder.hasUnsavedWork()) return true;
        const { pendingUploads, recoverable } = get();
        if (Object.values(pendingUploads).some((pending) => pending > 0)) return true;
        // Sessions found at page load count until the uploader reports on them.
        return recoverable.some(
          (session) =>
            (session.local?.pendingChunks ?? 0) > 0 &&
            !Object.keys(pendingUploads).some((key) => key.startsWith(`${session.sessionId}/`)),
        );
      },
    };
  };
}

function isCapturing(snapshot: RecorderSnapshot): boolean {
  return snapshot.phase === "recording" || snapshot.phase === "stopping";
}
