import type { AppContext } from '../context';
import type { AccountRow } from '../api-keys';
import { createAccount as insertAccount, updateAccount as writeAccount, type AccountInput } from '../repositories/accounts';

/** The account: creation (with its first API key) and edits. */

/** POST /v1/accounts: the account and its first API key in one transaction; the key is answered once. */
export function createAccount(ctx: AppContext, input: AccountInput): Promise<{ account: AccountRow; apiKey: string }> {
  return insertAccount(ctx.orm.em.fork(), input);
}

/** PATCH /v1/account: a new zone moves no existing coupon's boundaries (each coupon keeps its own). */
export function updateAccount(ctx: AppContext, accountId: string, patch: Partial<AccountInput>): Promise<AccountRow> {
  return writeAccount(ctx.orm.em.fork(), accountId, patch);
}
