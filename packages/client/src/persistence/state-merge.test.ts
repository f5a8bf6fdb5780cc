import { describe, expect, it } from "vitest";
import { deepEqual, mergeThreeWay, type MergeConflictPath } from "./state-merge.ts";

const base = {
  rate: 1,
  engine: "flite",
  draft: {
    title: "Persuasion",
    chapters: [
      { id: "c1", title: "One", text: "Sir Walter Elliot" },
      { id: "c2", title: "Two", text: "Mr Shepherd" },
    ],
  },
};

function merge(ours: typeof base, theirs: typeof base) {
  const conflicts: MergeConflictPath[] = [];
  return { merged: mergeThreeWay(base, ours, theirs, conflicts), conflicts };
}

function withChapter(state: typeof base, id: string, change: Partial<(typeof base.draft.chapters)[number]>): typeof base {
  return {
    ...state,
    draft: { ...state.draft, chapters: state.draft.chapters.map((chapter) => (chapter.id === id ? { ...chapter, ...change } : chapter)) },
  };
}

describe("mergeThreeWay", () => {
  it("takes their side where only they changed something and keeps ours where only we did", () => {
    const { merged, conflicts } = merge({ ...base, rate: 1.5 }, { ...base, engine: "browser" });

    expect(merged).toEqual({ ...base, rate: 1.5, engine: "browser" });
    expect(conflicts).toEqual([]);
  });

  it("keeps edits of different chapters from both sides", () => {
    const ours = withChapter(base, "c1", { text: "Sir Walter Elliot, of Kellynch Hall" });
    const theirs = withChapter(base, "c2", { text: "Mr Shepherd, a civil, cautious lawyer" });

    const { merged, conflicts } = merge(ours, theirs);

    expect(merged.draft.chapters.map((chapter) => chapter.text)).toEqual([
      "Sir Walter Elliot, of Kellynch Hall",
      "Mr Shepherd, a civil, cautious lawyer",
    ]);
    expect(conflicts).toEqual([]);
  });

  it("keeps our edit of a value both sides changed and names where, with their value", () => {
    const ours = withChapter(base, "c2", { text: "ours" });
    const theirs = withChapter(base, "c2", { text: "theirs", title: "Chapter Two" });

    const { merged, conflicts } = merge(ours, theirs);

    expect(merged.draft.chapters[1]).toEqual({ id: "c2", title: "Chapter Two", text: "ours" });
    expect(conflicts).toEqual([{ path: "draft.chapters[c2].text", ours: "ours", theirs: "theirs" }]);
  });

  it("adds chapters either side added and drops one a side deleted that the other left alone", () => {
    const ours = { ...base, draft: { ...base.draft, chapters: [...base.draft.chapters, { id: "c3", title: "Three", text: "" }] } };
    const theirs = { ...base, draft: { ...base.draft, chapters: [base.draft.chapters[1]!, { id: "c4", title: "Four", text: "" }] } };

    const { merged, conflicts } = merge(ours, theirs);

    expect(merged.draft.chapters.map((chapter) => chapter.id)).toEqual(["c2", "c3", "c4"]);
    expect(conflicts).toEqual([]);
  });

  it("keeps a chapter one side deleted while the other changed it, and reports it", () => {
    const ours = { ...base, draft: { ...base.draft, chapters: [base.draft.chapters[1]!] } };
    const theirs = withChapter(base, "c1", { text: "changed meanwhile" });

    const { merged, conflicts } = merge(ours, theirs);

    expect(merged.draft.chapters.map((chapter) => chapter.id)).toEqual(["c2", "c1"]);
    expect(conflicts.map((conflict) => conflict.path)).toEqual(["draft.chapters[c1]"]);
  });
});

describe("deepEqual", () => {
  it("compares structure, treating a missing key and an undefined one alike", () => {
    expect(deepEqual({ a: [1, { b: "x" }], c: undefined }, { a: [1, { b: "x" }] })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual([], {})).toBe(false);
  });
});
