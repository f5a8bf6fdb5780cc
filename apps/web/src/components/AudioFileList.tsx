import type { SessionFile } from "@tidemark/shared";
import { useState } from "react";
import { formatBytes, formatDuration } from "../format-audio.ts";
import { trackName } from "../recording/track-plan.ts";

interface AudioFileListProps {
  files: SessionFile[];
  /** Track names by number, e.g. from the session's track declarations. */
  trackLabels: ReadonlyMap<number, string>;
  /** Test id of each row: the recorder's files and the history's differ. */
  itemTestId: string;
}

/** Finalized WAV files, each with its size and length, to download or play in the page. */
export function AudioFileList({ files, trackLabels, itemTestId }: AudioFileListProps) {
  if (files.length === 0) return null;
  return (
    <ul className="file-list">
      {[...files]
        .sort((a, b) => a.track - b.track)
        .map((file) => (
          <AudioFileRow key={file.track} file={file} label={trackLabels.get(file.track)} testId={itemTestId} />
        ))}
    </ul>
  );
}

function AudioFileRow({ file, label, testId }: { file: SessionFile; label: string | undefined; testId: string }) {
  const [playing, setPlaying] = useState(false);
  const name = trackName(file.track, label);
  return (
    <li className="file" data-testid={testId} data-track={file.track} data-size-bytes={file.sizeBytes}>
      <div className="file-heading">
        <span className="file-name">{name}</span>
        <span className="file-meta">
          {formatBytes(file.sizeBytes)} · {formatDuration(file.durationSeconds)}
        </span>
        <span className="file-actions">
          <a className="button" href={file.url} download data-testid="file-download">
            Download
          </a>
          <button type="button" className="button" onClick={() => setPlaying((on) => !on)} data-testid="file-play">
            {playing ? "Close player" : "Play"}
          </button>
        </span>
      </div>
      {playing && <audio className="file-player" controls autoPlay src={file.url} data-testid="file-player" />}
    </li>
  );
}
