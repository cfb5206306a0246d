/**
 * CSV exports (API.md "Exactness at the seams"): a text cell that starts with `=`, `+`, `-`,
 * `@`, a tab or a carriage return is written with a leading `'`, so no spreadsheet reads it as
 * a formula. The rule applies to text cells only: a number column (an amount, a count, a rate)
 * is written as the number it is, so a negative amount stays `-500`. The SQL exports apply the
 * same list through repositories/csv-sql.ts; the console keeps its own copy (console/src/csv.ts).
 */
export const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/** A text cell as written to a CSV export: `'` in front when it starts with a FORMULA_TRIGGERS character. */
export function csvTextCell(value: string): string {
  return value !== '' && FORMULA_TRIGGERS.includes(value[0]) ? `'${value}` : value;
}
