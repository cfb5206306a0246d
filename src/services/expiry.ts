import type { Em } from '../db/orm';
import { expiryStillScheduled, isExhausted, isExpired, isNearlyExhausted, redemptionWindowPassed } from '../domain';
import { appendEvents, type EventInput } from '../repositories/events';
import { dueHolds, endHolds, type HoldRow } from '../repositories/holds';
import {
  dueCodeExpiries, dueCodeLimits, dueCouponExpiries, dueCouponLimits, endRedemptions, FIRST_UUID, lockExpiryTarget,
  lockFreeSubscriptions, markOnce, subscriptionKey, windowedRedemptions,
} from '../repositories/expiry';

/**
 * The expiry queue's work, with `now` chosen by the caller (the processor passes the clock; tests
 * pass any instant). Every decision about time goes through src/domain; every write is a
 * conditional update with its events in the same transaction, so concurrent sweeps and delayed
 * jobs produce each event exactly once.
 */

export interface SweepResult {
  couponsExpired: number;
  codesExpired: number;
  couponsNearlyExhausted: number;
  couponsExhausted: number;
  codesExhausted: number;
  redemptionsEnded: number;
  holdsExpired: number;
}

export interface SweepOptions {
  /** Rows per transaction (default 500). */
  batchSize?: number;
}

const eventData = (r: { couponId: string; code: string | null }) => (r.code === null ? { couponId: r.couponId } : { couponId: r.couponId, code: r.code });

/**
 * Walks one kind of candidate in id order, one transaction per batch, until a batch comes back
 * short. `step` answers how many transitions it made.
 */
async function inBatches<T extends { id: string }>(
  em: Em,
  first: string,
  size: number,
  load: (tx: Em, after: string) => Promise<T[]>,
  step: (tx: Em, rows: T[]) => Promise<number>,
): Promise<number> {
  let after = first;
  let total = 0;
  for (;;) {
    const { count, last, full } = await em.transactional(async (tx) => {
      const rows = await load(tx, after);
      return { count: rows.length ? await step(tx, rows) : 0, last: rows.at(-1)?.id, full: rows.length === size };
    });
    total += count;
    if (!full || last === undefined) return total;
    after = last;
  }
}

async function sweepExpiries(em: Em, kind: 'coupon' | 'code', now: string, size: number): Promise<number> {
  const load = kind === 'coupon' ? dueCouponExpiries : dueCodeExpiries;
  const table = kind === 'coupon' ? 'coupons' : 'codes';
  return inBatches(em, kind === 'coupon' ? FIRST_UUID : '0', size, (tx, after) => load(tx, now, after, size), async (tx, rows) => {
    const due = rows.filter((r) => isExpired(r.expiresAt, now));
    const marked = await markOnce(tx, { table, column: 'expired_event_at' }, due.map((r) => r.id), now);
    const events = due.filter((r) => marked.has(r.id)).map((r): EventInput => ({ accountId: r.accountId, type: `${kind}.expired`, data: eventData(r) }));
    await appendEvents(tx, events);
    return events.length;
  });
}

async function sweepCouponLimits(em: Em, size: number): Promise<{ nearly: number; exhausted: number }> {
  let nearly = 0;
  let exhausted = 0;
  await inBatches(em, FIRST_UUID, size, (tx, after) => dueCouponLimits(tx, after, size), async (tx, rows) => {
    const nearlyIds = rows.filter((r) => !r.nearlyMarked && isNearlyExhausted(r.maxRedemptions, r.timesRedeemed)).map((r) => r.id);
    const exhaustedIds = rows.filter((r) => !r.exhaustedMarked && isExhausted(r.maxRedemptions, r.timesRedeemed)).map((r) => r.id);
    const n = await markOnce(tx, { table: 'coupons', column: 'nearly_exhausted_event_at' }, nearlyIds);
    const x = await markOnce(tx, { table: 'coupons', column: 'exhausted_event_at' }, exhaustedIds);
    const events: EventInput[] = [];
    for (const r of rows) {
      if (n.has(r.id)) events.push({ accountId: r.accountId, type: 'coupon.nearly_exhausted', data: { couponId: r.id } });
      if (x.has(r.id)) events.push({ accountId: r.accountId, type: 'coupon.exhausted', data: { couponId: r.id } });
    }
    await appendEvents(tx, events);
    nearly += n.size;
    exhausted += x.size;
    return n.size + x.size;
  });
  return { nearly, exhausted };
}

async function sweepCodeLimits(em: Em, size: number): Promise<number> {
  return inBatches(em, '0', size, (tx, after) => dueCodeLimits(tx, after, size), async (tx, rows) => {
    const due = rows.filter((r) => isExhausted(r.maxRedemptions, r.timesRedeemed));
    const marked = await markOnce(tx, { table: 'codes', column: 'exhausted_event_at' }, due.map((r) => r.id));
    const events = due.filter((r) => marked.has(r.id)).map((r): EventInput => ({ accountId: r.accountId, type: 'code.exhausted', data: eventData(r) }));
    await appendEvents(tx, events);
    return events.length;
  });
}

