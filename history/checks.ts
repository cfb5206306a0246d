import { DateTime } from 'luxon';
import type { FinalState, History, JobState, Op, Violation } from './model';
import { canonical } from './canonical';

/**
 * The rules a history must keep (API.md "Exactness at the seams", "Failure answers", Validate and
 * redeem, Invoices, events). Each rule allows everything the contract allows: an answer that
 * leaves the outcome open (503, a 202, no answer) may or may not have had its effect, but never
 * twice; a validate that said yes may be followed by a refused redemption.
 *
 * Orders within one coupon, code or subscription are read from the events table: a change and
 * its event are written in one transaction while it holds the row lock of that coupon, code or
 * subscription (a redemption's count locks its subscription, coupon and code; a coupon edit or
 * archive its coupon; a code's disable/enable its code; a cancellation its subscription), and
 * event ids are drawn inside that transaction, so for two changes of one row the lower event id
 * is the one that committed first.
 */

/** How late after its answer an event may still be missing from the feed (API.md: within 30 s). */
export const FEED_LAG_MS = 30_000;
/** While a server is down, a request answers within 3 s (API.md); this much more is allowed for a busy machine. */
export const OUTAGE_ANSWER_MS = 3_000;
export const OUTAGE_SLACK_MS = 500;
/** API.md "Failure answers": both services are used again within 30 s of coming back. */
export const RECOVERY_MS = 30_000;
/** After the feed probe's edits were answered, polls this much later must show them. */
export const PROBE_GRACE_MS = 500;

/** The terms a redemption snapshots, as the coupon version stores them. */
const TERMS_FIELDS = ['discount', 'duration', 'appliesTo', 'eligibility', 'overflow', 'stackable', 'timeZone'];

const REDEEM_STATUSES = new Set([201, 202, 400, 409, 422, 503]);
const EXPECTED: Record<Op['kind'], Set<number>> = {
  redeem: REDEEM_STATUSES,
  validate: new Set([200, 503]),
  'patch-coupon': new Set([200, 409, 503]),
  'code-state': new Set([200, 409, 503]),
  archive: new Set([200, 503]),
  void: new Set([200, 503]),
  invoice: new Set([200, 202, 409, 503]),
  'invoice-paid': new Set([200, 404, 503]),
  cancel: new Set([200, 503]),
  hold: new Set([201, 202, 422, 503]),
  release: new Set([204, 422, 503]),
};
/** Routes that enqueue or count guesses: bound to answer within 3 s while Redis is down. */
const REDIS_ROUTES = new Set<Op['kind']>(['redeem', 'validate', 'invoice', 'hold']);
/** How long after its expiry a hold may still be active when the final state is read (the sweep runs every 5 s). */
export const HOLD_EXPIRY_SLACK_MS = 15_000;
const OUTAGE_CODES = new Set(['queue_unavailable', 'database_unavailable', 'queue_full']);

/** A definite outcome: the status and body the request's effect stands for. */
interface Outcome {
  status: number;
  body: any;
  /** where it was learnt: the answer itself or its job (a 202) */
  via: 'answer' | 'job';
}

function redemptionStatusOf(body: any): number {
  if (body?.redemption || body?.hold) return 201;
  const code = body?.error?.code;
  if (code === 'validation_failed') return 400;
  if (code === 'idempotency_conflict') return 409;
  if (code === 'rate_limited') return 429;
  return 422;
}

function invoiceStatusOf(body: any): number {
  if (body?.invoiceId) return 200;
  const code = body?.error?.code;
  if (code === 'conflict') return 409;
  if (code === 'validation_failed') return 400;
  return 500;
}

const withoutPaid = (r: any) => {
  if (!r || typeof r !== 'object') return r;
  const { paid: _p, ...rest } = r;
  return rest;
};

export class Checker {
  readonly violations: Violation[] = [];
  private readonly h: History;
  private readonly f: FinalState;
  private readonly jobs = new Map<string, JobState>();
  /** event id of each redemption's redemption.created (the first, if there are several) */
  private readonly createdEvent = new Map<string, number>();
  private readonly voidedEvent = new Map<string, number>();
  /** when the first 201 answer naming each redemption ended */
  private readonly answeredAt = new Map<string, number>();
  /** when the first void request of each redemption started */
  private readonly voidStarts = new Map<string, number>();

  constructor(history: History) {
    this.h = history;
    this.f = history.final;
    for (const j of history.jobs) this.jobs.set(`${j.queue}|${j.id}`, j);
    for (const e of this.f.events) {
      if (e.type === 'redemption.created' && !this.createdEvent.has(e.data.redemptionId)) this.createdEvent.set(e.data.redemptionId, e.id);
      if (e.type === 'redemption.voided' && !this.voidedEvent.has(e.data.redemptionId)) this.voidedEvent.set(e.data.redemptionId, e.id);
    }
    for (const op of history.ops) {
      const id = op.kind === 'redeem' && op.status === 201 ? op.res?.redemption?.id : undefined;
      if (id && op.end !== null) this.answeredAt.set(id, Math.min(op.end, this.answeredAt.get(id) ?? Infinity));
      if (op.kind === 'void') this.voidStarts.set(op.meta.redemptionId!, Math.min(op.start, this.voidStarts.get(op.meta.redemptionId!) ?? Infinity));
    }
  }

  private flag(rule: string, message: string, ops: number[] = []): void {
    this.violations.push({ rule, message, ops: [...new Set(ops)].sort((a, b) => a - b) });
  }

  /** The job state behind a 202 answer, if it was read. */
  private jobOf(op: Op): JobState | undefined {
    const job = op.status === 202 ? op.res?.job : undefined;
    return job ? this.jobs.get(`${job.queue}|${job.id}`) : undefined;
  }

  /** The definite outcome of an operation: its answer, or its 202's completed job; null when unknown. */
  outcome(op: Op): Outcome | null {
    if (op.status === null || op.status >= 500) return null;
    if (op.status !== 202) return { status: op.status, body: op.res, via: 'answer' };
    const job = this.jobOf(op);
    if (job?.status !== 200 || job.res?.status !== 'completed') return null;
    const body = job.res.result;
    return { status: op.kind === 'invoice' ? invoiceStatusOf(body) : redemptionStatusOf(body), body, via: 'job' };
  }

  run(): Violation[] {
    this.answers();
    this.outages();
    this.recovery();
    this.asyncJobs();
    this.redemptions();
    this.idempotency();
    this.counters();
    this.countedOnTermsInForce();
    this.holds();
    this.limitsWithHolds();
    this.budgets();
    this.voids();
    this.validations();
    this.invoices();
    this.cancellations();
    this.eventsMatchRows();
    this.feed();
    return this.violations;
  }

  // ---- answers

