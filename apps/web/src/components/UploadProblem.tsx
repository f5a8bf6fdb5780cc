import { useStore } from "../store/index.ts";

/**
 * Why uploads are stuck, when it is not the network (that is the offline banner): e.g. the
 * server refused a chunk. The audio stays on this device meanwhile; the uploader keeps trying.
 */
export function UploadProblem() {
  const status = useStore((s) => s.uploaderStatus);
  const detail = useStore((s) => s.uploaderDetail);
  if (status !== "error" || detail === null) return null;
  return (
    <p className="upload-problem" role="status" data-testid="upload-problem">
      Uploading is held up: {detail} The audio stays safe on this device.
    </p>
  );
}
