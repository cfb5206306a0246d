import { canonical } from '../../history/canonical';
import { check } from '../../history/checks';
import type { FinalState, History, Op, OpMeta } from '../../history/model';

/**
 * The history checker's rules on small hand-written histories: a history that takes every
 * liberty the contract allows (a 503 whose job still ran, a 202 that completed later, a validate
 * that said yes before a refusal, a replay, a conflict, a key corrected after a 400, an invoice
 * paid by a re-send) breaks none, and each known way of going wrong breaks exactly its rule.
 */

const K = '00000000-0000-4000-8000-00000000000a';
const TERMS = { discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'once' }, appliesTo: { plans: 'all' }, eligibility: { customers: 'any' }, overflow: 'cap', stackable: true, timeZone: 'UTC' };
const TERMS_V2 = { ...TERMS, discount: { type: 'percentage', basisPoints: 2000 } };
const snapshot = (terms: object, perCustomer: number | null) => ({ ...terms, limits: { maxRedemptions: null, perCustomer } });

type Row = FinalState['redemptions'][number];

function redemptionBody(id: string, sub: string, customer: string, version: number) {
  return { redemption: { id, couponId: K, couponVersion: version, code: 'HIS-A', customerId: customer, subscriptionId: sub, status: 'active', terms: version === 1 ? TERMS : TERMS_V2, cyclesApplied: 0, createdAt: '2026-01-01T00:00:00.000Z' } };
}

/** A history builder: operations with times, rows, events in id order. */
class Build {
  ops: Op[] = [];
  rows: Row[] = [];
  events: FinalState['events'] = [{ id: 1, type: 'coupon.created', data: { couponId: K } }];
  jobs: History['jobs'] = [];
  invoices: FinalState['invoices'] = [];
  ledger: FinalState['ledger'] = [];
  storedOutcomes: FinalState['storedOutcomes'] = [];
  versions: FinalState['versions'] = [{ couponId: K, version: 1, snapshot: snapshot(TERMS, 2) }];

  op(kind: Op['kind'], start: number, end: number | null, status: number | null, res: any, meta: OpMeta, body?: unknown, path = '/'): Op {
    const op: Op = { id: this.ops.length, kind, method: 'POST', path, body, start, end, status, res, meta };
    this.ops.push(op);
    return op;
  }

  event(type: string, data: Record<string, unknown>): number {
    const id = this.events.length + 1;
    this.events.push({ id, type, data });
    return id;
  }

  redeem(start: number, end: number | null, status: number | null, res: any, o: { sub: string; customer: string; key?: string; valid?: boolean; async?: boolean; plan?: string }): Op {
    const body = { code: 'HIS-A', customer: { id: o.customer }, subscriptionId: o.sub, planId: o.plan ?? 'hp-monthly', ...(o.key ? { idempotencyKey: o.key } : {}) };
    const { idempotencyKey: _k, ...rest } = body as Record<string, unknown>;
    return this.op('redeem', start, end, status, res, {
      key: o.key, bodyKey: canonical(rest), valid: o.valid ?? true, async: o.async, code: 'HIS-A', couponId: K, customerId: o.customer, subscriptionId: o.sub,
    }, body, '/v1/redemptions');
  }

  row(id: string, sub: string, customer: string, version: number, key: string | null = null): Row {
    const r: Row = {
      id, couponId: K, couponVersion: version, codeId: 1, code: 'HIS-A', customerId: customer, subscriptionId: sub, planId: 'hp-monthly', status: 'active',
      terms: version === 1 ? TERMS : TERMS_V2, idempotencyKey: key, endedAt: null, endedReason: null, voidedAt: null,
    };
    this.rows.push(r);
    this.event('redemption.created', { redemptionId: id, couponId: K, code: 'HIS-A', customerId: customer });
    return r;
  }

  holds: NonNullable<FinalState['holds']> = [];
  budgetSpend: NonNullable<FinalState['budgetSpend']> = [];
  couponExtra: Partial<FinalState['coupons'][number]> = {};
  codeHeld: number | undefined = undefined;

