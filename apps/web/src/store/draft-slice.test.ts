import {
  CHAPTER_TEXT_MAX_LENGTH,
  DEFAULT_SYNTHESIS_PARAMETERS,
  DRAFT_TEXT_MAX_LENGTH,
  draftTextLength,
  SessionCheckpointStateSchema,
  type SessionCheckpointState,
} from "@tidemark/shared";
import { describe, expect, it } from "vitest";
import { checkpointOf } from "../persistence/app-state-mapping.ts";
import { draftHasContent } from "./draft-slice.ts";
import { createTestStore } from "./test-store.ts";

const SESSION = "0190f5d2-8c4e-7a3b-9d2f-000000000001";

function draftStore() {
  const { store } = createTestStore();
  return { store, state: () => store.getState() };
}

describe("draft slice", () => {
  it("starts with one empty chapter to type into and no session", () => {
    const { state } = draftStore();
    expect(state().draft).toMatchObject({ sessionId: null, title: "", notes: "", chapters: [{ title: "Chapter 1", text: "" }] });
    expect(draftHasContent(state().draft)).toBe(false);
  });

  it("adds numbered chapters and moves the position to the new one", () => {
    const { state } = draftStore();
    const [initial] = state().draft.chapters;

    const second = state().addChapter();
    const third = state().addChapter("Epilogue");

    expect(state().draft.chapters.map((chapter) => [chapter.id, chapter.title])).toEqual([
      [initial!.id, "Chapter 1"],
      [second, "Chapter 2"],
      [third, "Epilogue"],
    ]);
    expect(state().draft.position).toEqual({ chapter: 2, offset: 0 });
    expect(new Set(state().draft.chapters.map((chapter) => chapter.id)).size).toBe(3);
  });

  it("renames a chapter and edits its text, which makes the draft worth keeping", () => {
    const { state } = draftStore();
    const id = state().draft.chapters[0]!.id;

    state().renameChapter(id, "The storm");
    state().editChapterText(id, "It was a dark night.");

    expect(state().draft.chapters[0]).toEqual({ id, title: "The storm", text: "It was a dark night." });
    expect(draftHasContent(state().draft)).toBe(true);
  });

  it("cuts text at the longest length the server accepts", () => {
    const { state } = draftStore();
    const id = state().draft.chapters[0]!.id;

    state().editChapterText(id, "x".repeat(CHAPTER_TEXT_MAX_LENGTH + 10));

    expect(state().draft.chapters[0]!.text).toHaveLength(CHAPTER_TEXT_MAX_LENGTH);
  });

  it("cuts text where the whole draft reaches the most text the server accepts, counting the other chapters", () => {
    const { state } = draftStore();
    const first = state().draft.chapters[0]!.id;
    const chapters = Math.ceil(DRAFT_TEXT_MAX_LENGTH / CHAPTER_TEXT_MAX_LENGTH);
    const ids = [first, ...Array.from({ length: chapters - 1 }, () => state().addChapter()!)];
    for (const id of ids) state().editChapterText(id, "x".repeat(CHAPTER_TEXT_MAX_LENGTH));

    expect(draftTextLength(state().draft.chapters)).toBe(DRAFT_TEXT_MAX_LENGTH);
    // Shortening one chapter makes room in it again, and only as much as was freed.
    state().editChapterText(first, "short");
    state().editChapterText(first, "y".repeat(CHAPTER_TEXT_MAX_LENGTH));
    expect(draftTextLength(state().draft.chapters)).toBe(DRAFT_TEXT_MAX_LENGTH);
    expect(SessionCheckpointStateSchema.safeParse(checkpointOf(state(), new Date(0))).success).toBe(true);
  });

  it("keeps the position on the same chapter when an earlier chapter is removed", () => {
    const { state } = draftStore();
    const one = state().draft.chapters[0]!.id;
    const two = state().addChapter()!;
    state().editChapterText(two, "Some words here.");
    state().setDraftPosition({ chapter: 1, offset: 5 });

    state().removeChapter(one);

    expect(state().draft.chapters.map((chapter) => chapter.id)).toEqual([two]);
    expect(state().draft.position).toEqual({ chapter: 0, offset: 5 });
  });

  it("keeps the position inside the chapters and their text", () => {
    const { state } = draftStore();
    const id = state().draft.chapters[0]!.id;
    state().editChapterText(id, "Short.");

    state().setDraftPosition({ chapter: 7, offset: 500 });

    expect(state().draft.position).toEqual({ chapter: 0, offset: 6 });
  });

  it("keeps the title and notes", () => {
    const { state } = draftStore();
    state().setDraftTitle("The long book");
    state().setDraftNotes("Read chapter 3 slower.");
    expect(state().draft).toMatchObject({ title: "The long book", notes: "Read chapter 3 slower." });
  });

  it("attaches the server session the draft is backed up under, and makes it the current session", () => {
    const { state } = draftStore();

    state().attachDraftSession(SESSION);

    expect(state().draft.sessionId).toBe(SESSION);
    expect(state().currentSessionId).toBe(SESSION);
  });

  it("starts a new draft, leaving the old one to its session", () => {
    const { state } = draftStore();
    state().attachDraftSession(SESSION);
    state().setDraftTitle("Old");

    state().startNewDraft();

    expect(state().draft).toMatchObject({ sessionId: null, title: "", chapters: [{ text: "" }] });
    expect(state().currentSessionId).toBeNull();
  });

  it("opens a saved checkpoint with its text, position, voice and parameters", () => {
    const { state } = draftStore();
    const checkpoint: SessionCheckpointState = {
      title: "Audiobook",
      chapters: [
        { id: "c1", title: "One", text: "First." },
        { id: "c2", title: "Two", text: "Second chapter." },
      ],
      engine: "browser",
      voice: "Alex",
      parameters: { ...DEFAULT_SYNTHESIS_PARAMETERS, rate: 0.75 },
      position: { chapter: 1, offset: 7 },
      notes: "",
      savedAt: "2025-01-01T12:00:00.000Z",
    };

    state().openCheckpoint(SESSION, checkpoint);

    expect(state().draft).toEqual({
      sessionId: SESSION,
      title: "Audiobook",
      chapters: checkpoint.chapters,
      position: { chapter: 1, offset: 7 },
      notes: "",
    });
    expect(state()).toMatchObject({ engine: "browser", voice: "Alex", parameters: { rate: 0.75 }, currentSessionId: SESSION });
  });
});
