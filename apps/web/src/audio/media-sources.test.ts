import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_MICROPHONE, mediaErrorMessage, openAudioSource, type AudioSourceChoice } from "./media-sources.ts";

const DISPLAY: AudioSourceChoice = { kind: "display" };
const domError = (name: string, message = "browser text") => new DOMException(message, name);

describe("mediaErrorMessage", () => {
  it("says what to do when the microphone is refused, and when sharing is cancelled", () => {
    expect(mediaErrorMessage(domError("NotAllowedError", "Permission denied"), DEFAULT_MICROPHONE)).toMatch(
      /did not allow the microphone.*Allow microphone access/,
    );
    expect(mediaErrorMessage(domError("NotAllowedError"), DISPLAY)).toMatch(/cancelled or not allowed.*turn the second track off/);
  });

  it("tells a missing, unplugged or busy microphone apart", () => {
    expect(mediaErrorMessage(domError("NotFoundError"), DEFAULT_MICROPHONE)).toMatch(/No microphone was found/);
    expect(mediaErrorMessage(domError("OverconstrainedError"), { kind: "microphone", deviceId: "usb-1" })).toMatch(/no longer connected/);
    expect(mediaErrorMessage(domError("NotReadableError", "Could not start audio source"), DEFAULT_MICROPHONE)).toMatch(
      /another application may be using it/,
    );
    expect(mediaErrorMessage(domError("SecurityError"), DEFAULT_MICROPHONE)).toMatch(/secure \(https\) page/);
  });

  it("keeps a message of its own, and has one for an error without any", () => {
    expect(mediaErrorMessage(new Error('No audio was shared. Share again and tick "Share tab audio"'), DISPLAY)).toMatch(/^No audio was shared/);
    expect(mediaErrorMessage(undefined, DEFAULT_MICROPHONE)).toBe("The input could not be opened.");
  });
});

describe("openAudioSource", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("rejects with the user's sentence, keeping the browser's error as the cause", async () => {
    const refused = domError("NotAllowedError", "Permission denied");
    vi.stubGlobal("navigator", { mediaDevices: { getUserMedia: () => Promise.reject(refused) } });

    const error = await openAudioSource(DEFAULT_MICROPHONE).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/did not allow the microphone/);
    expect((error as Error).cause).toBe(refused);
  });

  it("asks for the raw signal from the chosen device", async () => {
    const getUserMedia = vi.fn(async (_constraints: MediaStreamConstraints) => ({}) as MediaStream);
    vi.stubGlobal("navigator", { mediaDevices: { getUserMedia } });

    await openAudioSource({ kind: "microphone", deviceId: "usb-1" });

    expect(getUserMedia).toHaveBeenCalledWith({
      audio: { deviceId: { exact: "usb-1" }, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
  });
});