  history(): History {
    const ids = this.events.map((e) => e.id);
    const n = this.rows.length;
    return {
      seed: 1, ops: this.ops, faults: [], jobs: this.jobs, opsEnd: 10_000, hangMs: 12_000, probes: [],
      polls: [{ start: 9_000, end: 9_010, after: 0, status: 200, ids, full: false }],
      final: {
        coupons: [{
          id: K, state: 'active', version: this.versions.length, timesRedeemed: n, maxRedemptions: this.versions[this.versions.length - 1].snapshot.limits.maxRedemptions,
          perCustomer: this.versions[this.versions.length - 1].snapshot.limits.perCustomer, ...this.couponExtra,
        }],
        versions: this.versions,
        codes: [{ id: 1, code: 'HIS-A', couponId: K, state: 'active', timesRedeemed: n, maxRedemptions: null, customerId: null, ...(this.codeHeld !== undefined ? { held: this.codeHeld } : {}) }],
        holds: this.holds, budgetSpend: this.budgetSpend, readAt: '2026-01-01T01:00:00.000Z',
        redemptions: this.rows, storedOutcomes: this.storedOutcomes, invoices: this.invoices, ledger: this.ledger, events: this.events,
        subscriptions: [],
        invoiceReads: Object.fromEntries(this.invoices.map((i) => [i.id, { status: 200, body: { ...i.result, paid: i.paid } }])),
        feed: { ids },
      },
    };
  }
}

const rules = (h: History) => [...new Set(check(h).map((v) => v.rule))].sort();

