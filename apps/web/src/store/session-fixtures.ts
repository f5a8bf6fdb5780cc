import type { Session } from "@tidemark/shared";

/** A session created `minute` minutes after noon; ids are fixed per minute so tests can refer to them. */
export function session(minute: number, overrides: Partial<Session> = {}): Session {
  const at = new Date(Date.UTC(2025, 0, 1, 12, minute)).toISOString();
  return {
    id: `0190f5d2-8c4e-7a3b-9d2f-${String(minute).padStart(12, "0")}`,
    kind: "recording",
    title: `Session ${minute}`,
    status: "active",
    createdAt: at,
    updatedAt: at,
    lastHeartbeat: null,
    completedAt: null,
    ...overrides,
  };
}
