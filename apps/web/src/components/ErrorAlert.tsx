import { useStore } from "../store/index.ts";

export function ErrorAlert() {
  const error = useStore((s) => s.error);
  const dismissError = useStore((s) => s.dismissError);
  if (error === null) return null;
  return (
    <div className="alert" role="alert" data-testid="error-alert">
      <p className="alert-message">{error}</p>
      <button type="button" className="button button-quiet" onClick={dismissError} data-testid="dismiss-error">
        Dismiss
      </button>
    </div>
  );
}
