/** Job payloads and results, one type per queue. Payloads are plain JSON. */

export interface CustomerInput {
  id: string;
  email?: string | null;
  country?: string | null;
  region?: string | null;
  postalCode?: string | null;
  hasPaidSubscription?: boolean;
}

export interface RedeemRequest {
  /** Exactly one of `code` and `couponId` (a direct coupon). */
  code?: string;
  couponId?: string;
  customer: CustomerInput;
  subscriptionId: string;
  planId: string;
  fromPlanId?: string;
  action?: string;
  idempotencyKey?: string;
  /** The hold this redemption consumes (same customer and code). */
  holdId?: string;
}

export interface RedemptionJobData {
  accountId: string;
  apiKeyId: string | null;
  requestHash: string;
  request: RedeemRequest;
  /**
   * Without an idempotency key: the request's own id, which becomes the redemption's id, so a
   * job that runs again (a worker dying after COMMIT, a stalled job taken over) finds what its
   * first run wrote instead of counting again. Absent in jobs queued before it existed.
   */
  requestId?: string;
}

/** POST /v1/holds. */
export interface HoldRequestInput {
  /** Exactly one of `code` and `couponId` (a direct coupon). */
  code?: string;
  couponId?: string;
  customer: CustomerInput;
  planId?: string;
  currency?: string;
  action?: string;
  ttlSeconds?: number;
  idempotencyKey?: string;
}

export interface HoldJobData {
  accountId: string;
  apiKeyId: string | null;
  requestHash: string;
  request: HoldRequestInput;
  /** Without an idempotency key: the request's own id, which becomes the hold's id. */
  requestId?: string;
}

export interface InvoiceLineInput {
  id: string;
  kind: 'recurring' | 'setup_fee' | 'component' | 'one_time' | 'shipping';
  planId?: string;
  amount: number;
}

export interface InvoiceInput {
  invoiceId: string;
  subscriptionId: string;
  customerId?: string;
  currency: string;
  periodStart: string;
  periodEnd?: string;
  trial?: boolean;
  midPeriod?: boolean;
  paid?: boolean;
  lines: InvoiceLineInput[];
}

export interface InvoiceJobData {
  accountId: string;
  invoice: InvoiceInput;
}

export interface BatchJobData {
  accountId: string;
  batchId: string;
}

/** The expiry sweep's payload (its job scheduler's). */
export interface ExpirySweepData {
  kind: 'sweep';
}

/** One coupon's, code's or hold's expiry at its exact instant. */
export type ExpireAtData =
  | { kind: 'coupon'; accountId: string; couponId: string; expiresAt: string }
  | { kind: 'code'; accountId: string; codeId: number; expiresAt: string }
  /** The account's holds that expire at `expiresAt` (a whole second): one job per account and second. */
  | { kind: 'holds'; accountId: string; expiresAt: string };

/** The growth report rollups' fold (its job scheduler's). */
export interface ReportFoldData {
  kind: 'fold-reports';
}

export type ExpiryJobData = ExpirySweepData | ExpireAtData | ReportFoldData;

/** One attempt (or the rest of the attempts) of one webhook delivery; `round` counts redeliveries. */
export interface WebhookJobData {
  accountId: string;
  deliveryId: string;
  round: number;
}

/**
 * The first attempt of several new deliveries of one endpoint (made by one relay step, in
 * order): one job sends them, up to the endpoint's share at once; a delivery that needs another
 * attempt, or finds the endpoint paced, leaves it as a `deliver` job of its own.
 */
export interface WebhookBatchJobData {
  accountId: string;
  endpointId: string;
  deliveryIds: string[];
}
