import type { TestApp } from './harness';

/**
 * Rows for batch and export tests, written with SQL so these tests depend only on the schema
 * (not on the coupon and code management API).
 */

export interface CouponFixture {
  state?: 'draft' | 'active' | 'disabled' | 'archived';
  maxRedemptions?: number | null;
  expiresAt?: string | null;
  timeZone?: string;
}

const em = (t: TestApp) => t.running.ctx.orm.em.fork();

export async function sql(t: TestApp, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return em(t).execute(text, params);
}

export async function insertCoupon(t: TestApp, accountId: string, c: CouponFixture = {}): Promise<string> {
  const rows = await sql(
    t,
    `insert into coupons (account_id, name, state, discount, duration, applies_to, eligibility, overflow, time_zone,
                          max_redemptions, expires_at)
     values (?, ?, ?, '{"type":"percentage","basisPoints":1000}'::jsonb, '{"type":"once"}'::jsonb,
             '{"plans":"all"}'::jsonb, '{"customers":"any"}'::jsonb, 'cap', ?, ?, ?)
     returning id`,
    [accountId, `coupon-${Math.random().toString(36).slice(2)}`, c.state ?? 'active', c.timeZone ?? 'UTC', c.maxRedemptions ?? null, c.expiresAt ?? null],
  );
  return rows[0]!.id as string;
}

/** Live codes written straight into the table (e.g. to fill a keyspace). */
export async function insertCodes(t: TestApp, accountId: string, couponId: string, codes: string[]): Promise<void> {
  await sql(
    t,
    `insert into codes (account_id, coupon_id, code) select ?, ?, unnest(?::text[])`,
    [accountId, couponId, `{${codes.join(',')}}`],
  );
}

export async function insertCustomer(t: TestApp, accountId: string, id: string, email: string | null): Promise<void> {
  await sql(t, `insert into customers (account_id, id, email) values (?, ?, ?)`, [accountId, id, email]);
}

export interface RedemptionFixture {
  couponId: string;
  code: string;
  customerId: string;
  status?: 'active' | 'ended' | 'voided';
  createdAt: string;
}

export async function insertRedemption(t: TestApp, accountId: string, r: RedemptionFixture): Promise<string> {
  const code = await sql(t, `select id from codes where account_id = ? and code = ?`, [accountId, r.code]);
  const rows = await sql(
    t,
    `insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id,
                              action, status, terms, created_at)
     values (?, ?, 1, ?, ?, ?, ?, 'pro', 'new_subscription', ?, '{}'::jsonb, ?::timestamptz) returning id`,
    [accountId, r.couponId, code[0]!.id, r.code, r.customerId, `sub-${r.customerId}`, r.status ?? 'active', r.createdAt],
  );
  return rows[0]!.id as string;
}

export interface LedgerFixture {
  redemptionId: string;
  couponId: string;
  invoiceId: string;
  currency: string;
  amount: number;
  invoiceTotal: number;
}

export async function insertLedgerRow(t: TestApp, accountId: string, l: LedgerFixture): Promise<void> {
  await sql(
    t,
    `insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, cycle, currency, amount, invoice_total, lines)
     select ?, ?, r.id, ?, r.code_id, 1, ?, ?, ?, '[]'::jsonb from redemptions r where r.id = ?`,
    [accountId, l.invoiceId, l.couponId, l.currency, l.amount, l.invoiceTotal, l.redemptionId],
  );
}

/** Polls GET /v1/batches/{id} until the batch leaves queued/running. */
export async function waitForBatch(t: TestApp, auth: Record<string, string>, id: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.http.get(`/v1/batches/${id}`).set(auth);
    if (res.status !== 200) throw new Error(`GET batch: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
    if (Date.now() > end) throw new Error(`batch ${id} still ${res.body.status} (${res.body.generated}/${res.body.count})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const batchCodes = async (t: TestApp, batchId: string): Promise<string[]> =>
  (await sql(t, `select code from codes where batch_id = ? order by id`, [batchId])).map((r) => r.code as string);
