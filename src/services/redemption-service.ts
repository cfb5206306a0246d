import { isUuid, timeOrderedUuid } from '../ids';
import type { Pool, QueryResult } from 'pg';
import type { AppContext } from '../context';
import type { Em } from '../db/orm';
import { withPipeline, type Pipeline, type Statement } from '../db/pipeline';
import { pipelinedRead } from '../db/pipelined-reads';
import {
  attributionColumns, decideDirectRedemption, decideRedemption, decisionCustomer, effectiveAttribution, mergeCustomer,
  normalizeCode, REFUSAL_MESSAGES, trialDaysOf, type Action, type RefusalCode, type Attribution, type Customer, type CouponTerms, type Plan,
  type RedemptionDecision, type RoundingMode, type StoredCustomer,
} from '../domain';
import type { CustomerInput, RedemptionJobData } from '../queues/payloads';
import { outcomeOfBody, refused, succeeded, type JobOutcome } from '../queues/outcomes';
import { AppError, idempotencyConflict, rateLimited, unknownPlan } from '../errors';
import { decisionCode } from '../repositories/codes';
import { couponTerms, decisionCoupon, type CouponRow } from '../repositories/coupons';
import { holdState } from '../repositories/holds';
import { upsertCustomer } from '../repositories/customers';
import {
  countRedemptionStatement, lockCountedRowsStatements, lockCustomerStatement, lockSubscriptionStatement, type CountOutcome,
} from '../repositories/redemption-statements';
import { contextFromRow, contextStatement, writtenRedemption, type ContextQuery, type ContextRow, type LoadedContext } from '../repositories/redemption-context';
import { redemptionKeys, type RequestKeys } from '../repositories/request-keys';
import { redemptionView, type CodeWithCoupon, type RedemptionView } from '../repositories/redemptions';

export interface DecisionInput {
  /** Exactly one of `code` and `couponId` (a direct coupon). */
  code?: string;
  couponId?: string;
  fromPlanId?: string;
  customer: CustomerInput;
  /** Optional on validate: without it the plan-dependent checks are skipped. */
  planId?: string;
  subscriptionId?: string;
  action?: Action;
  currency?: string;
  /** A redemption consuming a hold: the hold's id. */
  holdId?: string;
}

export type Decided =
  | { kind: 'unknown_plan'; planId: string; field: 'planId' | 'fromPlanId' }
  | {
      kind: 'decided'; decision: RedemptionDecision; loaded: CodeWithCoupon | null; plan: Plan | null; customer: Customer;
      /** The account's rounding mode, pinned in the terms of a redemption made now. */
      rounding: RoundingMode;
    };

/** What the context read is asked for this request, at the decision's `now`. */
export function contextQuery(input: DecisionInput, now: string): ContextQuery {
  // fromPlanId only matters for a plan switch; with any other action it is ignored (API.md)
  const fromPlanId = input.action === 'upgrade' || input.action === 'downgrade' ? input.fromPlanId : undefined;
  const direct = input.couponId !== undefined;
  return {
    code: direct ? '' : normalizeCode(input.code ?? ''),
    // a couponId that is not a UUID names no coupon: looked up as the nil UUID, which exists nowhere
    couponId: direct ? (isUuid(input.couponId!) ? input.couponId : '00000000-0000-0000-0000-000000000000') : undefined,
    planId: input.planId, fromPlanId, customerId: input.customer.id, subscriptionId: input.subscriptionId,
    ...(input.holdId !== undefined ? { holdId: input.holdId } : {}), now,
  };
}

