import { formatDuration } from "../format-audio.ts";
import type { HaltReason } from "../recording/recorder-snapshot.ts";
import { useStore } from "../store/index.ts";
import { LocalCopy } from "./LocalCopy.tsx";

/**
 * What the recorder needs the user to know or decide: another tab has the session, an input
 * stopped or the device could not save more audio, finishing is under way or failed, chunks
 * are missing, or a take records without the server.
 */
export function RecorderNotices() {
  const phase = useStore((s) => s.recorder.phase);
  const haltReason = useStore((s) => s.recorder.haltReason);
  const lockedAction = useStore((s) => s.recorder.lockedAction);
  const serverUnreachable = useStore((s) => s.recorder.serverUnreachable);

  if (phase === "locked") {
    return (
      <div className="notice notice-warning" role="status" data-testid="recording-locked" data-reason="busy">
        <p>This session is being recorded in another tab.</p>
        <div className="notice-actions">
          <TakeOverButton label={lockedAction === "finish" ? "Take over and finish" : "Take over"} />
          <DismissButton />
        </div>
      </div>
    );
  }
  if (phase === "halted") {
    if (haltReason !== "taken-over") return <HaltedNotice reason={haltReason ?? "input-ended"} />;
    return (
      <div className="notice notice-warning" role="status" data-testid="recording-locked" data-reason="taken-over">
        <p>Another tab took over this recording. Everything recorded here is saved; this tab stopped capturing.</p>
        <div className="notice-actions">
          <TakeOverButton label="Take it back" />
          <DismissButton />
        </div>
      </div>
    );
  }
  if (phase === "finishing") return <FinishingNotice />;
  if (phase === "finish-failed") return <FinishFailedNotice />;
  if (phase === "confirm-gaps") return <GapsDialog />;
  if (phase === "recording" && serverUnreachable) {
    return (
      <div className="notice notice-warning" role="status" data-testid="recording-without-server">
        <p>The server cannot be reached, so this take is saved on this device only. It uploads by itself once the server answers again.</p>
      </div>
    );
  }
  return null;
}

function TakeOverButton({ label }: { label: string }) {
  const takeOver = useStore((s) => s.takeOver);
  return (
    <button type="button" className="button button-primary" onClick={() => void takeOver()} data-testid="take-over">
      {label}
    </button>
  );
}

function DismissButton() {
  const dismiss = useStore((s) => s.dismissRecorder);
  return (
    <button type="button" className="button button-quiet" onClick={dismiss}>
      Dismiss
    </button>
  );
}

/** What a halt leaves behind; the reason itself, when it is a failure, is the recorder's error above. */
const HALT_TEXT: Record<Exclude<HaltReason, "taken-over">, string> = {
  "input-ended": "The input stopped delivering audio (unplugged, or sharing ended). Everything recorded is saved.",
  "storage-full":
    "Everything recorded until then is saved. Finishing the session uploads it and frees its space on this device; free up more space before recording again.",
  "storage-failed": "Everything recorded until then is saved.",
};

function HaltedNotice({ reason }: { reason: Exclude<HaltReason, "taken-over"> }) {
  const sessionId = useStore((s) => s.recorder.sessionId);
  const resume = useStore((s) => s.resumeRecording);
  const complete = useStore((s) => s.completeRecording);
  const dismiss = useStore((s) => s.dismissRecorder);
  if (sessionId === null) return null;
  return (
    <div
      className={`notice ${reason === "input-ended" ? "notice-warning" : "notice-danger"}`}
      role="status"
      data-testid="recording-halted"
      data-reason={reason}
    >
      <p>{HALT_TEXT[reason]}</p>
      <div className="notice-actions">
        <button
          type="button"
          className="button button-primary"
          onClick={() => {
            dismiss();
            void resume(sessionId);
          }}
        >
          Resume recording
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            dismiss();
            void complete(sessionId);
          }}
        >
          Finish
        </button>
      </div>
    </div>
  );
}

