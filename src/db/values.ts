import { sql, type RawBuilder } from 'kysely';

/** Postgres values as the API shows them: instants as UTC ISO strings. */
export function iso(v: unknown): string {
  return (v instanceof Date ? v : new Date(v as string)).toISOString();
}

export function isoOrNull(v: unknown): string | null {
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
