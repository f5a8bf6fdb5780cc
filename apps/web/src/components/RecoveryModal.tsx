import { useEffect, useRef } from "react";
import { useShallow } from "zustand/shallow";
import { useRecovery } from "../persistence/hooks.ts";
import { useStore } from "../store/index.ts";
import { dismissedRecoveries, offeredRecoveries } from "../store/recovery-offers.ts";
import { RecoveryItem } from "./RecoveryItem.tsx";

/**
 * The details behind the recovery banner (and the header's Recovery button): every interrupted
 * session with what this device and the server hold of it, to restore or dismiss one by one,
 * and the dismissed ones, to bring back. It opens only when asked, so turning recovery prompts
 * off keeps the page quiet.
 */
export function RecoveryModal() {
  const open = useStore((s) => s.recoveryDetailsOpen);
  const show = useStore((s) => s.showRecoveryDetails);
  const offered = useStore(useShallow(offeredRecoveries));
  const dismissed = useStore(useShallow(dismissedRecoveries));
  const undo = useStore((s) => s.undoRecoveryDismissal);
  const { clearRecoveryState } = useRecovery();
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  return (
    <dialog
      ref={dialog}
      className="recovery-modal"
      aria-labelledby="recovery-modal-heading"
      onClose={() => show(false)}
      data-testid="recovery-modal"
    >
      {open && (
        <>
          <div className="recovery-modal-heading">
            <h2 id="recovery-modal-heading" className="section-title">
              Recoverable sessions
            </h2>
            <button type="button" className="button button-quiet" onClick={() => show(false)} data-testid="recovery-modal-close">
              Close
            </button>
          </div>
          {offered.length === 0 ? (
            <p className="muted" data-testid="recovery-modal-empty">
              Nothing is waiting to be recovered.
            </p>
          ) : (
            <>
              <p className="recovery-intro">
                Each session below was interrupted before it was finished. Restore one to continue where it stopped, or
                dismiss it: a dismissed session stays in the history with all its audio and text.
              </p>
              <ul className="recovery-list">
                {offered.map((session) => (
                  <RecoveryItem key={session.sessionId} session={session} detailed />
                ))}
              </ul>
              <button type="button" className="button" onClick={() => void clearRecoveryState()} data-testid="recovery-modal-dismiss-all">
                Dismiss all
              </button>
            </>
          )}
          {dismissed.length > 0 && (
            <section aria-labelledby="recovery-dismissed-heading" className="recovery-dismissed">
              <h3 id="recovery-dismissed-heading" className="subsection-title">
                Dismissed
              </h3>
              <ul className="recovery-dismissed-list">
                {dismissed.map((session) => (
                  <li key={session.sessionId} data-testid="recovery-dismissed-item" data-session-id={session.sessionId}>
                    <span>{session.title === "" ? "Untitled session" : session.title}</span>{" "}
                    <button type="button" className="button button-quiet" onClick={() => undo(session.sessionId)} data-testid="recovery-undismiss">
                      Offer again
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </dialog>
  );
}

/** In the header: recovery without the banner (prompts turned off, or the banner dismissed). */
export function RecoveryButton() {
  const count = useStore((s) => offeredRecoveries(s).length);
  const prompts = useStore((s) => s.recoveryPrompts);
  const show = useStore((s) => s.showRecoveryDetails);
  if (count === 0 || prompts) return null;
  return (
    <button type="button" className="button" onClick={() => show(true)} data-testid="recovery-button">
      Recovery ({count})
    </button>
  );
}
