import type { Session } from "@tidemark/shared";
import { useEffect } from "react";
import { formatBytes, formatDuration } from "../format-audio.ts";
import { useStore } from "../store/index.ts";
import { AudioFileList } from "./AudioFileList.tsx";
import { ServerRetention } from "./ServerRetention.tsx";

/** Tracks and files of one session, fetched when opened and again whenever the session changes. */
export function SessionDetails({ session, id }: { session: Session; id: string }) {
  const state = useStore((s) => s.sessionDetails[session.id]);
  const load = useStore((s) => s.loadSessionDetail);

  // `updatedAt` moves with every status change (finishing makes the files), so refetch on it.
  useEffect(() => {
    void load(session.id);
  }, [load, session.id, session.updatedAt]);

  const detail = state?.detail ?? null;
  return (
    <div className="session-details" id={id} data-testid="session-details">
      {state?.status === "failed" && (
        <p className="recorder-error" role="alert">
          {state.error}
        </p>
      )}
      {detail === null ? (
        <p className="muted">Loading details…</p>
      ) : (
        <>
          {detail.tracks.length === 0 ? (
            <p className="muted">No audio on the server yet.</p>
          ) : (
            <table className="track-table" data-testid="session-tracks">
              <thead>
                <tr>
                  <th scope="col">Track</th>
                  <th scope="col">Length</th>
                  <th scope="col">Size</th>
                  <th scope="col">Format</th>
                </tr>
              </thead>
              <tbody>
                {detail.tracks.map((track) => (
                  <tr key={track.track} data-testid="session-track" data-track={track.track}>
                    <td>
                      {track.track + 1} · {track.label}
                    </td>
                    <td>{formatDuration(track.durationSeconds)}</td>
                    <td>{formatBytes(track.bytes)}</td>
                    <td>
                      {(track.sampleRate / 1000).toLocaleString()} kHz, 16-bit, {track.channels === 1 ? "mono" : "stereo"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {detail.files.length > 0 && (
            <AudioFileList
              files={detail.files}
              trackLabels={new Map(detail.tracks.map((track) => [track.track, track.label]))}
              itemTestId="session-file"
            />
          )}
          <ServerRetention keptUntil={detail.keptUntil} hasFiles={detail.files.length > 0} />
        </>
      )}
    </div>
  );
}
