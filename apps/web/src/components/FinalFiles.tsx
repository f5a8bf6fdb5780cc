import { useStore } from "../store/index.ts";
import { AudioFileList } from "./AudioFileList.tsx";
import { ServerRetention } from "./ServerRetention.tsx";

/** The files of the session the recorder just finished. */
export function FinalFiles() {
  const phase = useStore((s) => s.recorder.phase);
  const files = useStore((s) => s.recorder.files);
  const keptUntil = useStore((s) => s.recorder.keptUntil);
  const tracks = useStore((s) => s.recorder.tracks);
  const dismiss = useStore((s) => s.dismissRecorder);
  if (phase !== "finished") return null;
  const labels = new Map(tracks.map((track) => [track.track as number, track.label]));

  return (
    <div className="final-files" data-testid="final-files">
      <h3 className="subsection-title">Finished files</h3>
      {files.length === 0 ? (
        <p className="muted">The session was finished without audio.</p>
      ) : (
        <AudioFileList files={files} trackLabels={labels} itemTestId="final-file" />
      )}
      {keptUntil !== null && files.length > 0 && <ServerRetention keptUntil={keptUntil} hasFiles />}
      <button type="button" className="button button-quiet" onClick={dismiss} data-testid="new-recording">
        New recording
      </button>
    </div>
  );
}