  /** Every answer is one the contract lists for its route; 5xx other than a 503 outage answer is a bug. */
  private answers(): void {
    for (const op of this.h.ops) {
      if (op.status === null) {
        this.flag('no-answer', `no answer (${op.error ?? 'connection failed'})`, [op.id]);
        continue;
      }
      if (op.end !== null && op.end - op.start > this.h.hangMs) this.flag('slow-answer', `answered after ${op.end - op.start} ms (more than ${this.h.hangMs} ms)`, [op.id]);
      if (op.status === 503) {
        const code = op.res?.error?.code;
        if (code === 'job_failed') this.flag('job-failed', 'answered 503 job_failed: the job failed instead of completing', [op.id]);
        else if (!OUTAGE_CODES.has(code)) this.flag('unexpected-answer', `503 with error code ${JSON.stringify(code)}`, [op.id]);
        continue;
      }
      if (!EXPECTED[op.kind].has(op.status)) this.flag(op.status >= 500 ? 'server-error' : 'unexpected-answer', `${op.kind} answered ${op.status}`, [op.id]);
    }
  }

  /**
   * While PostgreSQL is down every request, and while Redis is down every request of a route that
   * enqueues or counts guesses, answers within 3 s (API.md "Failure answers"): one in flight once
   * the server is down is answered within 3 s of that (or of its start, if later), when the
   * server stays down that long.
   */
  private outages(): void {
    const limit = OUTAGE_ANSWER_MS + OUTAGE_SLACK_MS;
    for (const fault of this.h.faults) {
      if (fault.kind === 'kill-worker') continue;
      for (const op of this.h.ops) {
        if (fault.kind === 'redis-down' && !REDIS_ROUTES.has(op.kind)) continue;
        if (op.end !== null && op.end <= fault.down) continue;
        const from = Math.max(op.start, fault.down);
        if (from + limit > fault.restart) continue;
        const took = (op.end ?? Infinity) - from;
        if (took > limit) {
          const inFlight = op.start < fault.down;
          const when = inFlight ? `in flight when "${fault.detail}" began` : `started ${op.start - fault.down} ms into "${fault.detail}"`;
          this.flag(inFlight ? 'waited-through-outage' : 'slow-during-outage', `${when}, ${op.end === null ? 'never answered' : `answered ${took} ms later`} (limit ${OUTAGE_ANSWER_MS} ms)`, [op.id]);
        }
      }
    }
  }

  /**
   * A request that starts more than RECOVERY_MS after the last outage ended, while no server is
   * down, is not answered as if one were (503 database_unavailable / queue_unavailable): the
   * service recovers without a restart (a pool left holding dead connections, say, would not).
   */
  private recovery(): void {
    const outages = this.h.faults.filter((f) => f.kind !== 'kill-worker');
    for (const op of this.h.ops) {
      if (op.status !== 503) continue;
      const code = op.res?.error?.code;
      if (code !== 'database_unavailable' && code !== 'queue_unavailable') continue;
      if (outages.some((f) => op.start < f.end && (op.end ?? Infinity) > f.start)) continue;
      const before = outages.filter((f) => f.end <= op.start);
      const since = before.length ? op.start - Math.max(...before.map((f) => f.end)) : op.start;
      if (since > RECOVERY_MS) this.flag('no-recovery', `answered 503 ${code} ${since} ms after the last outage ended (limit ${RECOVERY_MS} ms)`, [op.id]);
    }
  }

  /** A 202's job is found completed once the run settled. */
  private asyncJobs(): void {
    for (const op of this.h.ops) {
      if (op.status !== 202) continue;
      const job = this.jobOf(op);
      if (!job) {
        this.flag('job-not-completed', `202 without a job reference: ${JSON.stringify(op.res)}`, [op.id]);
      } else if (job.status !== 200 || job.res?.status !== 'completed') {
        this.flag('job-not-completed', `the 202's job ${job.queue}/${job.id} is ${job.status === 200 ? job.res?.status : `unreadable (${job.status})`} after the run settled`, [op.id]);
      }
    }
  }

  // ---- redemptions: each request's effect at most once, every answer matching its row

  private redeemOps(): Op[] {
    return this.h.ops.filter((o) => o.kind === 'redeem');
  }

  /** The ops whose request a redemption row belongs to. */
  private opsOfRow(r: FinalState['redemptions'][number]): Op[] {
    return this.redeemOps().filter((o) => (r.idempotencyKey !== null ? o.meta.key === r.idempotencyKey : o.meta.key === undefined && o.meta.subscriptionId === r.subscriptionId));
  }

  private redemptions(): void {
    const ops = this.redeemOps();
    const rowsById = new Map(this.f.redemptions.map((r) => [r.id, r]));
    const rowsByKey = new Map<string, typeof this.f.redemptions>();
    const rowsBySub = new Map<string, typeof this.f.redemptions>();
    for (const r of this.f.redemptions) {
      const m = r.idempotencyKey !== null ? rowsByKey : rowsBySub;
      const k = r.idempotencyKey ?? r.subscriptionId;
      m.set(k, [...(m.get(k) ?? []), r]);
    }
    const keys = new Set(ops.flatMap((o) => (o.meta.key ? [o.meta.key] : [])));
    const unkeyed = new Map(ops.filter((o) => !o.meta.key).map((o) => [o.meta.subscriptionId!, o]));

    for (const r of this.f.redemptions) {
      if (r.idempotencyKey !== null ? !keys.has(r.idempotencyKey) : !unkeyed.has(r.subscriptionId)) {
        this.flag('unattributed-redemption', `redemption ${r.id} (${r.code}, ${r.customerId}, ${r.subscriptionId}, key ${r.idempotencyKey}) belongs to no request of the history`);
      }
    }
    for (const [k, rows] of rowsByKey) {
      if (rows.length > 1) this.flag('duplicate-redemption', `key ${k} has ${rows.length} redemptions: ${rows.map((r) => r.id).join(', ')}`, ops.filter((o) => o.meta.key === k).map((o) => o.id));
    }
    for (const [sub, rows] of rowsBySub) {
      const op = unkeyed.get(sub);
      if (rows.length > 1) this.flag('duplicate-redemption', `one request without a key made ${rows.length} redemptions: ${rows.map((r) => r.id).join(', ')}`, op ? [op.id] : []);
    }

    for (const op of ops) {
      const out = this.outcome(op);
      const body = op.body as any;
      if (out?.status === 400 && op.meta.valid) this.flag('valid-request-refused', `a valid request answered 400 ${JSON.stringify(out.body?.error)}`, [op.id]);
      // an unknown plan is 400; with a key that already holds another body's outcome it may be 409 first
      if (out && op.meta.valid === false && out.status !== 400 && !(op.meta.key && out.status === 409)) {
        this.flag('invalid-request-accepted', `a request naming an unknown plan answered ${out.status}`, [op.id]);
      }
      if (out?.status === 201) {
        const red = out.body?.redemption;
        const expectCoupon = op.meta.couponId;
        const mismatch = !red || red.subscriptionId !== body.subscriptionId || red.customerId !== body.customer.id
          || red.code !== String(body.code).toUpperCase() || red.couponId !== expectCoupon;
        if (mismatch) {
          this.flag('answer-not-this-request', `answered 201 with a redemption of another request: ${JSON.stringify(red && { code: red.code, customerId: red.customerId, subscriptionId: red.subscriptionId })}`, [op.id, ...this.opsWithRedemption(red?.id)]);
        }
        const row = red?.id ? rowsById.get(red.id) : undefined;
        if (!row) this.flag('answered-redemption-missing', `answered 201 with redemption ${red?.id}, which is not stored`, [op.id]);
      }
      if (!op.meta.key) {
        const rows = rowsBySub.get(op.meta.subscriptionId!) ?? [];
        if (out && out.status !== 201 && rows.length > 0) {
          this.flag('refused-but-counted', `answered ${out.status} ${JSON.stringify(out.body?.error?.code)} (via ${out.via}) yet made redemption ${rows.map((r) => r.id).join(', ')}`, [op.id]);
        }
        if (out?.status === 201 && rows.length === 1 && rows[0].id !== out.body?.redemption?.id) {
          this.flag('answered-redemption-missing', `answered redemption ${out.body?.redemption?.id} but its request's row is ${rows[0].id}`, [op.id]);
        }
      }
    }
  }

