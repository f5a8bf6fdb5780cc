import { formatDuration } from "../format-audio.ts";
import { useStore } from "../store/index.ts";

/**
 * The two positions of the durability rules: what is safe on this device, and on the server.
 * The gap between them is what a lost device would cost right now.
 */
export function SavedPositions() {
  const local = useStore((s) => s.recorder.localSeconds);
  const server = useStore((s) => s.recorder.serverSeconds);
  const behind = Math.floor(local - server);

  return (
    <dl className="saved-positions" aria-live="off">
      <div>
        <dt>Saved on this device</dt>
        <dd>
          {formatDuration(local)}
          {/* Whole seconds for scripts and tests; the m:ss beside it says the same to people. */}
          <span className="visually-hidden" aria-hidden="true" data-testid="saved-local-seconds">
            {Math.floor(local)}
          </span>
        </dd>
      </div>
      <div>
        <dt>Saved on server</dt>
        <dd>
          {formatDuration(server)}
          <span className="visually-hidden" aria-hidden="true" data-testid="saved-server-seconds">
            {Math.floor(server)}
          </span>
          {behind >= 1 && (
            <span className="server-behind" data-testid="server-behind">
              server {behind} s behind
            </span>
          )}
        </dd>
      </div>
    </dl>
  );
}
