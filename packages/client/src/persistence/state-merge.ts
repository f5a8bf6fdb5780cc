/** Structural equality of JSON-like values (plain objects, arrays, primitives). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  if (keys.length !== Object.keys(right).filter((key) => right[key] !== undefined).length) return false;
  return keys.every((key) => deepEqual(left[key], right[key]));
}

/**
 * Merges a stored value (`theirs`) into a local one (`ours`) that both started from `base`: every
 * local change since `base` is kept, everything else comes from `theirs`. Objects merge key by
 * key; where both sides changed the same array or value, the local one wins, being the newer.
 * This is what keeps an edit made while the stored value was loading, or while another tab
 * saved, from being overwritten.
 */
export function mergeThreeWay<T>(base: T, ours: T, theirs: T): T {
  if (deepEqual(ours, base)) return theirs;
  if (deepEqual(theirs, base) || deepEqual(theirs, ours)) return ours;
  if (!isPlainObject(ours) || !isPlainObject(theirs)) return ours;
  const baseObject: Record<string, unknown> = isPlainObject(base) ? base : {};
  const merged: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(theirs), ...Object.keys(ours)])) {
    const value = mergeThreeWay(baseObject[key], ours[key], theirs[key]);
    if (value !== undefined) merged[key] = value;
  }
  return merged as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
