import type { Client } from './http';
import type { Op, OpKind, OpMeta } from './model';
import { canonical } from './canonical';
import { Prng } from './prng';
import { sleep } from './services';

/**
 * The seeded operations a history run sends, and the little the generator remembers of the
 * answers to choose later operations (keys used, redemptions made, invoices sent). What is
 * remembered only steers the choices; the checker judges from the recorded history alone.
 */

export const PLANS = {
  'hp-monthly': { name: 'History monthly', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 },
  'hp-yearly': { name: 'History yearly', kind: 'recurring', interval: { unit: 'year', count: 1 }, currency: 'USD', price: 20000 },
};
/** A plan that is never registered: a redemption naming it is 400 (a request that pins nothing). */
export const UNKNOWN_PLAN = 'hp-unregistered';

interface CouponSpec {
  ref: string;
  body: Record<string, unknown>;
  codes: { code: string; maxRedemptions?: number; customerId?: string }[];
  /** PATCH choices */
  perCustomer?: [number, number];
  maxRedemptions?: boolean;
  discount?: 'percentage' | 'fixed_amount';
}

const COUPONS: CouponSpec[] = [
  {
    ref: 'A',
    body: { name: 'History A', discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'repeating', cycles: 3 }, stackable: true, limits: { maxRedemptions: 40, perCustomer: 3 }, code: 'HIS-A' },
    codes: [{ code: 'HIS-A-LIM', maxRedemptions: 12 }, { code: 'HIS-A-CUS', customerId: 'hc-0' }],
    perCustomer: [1, 3], maxRedemptions: true, discount: 'percentage',
  },
  {
    ref: 'B',
    body: { name: 'History B', discount: { type: 'fixed_amount', amounts: { USD: 500 } }, duration: { type: 'once' }, stackable: false, limits: { perCustomer: 2 }, code: 'HIS-B' },
    codes: [{ code: 'HIS-B-LIM', maxRedemptions: 10 }],
    perCustomer: [1, 2], discount: 'fixed_amount',
  },
  {
    ref: 'C',
    body: { name: 'History C', discount: { type: 'percentage', basisPoints: 500 }, duration: { type: 'forever' }, stackable: true, code: 'HIS-C' },
    codes: [],
    discount: 'percentage',
  },
  {
    ref: 'D',
    body: { name: 'History D', discount: { type: 'percentage', basisPoints: 2000 }, duration: { type: 'once' }, stackable: true, limits: { perCustomer: 1 }, code: 'HIS-D' },
    codes: [],
    perCustomer: [1, 2], discount: 'percentage',
  },
  {
    ref: 'E',
    body: { name: 'History E', discount: { type: 'percentage', basisPoints: 1500 }, duration: { type: 'once' }, stackable: true, code: 'HIS-E' },
    codes: [],
  },
  {
    // a budget per month of the invoices' periodStart (UTC): spent in the first months the history invoices
    ref: 'F',
    body: {
      name: 'History F', discount: { type: 'percentage', basisPoints: 2000 }, duration: { type: 'forever' }, stackable: true,
      limits: { maxRedemptions: 60, budget: { amounts: { USD: 6000 }, period: 'month' } }, code: 'HIS-F',
    },
    codes: [],
  },
];

/** A disabled code of its own coupon and a customer of its own, for the feed probe (feed-probe.ts). */
export const PROBE_CODE = 'HIS-PROBE';
export const PROBE_CUSTOMER = 'hc-probe';
const PROBE_COUPON: CouponSpec = {
  ref: 'P', body: { name: 'History probe', discount: { type: 'percentage', basisPoints: 100 }, stackable: true, code: PROBE_CODE }, codes: [],
};

