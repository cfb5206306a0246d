/**
 * What a history run records: every operation with its request and answer and when it started
 * and ended (milliseconds since the run started), the polls of the events feed, the faults
 * injected, and the final state read at the end.
 */

export type OpKind =
  | 'redeem' | 'validate' | 'patch-coupon' | 'code-state' | 'archive' | 'void'
  | 'invoice' | 'invoice-paid' | 'cancel' | 'hold' | 'release';

export interface OpMeta {
  /** redeem: the idempotency key, if any */
  key?: string;
  /** redeem: canonical JSON of the body without the key (what "the same request" means) */
  bodyKey?: string;
  /** redeem: false for a body made invalid on purpose (an unknown plan: 400) */
  valid?: boolean;
  /** redeem, invoice: sent with Prefer: respond-async */
  async?: boolean;
  /** redeem/validate: the code text; code-state: the code */
  code?: string;
  /** the coupon's id (patch-coupon, archive, and the coupon a code belongs to) */
  couponId?: string;
  customerId?: string;
  subscriptionId?: string;
  /** void: the redemption voided */
  redemptionId?: string;
  /** code-state: disable or enable */
  action?: 'disable' | 'enable';
  /** invoice, invoice-paid */
  invoiceId?: string;
  /** invoice: which content (a canonical JSON of the body without `paid`) */
  content?: string;
  paid?: boolean;
  /** patch-coupon: which fields the body sets */
  fields?: string[];
  /** redeem with a hold (consuming it), release: the hold */
  holdId?: string;
}

export interface Op {
  id: number;
  kind: OpKind;
  method: string;
  path: string;
  body?: unknown;
  start: number;
  /** null: no answer (the client gave up or the connection failed) */
  end: number | null;
  status: number | null;
  res?: any;
  error?: string;
  meta: OpMeta;
}

export interface Poll {
  start: number;
  end: number;
  after: number;
  status: number | null;
  ids: number[];
  /** a full page: the feed may hold more right now */
  full: boolean;
}

export type FaultKind = 'kill-worker' | 'postgres-down' | 'redis-down';

export interface Fault {
  kind: FaultKind;
  /** when the fault began (process killed, server stopping) */
  start: number;
  /** when the process or server was down (its kill or stop returned) */
  down: number;
  /** when the server was asked to start again (outages) or the new worker was asked to start */
  restart: number;
  /** when the restart finished */
  end: number;
  detail: string;
}

/** GET /v1/jobs answers read after the run settled, by queue and job id. */
export interface JobState {
  queue: string;
  id: string;
  status: number | null;
  res?: any;
  /**
   * ms since t0 when the read that first saw the job finished was answered: the job was decided
   * by then (read about once a second); undefined when it was first seen finished after the run.
   */
  seenAt?: number;
}

/** Rows read from the run's own database at the end. */
export interface FinalState {
  coupons: {
    id: string; state: string; version: number; timesRedeemed: number; maxRedemptions: number | null; perCustomer: number | null;
    /** active holds counted on the row (absent: 0) */
    held?: number;
    /** limits.budget, when the coupon has one */
    budget?: { amounts: Record<string, number>; period?: 'day' | 'week' | 'month' | null } | null;
    timeZone?: string;
  }[];
  versions: { couponId: string; version: number; snapshot: any }[];
  codes: {
    id: number; code: string; couponId: string; state: string; timesRedeemed: number; maxRedemptions: number | null; customerId: string | null;
    held?: number;
  }[];
  /** every hold of the account */
  holds?: {
    id: string; couponId: string; codeId: number | null; code: string | null; customerId: string; status: string; expiresAt: string;
    redemptionId: string | null; createdAt: string; endedAt: string | null;
  }[];
  /** what invoices took from the coupons' budgets, per coupon, period and currency */
  budgetSpend?: { couponId: string; period: string; periodStart: string; currency: string; spent: number; exhausted: boolean }[];
  /** when the final state was read (wall clock, ISO) */
  readAt?: string;
  redemptions: {
    id: string; couponId: string; couponVersion: number; codeId: number | null; code: string | null; customerId: string; subscriptionId: string;
    planId: string; status: string; terms: any; idempotencyKey: string | null; endedAt: string | null; endedReason: string | null; voidedAt: string | null;
  }[];
  storedOutcomes: { key: string; status: number; body: any }[];
  invoices: { id: string; subscriptionId: string; paid: boolean; subtotal: number; discountTotal: number; result: any; periodStart?: string; currency?: string }[];
  ledger: { invoiceId: string; redemptionId: string; amount: number; couponId?: string }[];
  events: { id: number; type: string; data: any }[];
  subscriptions: { id: string; status: string }[];
  /** GET /v1/invoices/{id} for every invoice id sent */
  invoiceReads: Record<string, { status: number | null; body: any }>;
  /** GET /v1/events read from after=0 to the end, after the run settled */
  feed: { ids: number[]; error?: string };
}

/** The feed probe (feed-probe.ts): when a row was held, when its edits were answered, when it was released. */
export interface FeedProbe {
  holdStart: number;
  patchesEnd: number;
  release: number;
  /** transactions seen waiting on the held row, both after the redemptions were sent and at release */
  waiting: number;
  /** the coupon edits made while the row was held */
  patchOps: number[];
}

export interface History {
  seed: number;
  ops: Op[];
  polls: Poll[];
  faults: Fault[];
  jobs: JobState[];
  final: FinalState;
  probes: FeedProbe[];
  /** ms since start when the operations stopped */
  opsEnd: number;
  /** hang threshold used (ms) */
  hangMs: number;
}

export interface Violation {
  rule: string;
  message: string;
  /** the operations involved, by id */
  ops: number[];
}
