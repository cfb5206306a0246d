import { sql } from 'kysely';
import type { Em } from '../db/orm';
import type { Statement } from '../db/pipeline';
import type { RowUpdate, StoredRow } from '../db/rows';
import { namedStatement } from '../db/sql-text';
import type { CustomerFields, StoredCustomer } from '../domain';

/** A customer as stored (the domain's shape). */
export type CustomerView = StoredCustomer;
/** A customer as a request gives it: a field left out keeps its stored value. */
export type CustomerFieldsInput = CustomerFields;

/** The one mapping of a customers row, read through kysely or as JSON (the redemption context's `to_jsonb`). */
export function customerFromRow(r: StoredRow<'customers'>): CustomerView {
  return {
    id: r.id,
    email: r.email,
    country: r.country,
    region: r.region,
    postalCode: r.postal_code,
    hasPaidSubscription: r.has_paid_subscription,
  };
}

/**
 * Inserts or updates a customer. Fields left out keep their stored value; `hasPaidSubscription`
 * never goes back from true to false through an upsert on the redemption path (`sticky`).
 */
export async function upsertCustomer(em: Em, accountId: string, id: string, c: CustomerFieldsInput, opts: { stickyPaid?: boolean } = {}): Promise<CustomerView> {
  const given = (k: keyof CustomerFieldsInput) => c[k] !== undefined;
  // a field left out keeps the stored value: only the given ones are in the update
  const set: RowUpdate<'customers'> = { updated_at: sql<Date>`now()` };
  if (given('email')) set.email = sql<string>`excluded.email`;
  if (given('country')) set.country = sql<string>`excluded.country`;
  if (given('region')) set.region = sql<string>`excluded.region`;
  if (given('postalCode')) set.postal_code = sql<string>`excluded.postal_code`;
  if (given('hasPaidSubscription')) {
    set.has_paid_subscription = opts.stickyPaid ? sql<boolean>`customers.has_paid_subscription or excluded.has_paid_subscription` : sql<boolean>`excluded.has_paid_subscription`;
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

/** The customer now has a paid subscription (created if unknown). */
const markCustomerPaidSql = (accountId: string, id: string) => sql`
  insert into customers (account_id, id, has_paid_subscription) values (${accountId}::uuid, ${id}, true)
  on conflict (account_id, id) do update set has_paid_subscription = true, updated_at = now()`;

export async function markCustomerPaid(em: Em, accountId: string, id: string): Promise<void> {
  await markCustomerPaidSql(accountId, id).execute(em.getKysely());
}

/** markCustomerPaid as a named statement, for a pipelined transaction. */
export function markCustomerPaidStatement(accountId: string, id: string): Statement {
  return namedStatement('cf_mark_customer_paid', markCustomerPaidSql(accountId, id));
}