/** Everything the contract allows, in one history. */
function allowed(): Build {
  const b = new Build();
  // a redemption, then a terms edit (version 2) and redemptions counted after it
  b.redeem(0, 50, 201, redemptionBody('r1', 'hs-u1', 'c1', 1), { sub: 'hs-u1', customer: 'c1' });
  b.row('r1', 'hs-u1', 'c1', 1);
  b.op('patch-coupon', 60, 80, 200, { id: K, version: 2, timesRedeemed: 1 }, { couponId: K, fields: ['discount'] }, { discount: TERMS_V2.discount });
  b.versions.push({ couponId: K, version: 2, snapshot: snapshot(TERMS_V2, 2) });
  b.event('coupon.updated', { couponId: K, version: 2 });
  // 503 whose job still ran; a 202 completed later
  b.redeem(100, 150, 503, { error: { code: 'database_unavailable' } }, { sub: 'hs-u2', customer: 'c2' });
  b.row('r2', 'hs-u2', 'c2', 2);
  b.redeem(160, 170, 202, { job: { id: 'red-3', queue: 'redemptions', status: 'waiting' } }, { sub: 'hs-u3', customer: 'c3', async: true });
  b.row('r3', 'hs-u3', 'c3', 2);
  b.jobs.push({ queue: 'redemptions', id: 'red-3', status: 200, res: { id: 'red-3', queue: 'redemptions', status: 'completed', result: redemptionBody('r3', 'hs-u3', 'c3', 2) } });
  // validate said yes, the redemption is refused (c1 holds perCustomer 2 by then)
  b.op('validate', 200, 210, 200, { valid: true }, { code: 'HIS-A', couponId: K, customerId: 'c1' }, { code: 'HIS-A', customer: { id: 'c1' } });
  b.redeem(220, 230, 201, redemptionBody('r6', 'hs-u6', 'c1', 2), { sub: 'hs-u6', customer: 'c1' });
  b.row('r6', 'hs-u6', 'c1', 2);
  b.redeem(240, 250, 422, { error: { code: 'customer_limit_reached' } }, { sub: 'hs-u4', customer: 'c1' });
  // a key: replayed with the same body, then another body (409)
  const first = redemptionBody('r4', 'hs-p1', 'c4', 2);
  b.redeem(300, 320, 201, first, { sub: 'hs-p1', customer: 'c4', key: 'k1' });
  b.row('r4', 'hs-p1', 'c4', 2, 'k1');
  b.storedOutcomes.push({ key: 'k1', status: 201, body: first });
  b.redeem(330, 340, 201, first, { sub: 'hs-p1', customer: 'c4', key: 'k1' });
  b.redeem(350, 360, 409, { error: { code: 'idempotency_conflict' } }, { sub: 'hs-p2', customer: 'c5', key: 'k1' });
  // a key refused 400 (unknown plan), then used with the corrected body
  b.redeem(400, 410, 400, { error: { code: 'validation_failed' } }, { sub: 'hs-k2', customer: 'c5', key: 'k2', valid: false, plan: 'hp-unregistered' });
  const corrected = redemptionBody('r5', 'hs-k2', 'c5', 2);
  b.redeem(420, 440, 201, corrected, { sub: 'hs-k2', customer: 'c5', key: 'k2' });
  b.row('r5', 'hs-k2', 'c5', 2, 'k2');
  b.storedOutcomes.push({ key: 'k2', status: 201, body: corrected });
  // a void frees c1's slot: a third redemption counts
  b.op('void', 500, 510, 200, { redemption: { id: 'r1', status: 'voided' } }, { redemptionId: 'r1' });
  b.rows[0].status = 'voided';
  b.rows[0].voidedAt = '2026-01-01T00:00:01.000Z';
  b.event('redemption.voided', { redemptionId: 'r1' });
  b.redeem(520, 530, 201, redemptionBody('r7', 'hs-u7', 'c1', 2), { sub: 'hs-u7', customer: 'c1' });
  b.row('r7', 'hs-u7', 'c1', 2);
  // an invoice, re-sent paid, other content refused, marked paid again
  const content = { invoiceId: 'i1', subscriptionId: 'hs-p1', currency: 'USD', periodStart: '2027-01-01T00:00:00.000Z', lines: [{ id: 'l1', kind: 'recurring', planId: 'hp-monthly', amount: 2000 }] };
  const result = { invoiceId: 'i1', currency: 'USD', subtotal: 2000, discountTotal: 400, total: 1600, credit: 0, lines: [{ id: 'l1', amount: 2000, discount: 400, total: 1600 }], applied: [{ redemptionId: 'r4', couponId: K, code: 'HIS-A', cycle: 1, amount: 400 }] };
  const inv = (start: number, paid: boolean, status: number, res: unknown, body = content) => b.op('invoice', start, start + 10, status, res, { invoiceId: 'i1', content: canonical(body), paid }, { ...body, paid }, '/v1/invoices');
  inv(600, false, 200, { ...result, paid: false });
  b.event('invoice.discounted', { invoiceId: 'i1' });
  inv(620, true, 200, { ...result, paid: true });
  inv(640, false, 409, { error: { code: 'conflict' } }, { ...content, lines: [{ ...content.lines[0], amount: 2100 }] });
  b.op('invoice-paid', 660, 670, 200, { ...result, paid: true }, { invoiceId: 'i1' });
  b.invoices.push({ id: 'i1', subscriptionId: 'hs-p1', paid: true, subtotal: 2000, discountTotal: 400, result });
  b.ledger.push({ invoiceId: 'i1', redemptionId: 'r4', amount: 400 });
  return b;
}

test('a history that takes only the liberties the contract allows breaks no rule', () => {
  expect(check(allowed().history())).toEqual([]);
});

test('a job run twice without a key: two redemptions for one request', () => {
  const b = allowed();
  b.row('r3b', 'hs-u3', 'c3', 2);
  expect(rules(b.history())).toEqual(['duplicate-redemption']);
});

test('a redemption counted with the version an edit replaced: stale version', () => {
  const b = allowed();
  const r = b.rows.find((x) => x.id === 'r2')!;
  r.couponVersion = 1;
  r.terms = TERMS;
  expect(rules(b.history())).toEqual(['stale-version']);
});

test('a redemption counted past perCustomer of the version in force', () => {
  const b = allowed();
  // c1 holds r6 (and r1 until voided); a limit of 1 from version 2 on makes r6 one too many
  b.versions[1].snapshot = snapshot(TERMS_V2, 1);
  expect(rules(b.history())).toEqual(['over-customer-limit', 'over-customer-limit-at-count']);
});

