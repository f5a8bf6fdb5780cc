import {
  CHAPTER_TEXT_MAX_LENGTH,
  CHAPTERS_MAX,
  DRAFT_TEXT_MAX_LENGTH,
  draftTextLength,
  TITLE_MAX_LENGTH,
  type Chapter,
  type Draft,
  type DraftPosition,
  type SessionCheckpointState,
} from "@tidemark/shared";
import type { StateCreator } from "zustand";
import type { AppState } from "./app-store.ts";
import { newLocalId } from "./ids.ts";

/** Longest draft notes the shared schema accepts. */
export const NOTES_MAX_LENGTH = 10_000;

/** A new draft: one empty chapter to type into, no session yet. */
export function emptyDraft(): Draft {
  return {
    sessionId: null,
    title: "",
    chapters: [{ id: newLocalId(), title: "Chapter 1", text: "" }],
    position: { chapter: 0, offset: 0 },
    notes: "",
  };
}

/** The draft holds something worth keeping on the server. */
export function draftHasContent(draft: Draft): boolean {
  return draft.title.trim() !== "" || draft.notes.trim() !== "" || draft.chapters.some((chapter) => chapter.text.trim() !== "");
}

export interface DraftSlice {
  /** The text being prepared for synthesis, in chapters, and where the user left off; persisted. */
  draft: Draft;

  setDraftTitle: (title: string) => void;
  /** Appends a chapter and moves the position to it; returns its id, or null at the chapter limit. */
  addChapter: (title?: string) => string | null;
  removeChapter: (id: string) => void;
  renameChapter: (id: string, title: string) => void;
  editChapterText: (id: string, text: string) => void;
  setDraftPosition: (position: DraftPosition) => void;
  setDraftNotes: (notes: string) => void;
  /** The server session the draft is backed up under; it becomes the current session. */
  attachDraftSession: (sessionId: string) => void;
  /** Starts an empty draft; the previous one stays on the server under its session. */
  startNewDraft: () => void;
  /**
   * Opens a session's saved work (a checkpoint from the server): its text and position become
   * the draft, and its engine, voice and parameters the current ones.
   */
  openCheckpoint: (sessionId: string, checkpoint: SessionCheckpointState) => void;
}

/** `position` moved inside the draft's chapters and text. */
export function clampPosition(chapters: Chapter[], position: DraftPosition): DraftPosition {
  if (chapters.length === 0) return { chapter: 0, offset: 0 };
  const chapter = Math.min(Math.max(0, Math.trunc(position.chapter)), chapters.length - 1);
  const offset = Math.min(Math.max(0, Math.trunc(position.offset)), chapters[chapter]!.text.length);
  return { chapter, offset };
}

export const createDraftSlice: StateCreator<AppState, [], [], DraftSlice> = (set, get) => {
  function changeDraft(change: (draft: Draft) => Draft): void {
    set((state) => {
      const draft = change(state.draft);
      return draft === state.draft ? {} : { draft };
    });
  }

  function changeChapter(id: string, change: (chapter: Chapter, draft: Draft) => Chapter): void {
    changeDraft((draft) => {
      const index = draft.chapters.findIndex((chapter) => chapter.id === id);
      if (index === -1) return draft;
      const current = draft.chapters[index]!;
      const next = change(current, draft);
      if (next.title === current.title && next.text === current.text) return draft;
      const chapters = [...draft.chapters];
      chapters[index] = next;
      return { ...draft, chapters, position: clampPosition(chapters, draft.position) };
    });
  }

  return {
    draft: emptyDraft(),

    setDraftTitle: (title) =>
      changeDraft((draft) => {
        const next = title.slice(0, TITLE_MAX_LENGTH);
        return next === draft.title ? draft : { ...draft, title: next };
      }),

    addChapter(title) {
      const { draft } = get();
      if (draft.chapters.length >= CHAPTERS_MAX) return null;
      const id = newLocalId();
      const chapter: Chapter = { id, title: (title ?? `Chapter ${draft.chapters.length + 1}`).slice(0, TITLE_MAX_LENGTH), text: "" };
      const chapters = [...draft.chapters, chapter];
      set({ draft: { ...draft, chapters, position: { chapter: chapters.length - 1, offset: 0 } } });
      return id;
    },

    removeChapter: (id) =>
      changeDraft((draft) => {
        const index = draft.chapters.findIndex((chapter) => chapter.id === id);
        if (index === -1) return draft;
        const chapters = draft.chapters.filter((chapter) => chapter.id !== id);
        // The position stays on the same chapter when an earlier one goes.
        const position =
          draft.position.chapter > index
            ? { chapter: draft.position.chapter - 1, offset: draft.position.offset }
            : draft.position.chapter === index
              ? { chapter: index, offset: 0 }
              : draft.position;
        return { ...draft, chapters, position: clampPosition(chapters, position) };
      }),

    renameChapter: (id, title) => changeChapter(id, (chapter) => ({ ...chapter, title: title.slice(0, TITLE_MAX_LENGTH) })),
    editChapterText: (id, text) =>
      changeChapter(id, (chapter, draft) => {
        // A chapter takes what its own limit and the room left in the whole draft allow.
        const room = DRAFT_TEXT_MAX_LENGTH - (draftTextLength(draft.chapters) - chapter.text.length);
        return { ...chapter, text: text.slice(0, Math.max(0, Math.min(CHAPTER_TEXT_MAX_LENGTH, room))) };
      }),

    setDraftPosition: (position) =>
      changeDraft((draft) => {
        const next = clampPosition(draft.chapters, position);
        return next.chapter === draft.position.chapter && next.offset === draft.position.offset ? draft : { ...draft, position: next };
      }),

    setDraftNotes: (notes) =>
      changeDraft((draft) => {
        const next = notes.slice(0, NOTES_MAX_LENGTH);
        return next === draft.notes ? draft : { ...draft, notes: next };
      }),

    attachDraftSession(sessionId) {
      changeDraft((draft) => (draft.sessionId === sessionId ? draft : { ...draft, sessionId }));
      get().setCurrentSession(sessionId);
    },

    startNewDraft() {
      const { draft, currentSessionId, setCurrentSession } = get();
      set({ draft: emptyDraft() });
      if (draft.sessionId !== null && currentSessionId === draft.sessionId) setCurrentSession(null);
    },

    openCheckpoint(sessionId, checkpoint) {
      const chapters = checkpoint.chapters;
      set({
        draft: {
          sessionId,
          title: checkpoint.title,
          chapters,
          position: clampPosition(chapters, checkpoint.position),
          notes: checkpoint.notes,
        },
        engine: checkpoint.engine,
        voice: checkpoint.voice,
        parameters: checkpoint.parameters,
      });
      get().setCurrentSession(sessionId);
    },
  };
};