/** Codes redeemed and validated, with weights; the coupon each belongs to. */
const CODE_WEIGHTS: Record<string, number> = { 'HIS-A': 18, 'HIS-A-LIM': 8, 'HIS-A-CUS': 4, 'HIS-B': 10, 'HIS-B-LIM': 5, 'HIS-C': 18, 'HIS-D': 20, 'HIS-E': 8, 'HIS-F': 10 };
/** Codes held, with weights: the limited ones, where a hold takes a slot others want. */
const HOLD_WEIGHTS: Record<string, number> = { 'HIS-A-LIM': 3, 'HIS-B-LIM': 2, 'HIS-D': 3, 'HIS-A': 5, 'HIS-F': 5, 'HIS-C': 3 };
const TOGGLED_CODES = ['HIS-A-LIM', 'HIS-C', 'HIS-D', 'HIS-B'];
const CUSTOMERS = Array.from({ length: 20 }, (_, i) => `hc-${i}`);
const POOL_SUBSCRIPTIONS = Array.from({ length: 16 }, (_, i) => `hs-p${i}`);

export interface Setup {
  accountId: string;
  token: string;
  /** coupon ref → id */
  coupons: Record<string, string>;
  /** code text → coupon id */
  codeCoupon: Record<string, string>;
}

export interface Recorder {
  t0: number;
  ops: Op[];
  /** called with each operation once answered */
  onAnswer?: (op: Op) => void;
}

/** Sends one request and appends it, with its answer and times, to the history. */
export async function record(
  client: Client, rec: Recorder, token: string, kind: OpKind, method: string, path: string, body: unknown, meta: OpMeta, headers?: Record<string, string>,
): Promise<Op> {
  const op: Op = { id: rec.ops.length, kind, method, path, body, start: Date.now() - rec.t0, end: null, status: null, meta };
  rec.ops.push(op);
  const reply = await client.request(method, path, { token, body, headers });
  op.status = reply.status;
  if (reply.status !== null) op.end = Date.now() - rec.t0;
  op.res = reply.body;
  if (reply.error) op.error = reply.error;
  rec.onAnswer?.(op);
  return op;
}

async function must(client: Client, token: string, method: string, path: string, body: unknown, expect: number): Promise<any> {
  for (let attempt = 0; ; attempt++) {
    const r = await client.request(method, path, { token, body });
    if (r.status === expect) return r.body;
    if (attempt >= 5 || (r.status !== null && r.status < 500)) throw new Error(`setup ${method} ${path}: ${r.status} ${JSON.stringify(r.body ?? r.error)}`);
    await sleep(500);
  }
}

/** The account, plans, coupons and codes every run starts from (before any fault). */
export async function setUp(client: Client, platformToken: string): Promise<Setup> {
  const acct = await must(client, platformToken, 'POST', '/v1/accounts', { name: 'History', timeZone: 'UTC', currency: 'USD' }, 201);
  const token = acct.apiKey as string;
  for (const [id, plan] of Object.entries(PLANS)) await must(client, token, 'PUT', `/v1/plans/${id}`, plan, 200);
  const coupons: Record<string, string> = {};
  const codeCoupon: Record<string, string> = {};
  for (const spec of [...COUPONS, PROBE_COUPON]) {
    const c = await must(client, token, 'POST', '/v1/coupons', spec.body, 201);
    coupons[spec.ref] = c.id;
    codeCoupon[spec.body.code as string] = c.id;
    for (const code of spec.codes) {
      await must(client, token, 'POST', `/v1/coupons/${c.id}/codes`, code, 201);
      codeCoupon[code.code] = c.id;
    }
  }
  await must(client, token, 'POST', `/v1/codes/${PROBE_CODE}/disable`, undefined, 200);
  await must(client, token, 'PUT', `/v1/customers/${PROBE_CUSTOMER}`, {}, 200);
  return { accountId: acct.account.id, token, coupons, codeCoupon };
}

