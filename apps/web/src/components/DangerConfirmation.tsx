import type { ReactNode } from "react";

/**
 * The question asked before something that cannot be undone: what will be lost, the failure of
 * an attempt if there was one, a danger button and Cancel. Test ids are `<testIdPrefix>-confirmation`,
 * `-error`, `-confirm` and `-cancel`.
 */
export function DangerConfirmation({
  id,
  testIdPrefix,
  children,
  error,
  busy,
  confirmLabel,
  busyLabel,
  onConfirm,
  onCancel,
}: {
  /** The id of the question's text, which labels the dialog. */
  id: string;
  testIdPrefix: string;
  children: ReactNode;
  error: string | null;
  busy: boolean;
  confirmLabel: string;
  busyLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <div className="notice notice-danger" role="alertdialog" aria-labelledby={id} data-testid={`${testIdPrefix}-confirmation`}>
      <p id={id}>{children}</p>
      {error !== null && (
        <p className="form-error" role="alert" data-testid={`${testIdPrefix}-error`}>
          {error}
        </p>
      )}
      <div className="notice-actions">
        <button type="button" className="button button-danger" disabled={busy} onClick={onConfirm} data-testid={`${testIdPrefix}-confirm`}>
          {busy ? busyLabel : confirmLabel}
        </button>
        <button type="button" className="button" disabled={busy} onClick={onCancel} data-testid={`${testIdPrefix}-cancel`}>
          Cancel
        </button>
      </div>
    </div>
  );
}
