import type { AppContext } from '../context';
import { epochMillis, expiryDelayMs } from '../domain';
import { errorFields } from '../logger';
import { liveCodeId } from '../repositories/expiry';
import { JOB_NAMES, jobIdPart } from './names';
import type { ExpiryJobData } from './payloads';
import { enqueue } from './producers';

export interface ExpiryItem {
  kind: 'coupon' | 'code';
  accountId: string;
  /** Coupon uuid, or the code's numeric id as a string. */
  id: string;
  expiresAt: string | null;
}

/** `exp-<kind>-<id>-<epochMillis>`: the same instant is the same job; a new instant is a new job. */
export function expiryJobId(kind: 'coupon' | 'code', id: string, expiresAt: string): string {
  return `exp-${kind}-${jobIdPart(id)}-${epochMillis(expiresAt)}`;
}

/**
 * Adds the delayed `expire-at` job for the item's exact expiry instant (delay ≥ 0) and answers its
 * id; null when the item has no expiry or Redis could not take the job. Never throws: call it
 * after the change committed; a job that could not be added is covered by the next sweep.
 */
export async function scheduleExpiry(ctx: AppContext, item: ExpiryItem, now: string = new Date().toISOString()): Promise<string | null> {
  if (item.expiresAt === null) return null;
  const jobId = expiryJobId(item.kind, item.id, item.expiresAt);
  const data: ExpiryJobData = item.kind === 'coupon'
    ? { kind: 'coupon', accountId: item.accountId, couponId: item.id, expiresAt: item.expiresAt }
    : { kind: 'code', accountId: item.accountId, codeId: Number(item.id), expiresAt: item.expiresAt };
  try {
    await enqueue(ctx.redis, ctx.queues.expiry, JOB_NAMES.expireAt, data, {
      jobId,
      delay: expiryDelayMs(item.expiresAt, now),
      attempts: 5,
      backoff: { type: 'fixed', delay: 1000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
    return jobId;
  } catch (err) {
    ctx.logger.warn('expiry job not scheduled; the sweep will cover it', { jobId, ...errorFields(err) });
    return null;
  }
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
