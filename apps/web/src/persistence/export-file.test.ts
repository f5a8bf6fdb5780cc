import { defaultPersistedAppState } from "@tidemark/client";
import { PERSISTED_STATE_VERSION } from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { EXPORT_FORMAT, readExportFile, writeExportFile } from "./export-file.ts";

const at = new Date(Date.UTC(2025, 0, 1, 12));

describe("export files", () => {
  it("read back exactly what was written", () => {
    const state = defaultPersistedAppState();
    state.parameters.rate = 1.4;
    state.draft.title = "A book";

    const result = readExportFile(writeExportFile(state, at));

    expect(result).toEqual({ ok: true, state });
  });

  it("say what they are and which schema version they hold", () => {
    const file = JSON.parse(writeExportFile(defaultPersistedAppState(), at));
    expect(file).toMatchObject({ format: EXPORT_FORMAT, version: PERSISTED_STATE_VERSION, exportedAt: at.toISOString() });
  });

  it("refuse a file that is not JSON, not ours, or from newer code, and say so", () => {
    expect(readExportFile("not json")).toEqual({ ok: false, message: expect.stringMatching(/not JSON\). Nothing was changed/) });
    expect(readExportFile('{"hello":1}')).toEqual({ ok: false, message: expect.stringMatching(/not a Tidemark export/) });
    const newer = JSON.stringify({ format: EXPORT_FORMAT, version: PERSISTED_STATE_VERSION + 1, exportedAt: at.toISOString(), state: {} });
    expect(readExportFile(newer)).toEqual({ ok: false, message: expect.stringMatching(/newer version/) });
  });

  it("refuse a file whose data breaks the shared schema, naming where", () => {
    const state = defaultPersistedAppState() as unknown as { parameters: { rate: number } };
    state.parameters.rate = 42;
    const file = JSON.stringify({ format: EXPORT_FORMAT, version: PERSISTED_STATE_VERSION, exportedAt: at.toISOString(), state });

    const result = readExportFile(file);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/parameters\.rate/);
  });

  it("bring a file of an older version up to date", () => {
    const v1 = {
      ...defaultPersistedAppState(),
      draft: { sessionId: null, title: "Old", text: "First paragraph.\n\nSecond paragraph.", cursor: 3, notes: "" },
    };
    const file = JSON.stringify({ format: EXPORT_FORMAT, version: 1, exportedAt: at.toISOString(), state: v1 });

    const result = readExportFile(file);

    expect(result.ok).toBe(true);
    expect(result.ok && result.state.draft.title).toBe("Old");
    expect(result.ok && result.state.draft.chapters.map((chapter) => chapter.text).join(" ")).toContain("First paragraph.");
  });
});