/** Asks the rules engine about a loaded context for this customer (as it is stored after the request). */
export function decide(ctx: LoadedContext, q: ContextQuery, input: DecisionInput, stored: StoredCustomer, now: string): Decided {
  const customer = decisionCustomer(stored);
  if (ctx.plan === null) return { kind: 'unknown_plan', planId: q.planId!, field: 'planId' };
  if (ctx.fromPlan === null) return { kind: 'unknown_plan', planId: q.fromPlanId!, field: 'fromPlanId' };
  const plan = ctx.plan ?? null;
  const { loaded, rounding } = ctx;
  const common = {
    customer,
    plan,
    fromPlan: ctx.fromPlan ?? null,
    action: input.action,
    currency: input.currency,
    customerRedemptionCount: ctx.customerCount,
    customerHoldCount: ctx.customerHoldCount,
    subscriptionActive: input.subscriptionId ? ctx.subscriptionActive : [],
    budgetSpend: ctx.budgetSpend,
    // a hold named: the domain matches it against the coupon and code this request resolved to
    ...(ctx.hold !== undefined
      ? { hold: { state: ctx.hold ? holdState(ctx.hold) : null, couponId: loaded?.coupon.id ?? null, codeId: loaded?.code?.id ?? null } }
      : {}),
  };
  if (q.couponId !== undefined) {
    const decision = decideDirectRedemption({ ...common, coupon: loaded ? decisionCoupon(loaded.coupon) : null }, now);
    return { kind: 'decided', decision, loaded, plan, customer, rounding };
  }
  if (!loaded || !loaded.code) {
    // a hold named with a code that does not exist cannot be a hold of it
    const code: RefusalCode = ctx.hold !== undefined ? 'hold_not_active' : 'code_not_found';
    return { kind: 'decided', decision: { ok: false, code, message: REFUSAL_MESSAGES[code] }, loaded: null, plan, customer, rounding };
  }
  const decision = decideRedemption({ ...common, coupon: decisionCoupon(loaded.coupon), code: decisionCode(loaded.code) }, now);
  return { kind: 'decided', decision, loaded, plan, customer, rounding };
}

/** The attribution a redemption snapshots: the code's over its coupon's, field by field (a direct one: the coupon's). */
export function redemptionAttribution(loaded: CodeWithCoupon): Attribution {
  return effectiveAttribution(loaded.code?.attribution, loaded.coupon.attribution);
}

/** The context read of a decision, outside a transaction, writing nothing. */
export async function readDecisionContext(em: Em, accountId: string, q: ContextQuery): Promise<LoadedContext> {
  const pool: Pool = await em.getConnection().getNativeClient();
  // concurrent requests' context reads share one write to PostgreSQL (see db/pipelined-reads)
  const read = await pipelinedRead(pool, contextStatement(accountId, q));
  return contextFromRow(read.rows[0], q);
}

/**
 * The decision without counting (validate, signup authorization), outside a transaction. One
 * read in steady state: the customer is written (on its own) only when the request creates or
 * changes it.
 */
export async function loadAndDecide(em: Em, accountId: string, input: DecisionInput, now: string): Promise<Decided> {
  const { id, ...fields } = input.customer;
  const q = contextQuery(input, now);
  const ctx = await readDecisionContext(em, accountId, q);
  const merged = mergeCustomer(ctx.storedCustomer, id, fields, { stickyPaid: true });
  if (merged.changed) await upsertCustomer(em, accountId, id, fields, { stickyPaid: true });
  return decide(ctx, q, input, merged.customer, now);
}

export const refusal = (code: RefusalCode): AppError => new AppError(code, REFUSAL_MESSAGES[code]);

/**
 * The refusal of a request whose limit was used up between its decision and its count. Every
 * counting statement carries its body (stored under an idempotency key when it happens), so it
 * is built once rather than per request: an AppError captures a stack trace when made.
 */
export const CODE_EXHAUSTED = refusal('code_exhausted');

/** What one attempt of a redemption (or hold) answers, and what to do once its transaction is over. */
export type Attempt<Extra extends object = object> =
  | ({ kind: 'done'; outcome: JobOutcome; unknownCode: boolean } & Extra)
  /** The coupon or code changed state between the read and the counting write: decide again. */
  | { kind: 'changed' };

/** Decisions after a state change before the job fails (and BullMQ retries it). */
const MAX_ATTEMPTS = 3;

/**
 * Runs `attempt` (one pipelined transaction each) until one is done, deciding again while the
 * coupon or code keeps changing under it (the job fails after MAX_ATTEMPTS). An attempt with an
 * unknown code counts against the guessing defence once per job (`jobId`), after its transaction,
 * so a retried job does not count it twice.
 */
