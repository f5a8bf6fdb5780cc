import type { SessionStatus } from "@tidemark/shared";

const LABELS: Record<SessionStatus, string> = {
  active: "Active",
  incomplete: "Incomplete",
  completed: "Completed",
};

export function StatusBadge({ status }: { status: SessionStatus }) {
  return (
    <span className={`status-badge status-${status}`} data-testid="session-status">
      {LABELS[status]}
    </span>
  );
}
