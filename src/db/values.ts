/** Postgres values as the API shows them: instants as UTC ISO strings. */
export function iso(v: unknown): string {
  return (v instanceof Date ? v : new Date(v as string)).toISOString();
}

export function isoOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : iso(v);
}
