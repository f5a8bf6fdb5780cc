import { DEFAULT_PREFERENCES, SynthesisEngineSchema, type SynthesisEngine } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import type { AppState } from "./app-store.ts";

export interface EngineSlice {
  /** The speech engine the text is synthesized with; saved. */
  engine: SynthesisEngine;
  setEngine: (engine: SynthesisEngine) => void;
  /**
   * Whether speech is being generated right now. Runtime only, never saved: a generation does not
   * survive the page, so a reload that restored `true` would show one running that is not.
   */
  isGenerating: boolean;
  setGenerating: (isGenerating: boolean) => void;
}

export const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = (set) => ({
  engine: DEFAULT_PREFERENCES.engine,
  setEngine: (engine) => {
    // A value from a form or an imported file: only known engines get in.
    if (SynthesisEngineSchema.safeParse(engine).success) set({ engine });
  },
  isGenerating: false,
  setGenerating: (isGenerating) => set({ isGenerating }),
});
