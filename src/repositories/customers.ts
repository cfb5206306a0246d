import { sql } from 'kysely';
import type { Em } from '../db/orm';

export interface CustomerView {
  id: string;
  email: string | null;
  country: string | null;
  region: string | null;
  postalCode: string | null;
  hasPaidSubscription: boolean;
}

export interface CustomerFieldsInput {
  email?: string | null;
  country?: string | null;
  region?: string | null;
  postalCode?: string | null;
  hasPaidSubscription?: boolean;
}

export function customerFromRow(row: object): CustomerView {
  const r = row as Record<string, unknown>;
  return {
    id: r.id as string,
    email: (r.email as string | null) ?? null,
    country: (r.country as string | null) ?? null,
    region: (r.region as string | null) ?? null,
    postalCode: (r.postal_code as string | null) ?? null,
    hasPaidSubscription: Boolean(r.has_paid_subscription),
  };
}

/**
 * Inserts or updates a customer. Fields left out keep their stored value; `hasPaidSubscription`
 * never goes back from true to false through an upsert on the redemption path (`sticky`).
 */
export async function upsertCustomer(em: Em, accountId: string, id: string, c: CustomerFieldsInput, opts: { stickyPaid?: boolean } = {}): Promise<CustomerView> {
  const given = (k: keyof CustomerFieldsInput) => c[k] !== undefined;
  // a field left out keeps the stored value: only the given ones are in the update
  const set: Record<string, unknown> = { updated_at: sql`now()` };
  if (given('email')) set.email = sql`excluded.email`;
  if (given('country')) set.country = sql`excluded.country`;
  if (given('region')) set.region = sql`excluded.region`;
  if (given('postalCode')) set.postal_code = sql`excluded.postal_code`;
  if (given('hasPaidSubscription')) {
    set.has_paid_subscription = opts.stickyPaid ? sql`customers.has_paid_subscription or excluded.has_paid_subscription` : sql`excluded.has_paid_subscription`;
  }
  const row = await em
    .getKysely()
    .insertInto('customers')
    .values({
      account_id: accountId,
      id,
      email: c.email ?? null,
      country: c.country ?? null,
      region: c.region ?? null,
      postal_code: c.postalCode ?? null,
      has_paid_subscription: c.hasPaidSubscription ?? false,
    })
    .onConflict((oc) => oc.columns(['account_id', 'id']).doUpdateSet(set))
    .returningAll()
    .executeTakeFirstOrThrow();
  return customerFromRow(row);
}

export async function getCustomer(em: Em, accountId: string, id: string): Promise<CustomerView | null> {
  const row = await em.getKysely().selectFrom('customers').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return row ? customerFromRow(row) : null;
}

export async function markCustomerPaid(em: Em, accountId: string, id: string): Promise<void> {
  await em
    .getKysely()
    .insertInto('customers')
    .values({ account_id: accountId, id, has_paid_subscription: true })
    .onConflict((oc) => oc.columns(['account_id', 'id']).doUpdateSet({ has_paid_subscription: true, updated_at: sql<Date>`now()` }))
    .execute();
}
