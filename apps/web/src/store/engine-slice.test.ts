import type { SynthesisEngine } from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { createTestStore } from "./test-store.ts";

describe("engine slice", () => {
  it("switches between the known engines", () => {
    const { store } = createTestStore();
    expect(store.getState().engine).toBe("flite");

    store.getState().setEngine("browser");

    expect(store.getState().engine).toBe("browser");
  });

  it("refuses an engine it does not know", () => {
    const { store } = createTestStore();

    store.getState().setEngine("espeak" as SynthesisEngine);

    expect(store.getState().engine).toBe("flite");
  });

  it("is not generating at first, and says so while told it is", () => {
    const { store } = createTestStore();
    expect(store.getState().isGenerating).toBe(false);

    store.getState().setGenerating(true);
    expect(store.getState().isGenerating).toBe(true);

    store.getState().setGenerating(false);
    expect(store.getState().isGenerating).toBe(false);
  });
});
