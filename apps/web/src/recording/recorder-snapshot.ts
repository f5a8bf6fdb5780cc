import type { MissingChunksError } from "@tidemark/client";
import type { SessionFile, TrackNumber } from "@tidemark/shared";

/** What the recorder shows: one immutable snapshot per change, from `RecorderController`. */

export type RecorderPhase =
  /** Nothing under way. */
  | "idle"
  /** Opening inputs and creating or resuming the session. */
  | "starting"
  | "recording"
  /** Flushing the inputs' last partial chunks into the journal. */
  | "stopping"
  /** Uploading what is left, then asking the server to assemble the files. */
  | "finishing"
  /** The server lacks chunks that no copy here has: the user decides whether to accept the loss. */
  | "confirm-gaps"
  /** Finishing failed for another reason; the audio is safe and finishing can be retried. */
  | "finish-failed"
  | "finished"
  /** Another tab records this session. */
  | "locked"
  /** Stopped without finishing: another tab took over, every input ended by itself, or the device could not save audio. */
  | "halted";

/** Why a recording stopped without finishing. */
export type HaltReason =
  | "taken-over"
  /** Every input ended by itself. */
  | "input-ended"
  /** The journal refused a chunk for lack of space. */
  | "storage-full"
  /** The journal kept failing to save a chunk for another reason. */
  | "storage-failed";

export interface RecorderTrackState {
  track: TrackNumber;
  label: string;
  sampleRate: number;
  /** The input is still delivering audio. */
  capturing: boolean;
}

export interface RecorderSnapshot {
  phase: RecorderPhase;
  sessionId: string | null;
  title: string;
  tracks: RecorderTrackState[];
  /** When capture of the current take began (epoch ms); null while not capturing. */
  startedAt: number | null;
  /** Length of the session before the current take (a resumed session continues its clock). */
  elapsedBeforeSeconds: number;
  /** Audio committed to this device's journal. */
  localSeconds: number;
  /** Audio the server acknowledged. */
  serverSeconds: number;
  /** The take was started or resumed while the server could not be reached; true until the server acknowledges its audio. */
  serverUnreachable: boolean;
  /**
   * The session itself exists on this device only: it was started while the server could not be
   * reached, and the server has not been given it yet (the uploader creates it there first).
   */
  deviceOnly: boolean;
  /** Seqs the server lacks, per track, while `confirm-gaps`. */
  missing: MissingChunksError["missing"] | null;
  /** The assembled files, once `finished`. */
  files: SessionFile[];
  /** Once `finished`: the server keeps the files at least until then (ISO 8601). */
  keptUntil: string | null;
  haltReason: HaltReason | null;
  /** What "Take over" would do, while `locked` or after a take-over. */
  lockedAction: "resume" | "finish" | null;
  /** A failure worth showing, as a sentence. */
  error: string | null;
}

export const IDLE_SNAPSHOT: RecorderSnapshot = {
  phase: "idle",
  sessionId: null,
  title: "",
  tracks: [],
  startedAt: null,
  elapsedBeforeSeconds: 0,
  localSeconds: 0,
  serverSeconds: 0,
  serverUnreachable: false,
  deviceOnly: false,
  missing: null,
  files: [],
  keptUntil: null,
  haltReason: null,
  lockedAction: null,
  error: null,
};
