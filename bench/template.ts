/**
 * Request bodies made per request from a template: "{i}" in any string is replaced by a counter,
 * "{i%N}" by the counter modulo N.
 */
export function fill(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v.replace(/\{i(?:%(\d+))?\}/g, (_m, mod: string | undefined) => String(mod ? i % Number(mod) : i));
  if (Array.isArray(v)) return v.map((x) => fill(x, i));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, i)]));
  return v;
}
