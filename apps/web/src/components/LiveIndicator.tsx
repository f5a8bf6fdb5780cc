import type { EventClientStatus } from "@tidemark/client";
import { useStore } from "../store/index.ts";

const LABELS: Record<EventClientStatus, string> = {
  open: "Live",
  connecting: "Connecting…",
  closed: "Offline, retrying",
};

/** Says whether the list below updates by itself or may be behind. */
export function LiveIndicator() {
  const status = useStore((s) => s.liveStatus);
  return (
    <span className={`live-indicator live-${status}`} data-testid="live-status" data-status={status} aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
