import { DEFAULT_SYNTHESIS_PARAMETERS, type SynthesisParameters } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import type { AppState } from "./app-store.ts";

export interface ParametersSlice {
  /** How the text is spoken: rate, pitch, volume, pause between paragraphs. */
  parameters: SynthesisParameters;
  /** Changes some parameters; values outside the allowed range are brought into it. */
  updateParameters: (change: Partial<SynthesisParameters>) => void;
  resetParameters: () => void;
}

/** The ranges of the shared schema: a value the store holds always passes validation when saved. */
const RANGES: Record<keyof SynthesisParameters, { min: number; max: number; integer: boolean }> = {
  rate: { min: 0.5, max: 2, integer: false },
  pitch: { min: 0.5, max: 2, integer: false },
  volume: { min: 0, max: 1, integer: false },
  paragraphPauseMs: { min: 0, max: 5_000, integer: true },
};

/** `change` applied to `current`, each value clamped to its range; a value that is not a number is ignored. */
export function withParameters(current: SynthesisParameters, change: Partial<SynthesisParameters>): SynthesisParameters {
  const next = { ...current };
  for (const key of Object.keys(RANGES) as Array<keyof SynthesisParameters>) {
    const value = change[key];
    if (typeof value !== "number" || Number.isNaN(value)) continue;
    const { min, max, integer } = RANGES[key];
    const clamped = Math.min(max, Math.max(min, value));
    next[key] = integer ? Math.round(clamped) : clamped;
  }
  return next;
}

function sameParameters(a: SynthesisParameters, b: SynthesisParameters): boolean {
  return a.rate === b.rate && a.pitch === b.pitch && a.volume === b.volume && a.paragraphPauseMs === b.paragraphPauseMs;
}

export const createParametersSlice: StateCreator<AppState, [], [], ParametersSlice> = (set) => ({
  parameters: DEFAULT_SYNTHESIS_PARAMETERS,

  updateParameters: (change) =>
    set((state) => {
      const parameters = withParameters(state.parameters, change);
      // Unchanged values keep the old object, so nothing re-renders and nothing is saved again.
      return sameParameters(parameters, state.parameters) ? {} : { parameters };
    }),

  resetParameters: () => set({ parameters: DEFAULT_SYNTHESIS_PARAMETERS }),
});
