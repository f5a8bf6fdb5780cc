import { useBackupStatus, usePersistence, useUnpushedEdits } from "../persistence/hooks.ts";
import { describeSaving, storageNotice } from "../persistence/save-status.ts";

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

/**
 * Where the user's setup and draft are saved right now: saving, on this device, on the server,
 * or offline, with the time of the last save; and which storage is in use when it is not
 * IndexedDB. An outdated tab (newer code saved meanwhile) says so and offers a reload.
 */
export function AutoSaveIndicator() {
  const { status } = usePersistence();
  const backup = useBackupStatus();
  const unpushed = useUnpushedEdits();
  const { state, text, at } = describeSaving(status, backup, unpushed);
  const notice = storageNotice(status.storageKind);

  return (
    <div className={`autosave autosave-${state}`} data-testid="autosave-indicator" data-state={state} data-storage={status.storageKind}>
      <span role="status" aria-live="polite" data-testid="autosave-text">
        <span className="autosave-dot" aria-hidden="true" />
        {text}
        {at !== null && (
          <>
            {" "}
            <time dateTime={new Date(at).toISOString()} data-testid="autosave-time">
              at {clock.format(at)}
            </time>
          </>
        )}
      </span>
      {state === "outdated" && (
        <button type="button" className="button" onClick={() => window.location.reload()} data-testid="autosave-reload">
          Reload
        </button>
      )}
      {notice !== null && (
        <span className="autosave-storage" data-testid="autosave-storage">
          {notice}
        </span>
      )}
    </div>
  );
}
