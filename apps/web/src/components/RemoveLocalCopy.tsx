import { useState } from "react";
import { messageOf } from "../error-message.ts";
import { formatDuration } from "../format-audio.ts";
import { useStore } from "../store/index.ts";
import { DangerConfirmation } from "./DangerConfirmation.tsx";

/**
 * "Remove from this device" for a recording the server refused: its only copy is this device's,
 * so it goes only after a confirmation that says what is lost (save the copy first).
 */
export function RemoveLocalCopy({ sessionId, seconds }: { sessionId: string; seconds: number }) {
  const removeLocalCopy = useStore((s) => s.removeLocalCopy);
  const [stage, setStage] = useState<"idle" | "confirm" | "removing">("idle");
  const [error, setError] = useState<string | null>(null);

  async function remove() {
    setStage("removing");
    setError(null);
    try {
      await removeLocalCopy(sessionId);
    } catch (failure) {
      setStage("confirm");
      setError(`Nothing was removed: ${messageOf(failure)}`);
    }
  }

  if (stage === "idle") {
    return (
      <button type="button" className="button button-quiet" onClick={() => setStage("confirm")} data-testid="remove-local-copy">
        Remove from this device…
      </button>
    );
  }
  return (
    <DangerConfirmation
      id={`remove-${sessionId}`}
      testIdPrefix="remove-local"
      error={error}
      busy={stage === "removing"}
      confirmLabel="Yes, remove it"
      busyLabel="Removing…"
      onConfirm={() => void remove()}
      onCancel={() => setStage("idle")}
    >
      This deletes the {formatDuration(seconds)} of audio this device holds of this session, its only copy. Save it from
      this device first if you want to keep it.
    </DangerConfirmation>
  );
}