export async function decideUntilDone<Extra extends object>(
  app: AppContext,
  what: string,
  data: { accountId: string; apiKeyId: string | null; request: { customer: { id: string } } },
  jobId: string | undefined,
  attempt: (p: Pipeline) => Promise<Attempt<Extra>>,
): Promise<Extract<Attempt<Extra>, { kind: 'done' }>> {
  for (let n = 1; ; n++) {
    const result = await withPipeline(app.orm, attempt);
    if (result.kind === 'done') {
      if (result.unknownCode) await app.limiter.recordUnknownCodeOnce(jobId ?? null, data.accountId, data.request.customer.id, data.apiKeyId);
      return result as Extract<Attempt<Extra>, { kind: 'done' }>;
    }
    if (n >= MAX_ATTEMPTS) throw new Error(`${what}: the coupon or code kept changing state (${n} decisions)`);
  }
}

/**
 * One redemption, in one transaction sent in two flights on a pipelined connection:
 *
 * 1. BEGIN, (idempotency key lock and stored answer), the subscription and customer row locks,
 *    (without a key: the redemption an earlier run of this job wrote), the context read — sent
 *    at once; the rules engine decides on the answers.
 * 2. The coupon then code row locks, the counting write (or the refusal's stored answer) and
 *    COMMIT — sent at once. The counting write answers what it did (CountOutcome): counted;
 *    limit_reached (a limit used up meanwhile: nothing counted, refused code_exhausted, the
 *    refusal stored under the key); state_changed (the coupon or code archived, disabled, edited
 *    or at another version meanwhile: nothing written, decided again on the rows as they are).
 *
 * The coupon and code rows are locked only in the second flight, so a hot coupon is held for
 * the counting statement and the commit, without a round trip to this process in between.
 * An attempt with an unknown code counts against the guessing defence once per job (`jobId`),
 * after the transaction is over, so a retried job does not count it twice. This is one
 * redemption alone; the worker counts the ones it has in flight together (redemption-groups).
 */
export async function redeem(app: AppContext, data: RedemptionJobData, jobId?: string): Promise<JobOutcome> {
  return (await decideUntilDone(app, 'redemption', data, jobId, (p) => attemptCounted(app, redemptionKind, p, data))).outcome;
}

/** A redemption's or a hold's job payload, as far as the steps they share read it. */
export interface CountedJobData {
  accountId: string;
  apiKeyId: string | null;
  requestHash: string;
  /** Without an idempotency key: the request's own id, which becomes its row's id. */
  requestId?: string;
  request: { customer: CustomerInput; idempotencyKey?: string };
}

/** A redemption or hold about to be attempted: its request as the rules engine takes it, at the attempt's `now`. */
export interface Opened<D extends CountedJobData> {
  data: D;
  now: string;
  key: string | null;
  input: DecisionInput;
  /** Without a key, the request's id is the row's. */
  requestId: string | undefined;
  q: ContextQuery;
}

/** A decision the rules allowed. */
type Allowed = Omit<Extract<Decided, { kind: 'decided' }>, 'decision'> & { decision: Extract<RedemptionDecision, { ok: true }> };

/** The counting step of a request the rules allowed: the rows it locks, its counting statement, and its answer once counted. */
export interface CountStep<Extra extends object> {
  couponId: string;
  codeId: number | null;
  holdId: string | null;
  count: Statement;
  counted: Extract<Attempt<Extra>, { kind: 'done' }>;
}

/**
 * What tells a redemption from a hold on the path they share (one transaction in two pipelined
 * flights; redeem, placeHold): its idempotency keys, the row an earlier run of its job wrote, the
 * subscription it locks (a hold has none), and its counting statement.
 */
export interface CountedKind<D extends CountedJobData, Extra extends object = object> {
  what: 'redemption' | 'hold';
  keys: RequestKeys;
  input(data: D): DecisionInput;
  /** The subscription the request locks (created if new), or null (a hold has none). */
  subscriptionId(data: D): string | null;
  /** The answer to a job whose earlier run committed its row (the context read's `written`), or null. */
  answerWritten(read: ContextRow, now: string): Extract<Attempt<Extra>, { kind: 'done' }> | null;
  count(o: Opened<D>, decided: Allowed): CountStep<Extra>;
}