  private opsWithRedemption(id: string | undefined): number[] {
    if (!id) return [];
    return this.redeemOps().filter((o) => o.status === 201 && o.res?.redemption?.id === id).map((o) => o.id).slice(0, 3);
  }

  /**
   * One outcome per key: every definite answer for a key is the same (status and body) and comes
   * from one body; another body answers 409 idempotency_conflict, and only when a valid other
   * body was sent first (a 400 pins nothing). The stored outcome and the key's row agree.
   */
  private idempotency(): void {
    const byKey = new Map<string, Op[]>();
    for (const op of this.redeemOps()) if (op.meta.key) byKey.set(op.meta.key, [...(byKey.get(op.meta.key) ?? []), op]);
    const stored = new Map(this.f.storedOutcomes.map((s) => [s.key, s]));
    const rowOfKey = new Map(this.f.redemptions.filter((r) => r.idempotencyKey !== null).map((r) => [r.idempotencyKey!, r]));
    for (const [key, ops] of byKey) {
      const decided = ops.map((op) => ({ op, out: this.outcome(op) })).filter((x) => x.out && (x.out.status === 201 || x.out.status === 422));
      const outcomes = new Set(decided.map((x) => canonical({ s: x.out!.status, b: x.out!.body })));
      if (outcomes.size > 1) {
        this.flag('key-two-outcomes', `key ${key} answered ${outcomes.size} different outcomes: ${decided.map((x) => `#${x.op.id} ${x.out!.status}${x.out!.status === 422 ? ` ${x.out!.body?.error?.code}` : ''}`).join(', ')}`, decided.map((x) => x.op.id));
      }
      const bodies = new Set(decided.map((x) => x.op.meta.bodyKey));
      if (bodies.size > 1) this.flag('key-two-bodies-decided', `key ${key}: requests with ${bodies.size} different bodies got a 201/422 outcome`, decided.map((x) => x.op.id));
      const winner = decided.length > 0 && bodies.size === 1 ? decided[0].op.meta.bodyKey : undefined;
      const s = stored.get(key);
      if (s && decided.length && !outcomes.has(canonical({ s: s.status, b: s.body }))) {
        this.flag('key-stored-outcome-differs', `key ${key}: the stored outcome (${s.status}) differs from what was answered`, decided.map((x) => x.op.id));
      }
      const row = rowOfKey.get(key);
      if (row && winner) {
        const w = decided[0].op.body as any;
        if (row.subscriptionId !== w.subscriptionId || row.customerId !== w.customer.id || row.code !== String(w.code).toUpperCase()) {
          this.flag('key-row-of-other-body', `key ${key}: its redemption ${row.id} is of another body than the one answered`, decided.map((x) => x.op.id));
        }
      }
      if (row && decided.some((x) => x.out!.status === 422)) {
        this.flag('refused-but-counted', `key ${key} answered 422 yet has redemption ${row.id}`, decided.map((x) => x.op.id));
      }
      for (const op of ops) {
        const out = this.outcome(op);
        if (out?.status !== 409) continue;
        if (winner !== undefined && op.meta.bodyKey === winner) {
          this.flag('key-conflict-same-body', `key ${key}: 409 for the very body whose outcome the key holds`, [op.id, ...decided.map((x) => x.op.id)]);
          continue;
        }
        // the 409 was decided by the answer, or for a 202 by its job, which may run long after
        // the 202 (a killed worker's job waits to be taken again): by when the job was seen done
        const decidedBy = op.status === 202 ? (this.jobOf(op)?.seenAt ?? Infinity) : (op.end ?? Infinity);
        const before = ops.filter((o) => o !== op && o.meta.valid && o.meta.bodyKey !== op.meta.bodyKey && o.start < decidedBy);
        if (before.length === 0) {
          this.flag('key-conflict-without-other-body', `key ${key}: 409 idempotency_conflict though no other valid body was sent before (a 400 pins nothing)`, ops.map((o) => o.id));
        }
      }
    }
  }

  // ---- counters and limits

  private counters(): void {
    const rowsOfCoupon = new Map<string, number>();
    const rowsOfCode = new Map<number, number>();
    const perCustomer = new Map<string, number>();
    for (const r of this.f.redemptions) {
      rowsOfCoupon.set(r.couponId, (rowsOfCoupon.get(r.couponId) ?? 0) + 1);
      if (r.codeId !== null) rowsOfCode.set(r.codeId, (rowsOfCode.get(r.codeId) ?? 0) + 1);
      if (r.status !== 'voided') perCustomer.set(`${r.couponId}|${r.customerId}`, (perCustomer.get(`${r.couponId}|${r.customerId}`) ?? 0) + 1);
    }
    const activeOfCoupon = new Map<string, number>();
    const activeOfCode = new Map<number, number>();
    for (const h of this.f.holds ?? []) {
      if (h.status !== 'active') continue;
      activeOfCoupon.set(h.couponId, (activeOfCoupon.get(h.couponId) ?? 0) + 1);
      if (h.codeId !== null) activeOfCode.set(h.codeId, (activeOfCode.get(h.codeId) ?? 0) + 1);
    }
    for (const c of this.f.coupons) {
      if (c.held !== undefined && c.held !== (activeOfCoupon.get(c.id) ?? 0)) this.flag('held-mismatch', `coupon ${c.id}: held ${c.held} but ${activeOfCoupon.get(c.id) ?? 0} active holds`);
      if (c.maxRedemptions !== null && c.timesRedeemed + (c.held ?? 0) > c.maxRedemptions) {
        this.flag('over-limit', `coupon ${c.id}: timesRedeemed ${c.timesRedeemed} + held ${c.held} > maxRedemptions ${c.maxRedemptions}`);
      }
    }
    for (const k of this.f.codes) {
      if (k.held !== undefined && k.held !== (activeOfCode.get(k.id) ?? 0)) this.flag('held-mismatch', `code ${k.code}: held ${k.held} but ${activeOfCode.get(k.id) ?? 0} active holds`);
      if (k.maxRedemptions !== null && k.timesRedeemed + (k.held ?? 0) > k.maxRedemptions) {
        this.flag('over-limit', `code ${k.code}: timesRedeemed ${k.timesRedeemed} + held ${k.held} > maxRedemptions ${k.maxRedemptions}`);
      }
    }
    for (const c of this.f.coupons) {
      const n = rowsOfCoupon.get(c.id) ?? 0;
      if (c.timesRedeemed !== n) this.flag('counter-mismatch', `coupon ${c.id}: timesRedeemed ${c.timesRedeemed} but ${n} redemptions`);
      if (c.maxRedemptions !== null && c.timesRedeemed > c.maxRedemptions) this.flag('over-limit', `coupon ${c.id}: timesRedeemed ${c.timesRedeemed} > maxRedemptions ${c.maxRedemptions}`);
    }
    for (const k of this.f.codes) {
      const n = rowsOfCode.get(k.id) ?? 0;
      if (k.timesRedeemed !== n) this.flag('counter-mismatch', `code ${k.code}: timesRedeemed ${k.timesRedeemed} but ${n} redemptions`);
      if (k.maxRedemptions !== null && k.timesRedeemed > k.maxRedemptions) this.flag('over-limit', `code ${k.code}: timesRedeemed ${k.timesRedeemed} > maxRedemptions ${k.maxRedemptions}`);
    }
    const couponById = new Map(this.f.coupons.map((c) => [c.id, c]));
    for (const [k, n] of perCustomer) {
      const [couponId, customerId] = k.split('|');
      const limit = couponById.get(couponId)?.perCustomer;
      if (limit != null && n > limit) this.flag('over-customer-limit', `coupon ${couponId}: customer ${customerId} holds ${n} redemptions, perCustomer is ${limit}`);
    }
  }

  /**
   * Each redemption was counted on the terms in force at its count (read from the event order of
   * its coupon and code): the version stored is the version then, its terms are that version's,
   * the coupon was not archived and the code not disabled, and the coupon's maxRedemptions and
   * perCustomer of that version and the code's limit held at that moment.
   */
  private countedOnTermsInForce(): void {
    const snapshots = new Map(this.f.versions.map((v) => [`${v.couponId}|${v.version}`, v.snapshot]));
    const couponEvents = new Map<string, { id: number; type: string; version?: number }[]>();
    const codeEvents = new Map<string, { id: number; type: string }[]>();
    for (const e of this.f.events) {
      if (e.type === 'coupon.updated' || e.type === 'coupon.archived') {
        couponEvents.set(e.data.couponId, [...(couponEvents.get(e.data.couponId) ?? []), { id: e.id, type: e.type, version: e.data.version }]);
      }
      if (e.type === 'code.disabled' || e.type === 'code.enabled') {
        const code = String(e.data.code).toUpperCase();
        codeEvents.set(code, [...(codeEvents.get(code) ?? []), { id: e.id, type: e.type }]);
      }
    }
    const codeById = new Map(this.f.codes.map((k) => [k.id, k]));
    const patches = this.h.ops.filter((o) => o.kind === 'patch-coupon' && o.status === 200);
    const counted = this.f.redemptions.filter((r) => this.createdEvent.has(r.id)).sort((a, b) => this.createdEvent.get(a.id)! - this.createdEvent.get(b.id)!);
    const before = new Map<string, number>();
    const codeBefore = new Map<number, number>();
    const customerRows = new Map<string, typeof counted>();
    for (const r of counted) {
      const e = this.createdEvent.get(r.id)!;
      const evs = (couponEvents.get(r.couponId) ?? []).filter((x) => x.id < e);
      const inForce = [...evs].reverse().find((x) => x.type === 'coupon.updated')?.version ?? 1;
      const ops = () => this.opsOfRow(r).map((o) => o.id);
      const patchOf = (v: number) => patches.filter((p) => p.meta.couponId === r.couponId && p.res?.version === v).map((p) => p.id);
      // older than the version in force when it was counted (a newer one could only be read after
      // the count, which holds the coupon's row)
      if (r.couponVersion < inForce) {
        this.flag('stale-version', `redemption ${r.id} of coupon ${r.couponId} stores version ${r.couponVersion} but was counted after version ${inForce} was in force`, [...ops(), ...patchOf(inForce)]);
      }
      const stored = snapshots.get(`${r.couponId}|${r.couponVersion}`);
      if (!stored) {
        this.flag('terms-mismatch', `redemption ${r.id}: coupon ${r.couponId} has no version ${r.couponVersion}`, ops());
      } else {
        const differs = TERMS_FIELDS.filter((f) => canonical(stored[f]) !== canonical(r.terms?.[f]));
        if (differs.length) this.flag('terms-mismatch', `redemption ${r.id}: terms ${differs.join(', ')} differ from version ${r.couponVersion}`, ops());
      }
      if (evs.some((x) => x.type === 'coupon.archived')) this.flag('counted-after-archive', `redemption ${r.id} counted after coupon ${r.couponId} was archived`, ops());
      const code = r.codeId !== null ? codeById.get(r.codeId) : undefined;
      if (code) {
        const last = (codeEvents.get(code.code.toUpperCase()) ?? []).filter((x) => x.id < e).pop();
        if (last?.type === 'code.disabled') this.flag('counted-while-disabled', `redemption ${r.id} counted while code ${code.code} was disabled`, ops());
        if (code.customerId !== null && code.customerId !== r.customerId) this.flag('code-restricted', `redemption ${r.id} by ${r.customerId} on code ${code.code} restricted to ${code.customerId}`, ops());
        const n = codeBefore.get(code.id) ?? 0;
        if (code.maxRedemptions !== null && n + 1 > code.maxRedemptions) this.flag('over-limit-at-count', `redemption ${r.id} is code ${code.code}'s ${n + 1}th, limit ${code.maxRedemptions}`, ops());
        codeBefore.set(code.id, n + 1);
      }
      const limits = snapshots.get(`${r.couponId}|${Math.max(inForce, r.couponVersion)}`)?.limits ?? {};
      const n = before.get(r.couponId) ?? 0;
      if (limits.maxRedemptions != null && n + 1 > limits.maxRedemptions) {
        this.flag('over-limit-at-count', `redemption ${r.id} is coupon ${r.couponId}'s ${n + 1}th, version ${inForce} allows ${limits.maxRedemptions}`, [...ops(), ...patchOf(inForce)]);
      }
      before.set(r.couponId, n + 1);
      // rows of this customer and coupon counted before, unless their void may have committed
      // before this count did: its event comes first, or its request started before this
      // redemption was answered (or it never was)
      const k = `${r.couponId}|${r.customerId}`;
      const earlier = customerRows.get(k) ?? [];
      const answeredBy = this.answeredAt.get(r.id) ?? Infinity;
      const holding = earlier.filter((x) => !((this.voidedEvent.get(x.id) ?? Infinity) < e
        || (x.voidedAt !== null && (this.voidStarts.get(x.id) ?? Infinity) < answeredBy)));
      if (limits.perCustomer != null && holding.length + 1 > limits.perCustomer) {
        this.flag('over-customer-limit-at-count', `redemption ${r.id}: customer ${r.customerId} already held ${holding.length} of coupon ${r.couponId} (${holding.map((x) => x.id).join(', ')}), version ${inForce} allows ${limits.perCustomer}`, [...ops(), ...patchOf(inForce)]);
      }
      customerRows.set(k, [...earlier, r]);
    }
  }

  // ---- holds

  /**
   * Each hold answered 201 is stored as this request's; each stored hold was answered or its
   * request's outcome is unknown; a release answered 204 left it released, a redemption with a
   * hold answered 201 consumed it (before its expiry, by that redemption of the same customer,
   * coupon and code); an expired hold ended at or after its expiry; no hold is still active well
   * after its expiry when the run settled.
   */
  private holds(): void {
    const rows = this.f.holds ?? [];
    const byId = new Map(rows.map((h) => [h.id, h]));
    const holdOps = this.h.ops.filter((o) => o.kind === 'hold');
    const answered = new Set<string>();
    for (const op of holdOps) {
      const out = this.outcome(op);
      if (out?.status !== 201) continue;
      const h = out.body?.hold;
      answered.add(h?.id);
      const row = byId.get(h?.id);
      const body = op.body as any;
      if (!row) this.flag('answered-hold-missing', `answered 201 with hold ${h?.id}, which is not stored`, [op.id]);
      else if (row.customerId !== body.customer.id || row.code !== String(body.code).toUpperCase() || row.couponId !== op.meta.couponId) {
        this.flag('hold-answer-not-this-request', `answered hold ${row.id} of ${row.customerId} on ${row.code} to a request of ${body.customer.id} on ${body.code}`, [op.id]);
      }
    }
    for (const row of rows) {
      if (answered.has(row.id)) continue;
      const open = holdOps.filter((o) => this.outcome(o) === null && o.meta.customerId === row.customerId && String(o.meta.code).toUpperCase() === row.code);
      if (open.length === 0) this.flag('unattributed-hold', `hold ${row.id} (${row.customerId}, ${row.code}) belongs to no request that may have made it`);
    }
    const releases = this.h.ops.filter((o) => o.kind === 'release');
    for (const op of releases) {
      const row = byId.get(op.meta.holdId!);
      if (op.status === 204 && row?.status !== 'released') this.flag('release-lost', `release of ${op.meta.holdId} answered 204 but the hold is ${row?.status ?? 'missing'}`, [op.id]);
    }
    const redeems = this.h.ops.filter((o) => o.kind === 'redeem' && o.meta.holdId);
    const redemptions = new Map(this.f.redemptions.map((r) => [r.id, r]));
    for (const op of redeems) {
      const out = this.outcome(op);
      if (out?.status !== 201) continue;
      const row = byId.get(op.meta.holdId!);
      if (!row || row.status !== 'consumed' || row.redemptionId !== out.body?.redemption?.id) {
        this.flag('hold-not-consumed', `a redemption with hold ${op.meta.holdId} answered 201 (${out.body?.redemption?.id}) but the hold is ${row?.status ?? 'missing'} (by ${row?.redemptionId ?? 'none'})`, [op.id]);
      }
    }
    const ms = (iso: string) => Date.parse(iso);
    for (const row of rows) {
      if (row.status === 'released' && !releases.some((o) => o.meta.holdId === row.id && (o.status === 204 || this.outcome(o) === null))) {
        this.flag('released-without-request', `hold ${row.id} is released but no release of it was accepted`);
      }
      if (row.status === 'consumed') {
        const r = row.redemptionId ? redemptions.get(row.redemptionId) : undefined;
        if (!r || r.customerId !== row.customerId || r.couponId !== row.couponId || r.codeId !== row.codeId) {
          this.flag('consumed-by-other', `hold ${row.id} is consumed by ${row.redemptionId}, not a redemption of its customer, coupon and code`);
        } else if (row.endedAt !== null && ms(row.endedAt) >= ms(row.expiresAt)) {
          this.flag('consumed-after-expiry', `hold ${row.id} expiring at ${row.expiresAt} was consumed at ${row.endedAt}`, this.opsOfRow(r).map((o) => o.id));
        }
      }
      if (row.status === 'expired' && (row.endedAt === null || ms(row.endedAt) < ms(row.expiresAt))) {
        this.flag('expired-early', `hold ${row.id} expiring at ${row.expiresAt} was expired at ${row.endedAt}`);
      }
      if (row.status === 'active' && this.f.readAt && ms(row.expiresAt) < ms(this.f.readAt) - HOLD_EXPIRY_SLACK_MS) {
        this.flag('hold-not-expired', `hold ${row.id} expiring at ${row.expiresAt} is still active when the run settled (${this.f.readAt})`);
      }
    }
  }

  /**
   * No coupon, code or customer past its limit at any count, counting active holds as
   * redemptions: the events of holds (created, released, expired) and redemptions (a redemption
   * with a hold takes the hold's slot) replayed in id order — each is written under its coupon's
   * row lock, so for one coupon a lower event id committed first — against the limits of the
   * version in force. perCustomer frees a voided redemption's slot from its void's event on, or
   * from its void's request when that started before the count was answered (a void takes no
   * coupon lock).
   */
  private limitsWithHolds(): void {
    if (!this.f.holds || this.f.holds.length === 0) return;
    const snapshots = new Map(this.f.versions.map((v) => [`${v.couponId}|${v.version}`, v.snapshot]));
    const codeByText = new Map(this.f.codes.filter((k) => k.state !== 'archived').map((k) => [k.code.toUpperCase(), k]));
    const version = new Map<string, number>();
    const couponTaken = new Map<string, number>();
    const codeTaken = new Map<string, number>();
    const active = new Map<string, { couponId: string; code: string | null; customerId: string }>();
    const live = new Map<string, { id: string; couponId: string; customerId: string }[]>();
    const holdAnswered = new Map<string, number>();
    for (const op of this.h.ops) {
      const out = op.kind === 'hold' ? this.outcome(op) : null;
      if (out?.status === 201 && op.end !== null) holdAnswered.set(out.body.hold.id, op.end);
    }
    const add = (m: Map<string, number>, k: string | null, n: number) => {
      if (k !== null) m.set(k, (m.get(k) ?? 0) + n);
    };
    const check = (e: { id: number; data: any }, what: string, answeredBy: number, ops: number[]) => {
      const couponId = e.data.couponId as string;
      const limits = snapshots.get(`${couponId}|${version.get(couponId) ?? 1}`)?.limits ?? {};
      const code = e.data.code ? String(e.data.code).toUpperCase() : null;
      const taken = couponTaken.get(couponId) ?? 0;
      if (limits.maxRedemptions != null && taken + 1 > limits.maxRedemptions) {
        this.flag('over-limit-with-holds', `${what}: coupon ${couponId} had ${taken} redemptions and active holds, version ${version.get(couponId) ?? 1} allows ${limits.maxRedemptions}`, ops);
      }
      const k = code ? codeByText.get(code) : undefined;
      if (k && k.maxRedemptions !== null && (codeTaken.get(code!) ?? 0) + 1 > k.maxRedemptions) {
        this.flag('over-limit-with-holds', `${what}: code ${code} had ${codeTaken.get(code!)} redemptions and active holds, its limit is ${k.maxRedemptions}`, ops);
      }
      if (limits.perCustomer != null) {
        const customerId = e.data.customerId as string;
        const reds = (live.get(`${couponId}|${customerId}`) ?? []).filter((r) => {
          const voided = this.voidedEvent.get(r.id);
          return !((voided ?? Infinity) < e.id || (voided !== undefined && (this.voidStarts.get(r.id) ?? Infinity) < answeredBy));
        });
        const holds = [...active.values()].filter((h) => h.couponId === couponId && h.customerId === customerId).length;
        if (reds.length + holds + 1 > limits.perCustomer) {
          this.flag('over-customer-limit-with-holds', `${what}: customer ${customerId} already had ${reds.length} redemptions and ${holds} active holds of coupon ${couponId}, version ${version.get(couponId) ?? 1} allows ${limits.perCustomer}`, ops);
        }
      }
    };
    for (const e of this.f.events) {
      const d = e.data ?? {};
      switch (e.type) {
        case 'coupon.updated':
          version.set(d.couponId, d.version);
          break;
        case 'hold.created':
          check(e, `hold ${d.holdId}`, holdAnswered.get(d.holdId) ?? Infinity, []);
          active.set(d.holdId, { couponId: d.couponId, code: d.code ? String(d.code).toUpperCase() : null, customerId: d.customerId });
          add(couponTaken, d.couponId, 1);
          add(codeTaken, d.code ? String(d.code).toUpperCase() : null, 1);
          break;
        case 'hold.released':
        case 'hold.expired': {
          const h = active.get(d.holdId);
          if (!h) break;
          active.delete(d.holdId);
          add(couponTaken, h.couponId, -1);
          add(codeTaken, h.code, -1);
          break;
        }
        case 'redemption.created': {
          const key = `${d.couponId}|${d.customerId}`;
          if (d.holdId) {
            const h = active.get(d.holdId);
            if (!h) this.flag('consumed-inactive-hold', `redemption ${d.redemptionId} consumed hold ${d.holdId}, which was not active at its count`);
            else {
              active.delete(d.holdId);
              add(couponTaken, h.couponId, -1);
              add(codeTaken, h.code, -1);
            }
          } else {
            check(e, `redemption ${d.redemptionId}`, this.answeredAt.get(d.redemptionId) ?? Infinity, []);
          }
          add(couponTaken, d.couponId, 1);
          add(codeTaken, d.code ? String(d.code).toUpperCase() : null, 1);
          live.set(key, [...(live.get(key) ?? []), { id: d.redemptionId, couponId: d.couponId, customerId: d.customerId }]);
          break;
        }
      }
    }
  }

  // ---- budgets

  /**
   * No budget passed by a cent: per budgeted coupon, the ledger amounts of the invoices whose
   * periodStart falls in one calendar period of the coupon's zone (Luxon, independently of the
   * service's own rules) sum to at most the budget, and to what the spend row says; one
   * coupon.budget_exhausted per period spent, none otherwise.
   */
  private budgets(): void {
    const invoices = new Map(this.f.invoices.map((i) => [i.id, i]));
    for (const c of this.f.coupons) {
      const budget = c.budget;
      if (!budget) continue;
      const zone = c.timeZone ?? 'UTC';
      const sums = new Map<string, number>();
      for (const l of this.f.ledger) {
        if (l.couponId !== c.id) continue;
        const inv = invoices.get(l.invoiceId);
        if (!inv?.periodStart || !inv.currency) continue;
        const start = budget.period ? DateTime.fromISO(inv.periodStart).setZone(zone).startOf(budget.period).toUTC().toISO() : 'life';
        const key = `${inv.currency}|${start}`;
        sums.set(key, (sums.get(key) ?? 0) + l.amount);
      }
      for (const [key, sum] of sums) {
        const [currency, start] = key.split('|') as [string, string];
        const amount = budget.amounts[currency];
        if (amount !== undefined && sum > amount) this.flag('budget-passed', `coupon ${c.id}: invoices of the period ${start} took ${sum} ${currency} of a budget of ${amount}`);
      }
      const spendRows = (this.f.budgetSpend ?? []).filter((b) => b.couponId === c.id);
      for (const b of spendRows) {
        const key = `${b.currency}|${b.period === 'life' ? 'life' : new Date(b.periodStart).toISOString()}`;
        if ((sums.get(key) ?? 0) !== b.spent) this.flag('budget-spend-mismatch', `coupon ${c.id}: the spend row of ${key} says ${b.spent}, the ledger ${sums.get(key) ?? 0}`);
        const events = this.f.events.filter((e) => e.type === 'coupon.budget_exhausted' && e.data.couponId === c.id && e.data.currency === b.currency
          && (b.period === 'life' ? e.data.periodStart === null : e.data.periodStart && new Date(e.data.periodStart).toISOString() === new Date(b.periodStart).toISOString()));
        const amount = budget.amounts[b.currency];
        const spent = amount !== undefined && b.spent >= amount;
        if (events.length !== (spent ? 1 : 0)) this.flag('budget-event-count', `coupon ${c.id} ${key}: ${events.length} coupon.budget_exhausted events, spent ${b.spent} of ${amount}`);
      }
    }
  }

  /** A void answered 200 leaves its redemption voided. */
  private voids(): void {
    const rows = new Map(this.f.redemptions.map((r) => [r.id, r]));
    for (const op of this.h.ops) {
      if (op.kind !== 'void' || op.status !== 200) continue;
      const r = rows.get(op.meta.redemptionId!);
      if (!r || r.status !== 'voided') this.flag('void-lost', `void of ${op.meta.redemptionId} answered 200 but the redemption is ${r?.status ?? 'missing'}`, [op.id]);
    }
  }

  /**
   * A validate that says valid is wrong only when the code could not be redeemed at any moment
   * between its request and its answer: the coupon archived before it started, or the code
   * disabled before it started and not possibly enabled until it ended.
   */
  private validations(): void {
    const archives = this.h.ops.filter((o) => o.kind === 'archive' && o.status === 200);
    const states = this.h.ops.filter((o) => o.kind === 'code-state');
    for (const op of this.h.ops) {
      if (op.kind !== 'validate' || op.status !== 200 || op.res?.valid !== true || op.end === null) continue;
      const archived = archives.find((a) => a.meta.couponId === op.meta.couponId && a.end! < op.start);
      if (archived) this.flag('validate-after-archive', `valid: true for ${op.meta.code} after its coupon was archived`, [archived.id, op.id]);
      const code = String(op.meta.code).toUpperCase();
      const mine = states.filter((s) => String(s.meta.code).toUpperCase() === code);
      for (const d of mine) {
        if (d.meta.action !== 'disable' || d.status !== 200 || d.end! >= op.start) continue;
        const mayEnable = mine.some((x) => x.meta.action === 'enable' && (x.status === 200 || this.outcome(x) === null)
          && x.start <= op.end! && (x.end ?? Infinity) >= d.start);
        if (!mayEnable) {
          this.flag('validate-while-disabled', `valid: true for ${code} while it was disabled`, [d.id, op.id]);
          break;
        }
      }
    }
  }

  // ---- invoices

  /**
   * Each invoice: one content accepted (the first), answered as recorded, 409 for other content;
   * paid exactly when a send with paid:true or POST /paid was accepted; its ledger rows are its
   * applied discounts and sum to its discountTotal; GET answers what is stored; nothing applied
   * once its subscription was cancelled before it was first sent.
   */
  private invoices(): void {
    const byId = new Map<string, Op[]>();
    for (const op of this.h.ops) {
      if (op.kind === 'invoice' || op.kind === 'invoice-paid') byId.set(op.meta.invoiceId!, [...(byId.get(op.meta.invoiceId!) ?? []), op]);
    }
    const stored = new Map(this.f.invoices.map((i) => [i.id, i]));
    const ledger = new Map<string, { redemptionId: string; amount: number }[]>();
    for (const l of this.f.ledger) ledger.set(l.invoiceId, [...(ledger.get(l.invoiceId) ?? []), l]);
    for (const [id] of ledger) if (!stored.has(id)) this.flag('ledger-orphan', `ledger rows for invoice ${id}, which is not stored`);
    const cancels = this.h.ops.filter((o) => o.kind === 'cancel' && o.status === 200);

    for (const [id, ops] of byId) {
      const sends = ops.filter((o) => o.kind === 'invoice');
      const paids = ops.filter((o) => o.kind === 'invoice-paid');
      const inv = stored.get(id);
      const accepted = sends.map((op) => ({ op, out: this.outcome(op) })).filter((x) => x.out?.status === 200);
      const contents = new Set(accepted.map((x) => x.op.meta.content));
      if (contents.size > 1) this.flag('invoice-two-contents', `invoice ${id}: two different contents answered 200`, accepted.map((x) => x.op.id));
      for (const { op, out } of accepted) {
        const req = op.body as any;
        const res = out!.body;
        const subtotal = req.lines.reduce((s: number, l: { amount: number }) => s + l.amount, 0);
        const lineIds = canonical(req.lines.map((l: { id: string }) => l.id));
        if (res?.subtotal !== subtotal || canonical((res?.lines ?? []).map((l: { id: string }) => l.id)) !== lineIds) {
          this.flag('invoice-answer-not-this-request', `invoice ${id}: answered subtotal ${res?.subtotal} for a request of ${subtotal}`, [op.id]);
        }
        if (req.paid === true && res?.paid !== true) this.flag('invoice-paid-not-applied', `invoice ${id} sent with paid: true answered paid: ${res?.paid}`, [op.id]);
        if (inv && canonical(withoutPaid(res)) !== canonical(withoutPaid(inv.result))) {
          this.flag('invoice-answer-differs', `invoice ${id}: answered a result other than the one stored`, [op.id]);
        }
      }
      const acceptedContent = contents.size === 1 ? [...contents][0] : undefined;
      for (const op of sends) {
        if (this.outcome(op)?.status !== 409) continue;
        if (acceptedContent !== undefined && op.meta.content === acceptedContent) {
          this.flag('invoice-conflict-same-content', `invoice ${id}: 409 for the content it holds`, [op.id, ...accepted.map((x) => x.op.id)]);
        } else if (!sends.some((o) => o.meta.content !== op.meta.content && o.start < (op.end ?? Infinity))) {
          this.flag('invoice-conflict-without-other-content', `invoice ${id}: 409 though no other content was sent before`, [op.id]);
        }
      }
      if (!inv) {
        if (accepted.length) this.flag('invoice-lost', `invoice ${id} answered 200 but is not stored`, accepted.map((x) => x.op.id));
        const read = this.f.invoiceReads[id];
        if (read && read.status !== 404) this.flag('invoice-read-mismatch', `GET /v1/invoices/${id} answered ${read.status} for an invoice not stored`, []);
        continue;
      }
      // the stored content: the accepted one, else one of the sends that may have landed
      const landed = sends.filter((o) => o.meta.content !== undefined && (this.outcome(o) === null || this.outcome(o)!.status === 200));
      const matches = (o: Op) => {
        const req = o.body as any;
        return canonical((inv.result.lines ?? []).map((l: { id: string; amount: number }) => [l.id, l.amount])) === canonical(req.lines.map((l: { id: string; amount: number }) => [l.id, l.amount]));
      };
      const storedContent = landed.find(matches)?.meta.content;
      if (storedContent === undefined) this.flag('invoice-unattributed', `invoice ${id}: the stored content matches no request that may have landed`, sends.map((o) => o.id));
      else if (acceptedContent !== undefined && storedContent !== acceptedContent) this.flag('invoice-wrong-content', `invoice ${id}: stored content is not the accepted one`, sends.map((o) => o.id));
      const same = sends.filter((o) => o.meta.content === storedContent);
      const mustPay = same.some((o) => o.meta.paid && this.outcome(o)?.status === 200) || paids.some((o) => o.status === 200);
      const mayPay = mustPay || same.some((o) => o.meta.paid && this.outcome(o) === null) || paids.some((o) => this.outcome(o) === null);
      if (mustPay && !inv.paid) {
        this.flag('invoice-not-paid', `invoice ${id} is unpaid though a send with paid: true or POST /paid was accepted`, [...same.filter((o) => o.meta.paid).map((o) => o.id), ...paids.map((o) => o.id)]);
      }
      if (!mayPay && inv.paid) this.flag('invoice-paid-unexpectedly', `invoice ${id} is paid though nothing asked for it`, ops.map((o) => o.id));
      const read = this.f.invoiceReads[id];
      if (!read || read.status !== 200 || canonical(read.body) !== canonical({ ...inv.result, paid: inv.paid })) {
        this.flag('invoice-read-mismatch', `GET /v1/invoices/${id} answered ${read?.status} ${read?.status === 200 ? 'with another result than the stored one' : ''}`);
      }
      const rows = ledger.get(id) ?? [];
      const applied = (inv.result.applied ?? []) as { redemptionId: string; amount: number }[];
      const bag = (xs: { redemptionId: string; amount: number }[]) => canonical(xs.map((x) => `${x.redemptionId}:${x.amount}`).sort());
      if (bag(rows) !== bag(applied)) this.flag('ledger-mismatch', `invoice ${id}: ledger rows ${bag(rows)} are not its applied discounts ${bag(applied)}`, same.map((o) => o.id));
      const sum = rows.reduce((s, r) => s + r.amount, 0);
      if (sum !== inv.discountTotal || inv.discountTotal !== inv.result.discountTotal) {
        this.flag('ledger-sum-mismatch', `invoice ${id}: ledger sums to ${sum}, discountTotal ${inv.discountTotal} (result ${inv.result.discountTotal})`, same.map((o) => o.id));
      }
      const firstSend = Math.min(...sends.map((o) => o.start));
      const cancelled = cancels.find((c) => c.meta.subscriptionId === inv.subscriptionId && c.end! < firstSend);
      if (cancelled && applied.length) this.flag('discounted-after-cancel', `invoice ${id} of cancelled subscription ${inv.subscriptionId} applied ${applied.length} redemptions`, [cancelled.id, ...sends.map((o) => o.id)]);
    }
  }

  // ---- cancellations

  /** A cancelled subscription's redemptions counted before the cancellation are ended (unless voided). */
  private cancellations(): void {
    const cancelledEvent = new Map<string, number>();
    for (const e of this.f.events) if (e.type === 'subscription.cancelled' && !cancelledEvent.has(e.data.subscriptionId)) cancelledEvent.set(e.data.subscriptionId, e.id);
    const subs = new Map(this.f.subscriptions.map((s) => [s.id, s]));
    for (const op of this.h.ops) {
      if (op.kind === 'cancel' && op.status === 200 && subs.get(op.meta.subscriptionId!)?.status !== 'cancelled') {
        this.flag('cancel-lost', `cancel of ${op.meta.subscriptionId} answered 200 but it is ${subs.get(op.meta.subscriptionId!)?.status}`, [op.id]);
      }
    }
    for (const r of this.f.redemptions) {
      const c = cancelledEvent.get(r.subscriptionId);
      const e = this.createdEvent.get(r.id);
      if (c === undefined || e === undefined || e > c || r.status === 'voided') continue;
      if (r.status !== 'ended') {
        const ops = this.h.ops.filter((o) => o.kind === 'cancel' && o.meta.subscriptionId === r.subscriptionId).map((o) => o.id);
        this.flag('not-ended-by-cancel', `redemption ${r.id} counted before subscription ${r.subscriptionId} was cancelled is ${r.status}`, [...ops, ...this.opsOfRow(r).map((o) => o.id)]);
      }
    }
  }

  // ---- events

  /** Exactly one event per change: created, voided and ended per redemption, discounted per invoice, updated per version, cancelled per subscription. */
  private eventsMatchRows(): void {
    const count = (type: string, key: (d: any) => string) => {
      const m = new Map<string, number>();
      for (const e of this.f.events) if (e.type === type) m.set(key(e.data), (m.get(key(e.data)) ?? 0) + 1);
      return m;
    };
    const expectOnce = (what: string, counts: Map<string, number>, wanted: Set<string>) => {
      for (const k of wanted) if ((counts.get(k) ?? 0) !== 1) this.flag('event-count', `${what} ${k}: ${counts.get(k) ?? 0} events, expected 1`);
      for (const [k, n] of counts) if (!wanted.has(k)) this.flag('event-count', `${what} ${k}: ${n} events, expected none`);
    };
    const rows = this.f.redemptions;
    expectOnce('redemption.created for', count('redemption.created', (d) => d.redemptionId), new Set(rows.map((r) => r.id)));
    expectOnce('redemption.voided for', count('redemption.voided', (d) => d.redemptionId), new Set(rows.filter((r) => r.status === 'voided').map((r) => r.id)));
    expectOnce('redemption.ended for', count('redemption.ended', (d) => d.redemptionId), new Set(rows.filter((r) => r.endedAt !== null).map((r) => r.id)));
    expectOnce('invoice.discounted for', count('invoice.discounted', (d) => d.invoiceId), new Set(this.f.invoices.filter((i) => (i.result.applied ?? []).length > 0).map((i) => i.id)));
    expectOnce('coupon.updated for', count('coupon.updated', (d) => `${d.couponId} v${d.version}`), new Set(this.f.versions.filter((v) => v.version > 1).map((v) => `${v.couponId} v${v.version}`)));
    expectOnce('subscription.cancelled for', count('subscription.cancelled', (d) => d.subscriptionId), new Set(this.f.subscriptions.filter((s) => s.status === 'cancelled').map((s) => s.id)));
    const holds = this.f.holds ?? [];
    expectOnce('hold.created for', count('hold.created', (d) => d.holdId), new Set(holds.map((h) => h.id)));
    expectOnce('hold.released for', count('hold.released', (d) => d.holdId), new Set(holds.filter((h) => h.status === 'released').map((h) => h.id)));
    expectOnce('hold.expired for', count('hold.expired', (d) => d.holdId), new Set(holds.filter((h) => h.status === 'expired').map((h) => h.id)));
  }

  /**
   * The feed: read from 0 after the run it is exactly the account's events in id order; the
   * poller that followed it during the run saw ids in increasing order, skipped none, and saw each
   * redemption's event within 30 s of its 201 answer.
   */
  private feed(): void {
    const table = this.f.events.map((e) => e.id);
    if (this.f.feed.error) this.flag('feed-unreadable', this.f.feed.error);
    const feed = this.f.feed.ids;
    if (canonical(feed) !== canonical(table)) {
      const inFeed = new Set(feed);
      const inTable = new Set(table);
      const missing = table.filter((id) => !inFeed.has(id));
      const extra = feed.filter((id) => !inTable.has(id));
      const disorder = feed.findIndex((id, i) => i > 0 && id <= feed[i - 1]);
      this.flag('feed-mismatch', `the feed read from 0 differs from the events table: ${missing.length} missing (${missing.slice(0, 5).join(', ')}), ${extra.length} extra, ${disorder >= 0 ? `out of order at ${feed[disorder]}` : 'in order'}`);
    }
    const seen: number[] = [];
    const lastAfter: number[] = [];
    for (const p of this.h.polls) {
      for (const id of p.ids) {
        if (seen.length && id <= seen[seen.length - 1]) this.flag('feed-out-of-order', `the poller got id ${id} after ${seen[seen.length - 1]} (poll after=${p.after} at ${p.start} ms)`);
        seen.push(id);
      }
      lastAfter.push(seen.length ? seen[seen.length - 1] : 0);
    }
    const seenSet = new Set(seen);
    const reached = seen.length ? seen[seen.length - 1] : 0;
    const skipped = table.filter((id) => id <= reached && !seenSet.has(id));
    if (skipped.length) this.flag('feed-skipped', `the poller never saw ${skipped.length} events below the last id it got: ${skipped.slice(0, 10).join(', ')}`);
    const notReached = table.filter((id) => id > reached);
    if (notReached.length) this.flag('feed-held-back', `after the run settled the poller never got ${notReached.length} events (from id ${notReached[0]})`);
    // while only non-event-writing transactions wait (the feed probe), committed events are in the feed
    for (const probe of this.h.probes) {
      if (probe.waiting === 0) continue;
      const ops = new Map(this.h.ops.map((o) => [o.id, o]));
      const patches = probe.patchOps.map((id) => ops.get(id)!).filter((o) => o.status === 200);
      const ids = patches.flatMap((o) => this.f.events.filter((e) => e.type === 'coupon.updated' && e.data.couponId === o.meta.couponId && e.data.version === o.res.version).map((e) => e.id));
      const target = Math.max(0, ...ids);
      const held = this.h.polls.filter((p, i) => ids.length && p.start >= probe.patchesEnd + PROBE_GRACE_MS && p.end <= probe.release && p.status === 200 && !p.full && lastAfter[i] < target);
      if (held.length) {
        this.flag('feed-held-back-by-lock', `with ${probe.waiting} redemptions (refused in the end, writing no event) waiting on a held row, ${held.length} polls from ${held[0].start} ms stopped at id ${held[0].after}, below the edits' event ${target} answered by ${probe.patchesEnd} ms`, patches.map((o) => o.id));
      }
    }
    // within 30 s of the answer that reported it, a redemption's event is in the feed
    for (const op of this.redeemOps()) {
      if (op.status !== 201 || op.end === null) continue;
      const e = this.createdEvent.get(op.res?.redemption?.id);
      if (e === undefined) continue;
      const i = this.h.polls.findIndex((p) => p.start >= op.end! + FEED_LAG_MS && p.status === 200 && !p.full);
      if (i >= 0 && lastAfter[i] < e) {
        this.flag('feed-held-back', `redemption event ${e} (answered at ${op.end} ms) was not in the feed at ${this.h.polls[i].end} ms (feed stopped at ${lastAfter[i]})`, [op.id]);
      }
    }
  }
}

export function check(history: History): Violation[] {
  return new Checker(history).run();
}
