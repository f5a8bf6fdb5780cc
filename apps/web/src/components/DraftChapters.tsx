import { CHAPTER_TEXT_MAX_LENGTH, CHAPTERS_MAX, DRAFT_TEXT_MAX_LENGTH, draftTextLength, TITLE_MAX_LENGTH, type Chapter } from "@tidemark/shared";
import type { SyntheticEvent } from "react";
import { useStore } from "../store/index.ts";

/** The draft's text, one editable block per chapter; the caret's place is remembered as the position. */
export function DraftChapters({ disabled }: { disabled: boolean }) {
  const chapters = useStore((s) => s.draft.chapters);
  const addChapter = useStore((s) => s.addChapter);
  const atLimit = chapters.length >= CHAPTERS_MAX;
  const textFull = draftTextLength(chapters) >= DRAFT_TEXT_MAX_LENGTH;

  return (
    <section className="draft-chapters" aria-labelledby="draft-chapters-heading">
      <h3 id="draft-chapters-heading" className="subsection-title">
        Text <span className="muted">({chapters.length === 1 ? "1 chapter" : `${chapters.length} chapters`})</span>
      </h3>
      {chapters.length === 0 ? (
        <p className="muted" data-testid="draft-empty">
          No text yet. Add a chapter and paste or type its text; it is saved as you type.
        </p>
      ) : (
        <ol className="chapter-list" data-testid="chapter-list">
          {chapters.map((chapter, index) => (
            <ChapterEditor key={chapter.id} chapter={chapter} index={index} disabled={disabled} />
          ))}
        </ol>
      )}
      <ResumePosition />
      <button
        type="button"
        className="button"
        disabled={disabled || atLimit}
        onClick={() => addChapter()}
        data-testid="chapter-add"
      >
        Add chapter
      </button>
      {atLimit && <p className="muted">A draft holds at most {CHAPTERS_MAX} chapters.</p>}
      {textFull && (
        <p className="muted" role="status" data-testid="draft-text-full">
          This draft holds as much text as one draft can ({DRAFT_TEXT_MAX_LENGTH.toLocaleString()} characters): text typed or pasted
          beyond that is not kept. Start a new draft for the rest.
        </p>
      )}
    </section>
  );
}

function ChapterEditor({ chapter, index, disabled }: { chapter: Chapter; index: number; disabled: boolean }) {
  const rename = useStore((s) => s.renameChapter);
  const edit = useStore((s) => s.editChapterText);
  const remove = useStore((s) => s.removeChapter);
  const setPosition = useStore((s) => s.setDraftPosition);
  const label = chapter.title.trim() === "" ? `Chapter ${index + 1}` : chapter.title;

  function rememberCaret(event: SyntheticEvent<HTMLTextAreaElement>) {
    setPosition({ chapter: index, offset: event.currentTarget.selectionStart });
  }

  return (
    <li className="chapter" data-testid="chapter-item" data-chapter-id={chapter.id}>
      <div className="chapter-heading">
        <input
          type="text"
          aria-label={`Title of chapter ${index + 1}`}
          value={chapter.title}
          maxLength={TITLE_MAX_LENGTH}
          disabled={disabled}
          onChange={(event) => rename(chapter.id, event.target.value)}
          data-testid="chapter-title"
        />
        <button
          type="button"
          className="button button-quiet"
          disabled={disabled}
          aria-label={`Remove ${label}`}
          onClick={() => remove(chapter.id)}
          data-testid="chapter-remove"
        >
          Remove
        </button>
      </div>
      <textarea
        id={`chapter-text-${chapter.id}`}
        aria-label={`Text of ${label}`}
        value={chapter.text}
        maxLength={CHAPTER_TEXT_MAX_LENGTH}
        rows={6}
        disabled={disabled}
        onChange={(event) => {
          edit(chapter.id, event.target.value);
          rememberCaret(event);
        }}
        onSelect={rememberCaret}
        data-testid="chapter-text"
      />
    </li>
  );
}

/** "You left off in chapter 3": one click puts the caret back there. */
function ResumePosition() {
  const chapterIndex = useStore((s) => s.draft.position.chapter);
  const offset = useStore((s) => s.draft.position.offset);
  const chapterId = useStore((s) => s.draft.chapters[s.draft.position.chapter]?.id ?? null);
  if (chapterId === null || (chapterIndex === 0 && offset === 0)) return null;

  function goThere() {
    const area = document.getElementById(`chapter-text-${chapterId}`) as HTMLTextAreaElement | null;
    if (!area) return;
    area.focus();
    area.setSelectionRange(offset, offset);
  }

  return (
    <p className="resume-position" data-testid="draft-position">
      Last position: chapter {chapterIndex + 1}, character {offset + 1}.{" "}
      <button type="button" className="button button-quiet" onClick={goThere} data-testid="draft-position-go">
        Go there
      </button>
    </p>
  );
}
