import type { AppContext } from '../context';
import type { AccountRow } from '../api-keys';
import { notFound } from '../errors';
import { insertAccount, updateAccount as writeAccount, type AccountInput } from '../repositories/accounts';
import { apiKeyAudit, forgetAccount, insertKeyWithSecret } from './api-keys';
import { changesOf, recordChange, recordChanges, type Caller, type Change } from './audit-log';

/** The account: creation (with its first API key) and edits. */

/** The first key of an account: every scope, named `default`. */
export const DEFAULT_KEY = { name: 'default', scopes: ['*'] };

/** An account as its audit records show it. */
function accountAudit(a: AccountRow): Record<string, unknown> {
  const { id: _id, ...fields } = a;
  return fields;
}

/**
 * POST /v1/accounts: the account and its first API key in one transaction, with their
 * `account.created` and `api_key.created` records; the key's secret is answered once.
 */
export async function createAccount(ctx: AppContext, input: AccountInput, caller: Caller): Promise<{ account: AccountRow; apiKey: string }> {
  const now = ctx.clock.now();
  return ctx.orm.em.fork().transactional(async (tx) => {
    const account = await insertAccount(tx, input);
    const { row, secret } = await insertKeyWithSecret(tx, { accountId: account.id, ...DEFAULT_KEY, expiresAt: null }, now);
    await recordChanges(tx, account.id, caller, now, [
      { action: 'account.created', target: { type: 'account', id: account.id }, before: null, after: accountAudit(account) },
      { action: 'api_key.created', target: { type: 'api_key', id: row.id }, before: null, after: apiKeyAudit(row) },
    ]);
    return { account, apiKey: secret };
  });
}

/** PATCH /v1/account: a new zone moves no existing coupon's boundaries (each coupon keeps its own). */
export async function updateAccount(ctx: AppContext, accountId: string, patch: Partial<AccountInput>, caller: Caller): Promise<AccountRow> {
  const now = ctx.clock.now();
  const after = await ctx.orm.em.fork().transactional(async (tx) => {
    const changed = await writeAccount(tx, accountId, patch);
    if (!changed) throw notFound('account');
    const change: Change = { action: 'account.updated', target: { type: 'account', id: accountId }, before: accountAudit(changed.before), after: accountAudit(changed.after) };
    if (Object.keys(changesOf(change)).length > 0) await recordChange(tx, accountId, caller, now, change);
    return changed.after;
  });
  forgetAccount(accountId);
  return after;
}