test('a void that may have committed first frees the slot: no violation', () => {
  const b = allowed();
  b.versions[1].snapshot = snapshot(TERMS_V2, 1);
  // r1's void, then r6 (c1's only live redemption), then r7 after r6 is voided too
  const ev = b.events;
  const voided = ev.findIndex((e) => e.type === 'redemption.voided');
  const r6 = ev.findIndex((e) => e.data.redemptionId === 'r6' && e.type === 'redemption.created');
  [ev[voided].data, ev[r6].data] = [ev[r6].data, ev[voided].data];
  [ev[voided].type, ev[r6].type] = [ev[r6].type, ev[voided].type];
  b.op('void', 515, 518, 200, { redemption: { id: 'r6', status: 'voided' } }, { redemptionId: 'r6' });
  const r6row = b.rows.find((x) => x.id === 'r6')!;
  r6row.status = 'voided';
  r6row.voidedAt = '2026-01-01T00:00:02.000Z';
  b.event('redemption.voided', { redemptionId: 'r6' });
  // move r7's created event after r6's void
  const r7 = ev.findIndex((e) => e.data.redemptionId === 'r7');
  const [moved] = ev.splice(r7, 1);
  ev.push(moved);
  ev.forEach((e, i) => (e.id = i + 1));
  expect(check(b.history())).toEqual([]);
});

test('a void whose event comes later but whose request started before the redemption was answered may have freed the slot', () => {
  const b = allowed();
  b.versions[1].snapshot = snapshot(TERMS_V2, 1);
  // without r7, c1 ends with r6 only; r1's void event comes after r6's
  b.ops.splice(b.ops.findIndex((o) => o.meta.subscriptionId === 'hs-u7'), 1);
  b.ops.forEach((o, i) => (o.id = i));
  b.rows.splice(b.rows.findIndex((r) => r.id === 'r7'), 1);
  b.events.splice(b.events.findIndex((e) => e.data.redemptionId === 'r7'), 1);
  const voidOp = b.ops.find((o) => o.kind === 'void')!;
  expect(rules(b.history())).toEqual(['over-customer-limit-at-count']);
  voidOp.start = 225; // before r6's answer (230)
  expect(check(b.history())).toEqual([]);
});

test('a second body under a used key answered with the first body\'s redemption', () => {
  const b = allowed();
  const conflict = b.ops.find((o) => o.res?.error?.code === 'idempotency_conflict')!;
  conflict.status = 201;
  conflict.res = redemptionBody('r4', 'hs-p1', 'c4', 2);
  expect(rules(b.history())).toEqual(['answer-not-this-request', 'key-two-bodies-decided']);
});

test('a key refused 400 keeps answering 400 to the corrected body', () => {
  const b = allowed();
  const corrected = b.ops.find((o) => o.meta.key === 'k2' && o.meta.valid)!;
  corrected.status = 400;
  corrected.res = { error: { code: 'validation_failed' } };
  b.rows.splice(b.rows.findIndex((r) => r.id === 'r5'), 1);
  b.events.splice(b.events.findIndex((e) => e.data.redemptionId === 'r5'), 1);
  b.storedOutcomes.pop();
  expect(rules(b.history())).toEqual(['valid-request-refused']);
});

test('a key refused 400 pins 409 for the corrected body', () => {
  const b = allowed();
  const corrected = b.ops.find((o) => o.meta.key === 'k2' && o.meta.valid)!;
  corrected.status = 409;
  corrected.res = { error: { code: 'idempotency_conflict' } };
  b.rows.splice(b.rows.findIndex((r) => r.id === 'r5'), 1);
  b.events.splice(b.events.findIndex((e) => e.data.redemptionId === 'r5'), 1);
  b.storedOutcomes.pop();
  expect(rules(b.history())).toEqual(['key-conflict-without-other-body']);
});

/**
 * A key's first body answered 202, its job taken again after a worker was killed; meanwhile
 * another body under the key is refused 422 (an outcome, which pins the key), and the job,
 * running last, answers 409. The first to store an outcome wins, whichever was sent first.
 */
