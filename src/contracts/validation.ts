import type { ZodError, ZodType } from 'zod';
import { AppError } from '../errors';
import { findUnstorableText } from './storable-text';

function fieldOf(error: ZodError, prefix: string): string {
  return joinPath(error.issues[0]?.path ?? [], prefix);
}

function joinPath(path: readonly PropertyKey[], prefix: string): string {
  const parts = path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)));
  const joined = parts.reduce((acc, p) => (p.startsWith('[') ? acc + p : acc ? `${acc}.${p}` : p), '');
  return joined || prefix;
}

/**
 * Parses with a zod schema or throws 400 validation_failed naming the field. Text PostgreSQL
 * cannot store (NUL, lone surrogates) anywhere in the value is refused first, whatever the schema.
 */
export function parseOrThrow<T>(schema: ZodType<T>, value: unknown, where: 'body' | 'query' | 'params'): T {
  const unstorable = findUnstorableText(value);
  if (unstorable) {
    const field = joinPath(unstorable.path, where);
    throw new AppError('validation_failed', `${field}: ${unstorable.message}`, field);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const field = fieldOf(result.error, where);
  const issue = result.error.issues[0];
  let message = issue?.message ?? 'invalid value';
  if (issue?.code === 'unrecognized_keys') {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    const f = field === where ? keys[0] : `${field}.${keys[0]}`;
    throw new AppError('validation_failed', `${f}: unknown field`, f);
  }
  if (issue?.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
  throw new AppError('validation_failed', `${field}: ${message}`, field);
}
