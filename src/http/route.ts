import type { Request, Response } from 'express';
import type { ZodType } from 'zod';
import type { AppContext } from '../context';
import type { AccountRow, CallingKey } from './auth';
import type { ApiScope } from '../domain';
import type { Caller } from '../services/audit-log';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The scope an account route needs, or `any` (every key may call it). */
export type RouteScope = Exclude<ApiScope, '*'> | 'any';

export interface HandlerInput<B, Q, P> {
  ctx: AppContext;
  body: B;
  query: Q;
  params: P;
  account: AccountRow;
  /** The calling key's id (null on platform and open routes). */
  apiKeyId: string | null;
  /** The calling key (null on platform and open routes). */
  key: CallingKey | null;
  /** Who calls and from where, for the audit records of the changes the handler asks for (null on open routes). */
  caller: Caller | null;
  req: Request;
  res: Response;
}

/** What a handler answers. A handler that streams writes to `res` itself and returns undefined. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ResponseDoc {
  description: string;
  schema?: ZodType;
  contentType?: string;
}

export interface RouteDef<B = unknown, Q = unknown, P = unknown> {
  method: Method;
  /** Express-style path, e.g. `/v1/plans/:id`. */
  path: string;
  auth: 'platform' | 'account' | 'none';
  /**
   * What an account route needs of the calling key: a scope (`*` or a scope granting it,
   * src/domain/api-scopes.ts), or `any` for every key. Required on account routes (createApp
   * refuses one without it); a key without it answers 403 forbidden with `requiredScope`.
   */
  scope?: RouteScope;
  summary: string;
  tags?: string[];
  body?: ZodType<B>;
  /** A JSON body that may be left out (then `{}` is validated). */
  bodyOptional?: boolean;
  /** Body media type; `text/csv` bodies arrive as the raw request stream. */
  bodyType?: 'application/json' | 'text/csv';
  query?: ZodType<Q>;
  params?: ZodType<P>;
  responses: Record<number, ResponseDoc>;
  /** Error statuses this route may answer besides 400/401/500 (documented with the error shape). */
  errors?: number[];
  handler: (input: HandlerInput<B, Q, P>) => Promise<Reply | undefined>;
}

/** Typed helper so handlers see their parsed body, query and params. */
export function defineRoute<B = undefined, Q = undefined, P = undefined>(def: RouteDef<B, Q, P>): RouteDef {
  return def as unknown as RouteDef;
}
