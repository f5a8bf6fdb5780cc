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

/** Where both sides changed the same value differently; the local one was kept. */
export interface MergeConflictPath {
  /** Dotted path: object keys, and `[id]` for an element of a list of objects with ids. */
  path: string;
  ours: unknown;
  theirs: unknown;
}

/**
 * Merges a stored value (`theirs`) into a local one (`ours`) that both started from `base`: every
 * local change since `base` is kept, everything else comes from `theirs`. Objects merge key by
 * key; lists of objects with an `id` (chapters, voices) merge element by element, so two tabs
 * editing different chapters both keep their edits. Where both sides changed the same value
 * differently the local one wins, being the newer, and the place is added to `conflicts`, so
 * the other side can be kept as a copy rather than lost.
 */
export function mergeThreeWay<T>(base: T, ours: T, theirs: T, conflicts: MergeConflictPath[] = [], path = ""): T {
  if (deepEqual(ours, base)) return theirs;
  if (deepEqual(theirs, base) || deepEqual(theirs, ours)) return ours;
  if (isPlainObject(ours) && isPlainObject(theirs)) {
    const baseObject: Record<string, unknown> = isPlainObject(base) ? base : {};
    const merged: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(theirs), ...Object.keys(ours)])) {
      const value = mergeThreeWay(baseObject[key], ours[key], theirs[key], conflicts, path === "" ? key : `${path}.${key}`);
      if (value !== undefined) merged[key] = value;
    }
    return merged as T;
  }
  if (isListWithIds(ours) && isListWithIds(theirs)) {
    return mergeListsById(isListWithIds(base) ? base : [], ours, theirs, conflicts, path) as T;
  }
  conflicts.push({ path, ours, theirs });
  return ours;
}

type WithId = Record<string, unknown> & { id: string };

/** Local order; elements only the other side added go to the end; elements one side deleted and the other left alone go. */
function mergeListsById(base: WithId[], ours: WithId[], theirs: WithId[], conflicts: MergeConflictPath[], path: string): WithId[] {
  const baseById = new Map(base.map((item) => [item.id, item]));
  const theirsById = new Map(theirs.map((item) => [item.id, item]));
  const oursIds = new Set(ours.map((item) => item.id));
  const merged: WithId[] = [];
  for (const item of ours) {
    const before = baseById.get(item.id);
    const other = theirsById.get(item.id);
    if (other === undefined) {
      // Deleted on their side: gone, unless it is new here or was changed here meanwhile.
      if (before === undefined) merged.push(item);
      else if (!deepEqual(item, before)) {
        conflicts.push({ path: `${path}[${item.id}]`, ours: item, theirs: undefined });
        merged.push(item);
      }
      continue;
    }
    merged.push(mergeThreeWay(before as WithId, item, other, conflicts, `${path}[${item.id}]`));
  }
  for (const item of theirs) {
    if (oursIds.has(item.id)) continue;
    const before = baseById.get(item.id);
    // New on their side: added. Deleted here: stays deleted, unless they changed it meanwhile.
    if (before === undefined) merged.push(item);
    else if (!deepEqual(item, before)) {
      conflicts.push({ path: `${path}[${item.id}]`, ours: undefined, theirs: item });
      merged.push(item);
    }
  }
  return merged;
}

function isListWithIds(value: unknown): value is WithId[] {
  if (!Array.isArray(value)) return false;
  const ids = new Set<string>();
  for (const item of value) {
    if (!isPlainObject(item) || typeof item.id !== "string" || ids.has(item.id)) return false;
    ids.add(item.id);
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A step into a value: an object key, or the element of a list of objects with that `id`. */
export type ValuePathStep = string | { id: string };

/**
 * One place where a value differs from the value it was made on, and what that one held there
 * (`before` absent: nothing). JSON as it is, so it can travel with a copy of the value.
 */
export interface ValueChange {
  path: ValuePathStep[];
  before?: unknown;
}

/**
 * Where `value` differs from `base`, at the places `mergeThreeWay` merges (object keys, elements
 * of lists with ids), each with what `base` held there. Unchanged parts cost one reference
 * comparison each, so this is cheap on a large value made from a small edit.
 */
export function changesSince(base: unknown, value: unknown, path: ValuePathStep[] = [], changes: ValueChange[] = []): ValueChange[] {
  if (deepEqual(base, value)) return changes;
  if (isPlainObject(base) && isPlainObject(value)) {
    for (const key of new Set([...Object.keys(base), ...Object.keys(value)])) changesSince(base[key], value[key], [...path, key], changes);
  } else if (isListWithIds(base) && isListWithIds(value)) {
    const baseById = new Map(base.map((item) => [item.id, item]));
    const kept = new Set(value.map((item) => item.id));
    for (const item of value) changesSince(baseById.get(item.id), item, [...path, { id: item.id }], changes);
    for (const item of base) if (!kept.has(item.id)) changes.push({ path: [...path, { id: item.id }], before: item });
  } else {
    changes.push(base === undefined ? { path } : { path, before: base });
  }
  return changes;
}

/**
 * The value `value` was made on, given its `changesSince` that one: every change put back.
 * Order within a list with ids may differ from the original, which merging never looks at.
 */
export function revertChanges(value: unknown, changes: readonly ValueChange[]): unknown {
  return changes.reduce((result, change) => putAt(result, change.path, change), value);
}

function putAt(target: unknown, path: readonly ValuePathStep[], change: ValueChange): unknown {
  const [step, ...rest] = path;
  if (step === undefined) return "before" in change ? change.before : undefined;
  if (typeof step === "string") {
    const object = isPlainObject(target) ? target : {};
    const next = putAt(object[step], rest, change);
    if (next !== undefined) return { ...object, [step]: next };
    const { [step]: _removed, ...others } = object;
    return others;
  }
  const list = Array.isArray(target) ? (target as unknown[]) : [];
  const index = list.findIndex((item) => isPlainObject(item) && item.id === step.id);
  const next = putAt(index === -1 ? undefined : list[index], rest, change);
  if (index === -1) return next === undefined ? list : [...list, next];
  return next === undefined ? list.filter((_, at) => at !== index) : list.map((item, at) => (at === index ? next : item));
}

/** `value` if it is a list of changes as `changesSince` makes them (read back from storage), else `null`. */
export function readValueChanges(value: unknown): ValueChange[] | null {
  if (!Array.isArray(value)) return null;
  const isStep = (step: unknown) => typeof step === "string" || (isPlainObject(step) && typeof step.id === "string");
  return value.every((change) => isPlainObject(change) && Array.isArray(change.path) && change.path.every(isStep)) ? (value as ValueChange[]) : null;
}
