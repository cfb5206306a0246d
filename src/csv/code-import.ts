import { isValidCode, normalizeCode } from '../domain';
import { AppError } from '../errors';
import { parseCsvLine, readLines } from './read';
import { Instant } from '../contracts/common';

export const MAX_IMPORT_ROWS = 100_000;
const COLUMNS = ['code', 'max_redemptions', 'expires_at', 'channel', 'partner', 'referrer_customer_id'] as const;
const ATTRIBUTION_COLUMNS = [['channel', 'channel'], ['partner', 'partner'], ['referrer_customer_id', 'referrerCustomerId']] as const;
type Column = (typeof COLUMNS)[number];

export interface ImportRow {
  line: number;
  code: string;
  maxRedemptions: number | null;
  expiresAt: string | null;
  /** Attribution columns; an empty cell is an absent field (null). */
  channel: string | null;
  partner: string | null;
  referrerCustomerId: string | null;
}
export interface RowError {
  line: number;
  message: string;
}
export interface ParsedImport {
  rows: ImportRow[];
  errors: RowError[];
}

/** 400 validation_failed listing every bad row (`line` counts the header as 1). */
export function rowsInvalid(errors: RowError[]): AppError {
  const byLine = new Map<number, string[]>();
  for (const e of errors) byLine.set(e.line, [...(byLine.get(e.line) ?? []), e.message]);
  const rows = [...byLine.entries()].sort((a, b) => a[0] - b[0]).map(([line, m]) => ({ line, message: m.join('; ') }));
  const what = rows.length === 1 ? `line ${rows[0].line}: ${rows[0].message}` : `${rows.length} lines are invalid (first: line ${rows[0].line})`;
  return new AppError('validation_failed', `${what}; nothing was imported`, 'body', { rows });
}

function header(text: string): Column[] {
  const parsed = parseCsvLine(text);
  if ('error' in parsed) throw rowsInvalid([{ line: 1, message: parsed.error }]);
  const cols = parsed.fields.map((f) => f.trim().toLowerCase());
  const problems: string[] = [];
  for (const c of cols) if (!(COLUMNS as readonly string[]).includes(c)) problems.push(`unknown column "${c}" (allowed: ${COLUMNS.join(', ')})`);
  const dup = cols.find((c, i) => cols.indexOf(c) !== i);
  if (dup !== undefined) problems.push(`column "${dup}" appears twice`);
  if (!cols.includes('code')) problems.push('the header must name a "code" column');
  if (problems.length) throw rowsInvalid([{ line: 1, message: problems.join('; ') }]);
  return cols as Column[];
}

function parseRow(line: number, fields: string[], cols: Column[], seen: Map<string, number>): ImportRow | string[] {
  if (fields.length !== cols.length) return [`expected ${cols.length} fields, found ${fields.length}`];
  const v = (c: Column) => {
    const i = cols.indexOf(c);
    return i < 0 ? '' : fields[i].trim();
  };
  const problems: string[] = [];
  const raw = v('code');
  let code = '';
  if (!isValidCode(raw)) problems.push(`code "${raw}": must be 3 to 64 characters of A-Z, 0-9, _ or - (no spaces)`);
  else {
    code = normalizeCode(raw);
    const first = seen.get(code);
    if (first !== undefined) problems.push(`code ${code} repeats line ${first}`);
    else seen.set(code, line);
  }
  let maxRedemptions: number | null = null;
  const max = v('max_redemptions');
  if (max !== '') {
    maxRedemptions = /^\d{1,10}$/.test(max) ? Number(max) : NaN;
    if (!(maxRedemptions >= 1 && maxRedemptions <= 2_000_000_000)) problems.push(`max_redemptions "${max}": must be a whole number from 1`);
  }
  let expiresAt: string | null = null;
  const exp = v('expires_at');
  if (exp !== '') {
    if (Instant.safeParse(exp).success) expiresAt = new Date(exp).toISOString();
    else problems.push(`expires_at "${exp}": must be an ISO 8601 instant with offset, e.g. 2026-12-31T23:59:59Z`);
  }
  const attribution = { channel: null as string | null, partner: null as string | null, referrerCustomerId: null as string | null };
  for (const [col, key] of ATTRIBUTION_COLUMNS) {
    const value = v(col);
    if (value === '') continue;
    if (value.length > 100) problems.push(`${col}: must be at most 100 characters`);
    else attribution[key] = value;
  }
  return problems.length ? problems : { line, code, maxRedemptions, expiresAt, ...attribution };
}

/**
 * Reads a code CSV from a stream line by line: header `code` plus optional `max_redemptions`,
 * `expires_at`. Header problems and more than MAX_IMPORT_ROWS rows are answered at once; row
 * problems (form, duplicates inside the file) are collected. Blank lines are skipped.
 */
export async function parseCodeCsv(stream: AsyncIterable<Buffer | string>): Promise<ParsedImport> {
  let cols: Column[] | null = null;
  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  let count = 0;
  for await (const { line, text } of readLines(stream, { maxLineLength: 4096, maxBytes: 64 * 1024 * 1024 })) {
    if (cols === null) {
      if (line === 1 && text.trim() === '') throw rowsInvalid([{ line: 1, message: 'the first line must be the header (code[,max_redemptions][,expires_at][,channel][,partner][,referrer_customer_id])' }]);
      cols = header(text);
      continue;
    }
    if (text.trim() === '') continue;
    count += 1;
    if (count > MAX_IMPORT_ROWS) throw new AppError('validation_failed', `body: the file holds more than ${MAX_IMPORT_ROWS} rows`, 'body');
    const parsed = parseCsvLine(text);
    if ('error' in parsed) {
      errors.push({ line, message: parsed.error });
      continue;
    }
    const row = parseRow(line, parsed.fields, cols, seen);
    if (Array.isArray(row)) errors.push({ line, message: row.join('; ') });
    else rows.push(row);
  }
  if (cols === null) throw rowsInvalid([{ line: 1, message: 'the file is empty: a header line code[,max_redemptions][,expires_at][,channel][,partner][,referrer_customer_id] is required' }]);
  return { rows, errors };
}
