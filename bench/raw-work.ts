/**
 * The raw baselines: the database work of each hot path written as plain `pg` transactions from
 * the benchmark process (no HTTP, no queue, no rules engine).
 *
 * "Same work" sends the statements the product sends for one request (the same upserts, the
 * same context read, the same write, in the same transaction shape, pipelined and prepared where
 * the product's are; for redemptions and validate the product's own statement builders), so a
 * ratio against it measures only what the product adds around the database: HTTP, the queue,
 * the rules engine, the process hops. "Floor" is the smallest transaction
 * that still counts the redemption (or reads the code), kept as a second figure so that neither
 * baseline can be made easy to beat by trimming the other.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import {
  contextStatement, countRedemptionStatement, lockCountedRowsStatements, lockCustomerStatement, lockSubscriptionStatement,
} from '../src/repositories/redemption-statements';

const TERMS = { discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, appliesTo: { plans: 'all' }, eligibility: {}, overflow: 'cap', stackable: false, timeZone: 'UTC' };

export interface RawCode {
  accountId: string;
  couponId: string;
  codes: { id: number; code: string }[];
}

/**
 * One redemption, same work, sent as the product sends it: prepared statements in two pipelined
 * flights (BEGIN, subscription and customer upserts, context read; then the counting write and
 * COMMIT).
 */
export async function rawRedeemSameWork(c: PoolClient, k: RawCode, i: number, tag: string): Promise<void> {
  const code = k.codes[i % k.codes.length];
  const sub = `rs${tag}_${i}`;
  const cus = `rc${tag}_${i}`;
  const mode = c as unknown as { pipeline: boolean };
  mode.pipeline = true;
  try {
    await Promise.all([
      c.query('begin'),
      c.query(lockSubscriptionStatement(k.accountId, sub, cus)),
      c.query(lockCustomerStatement(k.accountId, cus, {})),
      c.query(contextStatement(k.accountId, { code: code.code, planId: 'pro', customerId: cus, subscriptionId: sub })),
    ]);
    await Promise.all([
      ...lockCountedRowsStatements(k.couponId, code.id).map((st) => c.query(st)),
      c.query(countRedemptionStatement({
        id: randomUUID(), createdAt: new Date().toISOString(), accountId: k.accountId, couponId: k.couponId, couponVersion: 1,
        codeId: code.id, code: code.code, customerId: cus, subscriptionId: sub, planId: 'pro', action: 'new_subscription',
        terms: TERMS, stackable: false, attribution: { channel: null, partner: null, referrerCustomerId: null }, idempotency: null,
      })),
      c.query('commit'),
    ]);
  } finally {
    mode.pipeline = false;
  }
}

/** One redemption, floor: the two counting updates and the insert, nothing else. */
export async function rawRedeemFloor(c: PoolClient, k: RawCode, i: number, tag: string): Promise<void> {
  const code = k.codes[i % k.codes.length];
  await c.query('begin');
  const counted = await c.query(`update codes set times_redeemed = times_redeemed + 1 where id = $1 and (max_redemptions is null or times_redeemed < max_redemptions) returning id`, [code.id]);
  if (counted.rowCount === 1) {
    await c.query(`update coupons set times_redeemed = times_redeemed + 1 where id = $1 and (max_redemptions is null or times_redeemed < max_redemptions)`, [k.couponId]);
    await c.query(
      `insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, terms)
       values ($1, $2, 1, $3, 'RAW', $4, $4, 'pro', 'new_subscription', '{}')`,
      [k.accountId, k.couponId, code.id, `rf${tag}_${i}`],
    );
  }
  await c.query('commit');
}

/**
 * One validate of a returning customer, same work: the context read with the customer row (a
 * customer the request does not change is not written). The first pass over the customers
 * creates them, as the product's first validate of each does.
 */
export async function rawValidateSameWork(c: PoolClient, k: RawCode, i: number): Promise<void> {
  const code = k.codes[i % k.codes.length];
  const cus = `rv${i % 5000}`;
  const r = await c.query(contextStatement(k.accountId, { code: code.code, planId: 'pro', customerId: cus }));
  if (!r.rows[0].customer) await c.query(lockCustomerStatement(k.accountId, cus, {}));
}

/** One validate, floor: the code joined with its coupon. */
export async function rawValidateFloor(c: PoolClient, k: RawCode, i: number): Promise<void> {
  const code = k.codes[i % k.codes.length];
  await c.query(`select c.*, k.* from codes c join coupons k on k.id = c.coupon_id where c.account_id = $1 and c.code = $2 and c.deleted_at is null`, [k.accountId, code.code]);
}

