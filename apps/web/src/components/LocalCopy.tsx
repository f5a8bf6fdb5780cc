import type { TrackNumber } from "@tidemark/shared";
import { useEffect, useState } from "react";
import { messageOf } from "../error-message.ts";
import { downloadBlob } from "../download.ts";
import { formatDuration } from "../format-audio.ts";
import type { LocalTrack } from "../recording/local-export.ts";
import { useStore } from "../store/index.ts";

/**
 * "Save from this device": WAV files built in the browser from the journal, so audio the server
 * cannot give back (expired, or this browser lost its identity) is still the user's.
 */
export function LocalCopy({ sessionId, title }: { sessionId: string; title: string }) {
  const listLocalTracks = useStore((s) => s.listLocalTracks);
  const exportLocalTrack = useStore((s) => s.exportLocalTrack);
  const [open, setOpen] = useState(false);
  const [tracks, setTracks] = useState<LocalTrack[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState<TrackNumber | null>(null);

  useEffect(() => {
    if (!open || tracks !== null) return;
    listLocalTracks(sessionId).then(setTracks, (cause: unknown) => setError(messageOf(cause)));
  }, [open, tracks, listLocalTracks, sessionId]);

  async function save(track: LocalTrack) {
    setSaving(track.track);
    setError(null);
    try {
      const blob = await exportLocalTrack(sessionId, track.track);
      downloadBlob(blob, `${fileStem(title)} - track ${track.track + 1} (this device).wav`);
    } catch (cause) {
      setError(messageOf(cause));
    } finally {
      setSaving(null);
    }
  }

  if (!open) {
    return (
      <button type="button" className="button button-quiet" onClick={() => setOpen(true)} data-testid="recovery-save-local">
        Save from this device
      </button>
    );
  }
  return (
    <div className="local-copy" data-testid="local-copy">
      {tracks === null && error === null && <p className="muted">Reading this device's copy…</p>}
      {tracks?.length === 0 && <p className="muted">This device holds no audio of this session.</p>}
      {tracks?.map((track) => (
        <button
          key={track.track}
          type="button"
          className="button"
          disabled={saving !== null}
          onClick={() => void save(track)}
          data-testid="local-track-download"
          data-track={track.track}
        >
          {saving === track.track ? "Preparing…" : `Download track ${track.track + 1} · ${track.label} (${formatDuration(track.seconds)})`}
        </button>
      ))}
      {error !== null && (
        <p className="recorder-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function fileStem(title: string): string {
  const cleaned = title.replace(/[\\/:*?"<>|]+/g, " ").trim();
  return cleaned === "" ? "Recording" : cleaned.slice(0, 80);
}
