import { DEFAULT_PREFERENCES, type SessionCheckpointState } from "@tidemark/shared";

/** A session's open work as a checkpoint; `notes` tells one apart from another. */
export function checkpointState(notes = ""): SessionCheckpointState {
  return {
    title: "Persuasion",
    chapters: [{ id: "chapter-1", title: "Chapter 1", text: "Sir Walter Elliot, of Kellynch Hall." }],
    engine: "flite",
    voice: "slt",
    parameters: DEFAULT_PREFERENCES.parameters,
    position: { chapter: 0, offset: 3 },
    notes,
    savedAt: "2025-06-01T09:00:00.000Z",
  };
}
