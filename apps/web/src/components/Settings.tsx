import { useState, type ChangeEvent } from "react";
import { downloadBlob } from "../download.ts";
import { IMPORT_MAX_BYTES } from "../persistence/export-file.ts";
import { pagePersistence } from "../persistence/page-persistence.ts";
import { useStore } from "../store/index.ts";
import { DangerConfirmation } from "./DangerConfirmation.tsx";

/** Recovery prompts, export and import of everything saved, and deleting all of the user's data. */
export function Settings() {
  return (
    <section className="settings" aria-labelledby="settings-heading" data-testid="settings">
      <h2 id="settings-heading" className="section-title">
        Settings
      </h2>
      <RecoveryPromptsSetting />
      <ExportImport />
      <DeleteAllData />
    </section>
  );
}

function RecoveryPromptsSetting() {
  const enabled = useStore((s) => s.recoveryPrompts);
  const setEnabled = useStore((s) => s.setRecoveryPrompts);
  return (
    <label className="setting-toggle">
      <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} data-testid="settings-recovery-prompts" />
      Offer to recover interrupted sessions when the app opens
      <span className="muted"> (when off, recovery waits behind the Recovery button)</span>
    </label>
  );
}

type ImportMessage = { ok: boolean; text: string } | null;

function ExportImport() {
  const [message, setMessage] = useState<ImportMessage>(null);
  const [busy, setBusy] = useState(false);

  function exportAll() {
    const today = new Date().toISOString().slice(0, 10);
    downloadBlob(new Blob([pagePersistence.exportFile()], { type: "application/json" }), `tidemark-${today}.json`);
  }

  async function importFrom(event: ChangeEvent<HTMLInputElement>) {
    const input = event.currentTarget;
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    if (file.size > IMPORT_MAX_BYTES) {
      setMessage({ ok: false, text: "This file is too large to be a Tidemark export. Nothing was changed." });
      return;
    }
    setBusy(true);
    try {
      const result = await pagePersistence.importFile(await file.text());
      setMessage(result.ok ? { ok: true, text: `Imported “${file.name}”: your settings and draft were replaced by its content.` } : { ok: false, text: result.message });
    } catch (error) {
      setMessage({ ok: false, text: `The file could not be read: ${error instanceof Error ? error.message : String(error)}. Nothing was changed.` });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="setting-group">
      <h3 className="subsection-title">Your data as a file</h3>
      <p className="muted">Parameters, voices and presets, device choices, the draft and recent sessions (audio is not included).</p>
      <div className="notice-actions">
        <button type="button" className="button" onClick={exportAll} data-testid="settings-export">
          Export everything
        </button>
        <label className="button file-button">
          Import from a file…
          <input
            type="file"
            accept="application/json,.json"
            className="visually-hidden"
            disabled={busy}
            onChange={(event) => void importFrom(event)}
            data-testid="settings-import"
          />
        </label>
      </div>
      {message !== null && (
        <p className={message.ok ? "form-success" : "form-error"} role={message.ok ? "status" : "alert"} data-testid="settings-import-result" data-ok={message.ok}>
          {message.text}
        </p>
      )}
    </div>
  );
}

function DeleteAllData() {
  const [stage, setStage] = useState<"idle" | "confirm" | "deleting" | "deleted">("idle");
  const [error, setError] = useState<string | null>(null);

  async function deleteEverything() {
    setStage("deleting");
    setError(null);
    try {
      await pagePersistence.deleteAllData();
      setStage("deleted");
      // A fresh start: nothing of the old state is left in this page either.
      setTimeout(() => window.location.reload(), 1_500);
    } catch (failure) {
      setStage("confirm");
      setError(
        `Nothing was deleted: ${failure instanceof Error ? failure.message : String(failure)} Try again when the server can be reached.`,
      );
    }
  }

  return (
    <div className="setting-group">
      <h3 className="subsection-title">Delete all my data</h3>
      {stage === "idle" && (
        <button type="button" className="button" onClick={() => setStage("confirm")} data-testid="settings-delete">
          Delete all my data…
        </button>
      )}
      {(stage === "confirm" || stage === "deleting") && (
        <DangerConfirmation
          id="delete-confirm-text"
          testIdPrefix="settings-delete"
          error={error}
          busy={stage === "deleting"}
          confirmLabel="Yes, delete everything"
          busyLabel="Deleting…"
          onConfirm={() => void deleteEverything()}
          onCancel={() => setStage("idle")}
        >
          This deletes everything: on the server, all your sessions, recordings, files, settings and drafts; on this
          device, the saved settings, the draft and any audio not uploaded yet. It cannot be undone.
        </DangerConfirmation>
      )}
      {stage === "deleted" && (
        <p className="form-success" role="status" data-testid="settings-deleted">
          All your data was deleted. The page starts afresh in a moment.
        </p>
      )}
    </div>
  );
}
