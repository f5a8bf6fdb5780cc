import { describe, expect, it } from "vitest";
import { DEFAULT_MICROPHONE } from "../audio/media-sources.ts";
import { trackChoice, trackSources, withTrackChoice } from "./device-choices.ts";

describe("device choices", () => {
  it("map to the recorder's inputs: default microphone, a device, tab audio, or no second track", () => {
    expect(trackSources({ microphoneId: null, secondInput: null })).toMatchObject({ 0: DEFAULT_MICROPHONE, 1: null });
    expect(trackSources({ microphoneId: "usb", secondInput: "display" })).toMatchObject({
      0: { kind: "microphone", deviceId: "usb" },
      1: { kind: "display" },
    });
    expect(trackSources({ microphoneId: null, secondInput: "default" })[1]).toEqual(DEFAULT_MICROPHONE);
    expect(trackSources({ microphoneId: null, secondInput: "guest" })[1]).toEqual({ kind: "microphone", deviceId: "guest" });
  });

  it("carry the second input remembered while the track is off, for resuming a two-track session", () => {
    expect(trackSources({ microphoneId: null, secondInput: null }, "display").rememberedSecond).toEqual({ kind: "display" });
    expect(trackChoice({ microphoneId: null, secondInput: null }, 1)).toEqual(DEFAULT_MICROPHONE);
  });

  it("store a picked input for either track, and only a microphone for the first", () => {
    const none = { microphoneId: null, secondInput: null };
    expect(withTrackChoice(none, 0, { kind: "microphone", deviceId: "usb" })).toEqual({ microphoneId: "usb", secondInput: null });
    expect(withTrackChoice(none, 1, DEFAULT_MICROPHONE)).toEqual({ microphoneId: null, secondInput: "default" });
    expect(withTrackChoice(none, 1, { kind: "display" })).toEqual({ microphoneId: null, secondInput: "display" });
    expect(withTrackChoice({ microphoneId: "usb", secondInput: null }, 0, { kind: "display" }).microphoneId).toBeNull();
  });
});
