/** Legacy DOMException code of QuotaExceededError, still what some browsers set. */
const QUOTA_EXCEEDED_CODE = 22;
/** Firefox's code for a full localStorage (`NS_ERROR_DOM_QUOTA_REACHED`). */
const FIREFOX_QUOTA_CODE = 1014;
const QUOTA_NAMES = new Set(["QuotaExceededError", "NS_ERROR_DOM_QUOTA_REACHED"]);

/**
 * Whether `error` means storage is full, however it arrived. Browsers abort an IndexedDB
 * transaction instead of failing the request, so Dexie reports an `AbortError` whose `inner` is
 * the quota error; Dexie's bulk operations list it among `failures`; wrappers put it in `cause`.
 */
export function isQuotaExceededError(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown; inner?: unknown; cause?: unknown; failures?: unknown };
  if (typeof candidate.name === "string" && QUOTA_NAMES.has(candidate.name)) return true;
  if (candidate.code === QUOTA_EXCEEDED_CODE || candidate.code === FIREFOX_QUOTA_CODE) return true;
  if (isQuotaExceededError(candidate.inner, depth + 1) || isQuotaExceededError(candidate.cause, depth + 1)) return true;
  const failures = typeof candidate.failures === "object" && candidate.failures !== null ? Object.values(candidate.failures) : [];
  return failures.some((failure) => isQuotaExceededError(failure, depth + 1));
}
