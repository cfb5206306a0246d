/**
 * Text PostgreSQL cannot store: a NUL character (not allowed in text or jsonb) or a lone UTF-16
 * surrogate (not a character at all; the driver would silently turn it into U+FFFD).
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored, or null when it can. */
export function unstorableText(s: string): string | null {
  const m = UNSTORABLE.exec(s);
  if (!m) return null;
  return m[0] === '\u0000' ? 'must not contain a NUL character (\\u0000)' : 'must be valid Unicode text (it holds a lone surrogate)';
}

export interface UnstorablePlace {
  path: (string | number)[];
  message: string;
}

/**
 * The first string of a JSON value (object keys included, at any depth) that PostgreSQL cannot
 * store, with its path; null when every string can be stored. Every request body, query and path
 * parameter goes through this before its schema (see parseOrThrow), so no route family can miss it.
 */
export function findUnstorableText(value: unknown, path: (string | number)[] = [], depth = 0): UnstorablePlace | null {
  if (typeof value === 'string') {
    const message = unstorableText(value);
    return message ? { path, message } : null;
  }
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findUnstorableText(value[i], [...path, i], depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const keyProblem = unstorableText(k);
    if (keyProblem) return { path: [...path, k.replace(/\u0000/g, '\\u0000')], message: `key: ${keyProblem}` };
    const found = findUnstorableText(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return null;
}