export function openCounted<D extends CountedJobData>(app: AppContext, kind: CountedKind<D, object>, data: D): Opened<D> {
  const key = data.request.idempotencyKey ?? null;
  const now = app.clock.now();
  const input = kind.input(data);
  // Without a key, the request's id is the row's: the context read (after the row locks) also
  // answers the row a first run of the job committed.
  const requestId = key ? undefined : data.requestId;
  const q: ContextQuery = { ...contextQuery(input, now), ...(requestId ? { written: { kind: kind.what, id: requestId } } : {}) };
  return { data, now, key, input, requestId, q };
}

/**
 * The first flight after BEGIN: (the idempotency key's lock and stored answer), the
 * subscription's (a redemption's) and the customer's row locks, the context read.
 */
export function readStatements<D extends CountedJobData>(kind: CountedKind<D, object>, o: Opened<D>) {
  const { accountId, request } = o.data;
  const { id: customerId, ...fields } = request.customer;
  const subscriptionId = kind.subscriptionId(o.data);
  return {
    keyLock: o.key ? kind.keys.lock(accountId, o.key) : null,
    stored: o.key ? kind.keys.stored(accountId, o.key) : null,
    subscription: subscriptionId === null ? null : lockSubscriptionStatement(accountId, subscriptionId, customerId),
    customer: lockCustomerStatement(accountId, customerId, fields),
    context: contextStatement(accountId, o.q),
  };
}

/**
 * Where a request stands once its first flight is answered: `final` (its answer, the writes
 * that go with it, and whether its transaction must be undone rather than committed), or
 * `count` (CountStep).
 */
export type AfterRead<Extra extends object = object> =
  | { kind: 'final'; attempt: Extract<Attempt<Extra>, { kind: 'done' }>; writes: Statement[]; undo: boolean }
  | ({ kind: 'count' } & CountStep<Extra>);

export async function afterRead<D extends CountedJobData, Extra extends object>(
  app: AppContext, kind: CountedKind<D, Extra>, o: Opened<D>,
  storedAnswer: { request_hash: string; body: Record<string, unknown> } | undefined, read: ContextRow,
): Promise<AfterRead<Extra>> {
  const { data, now, key, input, q } = o;
  const { id: customerId, ...fields } = data.request.customer;
  const final = (outcome: JobOutcome, opts: { writes?: Statement[]; undo?: boolean; unknownCode?: boolean } = {}): AfterRead<Extra> => ({
    kind: 'final', attempt: { kind: 'done', outcome, unknownCode: opts.unknownCode ?? false } as Extract<Attempt<Extra>, { kind: 'done' }>,
    writes: opts.writes ?? [], undo: opts.undo ?? false,
  });
  if (storedAnswer) {
    return final(storedAnswer.request_hash !== data.requestHash ? refused(idempotencyConflict()) : outcomeOfBody(storedAnswer.body), { undo: true });
  }
  const written = kind.answerWritten(read, now);
  if (written) return { kind: 'final', attempt: written, writes: [], undo: true };
  const ctx = contextFromRow(read, q);
  // the customer upsert ran before the read in this transaction, so the read saw its result
  const stored = ctx.storedCustomer ?? mergeCustomer(null, customerId, fields, { stickyPaid: true }).customer;
  const decided = decide(ctx, q, input, stored, now);
  if (decided.kind === 'unknown_plan') return final(refused(unknownPlan(decided.field, decided.planId)));
  const { decision } = decided;
  if (!decision.ok) {
    const unknownCode = decision.code === 'code_not_found';
    if (unknownCode) {
      const keyThrottle = await app.limiter.apiKeyThrottle(data.accountId, data.apiKeyId);
      if (keyThrottle.limited) return final(refused(rateLimited(keyThrottle.retryAfterSeconds)), { unknownCode });
    }
    const out = refused(refusal(decision.code));
    return final(out, { writes: key ? [kind.keys.store(data.accountId, key, data.requestHash, out)] : [], unknownCode });
  }
  return { kind: 'count', ...kind.count(o, { ...decided, decision }) };
}

