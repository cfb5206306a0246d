/**
 * A Postgres array literal (`{"a","b",NULL}`) to pass as ONE `em.execute` parameter with a cast,
 * e.g. `unnest(?::text[])` or `= any(?::uuid[])`. MikroORM's `em.execute` inlines parameters
 * into the SQL text and spreads a JS array into a comma-separated list, so a JS array cannot be
 * bound as an array directly.
 */
export function pgArray(values: readonly (string | number | boolean | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : `"${String(v).replace(/[\\"]/g, '\\$&')}"`;
  }
  return out + '}';
}
