import { TITLE_MAX_LENGTH } from "@tidemark/shared";
import { usePersistence } from "../persistence/hooks.ts";
import { draftHasContent, NOTES_MAX_LENGTH } from "../store/draft-slice.ts";
import { useStore } from "../store/index.ts";
import { DraftChapters } from "./DraftChapters.tsx";
import { VoicePresets } from "./VoicePresets.tsx";
import { VoiceSettings } from "./VoiceSettings.tsx";

/**
 * The work set up for synthesis: the text in chapters, the engine, voice and parameters, and
 * voice presets. Everything here is saved on this device as it changes and backed up to the
 * server. The fields wait for the saved copy to load, so nothing typed is overwritten by it.
 */
export function SynthesisSetup() {
  const { hasHydrated } = usePersistence();
  const disabled = !hasHydrated;

  return (
    <section className="synthesis-setup" aria-labelledby="synthesis-heading" data-testid="synthesis-setup" aria-busy={disabled}>
      <div className="synthesis-heading">
        <h2 id="synthesis-heading" className="section-title">
          Synthesis setup
        </h2>
        <DraftSession />
      </div>
      <DraftDetails disabled={disabled} />
      <VoiceSettings disabled={disabled} />
      <VoicePresets disabled={disabled} />
      <DraftChapters disabled={disabled} />
    </section>
  );
}

function DraftDetails({ disabled }: { disabled: boolean }) {
  const title = useStore((s) => s.draft.title);
  const notes = useStore((s) => s.draft.notes);
  const setTitle = useStore((s) => s.setDraftTitle);
  const setNotes = useStore((s) => s.setDraftNotes);

  return (
    <div className="draft-details">
      <label className="field">
        <span className="field-label">Title</span>
        <input
          type="text"
          value={title}
          maxLength={TITLE_MAX_LENGTH}
          placeholder="The audiobook's title"
          disabled={disabled}
          onChange={(event) => setTitle(event.target.value)}
          data-testid="draft-title"
        />
      </label>
      <label className="field">
        <span className="field-label">Notes</span>
        <textarea
          value={notes}
          maxLength={NOTES_MAX_LENGTH}
          rows={2}
          placeholder="Pronunciations, pacing, anything to remember"
          disabled={disabled}
          onChange={(event) => setNotes(event.target.value)}
          data-testid="draft-notes"
        />
      </label>
    </div>
  );
}

/** Which server session backs the draft up, and a way to start another draft. */
function DraftSession() {
  const sessionId = useStore((s) => s.draft.sessionId);
  const startNewDraft = useStore((s) => s.startNewDraft);
  // A draft with content but no session yet exists only here: replacing it would lose it.
  const onlyHere = useStore((s) => s.draft.sessionId === null && draftHasContent(s.draft));
  return (
    <div className="draft-session">
      <span className="muted" data-testid="draft-session" data-session-id={sessionId ?? ""}>
        {sessionId === null ? "Saved on this device; backed up once it has content" : "Backed up as a synthesis session"}
      </span>
      <button
        type="button"
        className="button button-quiet"
        disabled={onlyHere}
        title={onlyHere ? "Available once this draft is backed up on the server" : undefined}
        onClick={startNewDraft}
        data-testid="draft-new"
      >
        New draft
      </button>
    </div>
  );
}
