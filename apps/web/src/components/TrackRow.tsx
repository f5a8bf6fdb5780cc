import type { TrackNumber } from "@tidemark/shared";
import { parseSourceChoice, sourceChoiceValue } from "../audio/media-sources.ts";
import { TRACK_LABELS } from "../recording/track-plan.ts";
import { useStore } from "../store/index.ts";
import { LevelMeter } from "./LevelMeter.tsx";

/** One track: its input picker, whether it records (track 1 is optional), and its level. */
export function TrackRow({ track, locked }: { track: TrackNumber; locked: boolean }) {
  const choice = useStore((s) => s.inputs[track]);
  const devices = useStore((s) => s.audioInputs);
  const displayAudioAvailable = useStore((s) => s.displayAudioAvailable);
  const secondTrackEnabled = useStore((s) => s.secondTrackEnabled);
  const setTrackInput = useStore((s) => s.setTrackInput);
  const setSecondTrackEnabled = useStore((s) => s.setSecondTrackEnabled);
  const enabled = track === 0 || secondTrackEnabled;
  const selectId = `track-device-${track}`;

  return (
    <div className={`track-row${enabled ? "" : " track-row-off"}`} data-testid={`track-row-${track}`}>
      <div className="track-row-heading">
        {track === 0 ? (
          <span className="track-name">Track 1 · {TRACK_LABELS[0]}</span>
        ) : (
          <label className="track-name track-toggle">
            <input
              type="checkbox"
              checked={secondTrackEnabled}
              disabled={locked}
              onChange={(event) => setSecondTrackEnabled(event.target.checked)}
              data-testid="track-enabled-1"
            />
            Track 2 · {TRACK_LABELS[1]}
          </label>
        )}
      </div>
      <label className="field track-device" htmlFor={selectId}>
        <span className="field-label">Input</span>
        <select
          id={selectId}
          value={sourceChoiceValue(choice)}
          disabled={locked || !enabled}
          onChange={(event) => setTrackInput(track, parseSourceChoice(event.target.value))}
          data-testid={selectId}
        >
          <option value="default">System default microphone</option>
          {devices.map((device, index) => (
            <option key={device.deviceId} value={`device:${device.deviceId}`}>
              {device.label === "" ? `Microphone ${index + 1}` : device.label}
            </option>
          ))}
          {track === 1 && displayAudioAvailable && <option value="display">Tab / system audio</option>}
        </select>
      </label>
      <LevelMeter track={track} />
    </div>
  );
}
