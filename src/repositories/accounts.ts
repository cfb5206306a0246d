import type { Em } from '../db/orm';
import { LockMode } from '@mikro-orm/core';
import { Account } from '../db/entities';
import type { AccountRow } from '../api-keys';
import { DEFAULT_ROUNDING } from '../domain';

export interface AccountInput {
  name: string;
  timeZone?: string;
  currency?: string;
  overflow?: string;
  rounding?: string;
}

export function accountView(a: { id: string; name: string; timeZone: string; currency: string; overflow: string; rounding: string }): AccountRow {
  return { id: a.id, name: a.name, timeZone: a.timeZone, currency: a.currency, overflow: a.overflow, rounding: a.rounding };
}

/** One account, or null. */
export async function findAccount(em: Em, id: string): Promise<AccountRow | null> {
  const account = await em.findOne(Account, { id });
  return account ? accountView(account) : null;
}

/** Inserts an account (defaults: UTC, USD, cap, half_up) in the caller's transaction. */
export async function insertAccount(tx: Em, input: AccountInput): Promise<AccountRow> {
  const account = tx.create(Account, {
    name: input.name,
    timeZone: input.timeZone ?? 'UTC',
    currency: input.currency ?? 'USD',
    overflow: input.overflow ?? 'cap',
    rounding: input.rounding ?? DEFAULT_ROUNDING,
  });
  await tx.flush();
  return accountView(account);
}

/** Changes the account under its row lock, in the caller's transaction; answers it before and after, or null when unknown. */
export async function updateAccount(tx: Em, id: string, patch: Partial<AccountInput>): Promise<{ before: AccountRow; after: AccountRow } | null> {
  const account = await tx.findOne(Account, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!account) return null;
  const before = accountView(account);
  if (patch.name !== undefined) account.name = patch.name;
  if (patch.timeZone !== undefined) account.timeZone = patch.timeZone;
  if (patch.currency !== undefined) account.currency = patch.currency;
  if (patch.overflow !== undefined) account.overflow = patch.overflow;
  if (patch.rounding !== undefined) account.rounding = patch.rounding;
  await tx.flush();
  return { before, after: accountView(account) };
}