/** What the generator remembers across clients (it only steers later choices). */
interface Memory {
  keys: { key: string; bodies: Record<string, unknown>[] }[];
  redemptions: { id: string; subscriptionId: string; customerId: string }[];
  invoices: { id: string; body: Record<string, unknown> }[];
  invoiceCount: Map<string, number>;
  disabled: Set<string>;
  limits: Record<string, { maxRedemptions?: number; perCustomer?: number }>;
  archived: boolean;
  /** holds answered 201 and not yet consumed or released by this run */
  holds: { id: string; code: string; customerId: string }[];
}

export interface WorkloadOptions {
  seed: number;
  clients: number;
  /** ms since t0 when clients stop starting operations */
  until: number;
}

export class Workload {
  private readonly mem: Memory = {
    keys: [], redemptions: [], invoices: [], invoiceCount: new Map(), disabled: new Set(),
    limits: Object.fromEntries(COUPONS.map((c) => [c.ref, { ...(c.body.limits as object) }])), archived: false, holds: [],
  };

  constructor(private readonly client: Client, private readonly rec: Recorder, private readonly setup: Setup, private readonly opts: WorkloadOptions) {}

  private send(kind: OpKind, method: string, path: string, body: unknown, meta: OpMeta, headers?: Record<string, string>): Promise<Op> {
    return record(this.client, this.rec, this.setup.token, kind, method, path, body, meta, headers);
  }

