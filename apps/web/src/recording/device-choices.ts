import type { DeviceChoices, TrackNumber } from "@tidemark/shared";
import { DEFAULT_MICROPHONE, type AudioSourceChoice } from "../audio/media-sources.ts";
import type { TrackSources } from "./track-plan.ts";

/**
 * How the remembered device choices (`preferences.devices`, saved with the user's preferences)
 * map to the recorder's inputs. `microphoneId` null is the system default microphone.
 * `secondInput` null means the second track is off; otherwise it is `"display"` (tab or
 * system audio), `"default"` (the system default microphone) or a device id. Device ids never
 * equal "default" or "display": the device list leaves the browser's "default" entry out.
 */
export const DEFAULT_SECOND_INPUT = "default";

function fromDeviceValue(value: string): AudioSourceChoice {
  if (value === "display") return { kind: "display" };
  if (value === DEFAULT_SECOND_INPUT) return DEFAULT_MICROPHONE;
  return { kind: "microphone", deviceId: value };
}

/** The value kept in `secondInput` for a choice. */
export function secondInputValue(choice: AudioSourceChoice): string {
  if (choice.kind === "display") return "display";
  return choice.deviceId ?? DEFAULT_SECOND_INPUT;
}

/** The input a track records from; for an off second track, the input it would use. */
export function trackChoice(devices: DeviceChoices, track: TrackNumber, rememberedSecond?: string | null): AudioSourceChoice {
  if (track === 0) return devices.microphoneId === null ? DEFAULT_MICROPHONE : { kind: "microphone", deviceId: devices.microphoneId };
  return fromDeviceValue(devices.secondInput ?? rememberedSecond ?? DEFAULT_SECOND_INPUT);
}

export function isSecondTrackOn(devices: DeviceChoices): boolean {
  return devices.secondInput !== null;
}

/**
 * What a recording records from: track 0 always, track 1 when on. `rememberedSecond` (the value
 * track 1 had before it was switched off) is what a resumed two-track session records its
 * second track from.
 */
export function trackSources(devices: DeviceChoices, rememberedSecond: string | null = null): TrackSources {
  return {
    0: trackChoice(devices, 0),
    1: isSecondTrackOn(devices) ? trackChoice(devices, 1) : null,
    rememberedSecond: trackChoice(devices, 1, rememberedSecond),
  };
}

/** The choices with one track's input replaced. */
export function withTrackChoice(devices: DeviceChoices, track: TrackNumber, choice: AudioSourceChoice): DeviceChoices {
  if (track === 1) return { ...devices, secondInput: secondInputValue(choice) };
  // Only a microphone can feed the first track.
  return { ...devices, microphoneId: choice.kind === "microphone" ? choice.deviceId : null };
}
