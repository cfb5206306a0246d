/**
 * What an edit changed, field by field, for the audit log and for deciding whether an edit is a
 * change at all. Values are JSON (as an object is answered by the API).
 */

/** One field's value before and after (`null` for a field that was not set). */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/** `{"<field path>": {from, to}}`; paths join object keys with dots (`limits.maxRedemptions`). */
export type FieldChanges = Record<string, FieldChange>;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON equality: object keys in any order, `undefined` as `null`, arrays in order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameJson(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/**
 * The leaves of a value by path: plain objects are walked into (an empty one has no leaves);
 * scalars and arrays are leaves (an array is compared whole); `null` and `undefined` are not set.
 */
function leaves(value: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value === null || value === undefined) return out;
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
    return out;
  }
  out.set(path, value);
  return out;
}

/**
 * The fields that differ between two versions of an object, by path. `before` null: a creation
 * (every set field, from null); `after` null: a deletion (every set field, to null).
 */
export function fieldChanges(before: Record<string, unknown> | null, after: Record<string, unknown> | null): FieldChanges {
  const a = leaves(before ?? {}, '', new Map());
  const b = leaves(after ?? {}, '', new Map());
  const out: FieldChanges = {};
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const from = a.get(path) ?? null;
    const to = b.get(path) ?? null;
    if (!sameJson(from, to)) out[path] = { from, to };
  }
  return out;
}