function asyncKeyLosesToLaterBody(jobSeenAt: number): Build {
  const b = allowed();
  b.redeem(700, 710, 202, { job: { id: 'red-k3', queue: 'redemptions', status: 'waiting' } }, { sub: 'hs-k3a', customer: 'c6', key: 'k3', async: true });
  const refused = { error: { code: 'customer_limit_reached' } };
  b.redeem(800, 820, 422, refused, { sub: 'hs-k3b', customer: 'c1', key: 'k3' });
  b.storedOutcomes.push({ key: 'k3', status: 422, body: refused });
  b.jobs.push({
    queue: 'redemptions', id: 'red-k3', status: 200, seenAt: jobSeenAt,
    res: { id: 'red-k3', queue: 'redemptions', status: 'completed', result: { error: { code: 'idempotency_conflict' } } },
  });
  return b;
}

test("a 202's job that ran after another body was sent under its key may answer 409", () => {
  expect(check(asyncKeyLosesToLaterBody(900).history())).toEqual([]);
});

test("a 202's job seen done before another body was sent under its key may not answer 409", () => {
  expect(rules(asyncKeyLosesToLaterBody(750).history())).toEqual(['key-conflict-without-other-body']);
});

test('an invoice re-sent with paid: true that stays unpaid', () => {
  const b = allowed();
  const paidSend = b.ops.find((o) => o.kind === 'invoice' && o.meta.paid)!;
  paidSend.res = { ...paidSend.res, paid: false };
  b.ops.splice(b.ops.findIndex((o) => o.kind === 'invoice-paid'), 1);
  b.ops.forEach((o, i) => (o.id = i));
  b.invoices[0].paid = false;
  expect(rules(b.history())).toEqual(['invoice-not-paid', 'invoice-paid-not-applied']);
});

test('another content answered as the first instead of 409', () => {
  const b = allowed();
  const other = b.ops.find((o) => o.kind === 'invoice' && o.status === 409)!;
  other.status = 200;
  other.res = b.ops.find((o) => o.kind === 'invoice' && o.status === 200)!.res;
  expect(rules(b.history())).toEqual(['invoice-answer-not-this-request', 'invoice-two-contents']);
});

test('a 503 whose job was never enqueued and a refusal that counted nothing break no rule; a refusal that counted does', () => {
  const b = allowed();
  b.redeem(700, 710, 503, { error: { code: 'queue_unavailable' } }, { sub: 'hs-u9', customer: 'c9' });
  expect(check(b.history())).toEqual([]);
  b.row('r9', 'hs-u4', 'c1', 2);
  expect(rules(b.history())).toEqual(['over-customer-limit', 'over-customer-limit-at-count', 'refused-but-counted']);
});

test('the feed: a poller that skipped an event, a 500, a 202 whose job never completed', () => {
  const b = allowed();
  const h = b.history();
  h.polls = [{ start: 9_000, end: 9_010, after: 0, status: 200, ids: h.final.feed.ids.filter((id) => id !== 3), full: false }];
  b.op('validate', 800, 810, 500, { error: { code: 'internal' } }, { code: 'HIS-A', couponId: K, customerId: 'c1' });
  b.jobs[0].res.status = 'active';
  expect([...new Set(check(h).map((v) => v.rule))].sort()).toEqual(['feed-skipped', 'job-not-completed', 'server-error']);
});