/** What the counting statement's answer (CountOutcome) makes of a counted request. */
export function countedAttempt<Extra extends object>(step: CountStep<Extra>, counted: QueryResult): Attempt<Extra> {
  const outcome = (counted.rows[0] as { outcome: CountOutcome }).outcome;
  switch (outcome) {
    case 'counted':
      return step.counted;
    case 'limit_reached':
      return { kind: 'done', outcome: refused(CODE_EXHAUSTED), unknownCode: false } as Attempt<Extra>;
    case 'state_changed':
      return { kind: 'changed' };
  }
}

/**
 * One attempt of a redemption or hold, alone: its first flight (BEGIN, readStatements), the
 * rules, then its answer's writes and COMMIT (or ROLLBACK), or the counted rows' locks (hold →
 * coupon → code), its counting statement and COMMIT.
 */
export async function attemptCounted<D extends CountedJobData, Extra extends object>(
  app: AppContext, kind: CountedKind<D, Extra>, p: Pipeline, data: D,
): Promise<Attempt<Extra>> {
  const o = openCounted(app, kind, data);
  const first = await p.named({ begin: 'begin', ...readStatements(kind, o) });
  const step = await afterRead(app, kind, o, first.stored?.rows[0], first.context.rows[0] as ContextRow);
  if (step.kind === 'final') {
    await p.flight([...step.writes, step.undo ? 'rollback' : 'commit']);
    return step.attempt;
  }
  const counted = await p.named({
    ...Object.fromEntries(lockCountedRowsStatements(step.couponId, step.codeId, step.holdId).map((st, i) => [`lock${i}`, st])),
    count: step.count,
    commit: 'commit',
  });
  return countedAttempt(step, counted.count);
}

/** A redemption: locks its subscription (created if new); without a key, an earlier run's redemption answers it. */
export const redemptionKind: CountedKind<RedemptionJobData> = {
  what: 'redemption',
  keys: redemptionKeys,
  input: (data) => ({ ...data.request, action: data.request.action as Action | undefined }),
  subscriptionId: ({ request }) => request.subscriptionId,
  answerWritten(read) {
    const written = writtenRedemption(read);
    return written ? { kind: 'done', outcome: succeeded(createdBody(redemptionView(written))), unknownCode: false } : null;
  },
  count(o, { decision, loaded, rounding }) {
    const { data: { accountId, request, requestHash }, now, key, requestId } = o;
    const { code, coupon } = loaded!;
    const customerId = request.customer.id;
    const terms = pinnedTerms(coupon, rounding);
    const attribution = redemptionAttribution(loaded!);
    const holdId = request.holdId ?? null;
    const redemption: RedemptionView = {
      id: requestId ?? timeOrderedUuid(), couponId: coupon.id, couponVersion: coupon.version, code: code?.code ?? null, customerId,
      subscriptionId: request.subscriptionId, planId: request.planId, action: decision.action, status: 'active', terms,
      cyclesApplied: 0, createdAt: now, endedAt: null, voidedAt: null, attribution,
    };
    const body = createdBody(redemption);
    return {
      couponId: coupon.id, codeId: code?.id ?? null, holdId,
      counted: { kind: 'done', outcome: succeeded(body), unknownCode: false },
      count: countRedemptionStatement({
        id: redemption.id, createdAt: now, accountId, couponId: coupon.id, couponVersion: coupon.version, codeId: code?.id ?? null, code: code?.code ?? null,
        customerId, subscriptionId: request.subscriptionId, planId: request.planId, action: decision.action, terms, stackable: terms.stackable,
        attribution: attributionColumns(attribution),
        idempotency: key ? { key, requestHash, body, exhaustedBody: CODE_EXHAUSTED.toBody() } : null,
        codeCustomerId: code?.customerId ?? null, holdId,
      }),
    };
  },
};

/** The terms a redemption (or a preview's listed coupon) pins: the coupon's, with the account's rounding mode now. */
export function pinnedTerms(coupon: CouponRow, rounding: RoundingMode): CouponTerms {
  return { ...couponTerms(coupon), rounding };
}

/** The 201 body of a redemption: the redemption, and the trial days its terms grant. */
function createdBody(redemption: RedemptionView): Record<string, unknown> {
  const trialDays = trialDaysOf(redemption.terms);
  return trialDays === undefined ? { redemption } : { redemption, trialDays };
}
