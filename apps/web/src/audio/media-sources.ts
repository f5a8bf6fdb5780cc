/**
 * Where a track's audio comes from: a microphone (by device id, or the system default) or,
 * for the second track, the audio of a shared tab or the whole system.
 */
export type AudioSourceChoice = { kind: "microphone"; deviceId: string | null } | { kind: "display" };

export interface AudioInputDevice {
  deviceId: string;
  /** Empty until the page has been granted microphone access once. */
  label: string;
}

export const DEFAULT_MICROPHONE: AudioSourceChoice = { kind: "microphone", deviceId: null };

/** The value a device picker `<select>` uses for a choice, and back. */
export function sourceChoiceValue(choice: AudioSourceChoice): string {
  if (choice.kind === "display") return "display";
  return choice.deviceId === null ? "default" : `device:${choice.deviceId}`;
}

export function parseSourceChoice(value: string): AudioSourceChoice {
  if (value === "display") return { kind: "display" };
  if (value.startsWith("device:")) return { kind: "microphone", deviceId: value.slice("device:".length) };
  return DEFAULT_MICROPHONE;
}

export async function listAudioInputs(): Promise<AudioInputDevice[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices
    .filter((device) => device.kind === "audioinput" && device.deviceId !== "" && device.deviceId !== "default")
    .map((device) => ({ deviceId: device.deviceId, label: device.label }));
}

export function canCaptureDisplayAudio(): boolean {
  return typeof navigator !== "undefined" && typeof navigator.mediaDevices?.getDisplayMedia === "function";
}

/** Opens the chosen source. The caller owns the stream and must stop its tracks. */
export async function openAudioSource(choice: AudioSourceChoice): Promise<MediaStream> {
  if (!navigator.mediaDevices) {
    throw new Error("This browser cannot record audio here. Recording needs a secure (https) page.");
  }
  try {
    if (choice.kind === "display") return await openDisplayAudio();
    return await navigator.mediaDevices.getUserMedia({
      audio: {
        ...(choice.deviceId === null ? {} : { deviceId: { exact: choice.deviceId } }),
        // A recording studio keeps the raw signal: the browser's voice-call processing pumps
        // the level and smears the sound, and cannot be undone afterwards.
        echoCancellation: false,
        noiseSuppression: false,
        autoGainControl: false,
      },
    });
  } catch (error) {
    throw new Error(mediaErrorMessage(error, choice), { cause: error });
  }
}

/**
 * What to tell the user when an input does not open: the browser's own messages
 * ("Permission denied", "Could not start audio source") say what failed, not what to do.
 */
export function mediaErrorMessage(error: unknown, choice: AudioSourceChoice): string {
  const name = error instanceof Error ? error.name : "";
  const display = choice.kind === "display";
  switch (name) {
    case "NotAllowedError":
      return display
        ? "Sharing tab or system audio was cancelled or not allowed. Press Record and choose what to share, or turn the second track off."
        : "The browser did not allow the microphone. Allow microphone access for this site (in the address bar), then press Record again.";
    case "NotFoundError":
      return display ? "There is nothing to share audio from." : "No microphone was found. Connect one, or choose another input.";
    case "OverconstrainedError":
      return "The chosen microphone is no longer connected. Choose another input.";
    case "NotReadableError":
    case "AbortError":
      return display
        ? "The shared audio could not be started. Try sharing again."
        : "The microphone could not be started: another application may be using it. Close it, or choose another input.";
    case "SecurityError":
      return "This page may not record audio. Recording needs a secure (https) page.";
    default:
      return error instanceof Error && error.message !== "" ? error.message : "The input could not be opened.";
  }
}

async function openDisplayAudio(): Promise<MediaStream> {
  // Chromium refuses an audio-only request, so video is asked for too and simply not used.
  const stream = await navigator.mediaDevices.getDisplayMedia({ audio: true, video: true });
  if (stream.getAudioTracks().length === 0) {
    for (const track of stream.getTracks()) track.stop();
    throw new Error('No audio was shared. Share again and tick "Share tab audio" (or system audio).');
  }
  return stream;
}
