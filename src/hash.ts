import { createHash } from 'node:crypto';

/** Canonical JSON (sorted keys, undefined left out) so equal requests always hash the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function requestHash(v: unknown): string {
  return sha256(canonicalJson(v));
}

/** What an invoice's content hashes to; `paid` is left out so a later paid copy is the same invoice. */
export function invoiceHash(inv: { paid?: boolean }): string {
  const { paid: _paid, ...content } = inv;
  return requestHash(content);
}
