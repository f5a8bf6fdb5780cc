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
});
