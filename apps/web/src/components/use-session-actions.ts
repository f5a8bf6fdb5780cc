import type { SessionKind } from "@tidemark/shared";
import { pagePersistence } from "../persistence/page-persistence.ts";
import { useStore } from "../store/index.ts";

/**
 * Resume and Mark complete for one session. A recording resumes in the recorder (capture,
 * journal, uploads) and completes only after its pending chunks are uploaded; a synthesis
 * session resumes by opening its saved draft in the studio; completing any other session only
 * changes its status on the server.
 */
export function useSessionActions(sessionId: string, kind: SessionKind) {
  const resumeRecording = useStore((s) => s.resumeRecording);
  const completeRecording = useStore((s) => s.completeRecording);
  const finishSession = useStore((s) => s.finish);
  const isRecording = kind === "recording";
  return {
    isRecording,
    resume: () => void (isRecording ? resumeRecording(sessionId) : pagePersistence.resumeSynthesisSession(sessionId)),
    complete: () => void (isRecording ? completeRecording(sessionId) : finishSession(sessionId)),
  };
}
