import { formatBytes } from "../format-audio.ts";
import { useStore } from "../store/index.ts";

/** How much of the browser's storage allowance the journal (and the rest of the site) uses. */
export function StorageEstimate() {
  const storage = useStore((s) => s.storage);
  if (storage === null) return null;
  return (
    <p className="storage-estimate" data-testid="storage-estimate">
      Browser storage: {formatBytes(storage.usageBytes)} used of {formatBytes(storage.quotaBytes)}
    </p>
  );
}
