import { useState } from "react";
import { useBackupStatus, usePersistence, useRestoreState } from "../persistence/hooks.ts";
import { pagePersistence } from "../persistence/page-persistence.ts";
import { downloadBlob } from "../download.ts";
import { ConflictCopies } from "./ConflictCopies.tsx";

/** What the persisted state layer has to tell: damaged storage, full storage, a failed save, a refused backup, conflicts. */
export function PersistenceNotices() {
  return (
    <>
      <CorruptionNotice />
      <QuotaNotice />
      <SaveError />
      <BackupRefused />
      <ConflictCopies />
    </>
  );
}

/** The saved copy on this device was damaged: it was set aside, and the server's backup is one click away. */
function CorruptionNotice() {
  const { status } = usePersistence();
  const restore = useRestoreState();
  const corruption = status.corruption;
  if (restore.phase === "restored") {
    return (
      <div className="notice notice-success" role="status" data-testid="restore-done">
        <p>{restore.message}</p>
      </div>
    );
  }
  if (corruption === null) return null;
  const restoring = restore.phase === "restoring";

  return (
    <div className="notice notice-danger" role="alert" data-testid="corruption-notice" data-reason={corruption.reason}>
      <p>
        <strong>Your saved settings on this device were damaged and set aside.</strong> The app started with defaults. The
        server keeps a backup of your settings and drafts.
      </p>
      <p className="muted">What was wrong: {corruption.detail}</p>
      {restore.phase === "failed" && (
        <p className="form-error" data-testid="restore-error">
          {restore.message}
        </p>
      )}
      <div className="notice-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={restoring}
          onClick={() => void pagePersistence.restoreFromServerBackup()}
          data-testid="restore-from-server"
        >
          {restoring ? "Restoring…" : "Restore from server backup"}
        </button>
        <button type="button" className="button button-quiet" disabled={restoring} onClick={() => pagePersistence.dismissCorruption()} data-testid="corruption-dismiss">
          Keep the defaults
        </button>
        <button type="button" className="button button-quiet" onClick={() => void downloadDamagedCopies()} data-testid="corruption-download">
          Download the damaged copy
        </button>
      </div>
    </div>
  );
}

/** The damaged copies as a file: they are kept, never loaded again, and this is how the user gets at them. */
async function downloadDamagedCopies(): Promise<void> {
  const file = await pagePersistence.damagedCopiesFile();
  if (file === null) return;
  const today = new Date().toISOString().slice(0, 10);
  downloadBlob(new Blob([file], { type: "application/json" }), `tidemark-damaged-copies-${today}.json`);
}

/** Storage was full: what was removed to make room, or that saving here stopped. */
function QuotaNotice() {
  const { status } = usePersistence();
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const quota = status.quota;
  if (quota === null || quota.at === dismissedAt) return null;
  return (
    <div className="notice notice-warning" role="alert" data-testid="quota-notice">
      <p>{quota.message}</p>
      {quota.pruned.length > 0 && (
        <ul data-testid="quota-pruned">
          {quota.pruned.map((phrase) => (
            <li key={phrase}>{phrase}</li>
          ))}
        </ul>
      )}
      <div className="notice-actions">
        <button type="button" className="button button-quiet" onClick={() => setDismissedAt(quota.at)}>
          OK
        </button>
      </div>
    </div>
  );
}

/** A save on this device failed for another reason (the change waits and is tried again). */
function SaveError() {
  const { status } = usePersistence();
  const backup = useBackupStatus();
  // An outdated tab writes nothing, so an error there is the one about its unsaved change: it is shown too.
  if (status.error === null || status.quota !== null) return null;
  return (
    <div className="notice notice-warning" role="alert" data-testid="save-error">
      <p>{status.error}</p>
      {backup.phase !== "offline" && <p className="muted">The server backup still receives your changes.</p>}
    </div>
  );
}

/**
 * The server refused a backup for good (too large, invalid): the work is on this device only, and
 * the auto-save indicator alone would not say why. Shown until a later push of it gets through.
 */
function BackupRefused() {
  const { refused } = useBackupStatus();
  if (!refused) return null;
  return (
    <div className="notice notice-danger" role="alert" data-testid="backup-refused">
      <p>
        <strong>Not backed up on the server.</strong> {refused}
      </p>
      <p className="muted">Export your data from the settings to keep a copy elsewhere.</p>
    </div>
  );
}