test('while PostgreSQL is down, a request in flight answers within 3 s of the outage or of its start', () => {
  const b = allowed();
  const h = b.history();
  h.faults = [{ kind: 'postgres-down', start: 1_000, down: 1_100, restart: 8_000, end: 8_200, detail: 'PostgreSQL down for 6900 ms' }];
  const at = (start: number, end: number, status: number, res: unknown) => b.redeem(start, end, status, res, { sub: `hs-o${start}`, customer: 'c8' });
  at(1_050, 4_000, 503, { error: { code: 'database_unavailable' } }); // in flight at 1100, answered 2900 ms later
  at(2_000, 2_050, 503, { error: { code: 'database_unavailable' } });
  at(4_400, 7_800, 503, { error: { code: 'database_unavailable' } }); // 3400 ms: within the limit and its slack
  at(5_000, 8_500, 202, { job: { id: 'red-x', queue: 'redemptions', status: 'active' } }); // the server came back at 8000
  b.jobs.push({ queue: 'redemptions', id: 'red-x', status: 200, res: { status: 'completed', result: { error: { code: 'code_exhausted' } } } });
  expect(check(h)).toEqual([]);
  const late = at(900, 5_000, 202, { job: { id: 'red-y', queue: 'redemptions', status: 'active' } }); // waited 3900 ms once down
  b.jobs.push({ queue: 'redemptions', id: 'red-y', status: 200, res: { status: 'completed', result: { error: { code: 'code_exhausted' } } } });
  const slow = at(3_000, 6_600, 503, { error: { code: 'database_unavailable' } });
  expect(check(h).map((v) => [v.rule, v.ops])).toEqual([['waited-through-outage', [late.id]], ['slow-during-outage', [slow.id]]]);
});

test('the service is used again within 30 s of an outage ending, without a restart', () => {
  const b = allowed();
  const h = b.history();
  h.faults = [{ kind: 'postgres-down', start: 1_000, down: 1_100, restart: 8_000, end: 8_200, detail: 'PostgreSQL down for 6900 ms' }];
  const at = (start: number, code: string) => b.redeem(start, start + 5, 503, { error: { code } }, { sub: `hs-r${start}`, customer: 'c9' });
  at(20_000, 'database_unavailable'); // 11.8 s after it ended: still allowed
  at(38_200, 'queue_full'); // not an outage's answer
  expect(check(h)).toEqual([]);
  const stuck = at(38_300, 'database_unavailable');
  expect(check(h).map((v) => [v.rule, v.ops, v.message])).toEqual([['no-recovery', [stuck.id], 'answered 503 database_unavailable 30100 ms after the last outage ended (limit 30000 ms)']]);
});

test('the feed probe: polls that stop below an edit committed while only refused redemptions wait', () => {
  const b = allowed();
  const patch = b.op('patch-coupon', 8_000, 8_010, 200, { id: K, version: 3, timesRedeemed: 6 }, { couponId: K, fields: ['discount'] }, { discount: TERMS.discount });
  b.versions.push({ couponId: K, version: 3, snapshot: snapshot(TERMS, 2) });
  const target = b.event('coupon.updated', { couponId: K, version: 3 });
  const h = b.history();
  h.probes = [{ holdStart: 7_900, patchesEnd: 8_010, release: 11_000, waiting: 8, patchOps: [patch.id] }];
  h.polls = [
    { start: 7_000, end: 7_010, after: 0, status: 200, ids: h.final.feed.ids.filter((id) => id < target), full: false },
    { start: 9_000, end: 9_010, after: target - 1, status: 200, ids: [], full: false },
    { start: 11_100, end: 11_110, after: target - 1, status: 200, ids: [target], full: false },
  ];
  expect(rules(h)).toEqual(['feed-held-back-by-lock']);
  h.polls[1].ids = [target];
  h.polls[2].ids = [];
  expect(check(h)).toEqual([]);
});

