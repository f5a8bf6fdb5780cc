import { describe, expect, it } from "vitest";
import { createTestStore } from "./test-store.ts";

describe("preferences slice", () => {
  it("starts with the default microphone, no second input and recovery prompts on", () => {
    const { store } = createTestStore();
    expect(store.getState()).toMatchObject({ devices: { microphoneId: null, secondInput: null }, recoveryPrompts: true });
  });

  it("changes one device choice and keeps the other", () => {
    const { store } = createTestStore();
    store.getState().setDeviceChoices({ secondInput: "display" });
    store.getState().setDeviceChoices({ microphoneId: "usb-mic" });

    expect(store.getState().devices).toEqual({ microphoneId: "usb-mic", secondInput: "display" });
  });

  it("keeps the same object when the choices do not change", () => {
    const { store } = createTestStore();
    const before = store.getState().devices;

    store.getState().setDeviceChoices({ microphoneId: null });

    expect(store.getState().devices).toBe(before);
  });

  it("turns recovery prompts off and on", () => {
    const { store } = createTestStore();
    store.getState().setRecoveryPrompts(false);
    expect(store.getState().recoveryPrompts).toBe(false);
    store.getState().setRecoveryPrompts(true);
    expect(store.getState().recoveryPrompts).toBe(true);
  });
});
