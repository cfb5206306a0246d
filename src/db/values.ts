import { sql, type RawBuilder } from 'kysely';

/**
 * Postgres values as the API shows them: instants as UTC ISO strings. A timestamp arrives as a
 * Date or as text (PostgreSQL's, or JSON's from to_jsonb): see StoredRow in ./rows.
 */
export function iso(v: Date | string): string {
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

export function isoOrNull(v: Date | string | null | undefined): string | null {
  return v === null || v === undefined ? null : iso(v);
}

/** An instant (ISO string) as a bound timestamptz for kysely, which types these columns as Date. */
export function tstz(v: string): RawBuilder<Date>;
export function tstz(v: string | null): RawBuilder<Date> | null;
export function tstz(v: string | null): RawBuilder<Date> | null {
  return v === null ? null : sql<Date>`${v}::timestamptz`;
}

/** A value as a bound jsonb for kysely (serialized here, so arrays stay JSON arrays). */
export function jsonb(v: unknown): RawBuilder<Record<string, unknown>>;
export function jsonb(v: unknown | null): RawBuilder<Record<string, unknown>> | null;
export function jsonb(v: unknown): RawBuilder<Record<string, unknown>> | null {
  return v === null || v === undefined ? null : sql<Record<string, unknown>>`${JSON.stringify(v)}::jsonb`;
}
