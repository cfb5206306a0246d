/** The console's only way to the service: the public /v1 API with the signed-in account key. */

import type { Account } from '../../src/contracts/types';
import { apiPath, type ApiPath } from './paths';

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
    /** On a 403: the scope the key lacks. */
    readonly requiredScope?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export { apiPath, pathSegment, type ApiPath } from './paths';

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: ApiPath, query?: Query): ApiPath {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return (s ? `${path}?${s}` : path) as ApiPath;
}

async function send(method: string, path: ApiPath, body?: unknown, contentType = 'application/json', key = session.key()): Promise<Response> {
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
    let err: { code?: string; message?: string; field?: string; rows?: BadLine[]; requiredScope?: string } = {};
    try {
      err = ((await res.json()) as { error?: typeof err }).error ?? {};
    } catch {
      // not JSON
    }
    if (res.status === 401 && key) window.dispatchEvent(new Event('couponflow:unauthorized'));
    throw new ApiError(res.status, err.code ?? 'http_error', err.message ?? `The service answered ${res.status}.`, err.field, err.rows, err.requiredScope);
  }
  return res;
}

export async function api<T>(method: string, path: ApiPath, body?: unknown, contentType?: string): Promise<T> {
  const res = await send(method, path, body, contentType);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T,>(path: ApiPath, query?: Query) => api<T>('GET', withQuery(path, query));

/** Checks a key before keeping it (GET /v1/account answers any key). */
export async function checkKey(key: string): Promise<Account> {
  const res = await send('GET', apiPath`/v1/account`, undefined, undefined, key);
  return (await res.json()) as Account;
}

/** Downloads an authenticated file (the Bearer header cannot ride on a plain link). */
export async function download(path: ApiPath, filename: string): Promise<void> {
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

export async function getText(path: ApiPath): Promise<string> {
  return (await send('GET', path)).text();
}

/**
 * The API's shapes come from the service's contracts, as types only: nothing of zod or of the
 * server reaches the bundle (the layering test holds every console import of them to `import type`).
 */
export type {
  Account,
  AccountPatchBody,
  AccountStats,
  ApiKey,
  ApiKeyCreateBody,
  ApiKeyPage,
  ApiKeyRollBody,
  ApiKeyWithSecret,
  ApiScope,
  AuditRecord,
  AuditRecordPage,
  AuditTargetType,
  AttributionReport,
  Batch,
  BatchCreateBody,
  BatchCreated,
  BatchPage,
  Code,
  CodeCreateBody,
  CodePage,
  CodePatchBody,
  CodeReportPage,
  Coupon,
  CouponCreateBody,
  CouponPage,
  CouponPatchBody,
  CouponSort,
  CouponStatus,
  CouponVersionPage,
  Discount,
  Duration,
  EventPage,
  EventType,
  Hold,
  HoldPage,
  ImportResult,
  RecoverDeliveriesBody,
  RecoveredDeliveries,
  Plan,
  PlanPage,
  PreviewRequestBody,
  PreviewResult,
  ReportSort,
  RotateSecretBody,
  RotatedSecret,
  Rounding,
  Timeseries,
  UsageStats,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointCreateBody,
  WebhookEndpointCreated,
  WebhookEndpointPage,
  WebhookEndpointPatchBody,
} from '../../src/contracts/types';

export type { Money } from './format';
