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

export function customerFromRow(r: Record<string, unknown>): CustomerView {
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
  const has = (k: keyof CustomerFieldsInput) => (c[k] !== undefined ? 1 : 0);
  const paidExpr = opts.stickyPaid ? 'customers.has_paid_subscription or excluded.has_paid_subscription' : 'excluded.has_paid_subscription';
  const rows = await em.execute(
    `insert into customers (account_id, id, email, country, region, postal_code, has_paid_subscription)
     values (?, ?, ?, ?, ?, ?, ?)
     on conflict (account_id, id) do update set
       email = case when ?::int = 1 then excluded.email else customers.email end,
       country = case when ?::int = 1 then excluded.country else customers.country end,
       region = case when ?::int = 1 then excluded.region else customers.region end,
       postal_code = case when ?::int = 1 then excluded.postal_code else customers.postal_code end,
       has_paid_subscription = case when ?::int = 1 then ${paidExpr} else customers.has_paid_subscription end,
       updated_at = now()
     returning *`,
    [
      accountId, id, c.email ?? null, c.country ?? null, c.region ?? null, c.postalCode ?? null, c.hasPaidSubscription ?? false,
      has('email'), has('country'), has('region'), has('postalCode'), has('hasPaidSubscription'),
    ],
  );
  return customerFromRow(rows[0]);
}

export async function getCustomer(em: Em, accountId: string, id: string): Promise<CustomerView | null> {
  const rows = await em.execute(`select * from customers where account_id = ? and id = ?`, [accountId, id]);
  return rows.length ? customerFromRow(rows[0]) : null;
}

export async function markCustomerPaid(em: Em, accountId: string, id: string): Promise<void> {
  await em.execute(
    `insert into customers (account_id, id, has_paid_subscription) values (?, ?, true)
     on conflict (account_id, id) do update set has_paid_subscription = true, updated_at = now()`,
    [accountId, id],
  );
}
