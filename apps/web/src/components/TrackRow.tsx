import type { TrackNumber } from "@tidemark/shared";
import { parseSourceChoice, sourceChoiceValue } from "../audio/media-sources.ts";
import { isSecondTrackOn, trackChoice } from "../recording/device-choices.ts";
import { TRACK_LABELS, trackName } from "../recording/track-plan.ts";
import { useStore } from "../store/index.ts";
import { LevelMeter } from "./LevelMeter.tsx";

/**
 * One track: its input picker, whether it records (track 1 is optional), and its level. The
 * picks are remembered with the user's preferences, so they are still there after a reload.
 */
export function TrackRow({ track, locked }: { track: TrackNumber; locked: boolean }) {
  const value = useStore((s) => sourceChoiceValue(trackChoice(s.devices, track, s.offSecondInput)));
  const devices = useStore((s) => s.audioInputs);
  const displayAudioAvailable = useStore((s) => s.displayAudioAvailable);
  const secondTrackEnabled = useStore((s) => isSecondTrackOn(s.devices));
  const setTrackInput = useStore((s) => s.setTrackInput);
  const setSecondTrackEnabled = useStore((s) => s.setSecondTrackEnabled);
  const enabled = track === 0 || secondTrackEnabled;
  const selectId = `track-device-${track}`;
  // A remembered microphone that is not plugged in now (or not listed before access is granted).
  const rememberedMissing = value.startsWith("device:") && !devices.some((device) => `device:${device.deviceId}` === value);

  return (
    <div className={`track-row${enabled ? "" : " track-row-off"}`} data-testid={`track-row-${track}`}>
      <div className="track-row-heading">
        {track === 0 ? (
          <span className="track-name">{trackName(0, TRACK_LABELS[0])}</span>
        ) : (
          <label className="track-name track-toggle">
            <input
              type="checkbox"
              checked={secondTrackEnabled}
              disabled={locked}
              onChange={(event) => setSecondTrackEnabled(event.target.checked)}
              data-testid="track-enabled-1"
            />
            {trackName(1, TRACK_LABELS[1])}
          </label>
        )}
      </div>
      <label className="field track-device" htmlFor={selectId}>
        <span className="field-label">Input</span>
        <select
          id={selectId}
          value={value}
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
          {rememberedMissing && <option value={value}>Last used microphone (not found now)</option>}
          {track === 1 && (displayAudioAvailable || value === "display") && <option value="display">Tab / system audio</option>}
        </select>
      </label>
      <LevelMeter track={track} />
    </div>
  );
}
