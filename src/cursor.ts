import { badRequest } from './errors';
import { isUuid } from './ids';

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

/** Cursor value shapes that can be checked before they reach SQL. */
export type CursorPart = 'timestamp' | 'uuid' | 'integer' | 'string';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/** A calendar date that exists and a time of day within 00:00:00–23:59:59 (PostgreSQL would refuse others). */
function realInstant(v: string): boolean {
  const [y, mo, d, h, mi, s] = v.match(/\d+/g)!.slice(0, 6).map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

function partOk(v: unknown, part: CursorPart): boolean {
  switch (part) {
    case 'timestamp':
      return typeof v === 'string' && TIMESTAMP.test(v) && realInstant(v);
    case 'uuid':
      return typeof v === 'string' && isUuid(v);
    case 'integer':
      return Number.isSafeInteger(v);
    case 'string':
      return typeof v === 'string';
  }
}

/** decodeCursor, and each value of the expected shape: a forged cursor is 400 on `cursor`, never a SQL error. */
export function decodeCursorOf(cursor: string, kind: string, parts: CursorPart[]): unknown[] {
  const v = decodeCursor(cursor, kind);
  if (v.length !== parts.length || !parts.every((p, i) => partOk(v[i], p))) throw badRequest('cursor: is not a cursor this list gave', 'cursor');
  return v;
}
