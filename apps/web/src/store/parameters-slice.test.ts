import { DEFAULT_SYNTHESIS_PARAMETERS, SynthesisParametersSchema } from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { withParameters } from "./parameters-slice.ts";
import { createTestStore } from "./test-store.ts";

describe("parameters slice", () => {
  it("starts from the default parameters and changes only the ones given", () => {
    const { store } = createTestStore();
    expect(store.getState().parameters).toEqual(DEFAULT_SYNTHESIS_PARAMETERS);

    store.getState().updateParameters({ rate: 1.25 });

    expect(store.getState().parameters).toEqual({ ...DEFAULT_SYNTHESIS_PARAMETERS, rate: 1.25 });
  });

  it("brings values into their allowed range, so what it holds always passes the shared schema", () => {
    const { store } = createTestStore();

    store.getState().updateParameters({ rate: 9, pitch: 0.1, volume: -1, paragraphPauseMs: 812.6 });

    const { parameters } = store.getState();
    expect(parameters).toEqual({ rate: 2, pitch: 0.5, volume: 0, paragraphPauseMs: 813 });
    expect(SynthesisParametersSchema.safeParse(parameters).success).toBe(true);
  });

  it("ignores a value that is not a number, such as an emptied input field", () => {
    expect(withParameters(DEFAULT_SYNTHESIS_PARAMETERS, { rate: Number.NaN })).toEqual(DEFAULT_SYNTHESIS_PARAMETERS);
  });

  it("keeps the same object when nothing changes, so nothing re-renders or saves again", () => {
    const { store } = createTestStore();
    const before = store.getState().parameters;

    store.getState().updateParameters({ rate: before.rate });

    expect(store.getState().parameters).toBe(before);
  });

  it("goes back to the defaults on reset", () => {
    const { store } = createTestStore();
    store.getState().updateParameters({ volume: 0.3 });

    store.getState().resetParameters();

    expect(store.getState().parameters).toEqual(DEFAULT_SYNTHESIS_PARAMETERS);
  });
});
