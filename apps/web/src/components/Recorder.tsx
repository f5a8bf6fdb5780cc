import { TITLE_MAX_LENGTH } from "@tidemark/shared";
import type { FormEvent } from "react";
import type { RecorderPhase } from "../recording/recorder-snapshot.ts";
import { isRecorderBusy } from "../recording/recorder-phases.ts";
import { useStore } from "../store/index.ts";
import { ElapsedTime } from "./ElapsedTime.tsx";
import { FinalFiles } from "./FinalFiles.tsx";
import { RecorderNotices } from "./RecorderNotices.tsx";
import { SavedPositions } from "./SavedPositions.tsx";
import { StorageEstimate } from "./StorageEstimate.tsx";
import { TrackRow } from "./TrackRow.tsx";
import { UploadProblem } from "./UploadProblem.tsx";

const STATUS_TEXT: Record<RecorderPhase, string> = {
  idle: "Ready",
  starting: "Starting…",
  recording: "Recording",
  stopping: "Stopping…",
  finishing: "Finishing…",
  "confirm-gaps": "Waiting for your decision",
  "finish-failed": "Not finished yet",
  finished: "Finished",
  locked: "Recorded in another tab",
  halted: "Stopped",
};

/** The dual-track recorder: inputs, Record / Stop, the two saved positions, and the files when done. */
export function Recorder() {
  const phase = useStore((s) => s.recorder.phase);
  const sessionId = useStore((s) => s.recorder.sessionId);
  const sessionTitle = useStore((s) => s.recorder.title);
  const error = useStore((s) => s.recorder.error);
  const title = useStore((s) => s.recorderTitle);
  const setTitle = useStore((s) => s.setRecorderTitle);
  const start = useStore((s) => s.startRecording);
  const stop = useStore((s) => s.stopRecording);
  const busy = isRecorderBusy(phase);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!busy) void start();
  }

  return (
    <section className="recorder" aria-labelledby="recorder-heading" data-testid="recorder" data-phase={phase}>
      <div className="recorder-heading">
        <h2 id="recorder-heading" className="section-title">
          Recorder
        </h2>
        <span className={`recorder-status recorder-status-${phase}`} data-testid="recorder-status">
          {phase === "recording" && <span className="recording-dot" aria-hidden="true" />}
          {STATUS_TEXT[phase]}
        </span>
      </div>

      <form className="recorder-form" onSubmit={handleSubmit}>
        <label className="field">
          <span className="field-label">Title (optional)</span>
          <input
            type="text"
            value={busy && sessionTitle !== "" ? sessionTitle : title}
            maxLength={TITLE_MAX_LENGTH}
            placeholder="Episode 12 with…"
            disabled={busy}
            onChange={(event) => setTitle(event.target.value)}
            data-testid="recorder-title"
          />
        </label>
        <div className="track-rows">
          <TrackRow track={0} locked={busy} />
          <TrackRow track={1} locked={busy} />
        </div>
        <div className="recorder-controls">
          {phase === "recording" || phase === "stopping" ? (
            <button
              type="button"
              className="button button-danger"
              disabled={phase === "stopping"}
              onClick={() => void stop()}
              data-testid="record-stop"
            >
              {phase === "stopping" ? "Stopping…" : "Stop"}
            </button>
          ) : (
            <button type="submit" className="button button-record" disabled={busy} data-testid="record-start">
              <span className="record-dot" aria-hidden="true" />
              {phase === "starting" ? "Starting…" : "Record"}
            </button>
          )}
          <ElapsedTime />
        </div>
      </form>

      {error !== null && (
        <p className="recorder-error" role="alert" data-testid="recorder-error">
          {error}
        </p>
      )}
      <RecorderNotices />
      {sessionId !== null && <SavedPositions />}
      <UploadProblem />
      <StorageEstimate />
      <FinalFiles />
    </section>
  );
}
