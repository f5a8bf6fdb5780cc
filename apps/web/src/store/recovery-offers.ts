import type { RecoverableSession } from "@tidemark/client";
import { isRecorderOn } from "../recording/recorder-phases.ts";
import type { AppState } from "./app-store.ts";

/**
 * The interrupted sessions worth offering: not finished elsewhere, not being handled by the
 * recorder, not the draft already open in the studio. `dismissed` picks those the user dismissed.
 */
function recoveries(state: AppState, dismissed: boolean): RecoverableSession[] {
  const { recoverable, sessions, recorder, draft, dismissedRecoveryIds } = state;
  if (recoverable.length === 0) return recoverable;
  const completed = new Set(sessions.filter((session) => session.status === "completed").map((session) => session.id));
  return recoverable.filter(
    (session) =>
      !completed.has(session.sessionId) &&
      !isRecorderOn(recorder.phase, recorder.sessionId, session.sessionId) &&
      session.sessionId !== draft.sessionId &&
      dismissedRecoveryIds.includes(session.sessionId) === dismissed,
  );
}

export const offeredRecoveries = (state: AppState) => recoveries(state, false);
export const dismissedRecoveries = (state: AppState) => recoveries(state, true);
