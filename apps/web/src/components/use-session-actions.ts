import type { SessionKind } from "@tidemark/shared";
import { useStore } from "../store/index.ts";

/**
 * Resume and Mark complete for one session. A recording resumes in the recorder (capture,
 * journal, uploads) and completes only after its pending chunks are uploaded; any other session
 * only changes status on the server.
 */
export function useSessionActions(sessionId: string, kind: SessionKind) {
  const resumeRecording = useStore((s) => s.resumeRecording);
  const completeRecording = useStore((s) => s.completeRecording);
  const resumeSession = useStore((s) => s.resume);
  const finishSession = useStore((s) => s.finish);
  const isRecording = kind === "recording";
  return {
    isRecording,
    resume: () => void (isRecording ? resumeRecording(sessionId) : resumeSession(sessionId)),
    complete: () => void (isRecording ? completeRecording(sessionId) : finishSession(sessionId)),
  };
}