  /** Runs the clients until `until`; resolves when every operation they started has its answer (or gave up). */
  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.opts.clients }, (_, i) => this.clientLoop(i)));
  }

  private async clientLoop(index: number): Promise<void> {
    const rng = new Prng(this.opts.seed, 100 + index);
    let n = 0;
    while (Date.now() - this.rec.t0 < this.opts.until) {
      n += 1;
      const tag = `${index}-${n}`;
      const choice = rng.weighted({
        redeem: 40, replay: 6, keyConflict: 2, keyRace: 2, key400: 1.5, validate: 8, patch: 5, codeState: 1, archive: 0.3, void: 4,
        invoice: 10, invoiceResend: 4, invoicePaidResend: 4, invoiceOther: 2, invoicePaid: 3, cancel: 0.7,
        hold: 7, consume: 4, release: 2.5,
      });
      switch (choice) {
        case 'redeem': await this.redeem(rng, tag); break;
        case 'replay': await this.replay(rng, tag, false); break;
        case 'keyConflict': await this.replay(rng, tag, true); break;
        case 'keyRace': await this.keyRace(rng, tag); break;
        case 'key400': await this.keyAfter400(rng, tag); break;
        case 'validate': await this.validate(rng); break;
        case 'patch': await this.patchCoupon(rng); break;
        case 'codeState': await this.codeState(rng); break;
        case 'archive': await this.archive(); break;
        case 'void': await this.voidOne(rng); break;
        case 'invoice': await this.newInvoice(rng, tag); break;
        case 'invoiceResend': await this.resendInvoice(rng, 'same'); break;
        case 'invoicePaidResend': await this.resendInvoice(rng, 'paid'); break;
        case 'invoiceOther': await this.resendInvoice(rng, 'other'); break;
        case 'invoicePaid': await this.markPaid(rng); break;
        case 'cancel': await this.cancel(rng); break;
        case 'hold': await this.hold(rng); break;
        case 'consume': await this.consume(rng, tag); break;
        case 'release': await this.release(rng); break;
      }
      await sleep(rng.int(0, 25));
    }
  }

  // ---- redemptions

  private redeemBody(rng: Prng, subscriptionId: string, key?: string, valid = true): Record<string, unknown> {
    const code = rng.weighted(CODE_WEIGHTS);
    const customerId = code === 'HIS-A-CUS' && rng.chance(0.5) ? 'hc-0' : rng.pick(CUSTOMERS);
    const planId = valid ? rng.pick(Object.keys(PLANS)) : UNKNOWN_PLAN;
    return { code, customer: { id: customerId }, subscriptionId, planId, ...(key ? { idempotencyKey: key } : {}) };
  }

  private async sendRedeem(body: Record<string, unknown>, valid: boolean, async: boolean): Promise<Op> {
    const { idempotencyKey, ...rest } = body;
    const meta: OpMeta = {
      key: idempotencyKey as string | undefined, bodyKey: canonical(rest), valid, async,
      code: body.code as string, couponId: this.setup.codeCoupon[body.code as string],
      customerId: (body.customer as { id: string }).id, subscriptionId: body.subscriptionId as string,
    };
    const op = await this.send('redeem', 'POST', '/v1/redemptions', body, meta, async ? { Prefer: 'respond-async' } : undefined);
    const red = op.status === 201 ? op.res?.redemption : undefined;
    if (red?.id) this.mem.redemptions.push({ id: red.id, subscriptionId: red.subscriptionId, customerId: red.customerId });
    return op;
  }

  private async redeem(rng: Prng, tag: string): Promise<void> {
    const async = rng.chance(0.08);
    if (rng.chance(0.5)) {
      // no key: the subscription id is this request's own, so the rows it makes can be told apart
      await this.sendRedeem(this.redeemBody(rng, `hs-u${tag}`), true, async);
      return;
    }
    const key = `hk-${tag}`;
    const sub = rng.chance(0.5) ? rng.pick(POOL_SUBSCRIPTIONS) : `hs-k${tag}`;
    const valid = !rng.chance(0.03);
    const body = this.redeemBody(rng, sub, key, valid);
    this.mem.keys.push({ key, bodies: [body] });
    await this.sendRedeem(body, valid, async);
  }

  /** The same key again: with the same body (a replay), or with another one (a conflict). */
  private async replay(rng: Prng, tag: string, otherBody: boolean): Promise<void> {
    if (this.mem.keys.length === 0) return this.redeem(rng, tag);
    const entry = rng.pick(this.mem.keys);
    let body = rng.pick(entry.bodies);
    if (otherBody) {
      body = this.redeemBody(rng, `hs-k${tag}`, entry.key);
      entry.bodies.push(body);
    }
    await this.sendRedeem(body, body.planId !== UNKNOWN_PLAN, rng.chance(0.08));
  }

  /** One fresh key with two different bodies at the same time. */
  private async keyRace(rng: Prng, tag: string): Promise<void> {
    const key = `hk-${tag}`;
    const a = this.redeemBody(rng, `hs-k${tag}a`, key);
    const b = this.redeemBody(rng, `hs-k${tag}b`, key);
    this.mem.keys.push({ key, bodies: [a, b] });
    await Promise.all([this.sendRedeem(a, true, false), this.sendRedeem(b, true, false)]);
  }

  /** A fresh key first sent with an unknown plan (400, which pins nothing), then corrected. */
  private async keyAfter400(rng: Prng, tag: string): Promise<void> {
    const key = `hk-${tag}`;
    const good = this.redeemBody(rng, `hs-k${tag}`, key);
    const bad = { ...good, planId: UNKNOWN_PLAN };
    this.mem.keys.push({ key, bodies: [good] });
    await this.sendRedeem(bad, false, false);
    await this.sendRedeem(good, true, false);
  }

  private async validate(rng: Prng): Promise<void> {
    const code = rng.weighted(CODE_WEIGHTS);
    const customerId = rng.pick(CUSTOMERS);
    const body = { code, customer: { id: customerId }, ...(rng.chance(0.7) ? { planId: rng.pick(Object.keys(PLANS)) } : {}) };
    await this.send('validate', 'POST', '/v1/codes/validate', body, { code, couponId: this.setup.codeCoupon[code], customerId });
  }

  // ---- holds

  /** A hold of a limited code for 60–90 s (so some expire during the run), sometimes with Prefer: respond-async. */
  private async hold(rng: Prng): Promise<void> {
    const code = rng.weighted(HOLD_WEIGHTS);
    const customerId = rng.pick(CUSTOMERS);
    const body = { code, customer: { id: customerId }, ttlSeconds: rng.int(60, 90) };
    const async = rng.chance(0.08);
    const op = await this.send('hold', 'POST', '/v1/holds', body, { code, couponId: this.setup.codeCoupon[code], customerId, async }, async ? { Prefer: 'respond-async' } : undefined);
    const hold = op.status === 201 ? op.res?.hold : undefined;
    if (hold?.id) this.mem.holds.push({ id: hold.id, code, customerId });
  }

  /** The holder redeems with its hold (on a subscription of its own, so rows are attributed). */
  private async consume(rng: Prng, tag: string): Promise<void> {
    if (this.mem.holds.length === 0) return;
    const i = rng.int(0, this.mem.holds.length - 1);
    const h = this.mem.holds[i]!;
    this.mem.holds.splice(i, 1);
    const body = { code: h.code, customer: { id: h.customerId }, subscriptionId: `hs-h${tag}`, planId: rng.pick(Object.keys(PLANS)), holdId: h.id };
    const meta: OpMeta = {
      bodyKey: canonical(body), valid: true, async: false, code: h.code, couponId: this.setup.codeCoupon[h.code], customerId: h.customerId,
      subscriptionId: body.subscriptionId, holdId: h.id,
    };
    const op = await this.send('redeem', 'POST', '/v1/redemptions', body, meta);
    const red = op.status === 201 ? op.res?.redemption : undefined;
    if (red?.id) this.mem.redemptions.push({ id: red.id, subscriptionId: red.subscriptionId, customerId: red.customerId });
  }

  private async release(rng: Prng): Promise<void> {
    if (this.mem.holds.length === 0) return;
    const i = rng.int(0, this.mem.holds.length - 1);
    const h = this.mem.holds[i]!;
    this.mem.holds.splice(i, 1);
    await this.send('release', 'DELETE', `/v1/holds/${h.id}`, undefined, { holdId: h.id, code: h.code, couponId: this.setup.codeCoupon[h.code], customerId: h.customerId });
  }

  // ---- edits

  private async patchCoupon(rng: Prng): Promise<void> {
    const spec = rng.pick(COUPONS.filter((c) => c.perCustomer || c.maxRedemptions || c.discount));
    const couponId = this.setup.coupons[spec.ref];
    const limits = this.mem.limits[spec.ref];
    const body: Record<string, unknown> = {};
    const patchLimits: Record<string, number> = {};
    if (spec.maxRedemptions && rng.chance(0.6)) patchLimits.maxRedemptions = Math.max(1, (limits.maxRedemptions ?? 40) + rng.int(-2, 8));
    if (spec.perCustomer && rng.chance(0.6)) patchLimits.perCustomer = rng.int(...spec.perCustomer);
    if (Object.keys(patchLimits).length) body.limits = patchLimits;
    if (spec.discount && (Object.keys(patchLimits).length === 0 || rng.chance(0.4))) {
      body.discount = spec.discount === 'percentage'
        ? { type: 'percentage', basisPoints: rng.int(5, 30) * 100 }
        : { type: 'fixed_amount', amounts: { USD: rng.int(3, 9) * 100 } };
    }
    const op = await this.send('patch-coupon', 'PATCH', `/v1/coupons/${couponId}`, body, { couponId, fields: Object.keys(body) });
    if (op.status === 200) Object.assign(limits, patchLimits);
  }

  /** Disables a code and enables it again after a short while (a refused enable or disable is retried by a later one). */
  private async codeState(rng: Prng): Promise<void> {
    const code = rng.pick(TOGGLED_CODES);
    const couponId = this.setup.codeCoupon[code];
    if (!this.mem.disabled.has(code)) {
      this.mem.disabled.add(code);
      const op = await this.send('code-state', 'POST', `/v1/codes/${code}/disable`, undefined, { code, couponId, action: 'disable' });
      if (op.status !== 200 && op.status !== 409) return;
      await sleep(rng.int(20, 300));
    }
    const op = await this.send('code-state', 'POST', `/v1/codes/${code}/enable`, undefined, { code, couponId, action: 'enable' });
    if (op.status === 200 || op.status === 409) this.mem.disabled.delete(code);
  }

  /** Archives coupon E once, in the second half of the run. */
  private async archive(): Promise<void> {
    if (this.mem.archived || Date.now() - this.rec.t0 < this.opts.until / 2) return;
    this.mem.archived = true;
    const couponId = this.setup.coupons.E;
    await this.send('archive', 'POST', `/v1/coupons/${couponId}/archive`, undefined, { couponId });
  }

  private async voidOne(rng: Prng): Promise<void> {
    if (this.mem.redemptions.length === 0) return;
    const r = rng.pick(this.mem.redemptions);
    await this.send('void', 'POST', `/v1/redemptions/${r.id}/void`, { reason: 'history' }, { redemptionId: r.id, subscriptionId: r.subscriptionId, customerId: r.customerId });
  }

  private async cancel(rng: Prng): Promise<void> {
    if (this.mem.redemptions.length === 0) return;
    const r = rng.pick(this.mem.redemptions);
    await this.send('cancel', 'POST', `/v1/subscriptions/${r.subscriptionId}/cancel`, {}, { subscriptionId: r.subscriptionId });
  }

  // ---- invoices

  private invoiceMeta(body: Record<string, unknown>, async: boolean): OpMeta {
    const { paid, ...content } = body;
    return { invoiceId: body.invoiceId as string, content: canonical(content), paid: paid === true, async, subscriptionId: body.subscriptionId as string };
  }

  private sendInvoice(body: Record<string, unknown>, async: boolean): Promise<Op> {
    return this.send('invoice', 'POST', '/v1/invoices', body, this.invoiceMeta(body, async), async ? { Prefer: 'respond-async' } : undefined);
  }

  private async newInvoice(rng: Prng, tag: string): Promise<void> {
    const target = this.mem.redemptions.length && rng.chance(0.8)
      ? rng.pick(this.mem.redemptions)
      : { subscriptionId: rng.pick(POOL_SUBSCRIPTIONS), customerId: undefined };
    const n = (this.mem.invoiceCount.get(target.subscriptionId) ?? 0) + 1;
    this.mem.invoiceCount.set(target.subscriptionId, n);
    const start = new Date(Date.UTC(2027, n - 1, 1)).toISOString();
    const end = new Date(Date.UTC(2027, n, 1)).toISOString();
    const body: Record<string, unknown> = {
      invoiceId: `hi-${tag}`, subscriptionId: target.subscriptionId, ...(target.customerId ? { customerId: target.customerId } : {}),
      currency: 'USD', periodStart: start, periodEnd: end,
      lines: [{ id: 'l1', kind: 'recurring', planId: 'hp-monthly', amount: 2000 + rng.int(0, 40) * 25 }, ...(rng.chance(0.3) ? [{ id: 'l2', kind: 'setup_fee', amount: 500 }] : [])],
      paid: rng.chance(0.25),
    };
    this.mem.invoices.push({ id: body.invoiceId as string, body });
    await this.sendInvoice(body, rng.chance(0.08));
  }

  private async resendInvoice(rng: Prng, how: 'same' | 'paid' | 'other'): Promise<void> {
    if (this.mem.invoices.length === 0) return;
    const inv = rng.pick(this.mem.invoices);
    let body = inv.body;
    if (how === 'paid') body = { ...body, paid: true };
    if (how === 'other') {
      const lines = body.lines as { amount: number }[];
      body = { ...body, paid: false, lines: [{ ...lines[0], amount: lines[0].amount + 100 }, ...lines.slice(1)] };
    }
    await this.sendInvoice(body, rng.chance(0.08));
  }

  private async markPaid(rng: Prng): Promise<void> {
    if (this.mem.invoices.length === 0) return;
    const inv = rng.pick(this.mem.invoices);
    await this.send('invoice-paid', 'POST', `/v1/invoices/${inv.id}/paid`, undefined, { invoiceId: inv.id });
  }
}
