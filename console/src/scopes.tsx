/**
 * What the signed-in key may do. Its scopes come from GET /v1/api-keys/current; pages ask
 * `useScopes().can(scope)`, wrap change actions in <RequireScope> (disabled, with a sentence
 * naming the scope) and links to forms in <ScopedLink>. The service decides in the end: a 403
 * names `requiredScope`, which errorText shows.
 */

import { createContext, useContext, useId, type ReactNode } from 'react';
import type { ApiKey, ApiScope } from './api';
import { Link } from './router';

/** One line per scope on what it allows (API.md "Keys, scopes and the audit log"). */
export const SCOPE_ALLOWS: Readonly<Record<ApiScope, string>> = {
  'coupons:read': 'Read coupons, codes, batches and coupon versions.',
  'coupons:write': 'Create, edit, activate, disable, archive and delete coupons and codes; import and generate codes; plans and customers. Includes coupons:read.',
  'redemptions:validate': 'Check codes, authorize signups, qualify carts and preview invoices.',
  'redemptions:write': 'Redeem, void, hold and cancel subscriptions. Includes redemptions:validate.',
  'invoices:write': 'Send invoices, mark them paid and read them.',
  'reports:read': 'Stats, reports, exports, redemptions, events and jobs.',
  'webhooks:write': 'Read and manage webhook endpoints and their deliveries.',
  'keys:write': 'Read, create, roll and revoke API keys (giving only scopes this key holds).',
  'audit:read': 'Read the audit log: who changed what, and what it was before.',
  'account:write': 'Change the account settings.',
  '*': 'Everything, every scope above included.',
};

/** The scopes in the groups the keys page shows them in; every scope once. */
export const SCOPE_GROUPS: readonly { label: string; scopes: readonly ApiScope[] }[] = [
  { label: 'Coupons', scopes: ['coupons:read', 'coupons:write'] },
  { label: 'Checkout', scopes: ['redemptions:validate', 'redemptions:write', 'invoices:write'] },
  { label: 'Reports and audit', scopes: ['reports:read', 'audit:read'] },
  { label: 'Administration', scopes: ['webhooks:write', 'keys:write', 'account:write'] },
  { label: 'Everything', scopes: ['*'] },
];

/** The scopes a scope grants besides itself, as the service grants them (`*` grants every one). */
const ALSO_GRANTS: Readonly<Partial<Record<string, readonly ApiScope[]>>> = {
  'coupons:write': ['coupons:read'],
  'redemptions:write': ['redemptions:validate'],
};

/** Whether a key holding `held` may do what `needed` allows. */
export function grants(held: readonly string[], needed: ApiScope): boolean {
  return held.some((h) => h === '*' || h === needed || (ALSO_GRANTS[h] ?? []).includes(needed));
}

/** The key the console is signed in with (set by the shell once GET /v1/api-keys/current answers). */
export const CurrentKeyContext = createContext<ApiKey | null>(null);

/** The signed-in key and what its scopes allow. */
export function useScopes(): { key: ApiKey; can: (scope: ApiScope) => boolean } {
  const key = useContext(CurrentKeyContext);
  if (!key) throw new Error('no current key');
  return { key, can: (scope) => grants(key.scopes, scope) };
}

/** The sentence shown beside an action the key may not take. */
export function ScopeNote({ scope, what = 'This action', id }: { scope: ApiScope; what?: string; id?: string }) {
  return <p className="scope-note" id={id}>{what} needs the <code>{scope}</code> scope, which this API key lacks.</p>;
}

/**
 * Its controls as they are when the key holds `scope`; otherwise disabled (a disabled
 * fieldset) with a ScopeNote after them (`quiet`: the caller shows one note elsewhere).
 */
export function RequireScope({ scope, what, quiet, children }: { scope: ApiScope; what?: string; quiet?: boolean; children: ReactNode }) {
  const { can } = useScopes();
  const id = useId();
  if (can(scope)) return <>{children}</>;
  return (
    <>
      <fieldset disabled className="scope-locked" aria-describedby={quiet ? undefined : id}>{children}</fieldset>
      {!quiet && <ScopeNote id={id} scope={scope} what={what} />}
    </>
  );
}

/** A link to a form the key may use; a disabled button naming the scope when it may not. */
export function ScopedLink({ scope, to, className, children }: { scope: ApiScope; to: string; className?: string; children: ReactNode }) {
  const { can } = useScopes();
  if (can(scope)) return <Link className={className} to={to}>{children}</Link>;
  return <button type="button" disabled title={`Needs the ${scope} scope`}>{children}</button>;
}
