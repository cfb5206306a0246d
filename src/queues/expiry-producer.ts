import type { AppContext } from '../context';
import { errorFields } from '../logger';
import { liveCodeId } from '../repositories/expiry';
import { bulkJob, expiryJobId, type JobItem } from './catalogue';
import type { ExpireAtData } from './payloads';
import { enqueueJob } from './producers';

export interface ExpiryItem {
  kind: 'coupon' | 'code' | 'holds';
  accountId: string;
  /** Coupon uuid, the code's numeric id as a string, or (holds) the account's id. */
  id: string;
  expiresAt: string | null;
}

export { expiryJobId };

/** The delayed `expire-at` job of an item with an expiry. */
function expiryJob(item: ExpiryItem & { expiresAt: string }): JobItem & { queue: 'expiry'; name: 'expire-at' } {
  const data: ExpireAtData = item.kind === 'coupon'
    ? { kind: 'coupon', accountId: item.accountId, couponId: item.id, expiresAt: item.expiresAt }
    : item.kind === 'holds'
      ? { kind: 'holds', accountId: item.accountId, expiresAt: item.expiresAt }
      : { kind: 'code', accountId: item.accountId, codeId: Number(item.id), expiresAt: item.expiresAt };
  return { queue: 'expiry', name: 'expire-at', data };
}

/**
 * Adds the delayed `expire-at` job for the item's exact expiry instant (delay ≥ 0) and answers its
 * id; null when the item has no expiry or Redis could not take the job. Never throws: call it
 * after the change committed; a job that could not be added is covered by the next sweep.
 */
export async function scheduleExpiry(ctx: AppContext, item: ExpiryItem, now: string = ctx.clock.now()): Promise<string | null> {
  if (item.expiresAt === null) return null;
  const job = expiryJob({ ...item, expiresAt: item.expiresAt });
  try {
    return (await enqueueJob(ctx, job, { jobContext: { now } })).id ?? null;
  } catch (err) {
    ctx.logger.warn('expiry job not scheduled; the sweep will cover it', { item: `${item.kind} ${item.id}`, ...errorFields(err) });
    return null;
  }
}

/** Jobs per addBulk call when scheduling many items (a CSV import). */
export const EXPIRY_BULK = 1000;

/**
 * scheduleExpiry for many items (e.g. the codes of a CSV import), EXPIRY_BULK jobs per Redis
 * call; answers how many were added. Never throws: what Redis refused is covered by the sweep.
 */
export async function scheduleExpiries(ctx: AppContext, items: ExpiryItem[], now: string = ctx.clock.now()): Promise<number> {
  const jobs = items.flatMap((item) => (item.expiresAt === null ? [] : [bulkJob(expiryJob({ ...item, expiresAt: item.expiresAt }), { now })]));
  let added = 0;
  if (jobs.length > 0 && ctx.redis.status !== 'ready') {
    ctx.logger.warn('expiry jobs not scheduled; the sweep will cover them', { jobs: jobs.length, redis: ctx.redis.status });
    return 0;
  }
  for (let i = 0; i < jobs.length; i += EXPIRY_BULK) {
    const part = jobs.slice(i, i + EXPIRY_BULK);
    try {
      await ctx.queues.expiry.addBulk(part);
      added += part.length;
    } catch (err) {
      ctx.logger.warn('expiry jobs not scheduled; the sweep will cover them', { jobs: jobs.length - added, ...errorFields(err) });
      return added;
    }
  }
  return added;
}

/** scheduleExpiry for a code known by its text (routes answer the text, not the id). */
export async function scheduleCodeExpiry(ctx: AppContext, accountId: string, code: string, expiresAt: string | null): Promise<string | null> {
  if (expiresAt === null) return null;
  try {
    const id = await liveCodeId(ctx.orm.em.fork(), accountId, code);
    return id === null ? null : await scheduleExpiry(ctx, { kind: 'code', accountId, id, expiresAt });
  } catch (err) {
    ctx.logger.warn('expiry job not scheduled; the sweep will cover it', { code, ...errorFields(err) });
    return null;
  }
}

/** For routes: schedules a coupon view's expiry after its transaction committed, answers the view unchanged. */
export async function withCouponExpiry<T extends { id: string; expiresAt: string | null }>(ctx: AppContext, accountId: string, view: T): Promise<T> {
  await scheduleExpiry(ctx, { kind: 'coupon', accountId, id: view.id, expiresAt: view.expiresAt });
  return view;
}

/** For routes: schedules a code view's own expiry after its transaction committed, answers the view unchanged. */
export async function withCodeExpiry<T extends { code: string; expiresAt: string | null }>(ctx: AppContext, accountId: string, view: T): Promise<T> {
  await scheduleCodeExpiry(ctx, accountId, view.code, view.expiresAt);
  return view;
}

/** The (account, second) expiry jobs this process has added, so it adds each once (bounded: the oldest are forgotten). */
const scheduledHoldSeconds = new Set<string>();
const SCHEDULED_HOLD_SECONDS_KEPT = 10_000;

/**
 * The delayed job that expires the account's holds at `expiresAt` (a whole second: holds expire
 * on whole seconds, so every hold of an account expiring in that second shares one job). Each
 * process adds a given job once; adding it again elsewhere is a no-op (same job id). Never
 * throws: what Redis does not take, the sweep covers.
 */
export async function scheduleHoldsExpiry(ctx: AppContext, accountId: string, expiresAt: string, now: string = ctx.clock.now()): Promise<void> {
  const key = `${accountId}|${expiresAt}`;
  if (scheduledHoldSeconds.has(key)) return;
  const id = await scheduleExpiry(ctx, { kind: 'holds', accountId, id: accountId, expiresAt }, now);
  if (id === null) return;
  scheduledHoldSeconds.add(key);
  if (scheduledHoldSeconds.size > SCHEDULED_HOLD_SECONDS_KEPT) scheduledHoldSeconds.delete(scheduledHoldSeconds.values().next().value!);
}
