import { DEFAULT_PREFERENCES, SynthesisEngineSchema, type SynthesisEngine } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import type { AppState } from "./app-store.ts";

export interface EngineSlice {
  /** The speech engine the text is synthesized with. */
  engine: SynthesisEngine;
  setEngine: (engine: SynthesisEngine) => void;
}

export const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = (set) => ({
  engine: DEFAULT_PREFERENCES.engine,
  setEngine: (engine) => {
    // A value from a form or an imported file: only known engines get in.
    if (SynthesisEngineSchema.safeParse(engine).success) set({ engine });
  },
});
