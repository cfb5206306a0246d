import { FORMULA_TRIGGERS } from '../domain';

/** A character as it stands in a regular-expression bracket expression of PostgreSQL (ARE). */
function bracketChar(c: string): string {
  if (c === '\t') return '\\t';
  if (c === '\r') return '\\r';
  if (/^[=+@]$/.test(c)) return c;
  throw new Error(`csv-sql: no bracket form for ${JSON.stringify(c)}`);
}

/** `[=+@\t\r-]`: the domain's FORMULA_TRIGGERS as one bracket expression (`-` last, so literal). */
const TRIGGER_CLASS = `[${FORMULA_TRIGGERS.filter((c) => c !== '-').map(bracketChar).join('')}${FORMULA_TRIGGERS.includes('-') ? '-' : ''}]`;

/**
 * The domain's csvTextCell in SQL, for the exports PostgreSQL writes with COPY: `expr` (a text
 * expression) with `'` in front when it starts with a formula character; null stays null. Wrap
 * every text column whose value comes from a client (codes, customer ids, emails, attribution,
 * currencies); number columns, uuids, formatted timestamps and statuses are left as they are.
 * Assumes standard_conforming_strings (PostgreSQL's default): the backslashes reach the regex.
 */
export function csvTextSql(expr: string): string {
  return `regexp_replace(${expr}, '^(${TRIGGER_CLASS})', '''\\1')`;
}
