import { useEffect, useState } from "react";
import { formatDuration } from "../format-audio.ts";
import { useStore } from "../store/index.ts";

/** Length of the session so far; ticks only while capturing. */
export function ElapsedTime() {
  const startedAt = useStore((s) => s.recorder.startedAt);
  const before = useStore((s) => s.recorder.elapsedBeforeSeconds);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (startedAt === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [startedAt]);

  const seconds = startedAt === null ? before : before + Math.max(0, now - startedAt) / 1000;
  return (
    <time className="elapsed" data-testid="elapsed" aria-label="Elapsed time">
      {formatDuration(seconds)}
    </time>
  );
}
