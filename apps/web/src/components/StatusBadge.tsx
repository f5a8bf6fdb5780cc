import type { SessionStatus } from "@tidemark/shared";

/** A session's status on the server, or `device-only` for one the server has not been given yet. */
export type BadgeStatus = SessionStatus | "device-only";

const LABELS: Record<BadgeStatus, string> = {
  active: "Active",
  incomplete: "Incomplete",
  completed: "Completed",
  "device-only": "On this device only",
};

export function StatusBadge({ status }: { status: BadgeStatus }) {
  return (
    <span className={`status-badge status-${status}`} data-testid="session-status">
      {LABELS[status]}
    </span>
  );
}
