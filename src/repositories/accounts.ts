import type { Em } from '../db/orm';
import { LockMode } from '@mikro-orm/core';
import { Account, ApiKey } from '../db/entities';
import { generateApiKey, hashApiKey, type AccountRow } from '../api-keys';

export interface AccountInput {
  name: string;
  timeZone?: string;
  currency?: string;
  overflow?: string;
}

export function accountView(a: { id: string; name: string; timeZone: string; currency: string; overflow: string }): AccountRow {
  return { id: a.id, name: a.name, timeZone: a.timeZone, currency: a.currency, overflow: a.overflow };
}

/** One account, or null. */
export async function findAccount(em: Em, id: string): Promise<AccountRow | null> {
  const account = await em.findOne(Account, { id });
  return account ? accountView(account) : null;
}

/** Creates an account and its first API key in one transaction; the key is returned once. */
export async function createAccount(em: Em, input: AccountInput): Promise<{ account: AccountRow; apiKey: string }> {
  return em.transactional(async (tx) => {
    const account = tx.create(Account, {
      name: input.name,
      timeZone: input.timeZone ?? 'UTC',
      currency: input.currency ?? 'USD',
      overflow: input.overflow ?? 'cap',
    });
    await tx.flush();
    const apiKey = generateApiKey();
    tx.create(ApiKey, { accountId: account.id, keyHash: hashApiKey(apiKey), keyPrefix: apiKey.slice(0, 7) });
    await tx.flush();
    return { account: accountView(account), apiKey };
  });
}

export async function updateAccount(em: Em, id: string, patch: Partial<AccountInput>): Promise<AccountRow> {
  return em.transactional(async (tx) => {
    const account = await tx.findOneOrFail(Account, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (patch.name !== undefined) account.name = patch.name;
    if (patch.timeZone !== undefined) account.timeZone = patch.timeZone;
    if (patch.currency !== undefined) account.currency = patch.currency;
    if (patch.overflow !== undefined) account.overflow = patch.overflow;
    await tx.flush();
    return accountView(account);
  });
}
