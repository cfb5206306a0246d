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
  countHoldStatement, countRedemptionStatement, lockCountedRowsStatements, lockCustomerStatement, lockSubscriptionStatement,
} from '../src/repositories/redemption-statements';
import { contextStatement } from '../src/repositories/redemption-context';
import { INVOICE_BEGIN, invoiceContextFromRow, invoiceContextStatement, recordInvoiceStatements } from '../src/repositories/invoices';
import type { InvoiceDiscountPlan } from '../src/domain';
import { Pipeline } from '../src/db/pipeline';

const TERMS = { discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' }, appliesTo: { plans: 'all' }, eligibility: {}, overflow: 'cap', stackable: false, timeZone: 'UTC' };

export interface RawCode {
  accountId: string;
  couponId: string;
  codes: { id: number; code: string }[];
}

/**
 * One redemption, same work, sent as the product sends it: prepared statements in two pipelined
 * flights (BEGIN, subscription and customer upserts, the context read with the redemption an
 * earlier run may have written; then the counting write and COMMIT).
 */
export async function rawRedeemSameWork(c: PoolClient, k: RawCode, i: number, tag: string): Promise<void> {
  const code = k.codes[i % k.codes.length];
  const sub = `rs${tag}_${i}`;
  const cus = `rc${tag}_${i}`;
  const id = randomUUID();
  const mode = c as unknown as { pipeline: boolean };
  mode.pipeline = true;
  try {
    const p = new Pipeline(c);
    await p.flight([
      'begin',
      lockSubscriptionStatement(k.accountId, sub, cus),
      lockCustomerStatement(k.accountId, cus, {}),
      contextStatement(k.accountId, { code: code.code, planId: 'pro', customerId: cus, subscriptionId: sub, now: new Date().toISOString(), written: { kind: 'redemption', id } }),
    ]);
    await p.flight([
      ...lockCountedRowsStatements(k.couponId, code.id),
      countRedemptionStatement({
        id, createdAt: new Date().toISOString(), accountId: k.accountId, couponId: k.couponId, couponVersion: 1,
        codeId: code.id, code: code.code, customerId: cus, subscriptionId: sub, planId: 'pro', action: 'new_subscription',
        terms: TERMS, stackable: false, attribution: { channel: null, partner: null, referrerCustomerId: null }, idempotency: null, codeCustomerId: null,
      }),
      'commit',
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
  const r = await c.query(contextStatement(k.accountId, { code: code.code, planId: 'pro', customerId: cus, now: new Date().toISOString() }));
  if (!r.rows[0].customer) await c.query(lockCustomerStatement(k.accountId, cus, {}));
}

/** One validate, floor: the code joined with its coupon. */
export async function rawValidateFloor(c: PoolClient, k: RawCode, i: number): Promise<void> {
  const code = k.codes[i % k.codes.length];
  await c.query(`select c.*, k.* from codes c join coupons k on k.id = c.coupon_id where c.account_id = $1 and c.code = $2 and c.deleted_at is null`, [k.accountId, code.code]);
}

/**
 * One invoice, same work, sent as the product sends it: the product's named statements in two
 * pipelined flights (BEGIN, subscription lock, context read; then the one-statement write and
 * COMMIT). The discount is written by hand (10 % of 2,000, the next cycle): no rules engine.
 */
export async function rawInvoiceSameWork(c: PoolClient, accountId: string, sub: string, inv: string, periodStart: string): Promise<void> {
  const mode = c as unknown as { pipeline: boolean };
  mode.pipeline = true;
  try {
    const p = new Pipeline(c);
    // the context read answers last in the opening flight
    const read = (await p.flight([
      ...INVOICE_BEGIN,
      lockSubscriptionStatement(accountId, sub, null),
      invoiceContextStatement(accountId, inv, sub, ['pro']),
    ])).at(-1)!;
    const red = invoiceContextFromRow(read.rows[0]).redemptions[0];
    const cycle = red.cyclesApplied + 1;
    const lines = [{ lineId: 'l1', amount: 200 }];
    const plan = {
      invoiceId: inv, currency: 'USD', subtotal: 2000, discountTotal: 200, total: 1800, credit: 0, lines: [],
      applied: [{ redemptionId: red.id, couponId: red.couponId, code: red.code, cycle, amount: 200, lines }],
      updates: [{ redemptionId: red.id, cyclesApplied: cycle, anchor: periodStart, lastCountedDiscounted: true, status: 'active' as const }],
    } as unknown as InvoiceDiscountPlan;
    const events = [{ type: 'invoice.discounted', data: { invoiceId: inv, subscriptionId: sub, redemptionIds: [red.id], discountTotal: 200 } }];
    await p.flight([
      ...recordInvoiceStatements({
        accountId, id: inv, subscriptionId: sub, customerId: null, currency: 'USD', periodStart, periodEnd: null,
        trial: false, midPeriod: false, paid: false, requestHash: 'h',
      }, plan, { invoiceId: inv, total: 1800 }, new Map([[red.id, red.codeId]]), events),
      'commit',
    ]);
  } finally {
    mode.pipeline = false;
  }
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

/**
 * One hold, same work, sent as the product sends it: prepared statements in two pipelined flights
 * (BEGIN, the customer upsert, the context read with the hold an earlier run may have written; then
 * the coupon and code locks, the counting write with its event, and COMMIT).
 */
export async function rawHoldSameWork(c: PoolClient, k: RawCode, i: number, tag: string): Promise<void> {
  const code = k.codes[i % k.codes.length];
  const cus = `rh${tag}_${i}`;
  const id = randomUUID();
  const now = new Date();
  const mode = c as unknown as { pipeline: boolean };
  mode.pipeline = true;
  try {
    const p = new Pipeline(c);
    await p.flight([
      'begin',
      lockCustomerStatement(k.accountId, cus, {}),
      contextStatement(k.accountId, { code: code.code, customerId: cus, now: now.toISOString(), written: { kind: 'hold', id } }),
    ]);
    await p.flight([
      ...lockCountedRowsStatements(k.couponId, code.id),
      countHoldStatement({
        id, createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 900_000).toISOString(), accountId: k.accountId, couponId: k.couponId,
        couponVersion: 1, codeId: code.id, code: code.code, customerId: cus, planId: null, currency: null, action: 'new_subscription', codeCustomerId: null,
        idempotency: null,
      }),
      'commit',
    ]);
  } finally {
    mode.pipeline = false;
  }
}

/** One hold, floor: the two conditional counter updates and the insert, nothing else. */
export async function rawHoldFloor(c: PoolClient, k: RawCode, i: number, tag: string): Promise<void> {
  const code = k.codes[i % k.codes.length];
  await c.query('begin');
  const counted = await c.query(
    `update codes set held = held + 1 where id = $1 and (max_redemptions is null or times_redeemed + held < max_redemptions) returning id`,
    [code.id],
  );
  if (counted.rowCount === 1) {
    await c.query(`update coupons set held = held + 1 where id = $1 and (max_redemptions is null or times_redeemed + held < max_redemptions)`, [k.couponId]);
    await c.query(
      `insert into holds (account_id, coupon_id, code_id, code, customer_id, action, expires_at) values ($1, $2, $3, 'RAW', $4, 'new_subscription', now() + interval '15 minutes')`,
      [k.accountId, k.couponId, code.id, `rhf${tag}_${i}`],
    );
  }
  await c.query('commit');
}
