import type { AppContext } from '../context';
import type { AccountRow } from '../api-keys';
import { notFound } from '../errors';
import { insertAccount, updateAccount as writeAccount, type AccountInput } from '../repositories/accounts';
import { forgetAccount, insertKeyWithSecret } from './api-keys';

/** The account: creation (with its first API key) and edits. */

/** The first key of an account: every scope, named `default`. */
export const DEFAULT_KEY = { name: 'default', scopes: ['*'] };

/** POST /v1/accounts: the account and its first API key in one transaction; the key's secret is answered once. */
export async function createAccount(ctx: AppContext, input: AccountInput): Promise<{ account: AccountRow; apiKey: string }> {
  const now = ctx.clock.now();
  return ctx.orm.em.fork().transactional(async (tx) => {
    const account = await insertAccount(tx, input);
    const { secret } = await insertKeyWithSecret(tx, { accountId: account.id, ...DEFAULT_KEY, expiresAt: null }, now);
    return { account, apiKey: secret };
  });
}

/** PATCH /v1/account: a new zone moves no existing coupon's boundaries (each coupon keeps its own). */
export async function updateAccount(ctx: AppContext, accountId: string, patch: Partial<AccountInput>): Promise<AccountRow> {
  const changed = await ctx.orm.em.fork().transactional((tx) => writeAccount(tx, accountId, patch));
  if (!changed) throw notFound('account');
  forgetAccount(accountId);
  return changed.after;
}
