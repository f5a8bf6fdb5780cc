import { exposeOnPage } from "../page-hook.ts";
import type { AppStore } from "../store/app-store.ts";
import type { RecordingRuntime } from "./recording-runtime.ts";

/** How often the storage estimate is refreshed (it grows about 6 MB a minute per track while recording). */
const STORAGE_REFRESH_MS = 10_000;
/** How often the banner looks for sessions another tab is recording. */
const LOCKS_REFRESH_MS = 2_000;
/** After the recorder's phase changed, when the locks are read again (a released lock takes a moment to go). */
const LOCK_RELEASE_MS = 100;
/** At most this often, the recovery banner is refreshed while leftovers upload. */
const RECOVERY_REFRESH_MS = 1_500;

export interface RecordingRuntimeHandle {
  /** The device cookie exists: uploads and the server's side of recovery can start. */
  deviceReady(): void;
  stop(): void;
}

/**
 * Connects the recording engine to the store and the browser, beside the store rather than in
 * components. Recovery detection on this device runs first, before any network request, so a
 * recovery banner appears even while the server is unreachable.
 */
export function startRecordingRuntime({ store, runtime }: { store: AppStore; runtime: RecordingRuntime }): RecordingRuntimeHandle {
  const state = () => store.getState();
  void state().detectLocalRecovery();
  // Another tab may be recording a session this tab's banner lists; locks come and go.
  void state().refreshSessionsBeingRecorded();
  const locksTimer = setInterval(() => void state().refreshSessionsBeingRecorded(), LOCKS_REFRESH_MS);

  const cleanups: Array<() => void> = [() => clearInterval(locksTimer)];
  cleanups.push(runtime.uploader.onStatus((status, detail) => state().setUploaderStatus(status, detail)));
  cleanups.push(runtime.uploader.onSessionStopped((sessionId, reason) => state().setUploadRefused(sessionId, reason)));
  // Leftovers of an interrupted session upload in the background; the banner's numbers follow.
  let recoveryRefresh: ReturnType<typeof setTimeout> | undefined;
  cleanups.push(
    runtime.uploader.onProgress((progress) => {
      state().applyUploadProgress(progress);
      const listed = state().recoverable.some((session) => session.sessionId === progress.sessionId);
      if (!listed || recoveryRefresh !== undefined) return;
      recoveryRefresh = setTimeout(() => {
        recoveryRefresh = undefined;
        void state().detectServerRecovery();
      }, RECOVERY_REFRESH_MS);
    }),
  );
  cleanups.push(() => clearTimeout(recoveryRefresh));

  const updateOnline = () => state().setOnline(navigator.onLine);
  window.addEventListener("online", updateOnline);
  window.addEventListener("offline", updateOnline);
  cleanups.push(() => {
    window.removeEventListener("online", updateOnline);
    window.removeEventListener("offline", updateOnline);
  });

  const refreshInputs = () => void state().refreshAudioInputs();
  navigator.mediaDevices?.addEventListener("devicechange", refreshInputs);
  cleanups.push(() => navigator.mediaDevices?.removeEventListener("devicechange", refreshInputs));
  refreshInputs();

  void state().refreshStorage();
  // Also right when a recording starts or ends, when the number matters most.
  let lastPhase = state().recorder.phase;
  let locksAfterPhase: ReturnType<typeof setTimeout> | undefined;
  cleanups.push(() => clearTimeout(locksAfterPhase));
  cleanups.push(
    store.subscribe(({ recorder }) => {
      if (recorder.phase === lastPhase) return;
      lastPhase = recorder.phase;
      if (recorder.phase === "recording" || recorder.phase === "finished") void state().refreshStorage();
      // This tab takes or lets go of a session's lock with the phase; the browser frees a lock a
      // moment after its release, so the list is read again shortly rather than at the next poll.
      clearTimeout(locksAfterPhase);
      locksAfterPhase = setTimeout(() => void state().refreshSessionsBeingRecorded(), LOCK_RELEASE_MS);
    }),
  );
  const storageTimer = setInterval(() => void state().refreshStorage(), STORAGE_REFRESH_MS);
  cleanups.push(() => clearInterval(storageTimer));

  // Leaving with audio that only this device holds is safe (it resumes on return), but the
  // user should know the server does not have it yet.
  const warnBeforeUnload = (event: BeforeUnloadEvent) => {
    if (!state().hasUnsavedAudio()) return;
    event.preventDefault();
    event.returnValue = "";
  };
  window.addEventListener("beforeunload", warnBeforeUnload);
  cleanups.push(() => window.removeEventListener("beforeunload", warnBeforeUnload));

  cleanups.push(exposeRecordingPositions(store));

  let started = false;
  return {
    deviceReady() {
      if (started) return;
      started = true;
      runtime.uploader.start();
      void state().detectServerRecovery();
    },
    stop() {
      for (const cleanup of cleanups.splice(0)) cleanup();
      void runtime.uploader.stop();
    },
  };
}

/** The current recording's positions on `window.__tidemark`. */
function exposeRecordingPositions(store: AppStore): () => void {
  return exposeOnPage("recording", () => {
    const { sessionId, localSeconds, serverSeconds } = store.getState().recorder;
    return { sessionId, localSeconds, serverSeconds };
  });
}