describe('holds and budgets', () => {
  const EXP = '2026-01-01T00:15:00.000Z';
  const holdRow = (id: string, customerId: string, status: string, extra: Partial<NonNullable<FinalState['holds']>[number]> = {}) => ({
    id, couponId: K, codeId: 1, code: 'HIS-A', customerId, status, expiresAt: EXP, redemptionId: null, createdAt: '2026-01-01T00:00:00.000Z', endedAt: null, ...extra,
  });
  const holdOp = (b: Build, start: number, id: string, customer: string) =>
    b.op('hold', start, start + 10, 201, { hold: { id, code: 'HIS-A', couponId: K, customerId: customer, status: 'active', expiresAt: EXP } },
      { code: 'HIS-A', couponId: K, customerId: customer }, { code: 'HIS-A', customer: { id: customer }, ttlSeconds: 900 }, '/v1/holds');

  /** allowed() with a limit of 9 and four holds: one released, one consumed by a redemption, one expired, one still active (the 9th slot). */
  function withHolds(): Build {
    const b = allowed();
    b.versions.forEach((v) => (v.snapshot = { ...v.snapshot, limits: { maxRedemptions: 9, perCustomer: 2 } }));
    holdOp(b, 800, 'h1', 'c8');
    b.event('hold.created', { holdId: 'h1', couponId: K, code: 'HIS-A', customerId: 'c8' });
    b.op('release', 820, 830, 204, undefined, { holdId: 'h1', code: 'HIS-A', couponId: K, customerId: 'c8' }, undefined, '/v1/holds/h1');
    b.event('hold.released', { holdId: 'h1', couponId: K, code: 'HIS-A', customerId: 'c8' });
    holdOp(b, 840, 'h2', 'c9');
    b.event('hold.created', { holdId: 'h2', couponId: K, code: 'HIS-A', customerId: 'c9' });
    const consume = b.redeem(860, 880, 201, redemptionBody('r8', 'hs-h1', 'c9', 2), { sub: 'hs-h1', customer: 'c9' });
    consume.meta.holdId = 'h2';
    (consume.body as Record<string, unknown>).holdId = 'h2';
    b.rows.push({ ...b.row('r8', 'hs-h1', 'c9', 2) });
    b.rows.pop();
    b.events[b.events.length - 1]!.data.holdId = 'h2';
    holdOp(b, 900, 'h3', 'c10');
    b.event('hold.created', { holdId: 'h3', couponId: K, code: 'HIS-A', customerId: 'c10' });
    b.event('hold.expired', { holdId: 'h3', couponId: K, code: 'HIS-A', customerId: 'c10' });
    holdOp(b, 950, 'h4', 'c11');
    b.event('hold.created', { holdId: 'h4', couponId: K, code: 'HIS-A', customerId: 'c11' });
    b.holds.push(
      holdRow('h1', 'c8', 'released', { endedAt: '2026-01-01T00:01:00.000Z' }),
      holdRow('h2', 'c9', 'consumed', { redemptionId: 'r8', endedAt: '2026-01-01T00:02:00.000Z' }),
      holdRow('h3', 'c10', 'expired', { endedAt: EXP }),
      holdRow('h4', 'c11', 'active', { expiresAt: '2026-01-01T01:10:00.000Z' }),
    );
    b.couponExtra = { held: 1 };
    b.codeHeld = 1;
    return b;
  }

  test('holds released, consumed, expired and active within the limit break no rule', () => {
    expect(check(withHolds().history())).toEqual([]);
  });

  test('a redemption counted while an active hold took the last slot', () => {
    const b = withHolds();
    b.redeem(1000, 1010, 201, redemptionBody('r9', 'hs-u9', 'c12', 2), { sub: 'hs-u9', customer: 'c12' });
    b.row('r9', 'hs-u9', 'c12', 2);
    expect(rules(b.history())).toEqual(['over-limit', 'over-limit-with-holds']);
  });

  const roomFor = (b: Build, n: number) => b.versions.forEach((v) => (v.snapshot.limits.maxRedemptions = n));

  test('a hold of a customer who already has perCustomer\'s 2 redemptions', () => {
    const b = withHolds();
    roomFor(b, 10);
    // c1 has r6 and r7 live (r1 voided): a hold of c1 is one too many
    holdOp(b, 1000, 'h5', 'c1');
    b.event('hold.created', { holdId: 'h5', couponId: K, code: 'HIS-A', customerId: 'c1' });
    b.holds.push(holdRow('h5', 'c1', 'released', { endedAt: '2026-01-01T00:03:00.000Z' }));
    b.op('release', 1020, 1030, 204, undefined, { holdId: 'h5' }, undefined, '/v1/holds/h5');
    b.event('hold.released', { holdId: 'h5', couponId: K, code: 'HIS-A', customerId: 'c1' });
    expect(rules(b.history())).toEqual(['over-customer-limit-with-holds']);
  });

  test('a release answered 204 that left the hold active; counters that do not match the holds', () => {
    const b = withHolds();
    b.holds[0]!.status = 'active';
    b.holds[0]!.expiresAt = '2026-01-01T01:10:00.000Z';
    expect(rules(b.history())).toEqual(['event-count', 'held-mismatch', 'release-lost']);
  });

  test('a hold consumed after its expiry; a hold still active long after it', () => {
    const b = withHolds();
    b.holds[1]!.endedAt = '2026-01-01T00:15:00.000Z';
    b.holds[3]!.expiresAt = '2026-01-01T00:59:40.000Z';
    expect(rules(b.history())).toEqual(['consumed-after-expiry', 'hold-not-expired']);
  });

  test('a hold no request answered or left open; an answered hold that is not stored', () => {
    const b = withHolds();
    roomFor(b, 10);
    b.holds.push(holdRow('h6', 'c13', 'released', { endedAt: '2026-01-01T00:04:00.000Z' }));
    b.event('hold.created', { holdId: 'h6', couponId: K, code: 'HIS-A', customerId: 'c13' });
    b.event('hold.released', { holdId: 'h6', couponId: K, code: 'HIS-A', customerId: 'c13' });
    holdOp(b, 1100, 'h7', 'c14');
    expect(rules(b.history())).toEqual(['answered-hold-missing', 'released-without-request', 'unattributed-hold']);
  });

  test('budgets: invoices of one month that took more than its budget; the exhausted event once per period', () => {
    const b = allowed();
    const budget = { amounts: { USD: 500 }, period: 'month' as const };
    b.couponExtra = { budget, timeZone: 'UTC' };
    b.invoices[0]!.periodStart = '2027-01-01T00:00:00.000Z';
    b.invoices[0]!.currency = 'USD';
    b.ledger[0]!.couponId = K;
    b.budgetSpend.push({ couponId: K, period: 'month', periodStart: '2027-01-01T00:00:00.000Z', currency: 'USD', spent: 400, exhausted: false });
    expect(check(b.history())).toEqual([]);
    // a second invoice in January takes 200 more: 600 of 500
    const result = { invoiceId: 'i2', currency: 'USD', subtotal: 1000, discountTotal: 200, total: 800, credit: 0, lines: [{ id: 'l1', amount: 1000, discount: 200, total: 800 }], applied: [{ redemptionId: 'r5', couponId: K, code: 'HIS-A', cycle: 1, amount: 200 }] };
    const body = { invoiceId: 'i2', subscriptionId: 'hs-k2', currency: 'USD', periodStart: '2027-01-20T00:00:00.000Z', lines: [{ id: 'l1', kind: 'recurring', planId: 'hp-monthly', amount: 1000 }] };
    b.op('invoice', 700, 710, 200, { ...result, paid: false }, { invoiceId: 'i2', content: canonical(body), paid: false }, { ...body, paid: false }, '/v1/invoices');
    b.event('invoice.discounted', { invoiceId: 'i2' });
    b.invoices.push({ id: 'i2', subscriptionId: 'hs-k2', paid: false, subtotal: 1000, discountTotal: 200, result, periodStart: '2027-01-20T00:00:00.000Z', currency: 'USD' });
    b.ledger.push({ invoiceId: 'i2', redemptionId: 'r5', amount: 200, couponId: K });
    b.budgetSpend[0]!.spent = 600;
    b.budgetSpend[0]!.exhausted = true;
    expect(rules(b.history())).toEqual(['budget-event-count', 'budget-passed']);
    b.event('coupon.budget_exhausted', { couponId: K, currency: 'USD', period: 'month', periodStart: '2027-01-01T00:00:00.000Z' });
    expect(rules(b.history())).toEqual(['budget-passed']);
    // the same 200 in February is within February's budget
    b.invoices[1]!.periodStart = '2027-02-01T00:00:00.000Z';
    b.budgetSpend[0]!.spent = 400;
    b.budgetSpend[0]!.exhausted = false;
    b.events.pop();
    b.budgetSpend.push({ couponId: K, period: 'month', periodStart: '2027-02-01T00:00:00.000Z', currency: 'USD', spent: 200, exhausted: false });
    expect(check(b.history())).toEqual([]);
  });
});
