import { Queue } from 'bullmq';
import { createRedis, queuePrefix } from '../src/queues/connection';
import { Client as PgClient } from 'pg';
import type { Client } from './http';
import type { FinalState, JobState, Op, Poll } from './model';
import { sleep } from './services';

/** Queues whose jobs the operations add. */
export const JOB_QUEUES = ['redemptions', 'invoice-discounts'];

/**
 * Waits until no job of the run's queues is waiting, delayed, prioritized, paused or active
 * (or the deadline passes); answers what was left.
 */
export async function waitForQueues(redisUrl: string, prefix: string, deadlineMs: number, cluster = false): Promise<Record<string, number>> {
  const connection = createRedis({ url: redisUrl, cluster }, 'blocking');
  const queues = JOB_QUEUES.map((name) => new Queue(name, { connection, prefix: queuePrefix(prefix, cluster, name) }));
  const end = Date.now() + deadlineMs;
  let left: Record<string, number> = {};
  try {
    for (;;) {
      left = {};
      for (const q of queues) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        const n = Object.values(counts).reduce((s, x) => s + x, 0);
        if (n > 0) left[q.name] = n;
      }
      if (Object.keys(left).length === 0 || Date.now() > end) return left;
      await sleep(250);
    }
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    connection.disconnect();
  }
}

/**
 * Reads the job behind every 202 answer (GET /v1/jobs/{queue}/{id}) soon after it finishes, as
 * finished jobs are kept only so long (by age and count), and once more for each job still open
 * when the run settled.
 */
export class JobWatcher {
  private readonly states = new Map<string, JobState>();
  private readonly pending = new Map<string, { queue: string; id: string }>();
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly client: Client, private readonly token: string, private readonly t0: number) {}

  /** Follows the job of an operation answered 202. */
  watch(op: Op): void {
    const job = op.status === 202 ? op.res?.job : undefined;
    if (!job?.id || !job.queue) return;
    const k = `${job.queue}|${job.id}`;
    if (!this.states.has(k)) this.pending.set(k, { queue: job.queue, id: job.id });
  }

  start(): void {
    this.done = (async () => {
      while (!this.stopped) {
        await this.pass();
        await sleep(1000);
      }
    })();
  }

  private async pass(): Promise<void> {
    for (const [k, job] of [...this.pending]) {
      const r = await this.client.request('GET', `/v1/jobs/${job.queue}/${encodeURIComponent(job.id)}`, { token: this.token });
      const finished = r.status === 200 && (r.body?.status === 'completed' || r.body?.status === 'failed');
      const state: JobState = { queue: job.queue, id: job.id, status: r.status, res: r.body, seenAt: finished && !this.stopped ? Date.now() - this.t0 : undefined };
      if (finished || this.stopped) {
        this.states.set(k, state);
        this.pending.delete(k);
      }
    }
  }

  /** Stops following, reading nothing more. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** Stops following; reads every job still open once more; answers every job's last state. */
  async finish(): Promise<JobState[]> {
    this.stopped = true;
    await this.done;
    await this.pass();
    return [...this.states.values()];
  }
}

/** The whole feed from after=0, page by page (500 a page). */
export async function readFeed(client: Client, token: string): Promise<FinalState['feed']> {
  const ids: number[] = [];
  let after = 0;
  for (;;) {
    const r = await client.request('GET', `/v1/events?after=${after}&limit=500`, { token });
    if (r.status !== 200) return { ids, error: `GET /v1/events?after=${after}: ${r.status} ${JSON.stringify(r.body ?? r.error)}` };
    const data = r.body.data as { id: string }[];
    for (const e of data) ids.push(Number(e.id));
    if (data.length < 500) return { ids };
    after = Number(data[data.length - 1].id);
  }
}

/**
 * Polls the events feed the way a consumer does (after = the last id seen) until stopped,
 * recording each poll.
 */
export class FeedPoller {
  readonly polls: Poll[] = [];
  lastSeen = 0;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly client: Client, private readonly token: string, private readonly t0: number) {}

  start(): void {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const after = this.lastSeen;
      const start = Date.now() - this.t0;
      const r = await this.client.request('GET', `/v1/events?after=${after}&limit=200`, { token: this.token });
      const poll: Poll = { start, end: Date.now() - this.t0, after, status: r.status, ids: [], full: false };
      if (r.status === 200 && Array.isArray(r.body?.data)) {
        poll.ids = r.body.data.map((e: { id: string }) => Number(e.id));
        poll.full = poll.ids.length === 200;
        if (poll.ids.length) this.lastSeen = Math.max(this.lastSeen, poll.ids[poll.ids.length - 1]);
      }
      this.polls.push(poll);
      if (!poll.full) await sleep(200);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** Polls on until the feed reached `id` (or the deadline passed), then stops. */
  async stopAfter(id: number, deadlineMs: number): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (this.lastSeen < id && Date.now() < end) await sleep(100);
    this.stopped = true;
    await this.done;
  }
}

