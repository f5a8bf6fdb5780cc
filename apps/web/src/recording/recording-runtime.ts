import {
  ChunkJournal,
  ChunkUploader,
  SessionHeartbeat,
  detectLocalRecovery,
  detectRecovery,
  finishRecording,
  webLockRunner,
} from "@tidemark/client";
import { openAudioSource } from "../audio/media-sources.ts";
import { TrackCapture } from "../audio/track-capture.ts";
import { api } from "../api.ts";
import type { RecoveryDetector } from "../store/recovery-slice.ts";
import { browserEnvironment, requestPersistentStorage } from "./browser-environment.ts";
import { exportLocalTrack, localTracks } from "./local-export.ts";
import { RecorderController, type OpenCaptures } from "./recorder-controller.ts";
import type { LockManagerLike } from "./recording-lock.ts";

/**
 * Opens every input first (permission prompts, the screen-share picker), then starts the
 * captures together in one AudioContext per sample rate. If anything fails, every input
 * opened so far is released again.
 */
const openCaptures: OpenCaptures = async (requests) => {
  const streams: MediaStream[] = [];
  const releaseAll = () => {
    for (const stream of streams) for (const track of stream.getTracks()) track.stop();
  };
  try {
    for (const request of requests) {
      try {
        streams.push(await openAudioSource(request.source));
      } catch (error) {
        // With two tracks, the message says which input it is about.
        if (requests.length < 2 || !(error instanceof Error)) throw error;
        throw new Error(`${request.name}: ${error.message}`, { cause: error });
      }
    }
    const captures: TrackCapture[] = new Array(requests.length);
    const rates = [...new Set(requests.map((request) => request.sampleRate))];
    // Tracks of one rate share a context and start together. Mixed rates happen only when a
    // session recorded elsewhere is resumed; such tracks cannot share a clock.
    await Promise.all(
      rates.map(async (sampleRate) => {
        const members = requests.flatMap((request, index) => (request.sampleRate === sampleRate ? [index] : []));
        const opened = await TrackCapture.openTogether(
          members.map((index) => {
            const { onChunk, onLevel, onEnded } = requests[index]!;
            return { stream: streams[index]!, onChunk, onLevel, onEnded };
          }),
          { sampleRate },
        );
        members.forEach((index, position) => (captures[index] = opened[position]!));
      }),
    );
    return captures;
  } catch (error) {
    releaseAll();
    throw error;
  }
};

/**
 * The page's recording engine: one journal, one uploader, one heartbeat and the controller that
 * drives them. Nothing opens here (IndexedDB on first use, inputs on Record); unit tests build
 * their stores from app-store.ts with fakes and never import this module.
 */
function createRecordingRuntime() {
  const journal = new ChunkJournal();
  const browserLocks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  // Every tab shares the journal; one tab at a time uploads it, for all of them.
  const uploader = new ChunkUploader({ journal, api, runExclusively: webLockRunner(browserLocks) });
  const heartbeat = new SessionHeartbeat({ api });
  const locks = browserLocks ? (browserLocks as LockManagerLike) : undefined;
  const recorder = new RecorderController({
    api,
    journal,
    uploader,
    heartbeat,
    finishRecording: ({ sessionId, allowGaps }) =>
      finishRecording({ sessionId, journal, uploader, api, ...(allowGaps ? { allowGaps } : {}) }),
    openCaptures,
    ...(locks ? { locks } : {}),
    requestPersistentStorage,
  });
  const recovery: RecoveryDetector = {
    detectLocal: () => detectLocalRecovery(journal),
    detect: () => detectRecovery(journal, api),
    localTracks: (sessionId) => localTracks(journal, sessionId),
    exportLocalTrack: (sessionId, track) => exportLocalTrack(journal, sessionId, track),
    removeLocal: (sessionId) => journal.purgeSession(sessionId),
  };
  return { journal, uploader, heartbeat, recorder, recovery, environment: browserEnvironment };
}

export type RecordingRuntime = ReturnType<typeof createRecordingRuntime>;

export const recordingRuntime: RecordingRuntime = createRecordingRuntime();
