import { useShallow } from "zustand/shallow";
import { usePersistence } from "../persistence/hooks.ts";
import { useStore } from "../store/index.ts";
import { offeredRecoveries } from "../store/recovery-offers.ts";
import { RecoveryItem } from "./RecoveryItem.tsx";

/**
 * Shown on page load when a session was interrupted (crash, closed tab, lost network): what
 * survived on this device and on the server, and one click to resume or finish it. The
 * device's part appears at once; the server's fills in when it answers. Sessions finished
 * elsewhere, handled by the recorder, open in the studio or dismissed are not offered; with
 * recovery prompts turned off the banner stays away (the header's Recovery button remains).
 */
export function RecoveryBanner() {
  const visible = useStore(useShallow(offeredRecoveries));
  const prompts = useStore((s) => s.recoveryPrompts);
  const showDetails = useStore((s) => s.showRecoveryDetails);
  const dismissAll = useStore((s) => s.dismissAllRecoveries);
  // Dismissals and the opt-out are saved state: until it is loaded the banner cannot tell.
  const { hasHydrated } = usePersistence();
  if (visible.length === 0 || !prompts || !hasHydrated) return null;

  return (
    <section className="recovery-banner" role="region" aria-labelledby="recovery-heading" data-testid="recovery-banner">
      <div className="recovery-banner-heading">
        <h2 id="recovery-heading" className="section-title">
          Recovery available
        </h2>
        <span className="recovery-banner-actions">
          <button type="button" className="button" onClick={() => showDetails(true)} data-testid="recovery-details">
            Details…
          </button>
          <button type="button" className="button button-quiet" onClick={dismissAll} data-testid="recovery-dismiss-all">
            Dismiss all
          </button>
        </span>
      </div>
      <p className="recovery-intro">
        Sessions not finished yet. Nothing saved is lost: resume where you left off, or mark a session complete to get
        its files.
      </p>
      <ul className="recovery-list">
        {visible.map((session) => (
          <RecoveryItem key={session.sessionId} session={session} />
        ))}
      </ul>
    </section>
  );
}
