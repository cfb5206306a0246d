import type { AppContext } from '../context';
import { Coalescer } from '../coalescer';
import { withPipeline, type Statement } from '../db/pipeline';
import type { HoldJobData, RedemptionJobData } from '../queues/payloads';
import type { JobOutcome } from '../queues/outcomes';
import { lockCountedRowsOfMany } from '../repositories/redemption-statements';
import type { ContextRow } from '../repositories/redemption-context';
import {
  afterRead, countedAttempt, openCounted, readStatements, redeem, redemptionKind, type AfterRead, type Attempt, type CountedJobData, type CountedKind,
} from './redemption-service';
import { holdKind, holdPlaced, placeHold, type HoldExtra } from './hold-service';

export interface CountedJob<D extends CountedJobData> {
  data: D;
  jobId?: string;
}
export type RedemptionJob = CountedJob<RedemptionJobData>;

/** Thrown inside a group's transaction when one of its requests cannot share it: the group rolls back and each request runs alone. */
class RunAlone extends Error {}

/**
 * Several redemptions in one transaction (group commit; holds alike, holdGroup): the redemption
 * jobs a worker process has in flight at once share its two flights — BEGIN, every request's locks and context read;
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
export function redeemGroup(app: AppContext, jobs: RedemptionJob[]): Promise<JobOutcome[]> {
  return countGroup(app, REDEEM, jobs);
}

/** The way a group answers a redemption or a hold: its kind, and the request alone (the fallback). */
interface GroupKind<D extends CountedJobData, Extra extends object> {
  kind: CountedKind<D, Extra>;
  alone(app: AppContext, data: D, jobId?: string): Promise<JobOutcome>;
  /** The answer once the group's transaction is over. */
  answer(app: AppContext, data: D, done: Extract<Attempt<Extra>, { kind: 'done' }>): Promise<JobOutcome>;
  /** Each process's gathering of this kind's jobs into groups. */
  groups: WeakMap<AppContext, Coalescer<CountedJob<D>, JobOutcome>>;
}

const REDEEM: GroupKind<RedemptionJobData, object> = { kind: redemptionKind, alone: redeem, answer: async (_app, _data, done) => done.outcome, groups: new WeakMap() };
const HOLD: GroupKind<HoldJobData, HoldExtra> = { kind: holdKind, alone: placeHold, answer: holdPlaced, groups: new WeakMap() };

/** Holds in one transaction, as redeemGroup (a hold locks no subscription). */
export function holdGroup(app: AppContext, jobs: CountedJob<HoldJobData>[]): Promise<JobOutcome[]> {
  return countGroup(app, HOLD, jobs);
}

async function countGroup<D extends CountedJobData, Extra extends object>(app: AppContext, g: GroupKind<D, Extra>, jobs: CountedJob<D>[]): Promise<JobOutcome[]> {
  const { kind } = g;
  if (jobs.length === 1) return [await g.alone(app, jobs[0].data, jobs[0].jobId)];
  // the row each request locks in a class of the first flight (null: none), by which the class is ordered
  const rowOf = {
    keyLock: (d: D) => (d.request.idempotencyKey ? `${d.accountId}|${d.request.idempotencyKey}` : null),
    subscription: (d: D) => {
      const id = kind.subscriptionId(d);
      return id === null ? null : `${d.accountId}|${id}`;
    },
    customer: (d: D) => `${d.accountId}|${d.request.customer.id}`,
  };
  const classes = Object.keys(rowOf) as (keyof typeof rowOf)[];
  if (classes.some((k) => {
    const rows = jobs.map((j) => rowOf[k](j.data)).filter((r) => r !== null);
    return new Set(rows).size < rows.length;
  })) {
    throw new RunAlone('requests of one customer, subscription or key');
  }
  const opened = jobs.map((j) => openCounted(app, kind, j.data));
  const attempts = await withPipeline(app.orm, async (p): Promise<Attempt<Extra>[]> => {
    const reads = opened.map((o) => ({ o, st: readStatements(kind, o) }));
    const sorted = (k: keyof typeof rowOf): Statement[] =>
      reads.flatMap(({ o, st }) => (st[k] ? [{ row: rowOf[k](o.data)!, statement: st[k]! }] : [])).sort((a, b) => (a.row < b.row ? -1 : 1)).map((r) => r.statement);
    const keyLocks = sorted('keyLock');
    const storedReads = reads.flatMap(({ st }) => (st.stored ? [st.stored] : []));
    const head: (Statement | string)[] = ['begin', ...keyLocks, ...storedReads, ...sorted('subscription'), ...sorted('customer')];
    const first = await p.flight([...head, ...reads.map(({ st }) => st.context)]);
    // each request's stored answer (in the order of the requests that have a key) and context read
    let storedAt = 1 + keyLocks.length;
    const steps: AfterRead<Extra>[] = await Promise.all(reads.map(({ o, st }, n) =>
      afterRead(app, kind, o, st.stored ? first[storedAt++]!.rows[0] : undefined, first[head.length + n]!.rows[0] as ContextRow)));
    if (steps.some((s) => s.kind === 'final' && s.undo)) {
      await p.flight(['rollback']);
      throw new RunAlone('a request answered from an earlier run');
    }
    // hold → coupon → code, each row once, each class in id order
    const ordered = lockCountedRowsOfMany(steps.filter((s): s is Extract<AfterRead<Extra>, { kind: 'count' }> => s.kind === 'count'));
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
    if (a.kind === 'changed') return g.alone(app, data, jobId);
    if (a.unknownCode) await app.limiter.recordUnknownCodeOnce(jobId ?? null, data.accountId, data.request.customer.id, data.apiKeyId);
    return g.answer(app, data, a);
  }));
}

/** Groups of one kind one worker process has in flight at once: the next group gathers while one is answered. */
const GROUPS_IN_FLIGHT = 2;

function inGroup<D extends CountedJobData, Extra extends object>(app: AppContext, g: GroupKind<D, Extra>, job: CountedJob<D>): Promise<JobOutcome> {
  const max = app.config.redemptionGroupMax;
  if (max <= 1) return g.alone(app, job.data, job.jobId);
  let c = g.groups.get(app);
  if (!c) {
    c = new Coalescer((jobs) => countGroup(app, g, jobs), { maxInFlight: GROUPS_IN_FLIGHT, maxBatch: max });
    g.groups.set(app, c);
  }
  return c.call(job);
}

/**
 * One job of the `redemptions` queue: a redemption or a hold, counted in a group with the others
 * of its kind this process has in flight (redeemGroup, holdGroup), alone when it has none or when
 * grouping is off (`REDEMPTION_GROUP_MAX=1`).
 */
export function redeemJob(app: AppContext, data: RedemptionJobData, jobId?: string): Promise<JobOutcome> {
  return inGroup(app, REDEEM, { data, jobId });
}

export function holdJob(app: AppContext, data: HoldJobData, jobId?: string): Promise<JobOutcome> {
  return inGroup(app, HOLD, { data, jobId });
}
