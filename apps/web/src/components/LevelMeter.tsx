import type { TrackNumber } from "@tidemark/shared";
import { useStore } from "../store/index.ts";

/** The meter spans -60 dBFS (empty) to 0 dBFS (full): the range where speech lives. */
const FLOOR_DB = -60;

function meterPercent(amplitude: number): number {
  if (amplitude <= 0) return 0;
  const db = 20 * Math.log10(amplitude);
  return Math.max(0, Math.min(100, ((db - FLOOR_DB) / -FLOOR_DB) * 100));
}

/** Live input level: RMS as the bar (loudness), peak as a marker (headroom; red near clipping). */
export function LevelMeter({ track }: { track: TrackNumber }) {
  const level = useStore((s) => s.levels[track]);
  const rms = meterPercent(level.rms);
  const peak = meterPercent(level.peak);
  return (
    <div
      className="level-meter"
      role="meter"
      aria-label={`Input level of track ${track + 1}`}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(peak)}
      data-testid={`level-meter-${track}`}
      data-peak={level.peak.toFixed(3)}
    >
      {/*
        The colour scale spans the whole meter (red only near 0 dBFS); a cover hides what is above
        the level, and the peak marker is the right edge of a layer as wide as the meter. Both move
        by transform only, which the compositor applies without layout or repaint: the meter
        changes about 20 times a second for the whole of a recording.
      */}
      <div className="level-meter-scale" />
      <div className="level-meter-cover" style={{ transform: `scaleX(${(100 - rms) / 100})` }} />
      <div className={`level-meter-peak${level.peak >= 0.98 ? " level-meter-clip" : ""}`} style={{ transform: `translateX(${peak - 100}%)` }} />
    </div>
  );
}
