import type { SynthesisEngine } from "@tidemark/shared";
import { useEffect, useState } from "react";

/** The voices built into flite. */
export const FLITE_VOICES = ["slt", "kal", "kal16", "awb", "rms"] as const;

export const ENGINE_LABELS: Record<SynthesisEngine, string> = {
  flite: "Flite (on the server)",
  browser: "This browser's speech",
};

/** The browser's speech voices by name; they load asynchronously, and some browsers have none. */
export function useBrowserVoices(enabled: boolean): string[] {
  const [voices, setVoices] = useState<string[]>([]);
  useEffect(() => {
    if (!enabled || typeof speechSynthesis === "undefined") return;
    const read = () => setVoices([...new Set(speechSynthesis.getVoices().map((voice) => voice.name))]);
    read();
    speechSynthesis.addEventListener("voiceschanged", read);
    return () => speechSynthesis.removeEventListener("voiceschanged", read);
  }, [enabled]);
  return voices;
}