async function sweepRedemptions(em: Em, now: string, size: number): Promise<number> {
  return inBatches(em, FIRST_UUID, size, (tx, after) => windowedRedemptions(tx, now, after, size), async (tx, rows) => {
    const passed = rows.filter((r) => redemptionWindowPassed(r, now));
    const locked = await lockFreeSubscriptions(tx, passed);
    const mine = passed.filter((r) => locked.has(subscriptionKey(r.accountId, r.subscriptionId)));
    const ended = await endRedemptions(tx, mine.map((r) => r.id), now);
    const events = mine.filter((r) => ended.has(r.id)).map((r): EventInput => ({
      accountId: r.accountId,
      type: 'redemption.ended',
      data: { redemptionId: r.id, couponId: r.couponId, code: r.code, subscriptionId: r.subscriptionId, reason: 'window_passed' },
    }));
    await appendEvents(tx, events);
    return events.length;
  });
}

/**
 * One sweep at `now`: expired coupons and codes, limits reached (nearly exhausted, exhausted) that
 * the redemption path did not mark, and months/until redemptions whose window passed. Pass a
 * forked EntityManager; each batch is its own transaction.
 */
export async function runExpirySweep(em: Em, now: string, opts: SweepOptions = {}): Promise<SweepResult> {
  const size = opts.batchSize ?? 500;
  const couponsExpired = await sweepExpiries(em, 'coupon', now, size);
  const codesExpired = await sweepExpiries(em, 'code', now, size);
  const limits = await sweepCouponLimits(em, size);
  const codesExhausted = await sweepCodeLimits(em, size);
  const redemptionsEnded = await sweepRedemptions(em, now, size);
  const holdsExpired = await sweepHolds(em, now, size);
  return { couponsExpired, codesExpired, couponsNearlyExhausted: limits.nearly, couponsExhausted: limits.exhausted, codesExhausted, redemptionsEnded, holdsExpired };
}

/** The `hold.expired` event of a hold its expiry released. */
function holdExpiredEvent(h: HoldRow): EventInput {
  return { accountId: h.accountId, type: 'hold.expired', data: { holdId: h.id, couponId: h.couponId, code: h.code, customerId: h.customerId, expiresAt: h.expiresAt } };
}

/**
 * Holds whose expiry passed and that are still active (their delayed job missed, e.g. Redis was
 * away): released as `expired`, their slots given back, one `hold.expired` each.
 */
async function sweepHolds(em: Em, now: string, size: number): Promise<number> {
  return inBatches(em, FIRST_UUID, size, (tx, after) => dueHolds(tx, now, after, size), async (tx, rows) => {
    const ended = await endHolds(tx, rows.map((h) => h.id), 'expired', now);
    await appendEvents(tx, ended.map(holdExpiredEvent));
    return ended.length;
  });
}

/**
 * The delayed job of an account's holds expiring in one second: at `expiresAt` (or later) every
 * active hold of the account whose expiry has come is released as `expired`, its slots given
 * back, `hold.expired` written in the same transaction (batches of 500); a hold consumed or
 * released first is not touched. Answers how many it expired, or `not_yet` before the instant.
 */
export async function expireHolds(em: Em, item: { accountId: string; expiresAt: string }, now: string): Promise<number | 'not_yet'> {
  if (!isExpired(item.expiresAt, now)) return 'not_yet';
  return inBatches(em, FIRST_UUID, 500, (tx, after) => dueHolds(tx, now, after, 500, item.accountId), async (tx, rows) => {
    const ended = await endHolds(tx, rows.map((h) => h.id), 'expired', now);
    await appendEvents(tx, ended.map(holdExpiredEvent));
    return ended.length;
  });
}

export interface ExpireOneInput {
  kind: 'coupon' | 'code';
  accountId: string;
  id: string;
  /** The instant the delayed job was scheduled for. */
  expiresAt: string;
}

/**
 * `expired` — the event was written now; `stale` — the window was edited (or removed) since the
 * job was scheduled; `not_yet` — the clock has not reached the instant; `skipped` — archived,
 * deleted, a batch code, or already marked; `gone` — the row no longer exists.
 */
export type ExpireOneOutcome = 'expired' | 'stale' | 'not_yet' | 'skipped' | 'gone';

/** The delayed job for one item's exact expiry instant: re-reads the row under a lock and applies the sweep's transition. */
export async function expireOne(em: Em, item: ExpireOneInput, now: string): Promise<ExpireOneOutcome> {
  return em.transactional(async (tx) => {
    const row = await lockExpiryTarget(tx, item.kind, item.accountId, item.id);
    if (!row) return 'gone';
    if (!expiryStillScheduled(row.expiresAt, item.expiresAt)) return 'stale';
    if (!row.eligible) return 'skipped';
    if (!isExpired(row.expiresAt, now)) return 'not_yet';
    const marked = await markOnce(tx, { table: item.kind === 'coupon' ? 'coupons' : 'codes', column: 'expired_event_at' }, [row.id], now);
    if (!marked.has(row.id)) return 'skipped';
    await appendEvents(tx, [{ accountId: row.accountId, type: `${item.kind}.expired`, data: eventData(row) }]);
    return 'expired';
  });
}
