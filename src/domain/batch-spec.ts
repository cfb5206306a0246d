import { CODE_CHARS, MAX_CODE_LENGTH, MIN_CODE_LENGTH } from './codes';
import { fail, ok, type Result } from './errors';

/** Upper-case letters and digits without look-alikes (no 0/O, 1/I/L): 31 characters. */
export const DEFAULT_CHARSET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const DEFAULT_CODE_LENGTH = 12;
export const MAX_BATCH_COUNT = 1_000_000;
/** The random space must be at least this many times the codes it must hold. */
export const KEYSPACE_FACTOR = 10n;

export interface BatchRequest {
  count: number;
  /** Random characters (prefix and suffix not counted); default 12. */
  length?: number | null;
  /** Template where `#` is one random character and anything else is literal. */
  pattern?: string | null;
  prefix?: string | null;
  suffix?: string | null;
  charset?: string | null;
}

export interface BatchSpec {
  count: number;
  prefix: string;
  suffix: string;
  /** The middle template, `#` = one random character (a `length` becomes '#' × length). */
  pattern: string;
  charset: string;
  randomChars: number;
  /** Length of every generated code. */
  codeLength: number;
}

function part(value: string | null | undefined, field: string): Result<string> {
  const v = (value ?? '').toUpperCase();
  return CODE_CHARS.test(v) ? ok(v) : fail(`invalid_${field}`, `${field} may hold only A-Z, 0-9, _ and -`, field);
}

function charsetOf(value: string | null | undefined): Result<string> {
  const cs = (value ?? DEFAULT_CHARSET).toUpperCase();
  if (!CODE_CHARS.test(cs) || new Set(cs).size !== cs.length || cs.length < 2) {
    return fail('invalid_charset', 'charset must be at least 2 distinct characters from A-Z, 0-9, _ and -', 'charset');
  }
  return ok(cs);
}

function templateOf(req: BatchRequest): Result<string> {
  const hasLength = req.length !== undefined && req.length !== null;
  const hasPattern = req.pattern !== undefined && req.pattern !== null;
  if (hasLength && hasPattern) return fail('length_and_pattern', 'give either length or pattern, not both', 'pattern');
  if (hasPattern) {
    const p = (req.pattern as string).toUpperCase();
    if (!p.includes('#') || !CODE_CHARS.test(p.replaceAll('#', ''))) {
      return fail('invalid_pattern', 'pattern needs at least one # and may hold only A-Z, 0-9, _, - and #', 'pattern');
    }
    return ok(p);
  }
  const length = req.length ?? DEFAULT_CODE_LENGTH;
  if (!Number.isInteger(length) || length < 1 || length > MAX_CODE_LENGTH) {
    return fail('invalid_length', `length must be an integer 1..${MAX_CODE_LENGTH}`, 'length');
  }
  return ok('#'.repeat(length));
}

/** Validates a batch request (SPEC §3.8) into a spec, or the first error found. */
export function planBatch(req: BatchRequest): Result<BatchSpec> {
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > MAX_BATCH_COUNT) {
    return fail('invalid_count', `count must be an integer 1..${MAX_BATCH_COUNT}`, 'count');
  }
  const template = templateOf(req);
  if (!template.ok) return template;
  const prefix = part(req.prefix, 'prefix');
  if (!prefix.ok) return prefix;
  const suffix = part(req.suffix, 'suffix');
  if (!suffix.ok) return suffix;
  const charset = charsetOf(req.charset);
  if (!charset.ok) return charset;
  const pattern = template.value;
  const codeLength = prefix.value.length + pattern.length + suffix.value.length;
  if (codeLength < MIN_CODE_LENGTH || codeLength > MAX_CODE_LENGTH) {
    return fail('invalid_code_length', `codes would be ${codeLength} characters; they must be ${MIN_CODE_LENGTH}..${MAX_CODE_LENGTH}`, 'length');
  }
  const randomChars = [...pattern].filter((c) => c === '#').length;
  return ok({ count: req.count, prefix: prefix.value, suffix: suffix.value, pattern, charset: charset.value, randomChars, codeLength });
}

/** Number of distinct codes the spec can produce: |charset| ^ randomChars. */
export function keyspaceSize(spec: Pick<BatchSpec, 'charset' | 'randomChars'>): bigint {
  return BigInt(spec.charset.length) ** BigInt(spec.randomChars);
}

/**
 * Refuses (`keyspace_too_small`) when the random space is under 10 × the codes it must hold:
 * the batch's count plus the account's existing codes with the same prefix, suffix and length.
 */
export function checkKeyspace(spec: BatchSpec, mustHold: number | bigint = spec.count): Result<bigint> {
  const size = keyspaceSize(spec);
  const need = KEYSPACE_FACTOR * BigInt(mustHold);
  if (size < need) {
    return fail('keyspace_too_small', `the random space (${size} codes) is under 10 × the ${mustHold} codes it must hold; use more random characters or a larger charset`, 'count');
  }
  return ok(size);
}
