import type { AppContext } from '../context';
import { Coalescer } from '../coalescer';
import { withPipeline, type Statement } from '../db/pipeline';
import type { RedemptionJobData } from '../queues/payloads';
import type { JobOutcome } from '../queues/outcomes';
import { lockCountedRowsStatements } from '../repositories/redemption-statements';
import type { ContextRow } from '../repositories/redemption-context';
import { afterRead, countedAttempt, openRedemption, readStatements, redeem, type AfterRead, type Attempt } from './redemption-service';

export interface RedemptionJob {
  data: RedemptionJobData;
  jobId?: string;
}

/** Thrown inside a group's transaction when one of its redemptions cannot share it: the group rolls back and each redemption runs alone. */
class RunAlone extends Error {}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One lock statement per distinct row, in the rows' order: concurrent groups take common rows in the same order. */
function lockedOnce(rows: { key: string; statement: Statement }[]): Statement[] {
  const seen = new Map<string, Statement>();
  for (const r of rows) if (!seen.has(r.key)) seen.set(r.key, r.statement);
  return [...seen.keys()].sort(byText).map((k) => seen.get(k)!);
}

/**
 * Several redemptions in one transaction (group commit): the redemption jobs a worker process
 * has in flight at once share its two flights — BEGIN, every request's locks and context read;
 * then every counted row's lock, every counting statement (or stored refusal) and one COMMIT —
 * so a group of n costs two round trips and one WAL flush instead of 2n and n.
 *
 * Each redemption is decided and counted exactly as alone (redeem):
 * - locks are taken class by class, as alone (idempotency key → subscription → customer, then
 *   hold → coupon → code), and within a class in one order (by key), so two groups never wait on
 *   each other in a cycle;
 * - limits are re-checked by each counting statement on the rows as the redemptions before it
 *   in the group left them, so a group never counts past a limit; one whose limit the group
 *   used up is refused `code_exhausted`, as a request that lost a race alone is;
 * - a group whose requests share a customer, a subscription or an idempotency key, or one with
 *   a request answered from an earlier run (a stored answer, a redemption already written: its
 *   transaction is undone, not committed), rolls back before writing anything and each of its
 *   redemptions runs alone (`RunAlone`), as does a group whose transaction fails (the Coalescer
 *   tries a failed batch again item by item);
 * - a redemption whose coupon or code changed state under it (`state_changed`, nothing written)
 *   is decided again alone once the group has committed.
 */
export async function redeemGroup(app: AppContext, jobs: RedemptionJob[]): Promise<JobOutcome[]> {
  if (jobs.length === 1) return [await redeem(app, jobs[0].data, jobs[0].jobId)];
  const distinct = (f: (d: RedemptionJobData) => string | null): boolean => {
    const keys = jobs.map((j) => f(j.data)).filter((k): k is string => k !== null);
    return new Set(keys).size === keys.length;
  };
  if (!distinct((d) => `${d.accountId}|${d.request.customer.id}`) || !distinct((d) => `${d.accountId}|${d.request.subscriptionId}`)
    || !distinct((d) => (d.request.idempotencyKey ? `${d.accountId}|${d.request.idempotencyKey}` : null))) {
    throw new RunAlone('redemptions of one customer, subscription or key');
  }
  const opened = jobs.map((j) => openRedemption(app, j.data));
  const attempts = await withPipeline(app.orm, async (p): Promise<Attempt[]> => {
    const reads = opened.map((o) => ({ o, st: readStatements(o) }));
    const sorted = <K extends 'keyLock' | 'subscription' | 'customer'>(k: K, keyOf: (d: RedemptionJobData) => string): Statement[] =>
      reads.flatMap(({ o, st }) => (st[k] ? [{ key: keyOf(o.data), statement: st[k]! }] : [])).sort((a, b) => byText(a.key, b.key)).map((r) => r.statement);
    const keyLocks = sorted('keyLock', (d) => `${d.accountId}|${d.request.idempotencyKey}`);
    const storedReads = reads.flatMap(({ st }) => (st.stored ? [st.stored] : []));
    const head: (Statement | string)[] = [
      'begin', ...keyLocks, ...storedReads,
      ...sorted('subscription', (d) => `${d.accountId}|${d.request.subscriptionId}`),
      ...sorted('customer', (d) => `${d.accountId}|${d.request.customer.id}`),
    ];
    const first = await p.flight([...head, ...reads.map(({ st }) => st.context)]);
    // each request's stored answer (in the order of the requests that have a key) and context read
    let storedAt = 1 + keyLocks.length;
    const steps: AfterRead[] = await Promise.all(reads.map(({ o, st }, n) =>
      afterRead(app, o, st.stored ? first[storedAt++]!.rows[0] : undefined, first[head.length + n]!.rows[0] as ContextRow)));
    if (steps.some((s) => s.kind === 'final' && s.undo)) {
      await p.flight(['rollback']);
      throw new RunAlone('a request answered from an earlier run');
    }
    const counts = steps.filter((s): s is Extract<AfterRead, { kind: 'count' }> => s.kind === 'count');
    const locks = counts.flatMap((s) => lockCountedRowsStatements(s.couponId, s.codeId, s.holdId).map((statement) => ({
      // hold → coupon → code, each class in its ids' order
      key: `${statement.name}|${String(statement.values![0])}`, statement,
    })));
    const classOrder = ['cf_lock_counted_hold', 'cf_lock_counted_coupon', 'cf_lock_counted_code'];
    const ordered = classOrder.flatMap((cls) => lockedOnce(locks.filter((l) => l.statement.name === cls)));
    const writes = steps.map((s) => (s.kind === 'count' ? [s.count] : s.writes));
    const second = await p.flight([...ordered, ...writes.flat(), 'commit']);
    let at = ordered.length;
    return steps.map((s, n) => {
      const results = second.slice(at, (at += writes[n]!.length));
      return s.kind === 'count' ? countedAttempt(s, results[0]!) : s.attempt;
    });
  });
  return Promise.all(attempts.map(async (a, n) => {
    const { data, jobId } = jobs[n]!;
    if (a.kind === 'changed') return redeem(app, data, jobId);
    if (a.unknownCode) await app.limiter.recordUnknownCodeOnce(jobId ?? null, data.accountId, data.request.customer.id, data.apiKeyId);
    return a.outcome;
  }));
}

/** Redemption groups one worker process has in flight at once: the next group gathers while one is answered. */
const GROUPS_IN_FLIGHT = 2;
const groups = new WeakMap<AppContext, Coalescer<RedemptionJob, JobOutcome>>();

/**
 * One redemption job (the `redemptions` worker's `redeem`): counted in a group with the other
 * redemptions this process has in flight (redeemGroup), alone when it has none or when grouping
 * is off (`REDEMPTION_GROUP_MAX=1`).
 */
export function redeemJob(app: AppContext, data: RedemptionJobData, jobId?: string): Promise<JobOutcome> {
  const max = app.config.redemptionGroupMax;
  if (max <= 1) return redeem(app, data, jobId);
  let c = groups.get(app);
  if (!c) {
    c = new Coalescer((jobs) => redeemGroup(app, jobs), { maxInFlight: GROUPS_IN_FLIGHT, maxBatch: max });
    groups.set(app, c);
  }
  return c.call({ data, jobId });
}
