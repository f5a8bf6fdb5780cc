import { SAVED_VOICES_MAX } from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { createTestStore } from "./test-store.ts";

describe("voices slice", () => {
  it("selects a voice, trimmed, and ignores an empty one", () => {
    const { store } = createTestStore();

    store.getState().selectVoice("  kal ");
    store.getState().selectVoice("   ");

    expect(store.getState().voice).toBe("kal");
  });

  it("saves the current engine, voice and parameters as a named preset", () => {
    const { store } = createTestStore();
    const state = () => store.getState();
    state().setEngine("browser");
    state().selectVoice("Google UK English Female");
    state().updateParameters({ rate: 1.5 });

    const preset = state().saveVoicePreset(" Narrator ");

    expect(preset).toMatchObject({ name: "Narrator", engine: "browser", voice: "Google UK English Female" });
    expect(state().savedVoices).toEqual([preset]);
    expect(state().savedVoices[0]!.parameters.rate).toBe(1.5);
  });

  it("updates a preset saved again under the same name instead of adding a second one", () => {
    const { store } = createTestStore();
    const state = () => store.getState();
    const first = state().saveVoicePreset("Narrator");
    state().updateParameters({ pitch: 0.8 });

    const second = state().saveVoicePreset("narrator");

    expect(second!.id).toBe(first!.id);
    expect(state().savedVoices).toHaveLength(1);
    expect(state().savedVoices[0]!.parameters.pitch).toBe(0.8);
  });

  it("applies a preset: its engine, voice and parameters become the current ones", () => {
    const { store } = createTestStore();
    const state = () => store.getState();
    state().setEngine("browser");
    state().selectVoice("Alex");
    state().updateParameters({ volume: 0.4 });
    const preset = state().saveVoicePreset("Quiet Alex")!;
    state().setEngine("flite");
    state().selectVoice("slt");
    state().resetParameters();

    state().applyVoicePreset(preset.id);

    expect(state()).toMatchObject({ engine: "browser", voice: "Alex", parameters: { volume: 0.4 } });
  });

  it("deletes a preset", () => {
    const { store } = createTestStore();
    const keep = store.getState().saveVoicePreset("Keep")!;
    const drop = store.getState().saveVoicePreset("Drop")!;

    store.getState().deleteVoicePreset(drop.id);

    expect(store.getState().savedVoices).toEqual([keep]);
  });

  it("refuses a nameless preset and one over the limit, and says why", () => {
    const { store } = createTestStore();
    const state = () => store.getState();
    expect(state().saveVoicePreset("  ")).toBeNull();
    expect(state().voicePresetError).toBe("Give the preset a name.");

    for (let i = 0; i < SAVED_VOICES_MAX; i++) state().saveVoicePreset(`Voice ${i}`);
    expect(state().saveVoicePreset("One too many")).toBeNull();
    expect(state().savedVoices).toHaveLength(SAVED_VOICES_MAX);
    expect(state().voicePresetError).toMatch(/Delete one/);
  });
});
