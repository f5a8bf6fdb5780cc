import { DEFAULT_PREFERENCES, SAVED_VOICES_MAX, type VoicePreset } from "@tidemark/shared";
import type { StateCreator } from "zustand";
import type { AppState } from "./app-store.ts";
import { newLocalId } from "./ids.ts";

/** Longest voice name and preset name the shared schema accepts. */
export const VOICE_NAME_MAX_LENGTH = 100;

export interface VoicesSlice {
  /** The engine voice in use (e.g. flite's "slt"). */
  voice: string;
  /** Named presets: engine, voice and parameters together, newest last. */
  savedVoices: VoicePreset[];
  /** Why the last preset action did nothing, as a sentence. */
  voicePresetError: string | null;

  selectVoice: (voice: string) => void;
  /**
   * Saves the current engine, voice and parameters under a name. A preset of the same name
   * (ignoring case) is updated rather than duplicated. Returns the preset, or null when refused.
   */
  saveVoicePreset: (name: string) => VoicePreset | null;
  /** Makes a preset's engine, voice and parameters the current ones. */
  applyVoicePreset: (id: string) => void;
  deleteVoicePreset: (id: string) => void;
}

export const createVoicesSlice: StateCreator<AppState, [], [], VoicesSlice> = (set, get) => ({
  voice: DEFAULT_PREFERENCES.voice,
  savedVoices: [],
  voicePresetError: null,

  selectVoice(voice) {
    const trimmed = voice.trim().slice(0, VOICE_NAME_MAX_LENGTH);
    // An empty voice is not a choice; the previous one stays.
    if (trimmed !== "" && trimmed !== get().voice) set({ voice: trimmed });
  },

  saveVoicePreset(name) {
    const trimmed = name.trim().slice(0, VOICE_NAME_MAX_LENGTH);
    if (trimmed === "") {
      set({ voicePresetError: "Give the preset a name." });
      return null;
    }
    const { engine, voice, parameters, savedVoices } = get();
    const existing = savedVoices.find((preset) => preset.name.toLowerCase() === trimmed.toLowerCase());
    if (!existing && savedVoices.length >= SAVED_VOICES_MAX) {
      set({ voicePresetError: `You can keep ${SAVED_VOICES_MAX} presets. Delete one to save another.` });
      return null;
    }
    const preset: VoicePreset = { id: existing?.id ?? newLocalId(), name: trimmed, engine, voice, parameters };
    set({
      savedVoices: existing
        ? savedVoices.map((candidate) => (candidate.id === existing.id ? preset : candidate))
        : [...savedVoices, preset],
      voicePresetError: null,
    });
    return preset;
  },

  applyVoicePreset(id) {
    const preset = get().savedVoices.find((candidate) => candidate.id === id);
    if (!preset) return;
    set({ engine: preset.engine, voice: preset.voice, parameters: preset.parameters, voicePresetError: null });
  },

  deleteVoicePreset(id) {
    set((state) => ({ savedVoices: state.savedVoices.filter((preset) => preset.id !== id), voicePresetError: null }));
  },
});