const INVOICE_CONTEXT = `with reds as (
    select id, coupon_id, code, code_id, plan_id, terms, status, cycles_applied, anchor, last_counted_discounted, created_at
      from redemptions
     where account_id = $1 and subscription_id = $2 and (status = 'active' or (status = 'ended' and last_counted_discounted)))
  select
    (select jsonb_build_object('requestHash', request_hash, 'paid', paid, 'result', result)
       from invoices where account_id = $1 and id = $3) as existing,
    coalesce((select jsonb_agg(to_jsonb(r) order by r.created_at, r.id) from reds r), '[]'::jsonb) as redemptions,
    coalesce((select jsonb_agg(to_jsonb(p)) from plans p
               where p.account_id = $1 and (p.id = any($4::text[]) or p.id in (select plan_id from reds))), '[]'::jsonb) as plans`;

const RECORD_INVOICE = `with inv as (
    insert into invoices (account_id, id, subscription_id, customer_id, currency, period_start, period_end, trial, mid_period, paid,
                          request_hash, subtotal, discount_total, total, credit, result, paid_at)
    values ($1, $2, $3, $4, 'USD', $5, null, false, false, false, 'h', 2000, 200, 1800, 0, $6::jsonb, null)),
  ledger as (
    insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, cycle, currency, amount, invoice_total, lines)
    select $1, $2, r, c, k, y, 'USD', m, 1800, l
      from unnest($7::uuid[], $8::uuid[], $9::bigint[], $10::int[], $11::bigint[], $12::jsonb[]) as t(r, c, k, y, m, l)),
  upd as (
    update redemptions r set cycles_applied = u.cycles, anchor = u.anchor, last_counted_discounted = u.lcd, status = u.status,
           ended_at = case when u.status = 'ended' and r.status <> 'ended' then now() else r.ended_at end,
           ended_reason = coalesce(u.reason, r.ended_reason), updated_at = now()
      from unnest($7::uuid[], $10::int[], $13::timestamptz[], $14::boolean[], $15::text[], $16::text[]) as u(id, cycles, anchor, lcd, status, reason)
     where r.id = u.id),
  ev as (
    insert into events (account_id, type, data) select $1, t, d from unnest($17::text[], $18::jsonb[]) as e(t, d))
  select 1`;

/** One invoice, same work: subscription upsert, invoice context read, the one-statement write, commit. */
export async function rawInvoiceSameWork(c: PoolClient, accountId: string, sub: string, inv: string, periodStart: string): Promise<void> {
  await c.query('begin');
  await c.query(lockSubscriptionStatement(accountId, sub, null));
  const ctx = await c.query(INVOICE_CONTEXT, [accountId, sub, inv, ['pro']]);
  const red = (ctx.rows[0].redemptions as Record<string, unknown>[])[0];
  const cycle = Number(red.cycles_applied) + 1;
  const lines = JSON.stringify([{ id: 'l1', amount: 200 }]);
  await c.query(RECORD_INVOICE, [
    accountId, inv, sub, null, periodStart, JSON.stringify({ invoiceId: inv, total: 1800 }),
    [red.id], [red.coupon_id], [red.code_id], [cycle], [200], [lines],
    [periodStart], [true], ['active'], [null],
    ['invoice.discounted'], [JSON.stringify({ invoiceId: inv, subscriptionId: sub, redemptionIds: [red.id], discountTotal: 200 })],
  ]);
  await c.query('commit');
}

/** One invoice, floor: lock the subscription, read its redemption, three plain writes, commit. */
export async function rawInvoiceFloor(c: PoolClient, accountId: string, couponId: string, codeId: number, sub: string, inv: string): Promise<void> {
  await c.query('begin');
  await c.query(`select 1 from subscriptions where account_id = $1 and id = $2 for update`, [accountId, sub]);
  const red = await c.query(`select id, cycles_applied from redemptions where account_id = $1 and subscription_id = $2 and status = 'active'`, [accountId, sub]);
  await c.query(
    `insert into invoices (account_id, id, subscription_id, currency, period_start, request_hash, subtotal, discount_total, total, credit, result)
     values ($1, $2, $3, 'USD', now(), 'h', 2000, 200, 1800, 0, '{}')`,
    [accountId, inv, sub],
  );
  await c.query(
    `insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, cycle, currency, amount, invoice_total, lines)
     values ($1, $2, $3, $4, $5, $6, 'USD', 200, 1800, '[]')`,
    [accountId, inv, red.rows[0].id, couponId, codeId, Number(red.rows[0].cycles_applied) + 1],
  );
  await c.query(`update redemptions set cycles_applied = cycles_applied + 1 where id = $1`, [red.rows[0].id]);
  await c.query('commit');
}
