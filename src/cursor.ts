import { badRequest } from './errors';

/** An opaque list cursor: the kind of list and the last row's sort key, base64url JSON. */
export function encodeCursor(kind: string, values: unknown[]): string {
  return Buffer.from(JSON.stringify({ k: kind, v: values }), 'utf8').toString('base64url');
}

/** The sort key a cursor holds; 400 naming `cursor` when it was not made by this kind of list. */
export function decodeCursor(cursor: string, kind: string): unknown[] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown; v?: unknown };
    if (parsed && parsed.k === kind && Array.isArray(parsed.v)) return parsed.v;
  } catch {
    // fall through
  }
  throw badRequest('cursor: is not a cursor this list gave', 'cursor');
}
