import { TITLE_MAX_LENGTH, type SessionKind } from "@tidemark/shared";
import { useState, type FormEvent } from "react";
import { useStore } from "../store/index.ts";

export function CreateSessionForm() {
  const create = useStore((s) => s.create);
  const creating = useStore((s) => s.creating);
  const [kind, setKind] = useState<SessionKind>("recording");
  const [title, setTitle] = useState("");

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const created = await create(kind, title);
    if (created) setTitle("");
  }

  return (
    <form className="create-form" onSubmit={handleSubmit} data-testid="create-session-form">
      <h2 className="section-title">Create an empty session</h2>
      <div className="create-form-fields">
        <label className="field">
          <span className="field-label">Kind</span>
          <select
            value={kind}
            onChange={(event) => setKind(event.target.value as SessionKind)}
            data-testid="session-kind-select"
          >
            <option value="recording">Recording</option>
            <option value="synthesis">Synthesis</option>
          </select>
        </label>
        <label className="field field-grow">
          <span className="field-label">Title (optional)</span>
          <input
            type="text"
            value={title}
            maxLength={TITLE_MAX_LENGTH}
            placeholder="Episode 12, Chapter 3…"
            onChange={(event) => setTitle(event.target.value)}
            data-testid="session-title-input"
          />
        </label>
        <button type="submit" className="button button-primary" disabled={creating} data-testid="create-session">
          {creating ? "Creating…" : "Create session"}
        </button>
      </div>
    </form>
  );
}
