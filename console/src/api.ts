/** The console's only way to the service: the public /v1 API with the signed-in account key. */

const KEY = 'couponflow.apiKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export interface BadLine {
  line: number;
  message: string;
}

/** An error answer of the API: its machine code, message, the field it names, bad CSV lines. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly rows?: BadLine[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

async function send(method: string, path: string, body?: unknown, contentType = 'application/json', key = session.key()): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, 'network_error', 'The service could not be reached.');
  }
  if (!res.ok) {
    let err: { code?: string; message?: string; field?: string; rows?: BadLine[] } = {};
    try {
      err = ((await res.json()) as { error?: typeof err }).error ?? {};
    } catch {
      // not JSON
    }
    if (res.status === 401 && key) window.dispatchEvent(new Event('couponflow:unauthorized'));
    throw new ApiError(res.status, err.code ?? 'http_error', err.message ?? `The service answered ${res.status}.`, err.field, err.rows);
  }
  return res;
}

export async function api<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const res = await send(method, path, body, contentType);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T,>(path: string, query?: Query) => api<T>('GET', withQuery(path, query));

/** Checks a key before keeping it. */
export async function checkKey(key: string): Promise<Account> {
  const res = await send('GET', '/v1/account', undefined, undefined, key);
  return (await res.json()) as Account;
}

/** Downloads an authenticated file (the Bearer header cannot ride on a plain link). */
export async function download(path: string, filename: string): Promise<void> {
  const res = await send('GET', path);
  saveBlob(await res.blob(), filename);
}

/** Hands a blob to the browser as a file download. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function getText(path: string): Promise<string> {
  return (await send('GET', path)).text();
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Account {
  id: string;
  name: string;
  timeZone: string;
  currency: string;
  overflow?: string;
}

export type Discount =
  | { type: 'percentage'; basisPoints: number }
  | { type: 'fixed_amount'; amounts: Record<string, number> }
  | { type: 'free_trial'; days: number }
  | { type: 'free_shipping' }
  | { type: 'none' };

export type Duration =
  | { type: 'once' }
  | { type: 'repeating'; cycles: number }
  | { type: 'forever' }
  | { type: 'months'; months: number }
  | { type: 'until'; date: string };

export interface Attribution {
  channel?: string;
  partner?: string;
  referrerCustomerId?: string;
}

export interface Coupon {
  id: string;
  name: string;
  description: string | null;
  discount: Discount;
  duration: Duration;
  appliesTo: {
    plans: 'all' | { include?: { planIds?: string[] }; exclude?: { planIds?: string[] } };
    planKinds?: string[];
    lineKinds?: string[];
    actions?: string[];
    switches?: string;
  };
  eligibility: { customers?: string; emailDomains?: string[]; regions?: { country: string; regions?: string[]; postalPrefixes?: string[] }[] };
  limits: { maxRedemptions: number | null; perCustomer: number | null };
  validFrom: string | null;
  expiresAt: string | null;
  expiresOn: string | null;
  expiresAfterDays: number | null;
  overflow: string;
  stackable: boolean;
  status: string;
  code: string | null;
  timeZone: string;
  timesRedeemed: number;
  attribution?: Attribution | null;
  grantsAccess?: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Code {
  code: string;
  couponId: string;
  status: string;
  timesRedeemed: number;
  maxRedemptions: number | null;
  expiresAt: string | null;
  customerId: string | null;
  metadata: Record<string, unknown> | null;
  attribution?: Attribution | null;
}

export interface Batch {
  id: string;
  couponId: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  count: number;
  generated: number;
  error?: string | null;
}

export type Money = Record<string, number>;

export interface Figures {
  redemptions: number;
  customers: number;
  converted: number;
  conversionRate: number | null;
  active: number;
  churned: number;
  discount: Money;
  revenue: Money;
  averageLifetimeValue: Money;
}

export interface CodeReportRow extends Figures {
  code: string | null;
  couponId: string;
  attribution?: Attribution | null;
  deleted?: boolean;
}

export interface AttributionRow extends Figures {
  key: string | null;
}

export interface TimeseriesBucket {
  start: string;
  redemptions: number;
  discount: Money;
  revenue: Money;
}

export interface UsageStats {
  redemptions: { total: number; active: number; ended: number; voided: number };
  customers: number;
  invoices: number;
  discountTotal: Money;
  revenue: Money;
  conversionRate: number | null;
}

export interface AccountStats {
  codes: number;
  activeCodes: number;
  redemptions: number;
  topCode: { code: string; redemptions: number } | null;
}

export interface EventRow {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  status: 'enabled' | 'disabled';
  createdAt: string;
  secret?: string;
}

export interface Delivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  attemptLog?: { at: string; statusCode: number | null; error: string | null; durationMs: number | null }[];
}
