/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * A text cell that starts with one of these is written with a leading `'`, so no spreadsheet
 * runs it as a formula (API.md "Exactness at the seams"). The console bundles no server code,
 * so this is its own copy of src/domain/csv-cells.ts; test/unit/console-csv.test.ts checks both.
 */
const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/** A text cell as written to a CSV file: `'` in front when it starts with a formula character. */
export const csvTextCell = (v: string): string => (v !== '' && FORMULA_TRIGGERS.includes(v[0]) ? `'${v}` : v);

/** The value a text cell of an export stands for: the `'` put before a formula character taken off (for display and matching). */
export const csvCellValue = (v: string): string => (v.length > 1 && v[0] === "'" && FORMULA_TRIGGERS.includes(v[1]) ? v.slice(1) : v);

const NUMBER = /^-?\d+(\.\d+)?$/;
const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * RFC 4180 CSV of `rows`, `rows[0]` being the header. Every cell is text (csvTextCell) but
 * those of the `numbers` columns that hold a number, which are written as they are (a negative
 * amount stays -500, as the server's exports write it).
 */
export function toCsv(rows: string[][], numbers: readonly string[] = []): string {
  const numeric = (rows[0] ?? []).map((name) => numbers.includes(name));
  return rows.map((r, i) => r.map((v, j) => quote(i > 0 && numeric[j] && NUMBER.test(v) ? v : csvTextCell(v))).join(',')).join('\n') + '\n';
}
