import { useStore } from "../store/index.ts";

/** Recording goes on offline; this says where the audio goes meanwhile. */
export function OfflineBanner() {
  const online = useStore((s) => s.online);
  const uploaderStatus = useStore((s) => s.uploaderStatus);
  if (online && uploaderStatus !== "waiting-for-network") return null;
  return (
    <div className="banner banner-offline" role="status" data-testid="offline-banner">
      Offline — saving on this device. Uploads continue when the connection is back.
    </div>
  );
}
