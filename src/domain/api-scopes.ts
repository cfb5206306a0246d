/**
 * API key scopes (API.md "Keys, scopes and the audit log"). A route needs one scope (or none:
 * any key); a key holds a list. `*` grants everything; each `:write` grants its `:read`;
 * `redemptions:write` also grants `redemptions:validate` (whoever may redeem may ask first).
 */
export const API_SCOPES = [
  'coupons:read',
  'coupons:write',
  'redemptions:validate',
  'redemptions:write',
  'invoices:write',
  'reports:read',
  'webhooks:write',
  'keys:write',
  'audit:read',
  'account:write',
  '*',
] as const;

export type ApiScope = (typeof API_SCOPES)[number];

/** The scopes a scope grants besides itself (`*` grants every one). */
const ALSO_GRANTS: Readonly<Partial<Record<ApiScope, readonly ApiScope[]>>> = {
  'coupons:write': ['coupons:read'],
  'redemptions:write': ['redemptions:validate'],
};

export const isApiScope = (s: string): s is ApiScope => (API_SCOPES as readonly string[]).includes(s);

/** Whether a key holding `held` may do what `needed` allows. */
export function grantsScope(held: readonly string[], needed: ApiScope): boolean {
  return held.some((h) => h === '*' || h === needed || (isApiScope(h) && (ALSO_GRANTS[h] ?? []).includes(needed)));
}

/** The first of `asked` that `held` does not grant, or null: a key cannot give a scope it lacks. */
export function firstScopeNotGranted(held: readonly string[], asked: readonly string[]): ApiScope | null {
  for (const s of asked) if (!isApiScope(s) || !grantsScope(held, s)) return s as ApiScope;
  return null;
}
