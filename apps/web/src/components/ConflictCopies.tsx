import type { ConflictCopy } from "@tidemark/client";
import type { Preferences, SessionCheckpointState } from "@tidemark/shared";
import { useState } from "react";
import { useConflicts } from "../persistence/hooks.ts";
import { pagePersistence } from "../persistence/page-persistence.ts";

const clock = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/**
 * Edits that lost a race with another tab or device. The other edit is what shows now; this one
 * was kept aside so nothing is overwritten silently. Keep puts it back on top; Discard drops it.
 */
export function ConflictCopies() {
  const conflicts = useConflicts();
  if (conflicts.length === 0) return null;

  return (
    <section className="notice notice-warning conflicts" aria-labelledby="conflicts-heading" data-testid="conflict-copies">
      <h2 id="conflicts-heading" className="subsection-title">
        {conflicts.length === 1 ? "An edit was made in two places at once" : `${conflicts.length} edits were made in two places at once`}
      </h2>
      <p>
        Another tab or device saved its version at the same time, and that version is what you see now. The other one is
        kept here: keep it to make it the current one again, or discard it.
      </p>
      <ul className="conflict-list">
        {conflicts.map((copy) => (
          <ConflictItem key={copy.id} copy={copy} />
        ))}
      </ul>
    </section>
  );
}

function ConflictItem({ copy }: { copy: ConflictCopy }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <li className="conflict" data-testid="conflict-copy" data-kind={copy.kind} data-session-id={copy.sessionId ?? ""}>
      <div>
        <strong>{copy.kind === "preferences" ? "Settings" : "Draft"}</strong>{" "}
        <span className="muted">made at {clock.format(copy.createdAt)}</span>
      </div>
      <p className="conflict-summary" data-testid="conflict-summary">
        {copy.kind === "preferences"
          ? summarizePreferences(copy.value as Preferences)
          : summarizeCheckpoint(copy.value as SessionCheckpointState)}
      </p>
      {error !== null && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="notice-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={busy}
          onClick={() => void run(() => pagePersistence.keepConflict(copy.id))}
          data-testid="conflict-keep"
        >
          Keep this version
        </button>
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => void run(() => pagePersistence.discardConflict(copy.id))}
          data-testid="conflict-discard"
        >
          Discard
        </button>
      </div>
    </li>
  );
}

function summarizePreferences(preferences: Preferences): string {
  const { rate, pitch, volume } = preferences.parameters;
  return `${preferences.engine} voice “${preferences.voice}”, rate ${rate}, pitch ${pitch}, volume ${volume}; ${preferences.savedVoices.length} saved presets`;
}

function summarizeCheckpoint(state: SessionCheckpointState): string {
  const title = state.title === "" ? "Untitled draft" : `“${state.title}”`;
  const words = state.chapters.reduce((total, chapter) => total + countWords(chapter.text), 0);
  const opening = state.chapters.find((chapter) => chapter.text.trim() !== "")?.text.trim().slice(0, 120);
  return `${title}: ${state.chapters.length} chapters, ${words} words${opening ? ` — “${opening}${opening.length === 120 ? "…" : ""}”` : ""}`;
}

function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? 0 : trimmed.split(/\s+/).length;
}
