import type { Request, Response } from 'express';
import type { ZodType } from 'zod';
import type { AppContext } from '../context';
import type { AccountRow } from './auth';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface HandlerInput<B, Q, P> {
  ctx: AppContext;
  body: B;
  query: Q;
  params: P;
  account: AccountRow;
  apiKeyId: string | null;
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