function FinishingNotice() {
  const behind = useStore((s) => s.recorder.localSeconds - s.recorder.serverSeconds);
  const finishInBackground = useStore((s) => s.finishInBackground);
  return (
    <div className="notice" role="status" data-testid="recorder-finishing">
      <p>
        {behind >= 1
          ? `Finishing — uploading the last ${formatDuration(behind)} from this device…`
          : "Finishing — assembling the files on the server…"}
      </p>
      {/* Also with nothing left to upload: the finish may be waiting for a server that is down. */}
      <div className="notice-actions">
        <button type="button" className="button" onClick={finishInBackground} data-testid="finish-in-background">
          Finish in the background
        </button>
      </div>
    </div>
  );
}

function FinishFailedNotice() {
  const retry = useStore((s) => s.retryFinish);
  const keepOpen = useStore((s) => s.keepSessionOpen);
  const sessionId = useStore((s) => s.recorder.sessionId);
  const title = useStore((s) => s.recorder.title);
  // The server refused the session for good: trying again cannot help, the device's copy can.
  const refusal = useStore((s) => (sessionId === null ? undefined : s.refusedUploads[sessionId]));
  const refused = refusal !== undefined;
  return (
    <div className="notice notice-warning" role="status" data-testid="finish-failed" data-refused={refused}>
      <p>
        {refused
          ? `${/[.!?]$/.test(refusal) ? refusal : `${refusal}.`} Everything recorded is safe on this device: save a copy from here.`
          : "The session could not be finished yet. Everything recorded is safe on this device, and what reached the server stays there."}
      </p>
      <div className="notice-actions">
        {refused && sessionId !== null ? (
          <LocalCopy sessionId={sessionId} title={title} />
        ) : (
          <button type="button" className="button button-primary" onClick={() => void retry()} data-testid="retry-finish">
            Try again
          </button>
        )}
        <button type="button" className="button" onClick={keepOpen}>
          Finish later
        </button>
      </div>
    </div>
  );
}

/** Asked when the server lacks chunks this device does not have either: only the user may accept a loss. */
function GapsDialog() {
  const missing = useStore((s) => s.recorder.missing);
  const accept = useStore((s) => s.acceptGaps);
  const keepOpen = useStore((s) => s.keepSessionOpen);
  const entries = Object.entries(missing ?? {}).filter(([, seqs]) => seqs.length > 0);
  const totalSeconds = entries.reduce((sum, [, seqs]) => sum + seqs.length, 0);

  return (
    <div className="notice notice-danger" role="alertdialog" aria-labelledby="gaps-title" data-testid="gaps-dialog">
      <p id="gaps-title">
        <strong>About {totalSeconds} s of audio is missing</strong> on the server, and this device has no copy of it.
      </p>
      <ul className="gaps-list">
        {entries.map(([track, seqs]) => (
          <li key={track}>
            Track {Number(track) + 1}: {seqs.length} second{seqs.length === 1 ? "" : "s"} (chunks {summarizeSeqs(seqs)})
          </li>
        ))}
      </ul>
      <p>Finish without them (the files will skip those moments), or keep the session open in case another device still has them.</p>
      <div className="notice-actions">
        <button type="button" className="button button-danger" onClick={() => void accept()} data-testid="gaps-accept">
          Accept the loss and finish
        </button>
        <button type="button" className="button" onClick={keepOpen} data-testid="gaps-keep-open">
          Keep the session open
        </button>
      </div>
    </div>
  );
}

/** `[3, 4, 5, 9]` → "3–5, 9". */
function summarizeSeqs(seqs: number[]): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const ranges: string[] = [];
  let start = sorted[0];
  let end = start;
  for (const seq of sorted.slice(1).concat(Number.NaN)) {
    if (end !== undefined && seq === end + 1) {
      end = seq;
      continue;
    }
    if (start !== undefined) ranges.push(start === end ? `${start}` : `${start}–${end}`);
    start = seq;
    end = seq;
  }
  return ranges.join(", ");
}