/** The account's rows, read straight from the run's database. */
export async function readDatabase(databaseUrl: string, accountId: string): Promise<Omit<FinalState, 'invoiceReads' | 'feed'>> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    const q = async (text: string) => (await db.query(text, [accountId])).rows;
    const coupons = (await q(`select id, state, version, times_redeemed, max_redemptions, per_customer, held, budget, time_zone from coupons where account_id = $1`)).map((r) => ({
      id: r.id, state: r.state, version: Number(r.version), timesRedeemed: Number(r.times_redeemed),
      maxRedemptions: r.max_redemptions === null ? null : Number(r.max_redemptions), perCustomer: r.per_customer === null ? null : Number(r.per_customer),
      held: Number(r.held), budget: r.budget ?? null, timeZone: r.time_zone,
    }));
    const versions = (await q(`select v.coupon_id, v.version, v.snapshot from coupon_versions v join coupons c on c.id = v.coupon_id where c.account_id = $1`))
      .map((r) => ({ couponId: r.coupon_id, version: Number(r.version), snapshot: r.snapshot }));
    const codes = (await q(`select id, code, coupon_id, state, times_redeemed, max_redemptions, customer_id, held from codes where account_id = $1`)).map((r) => ({
      id: Number(r.id), code: r.code, couponId: r.coupon_id, state: r.state, timesRedeemed: Number(r.times_redeemed),
      maxRedemptions: r.max_redemptions === null ? null : Number(r.max_redemptions), customerId: r.customer_id, held: Number(r.held),
    }));
    const iso = (v: Date | null) => (v ? v.toISOString() : null);
    const holds = (await q(`select * from holds where account_id = $1`)).map((r) => ({
      id: r.id, couponId: r.coupon_id, codeId: r.code_id === null ? null : Number(r.code_id), code: r.code, customerId: r.customer_id, status: r.status,
      expiresAt: iso(r.expires_at)!, redemptionId: r.redemption_id, createdAt: iso(r.created_at)!, endedAt: iso(r.ended_at),
    }));
    const budgetSpend = (await q(`select * from coupon_budget_spend where account_id = $1`)).map((r) => ({
      couponId: r.coupon_id, period: r.period, periodStart: iso(r.period_start)!, currency: r.currency, spent: Number(r.spent), exhausted: r.exhausted_event_at !== null,
    }));
    const redemptions = (await q(`select * from redemptions where account_id = $1`)).map((r) => ({
      id: r.id, couponId: r.coupon_id, couponVersion: Number(r.coupon_version), codeId: r.code_id === null ? null : Number(r.code_id), code: r.code,
      customerId: r.customer_id, subscriptionId: r.subscription_id, planId: r.plan_id, status: r.status, terms: r.terms,
      idempotencyKey: r.idempotency_key, endedAt: iso(r.ended_at), endedReason: r.ended_reason, voidedAt: iso(r.voided_at),
    }));
    // a key stores its answer body: a refusal (the only errors stored) answered 422, a redemption 201
    const storedOutcomes = (await q(`select idempotency_key, body from redemption_requests where account_id = $1`))
      .map((r) => ({ key: r.idempotency_key, status: r.body?.error ? 422 : 201, body: r.body }));
    const invoices = (await q(`select id, subscription_id, paid, subtotal, discount_total, result, period_start, currency from invoices where account_id = $1`)).map((r) => ({
      id: r.id, subscriptionId: r.subscription_id, paid: r.paid, subtotal: Number(r.subtotal), discountTotal: Number(r.discount_total), result: r.result,
      periodStart: iso(r.period_start)!, currency: r.currency,
    }));
    const ledger = (await q(`select invoice_id, redemption_id, amount, coupon_id from invoice_discounts where account_id = $1`))
      .map((r) => ({ invoiceId: r.invoice_id, redemptionId: r.redemption_id, amount: Number(r.amount), couponId: r.coupon_id }));
    const events = (await q(`select id, type, data from events where account_id = $1 order by id`)).map((r) => ({ id: Number(r.id), type: r.type, data: r.data }));
    const subscriptions = (await q(`select id, status from subscriptions where account_id = $1`)).map((r) => ({ id: r.id, status: r.status }));
    return { coupons, versions, codes, redemptions, storedOutcomes, invoices, ledger, events, subscriptions, holds, budgetSpend };
  } finally {
    await db.end();
  }
}

/** GET /v1/invoices/{id} for every invoice id the history sent. */
export async function readInvoices(client: Client, token: string, ops: Op[]): Promise<FinalState['invoiceReads']> {
  const out: FinalState['invoiceReads'] = {};
  for (const id of new Set(ops.filter((o) => o.kind === 'invoice').map((o) => o.meta.invoiceId!))) {
    const r = await client.request('GET', `/v1/invoices/${encodeURIComponent(id)}`, { token });
    out[id] = { status: r.status, body: r.body };
  }
  return out;
}
