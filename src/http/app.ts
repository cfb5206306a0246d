import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../context';
import { errorFields } from '../logger';
import { authenticateAccount, checkPlatformToken, type AccountRow, type CallingKey } from './auth';
import { grantsScope } from '../domain';
import { PLATFORM_ACTOR, type Caller } from '../services/audit-log';
import { AppError, databaseUnavailable, forbidden } from '../errors';
import { faultError } from '../faults';
import { sendAppError } from './errors';
import { ErrorSchema, OpenAPIRegistry, buildOpenApiDocument, z } from './openapi';
import type { RouteDef } from './route';
import { parseOrThrow } from '../contracts/validation';
import { mountDocs } from './docs-page';
import { isValidRequestId, runInRequest } from '../request-context';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'validation_failed: bad JSON, wrong type, unknown enum, out of range',
  401: 'unauthorized',
  403: 'forbidden: the API key lacks the scope this route needs (error.requiredScope)',
  404: 'not_found',
  409: 'conflict',
  422: 'refused (business rule)',
  429: 'rate_limited',
  503: 'queue_unavailable (Redis down), database_unavailable (PostgreSQL down), queue_full (Retry-After), job_failed',
};

const NO_ACCOUNT = undefined as unknown as AccountRow;

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function register(registry: OpenAPIRegistry, def: RouteDef): void {
  const responses: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(def.responses)) {
    responses[status] = doc.schema
      ? { description: doc.description, content: { [doc.contentType ?? 'application/json']: { schema: doc.schema } } }
      : { description: doc.description };
  }
  const scoped = def.auth === 'account' && def.scope !== undefined && def.scope !== 'any';
  const errors = new Set<number>([400, ...(def.auth === 'none' ? [] : [401]), ...(scoped ? [403] : []), ...(def.errors ?? [])]);
  for (const s of errors) {
    responses[String(s)] = { description: ERROR_DESCRIPTIONS[s] ?? 'error', content: { 'application/json': { schema: ErrorSchema } } };
  }
  const request: Record<string, unknown> = {};
  if (def.body) {
    request.body = { content: { [def.bodyType ?? 'application/json']: { schema: def.body } }, required: !def.bodyOptional };
  }
  if (def.query) request.query = def.query;
  if (def.params) request.params = def.params;
  registry.registerPath({
    method: def.method,
    path: openApiPath(def.path),
    summary: def.summary,
    description: def.auth === 'account' ? (scoped ? `API key scope: \`${def.scope}\` (or one that grants it).` : 'Any API key.') : undefined,
    tags: def.tags,
    security: def.auth === 'none' ? [] : [{ bearer: [] }],
    request: request as never,
    responses: responses as never,
  });
}

/**
 * The context a request runs with: the process's, with one instant for the whole request (the
 * first read of the clock), so the key check, the use case and its audit record agree on "now".
 */
function forRequest(app: AppContext): AppContext {
  let at: string | undefined;
  return { ...app, clock: { now: () => (at ??= app.clock.now()) } };
}

function handle(app: AppContext, def: RouteDef) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const ctx = forRequest(app);
    try {
      let account = NO_ACCOUNT;
      let key: CallingKey | null = null;
      let caller: Caller | null = null;
      const origin = { requestId: res.locals.requestId as string, ip: req.ip ?? null };
      if (def.auth === 'platform') {
        checkPlatformToken(ctx, req);
        caller = { actor: PLATFORM_ACTOR, ...origin };
      } else if (def.auth === 'account') {
        ({ account, key } = await authenticateAccount(ctx, req));
        caller = { actor: { type: 'api_key', id: key.id, name: key.name }, ...origin };
        if (def.scope !== 'any' && !grantsScope(key.scopes, def.scope!)) {
          throw forbidden(def.scope!, `this API key lacks the scope ${def.scope} that ${def.method.toUpperCase()} ${def.path} needs`);
        }
      }
      let body: unknown = undefined;
      if (def.body && def.bodyType !== 'text/csv') {
        const raw = req.body === undefined && def.bodyOptional ? {} : req.body;
        if (raw === undefined) throw new AppError('validation_failed', 'body: a JSON object is required (Content-Type: application/json)', 'body');
        body = parseOrThrow(def.body, raw, 'body');
      }
      const query = def.query ? parseOrThrow(def.query, req.query ?? {}, 'query') : undefined;
      const params = def.params ? parseOrThrow(def.params, req.params, 'params') : undefined;
      const reply = await def.handler({ ctx, body, query, params, account, apiKeyId: key?.id ?? null, key, caller, req, res });
      if (!reply) return;
      if (reply.headers) for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
      if (reply.body === undefined) res.status(reply.status).end();
      else res.status(reply.status).json(reply.body);
    } catch (err) {
      next(err);
    }
  };
}

export function createApp(ctx: AppContext, routes: RouteDef[], mount?: (app: express.Express) => void): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  // Every answer carries X-Request-Id (the caller's when valid, else a new one); log lines
  // written while serving the request carry it too, and one line per /v1 request says how it ended.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    const requestId = isValidRequestId(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    if (req.path.startsWith('/v1/')) {
      const started = performance.now();
      res.on('finish', () => {
        ctx.logger.info('request', { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) });
      });
    }
    runInRequest({ requestId }, next);
  });
  app.use(express.json({ limit: '1mb' }));
  // enter the request's context again after the body parser, whatever context its stream callbacks ran in
  app.use((_req: Request, res: Response, next: NextFunction) => runInRequest({ requestId: res.locals.requestId as string }, next));

  // While PostgreSQL is known to be down every /v1 route answers 503 (and job routes enqueue
  // nothing) after at most one shared, short look (recheckDatabase), rather than each request
  // waiting for a connection attempt of its own; the first request after it is back goes through.
  app.use('/v1', (_req: Request, _res: Response, next: NextFunction) => {
    if (ctx.health.databaseUp) return next();
    void ctx.health.recheckDatabase().then((up) => next(up ? undefined : databaseUnavailable()));
  });

  const registry = new OpenAPIRegistry();
  for (const def of routes) {
    if (def.auth === 'account' && def.scope === undefined) throw new Error(`route ${def.method.toUpperCase()} ${def.path} declares no scope`);
    app[def.method](def.path, handle(ctx, def));
    register(registry, def);
  }
  let doc: object | undefined;
  app.get('/openapi.json', (_req, res) => {
    doc ??= buildOpenApiDocument(registry);
    res.json(doc);
  });
  mountDocs(app);
  mount?.(app);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new AppError('not_found', `no route ${req.method} ${req.path}`));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      ctx.logger.error('error after response started', { requestId: res.locals.requestId, path: req.path, ...errorFields(err) });
      res.end();
      return;
    }
    const e = err as { type?: string; status?: number };
    const known = e?.type === undefined ? faultError(err, ctx.health) : null;
    if (known) {
      if (!(err instanceof AppError)) void ctx.health.probeDatabase();
      sendAppError(res, known);
      return;
    }
    if (e?.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'validation_failed', message: 'body: malformed JSON', field: 'body' } });
      return;
    }
    if (e?.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'payload_too_large', message: 'body: the request body is too large', field: 'body' } });
      return;
    }
    if (e?.status && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ error: { code: 'bad_request', message: 'the request could not be read' } });
      return;
    }
    ctx.logger.error('unhandled error', { requestId: res.locals.requestId, method: req.method, path: req.path, ...errorFields(err) });
    res.status(500).json({ error: { code: 'internal_error', message: 'internal error' } });
  });
  return app;
}

export { z };
