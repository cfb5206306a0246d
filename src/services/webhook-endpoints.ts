import dns from 'node:dns/promises';
import type { AppContext } from '../context';
import { attemptsAllowed, ipLiteralOfHost, isPrivateAddress, rotateSecret, testMessage, webhookUrlProblem } from '../domain';
import { decodeCursor, encodeCursor } from '../cursor';
import { badRequest, notFound, queueUnavailable } from '../errors';
import {
  deleteEndpoint as deleteEndpointRow, endpointView, findEndpoint, insertEndpoint, listEndpoints as listEndpointRows, setEndpointSecrets, updateEndpoint,
  type EndpointPatch, type EndpointView,
} from '../repositories/webhook-endpoints';
import { deliveryView, insertTestDelivery, startRecovery, startRedelivery, type DeliveryView } from '../repositories/webhook-deliveries';
import { enqueueDeliveries, type QueuedDelivery } from './webhook-delivery';
import { newEndpointSecret } from './webhook-signing';
import { randomUUID } from 'node:crypto';
import { changesOf, recordChange, type Caller, type Change } from './audit-log';
import { isUuid } from '../ids';

/** Endpoint commands: create and edit (with the SSRF check), rotate the secret, send a test, redeliver. */

const PRIVATE = 'resolves to a private, loopback or link-local address';

/**
 * The create/edit-time destination check: the URL's own rules, then every address its host
 * resolves to now. A host that does not resolve is accepted (it is checked again at connect time).
 */
export async function checkWebhookUrl(url: string, allowPrivate: boolean): Promise<void> {
  const problem = webhookUrlProblem(url, allowPrivate);
  if (problem) throw badRequest(`url: ${problem}`, 'url');
  if (allowPrivate) return;
  const host = new URL(url).hostname;
  if (ipLiteralOfHost(host) !== null) return;
  let addresses: { address: string }[] = [];
  try {
    addresses = await Promise.race([
      dns.lookup(host, { all: true }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref()),
    ]);
  } catch {
    return;
  }
  if (addresses.some((a) => isPrivateAddress(a.address))) throw badRequest(`url: ${PRIVATE}`, 'url');
}

/** An endpoint as its audit records show it: never a secret. */
function endpointAudit(e: EndpointView): Record<string, unknown> {
  return { url: e.url, eventTypes: e.eventTypes, description: e.description, status: e.status };
}

const endpointTarget = (id: string) => ({ type: 'webhook_endpoint' as const, id });

export async function createEndpoint(
  ctx: AppContext,
  accountId: string,
  body: { url: string; eventTypes?: string[]; description?: string | null },
  caller: Caller,
): Promise<EndpointView & { secret: string }> {
  await checkWebhookUrl(body.url, ctx.config.webhooks.allowPrivate);
  const now = ctx.clock.now();
  const row = await ctx.orm.em.fork().transactional(async (tx) => {
    const inserted = await insertEndpoint(tx, {
      accountId, url: body.url, eventTypes: [...new Set(body.eventTypes ?? [])], description: body.description ?? null, secret: newEndpointSecret(),
    });
    await recordChange(tx, accountId, caller, now, { action: 'webhook_endpoint.created', target: endpointTarget(inserted.id), before: null, after: endpointAudit(inserted) });
    return inserted;
  });
  return { ...endpointView(row), secret: row.secret };
}

/** PATCH /v1/webhook-endpoints/{id}; an edit that changes nothing writes no record. */
export async function editEndpoint(ctx: AppContext, accountId: string, id: string, patch: EndpointPatch, caller: Caller): Promise<EndpointView> {
  if (!isUuid(id)) throw notFound('webhook endpoint');
  if (patch.url !== undefined) await checkWebhookUrl(patch.url, ctx.config.webhooks.allowPrivate);
  const now = ctx.clock.now();
  const row = await ctx.orm.em.fork().transactional(async (tx) => {
    const before = await findEndpoint(tx, accountId, id, true);
    if (!before) throw notFound('webhook endpoint');
    const after = (await updateEndpoint(tx, accountId, id, { ...patch, eventTypes: patch.eventTypes && [...new Set(patch.eventTypes)] }))!;
    const change: Change = { action: 'webhook_endpoint.updated', target: endpointTarget(id), before: endpointAudit(before), after: endpointAudit(after) };
    if (Object.keys(changesOf(change)).length > 0) await recordChange(tx, accountId, caller, now, change);
    return after;
  });
  return endpointView(row);
}

/** A new secret; the one it replaces keeps signing for `expiresInSeconds`. */
export async function rotateEndpointSecret(ctx: AppContext, accountId: string, id: string, expiresInSeconds: number, caller: Caller): Promise<string> {
  if (!isUuid(id)) throw notFound('webhook endpoint');
  const now = ctx.clock.now();
  return ctx.orm.em.fork().transactional(async (tx) => {
    const cur = await findEndpoint(tx, accountId, id, true);
    if (!cur) throw notFound('webhook endpoint');
    const next = rotateSecret(cur.secret, newEndpointSecret(), expiresInSeconds, now);
    await setEndpointSecrets(tx, cur.id, next);
    await recordChange(tx, accountId, caller, now, { action: 'webhook_endpoint.secret_rotated', target: endpointTarget(cur.id) });
    return next.secret;
  });
}

/** A `webhook.test` delivery to this endpoint only (whatever its event types). */
export async function sendTestEvent(ctx: AppContext, accountId: string, id: string): Promise<DeliveryView> {
  if (!isUuid(id)) throw notFound('webhook endpoint');
  const em = ctx.orm.em.fork();
  const endpoint = await findEndpoint(em, accountId, id);
  if (!endpoint) throw notFound('webhook endpoint');
  if (ctx.redis.status !== 'ready') throw queueUnavailable();
  const allowed = attemptsAllowed(ctx.config.webhooks.retryScheduleMs);
  const row = await insertTestDelivery(em, { accountId, endpointId: endpoint.id, message: testMessage(randomUUID(), endpoint.id, ctx.clock.now()), attemptsAllowed: allowed });
  await enqueueOrUnavailable(ctx, [{ id: row.id, accountId, round: row.round, attemptsLeft: allowed }]);
  return deliveryView(row);
}

/** One more attempt of a delivery, same `webhook-id`. */
export async function redeliver(ctx: AppContext, accountId: string, id: string): Promise<DeliveryView> {
  if (!isUuid(id)) throw notFound('webhook delivery');
  if (ctx.redis.status !== 'ready') throw queueUnavailable();
  const row = await startRedelivery(ctx.orm.em.fork(), accountId, id);
  if (!row) throw notFound('webhook delivery');
  await enqueueOrUnavailable(ctx, [{ id: row.id, accountId, round: row.round, attemptsLeft: 1 }]);
  return deliveryView(row);
}

/**
 * POST /v1/webhook-endpoints/{id}/recover: every failed delivery of the endpoint whose event
 * occurred at or after `since` is sent again (one more attempt each, same `webhook-id`); answers
 * how many. The rows are pending before the jobs are added, so jobs Redis refuses are the sweeper's.
 */
export async function recoverDeliveries(ctx: AppContext, accountId: string, id: string, since: string): Promise<{ deliveries: number }> {
  if (!isUuid(id)) throw notFound('webhook endpoint');
  const em = ctx.orm.em.fork();
  const endpoint = await findEndpoint(em, accountId, id);
  if (!endpoint) throw notFound('webhook endpoint');
  if (ctx.redis.status !== 'ready') throw queueUnavailable();
  const rows = await startRecovery(em, accountId, endpoint.id, since);
  if (rows.length > 0) await enqueueOrUnavailable(ctx, rows.map((r) => ({ id: r.id, accountId, round: r.round, attemptsLeft: 1 })));
  return { deliveries: rows.length };
}

/** The rows are written; if Redis refuses the jobs now (503), the sweeper enqueues them later. */
async function enqueueOrUnavailable(ctx: AppContext, deliveries: QueuedDelivery[]): Promise<void> {
  try {
    await enqueueDeliveries(ctx.queues.webhooks, deliveries);
  } catch {
    throw queueUnavailable();
  }
}

const endpointNotFound = () => notFound('webhook endpoint');

/** A list cursor holds the last row's [created_at with microseconds, id]. */
export function decodeAfter(cursor: string | undefined, kind: string): [string, string] | null {
  if (cursor === undefined) return null;
  const v = decodeCursor(cursor, kind);
  if (v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && isUuid(v[1])) return [v[0], v[1]];
  throw badRequest('cursor: is not a cursor this list gave', 'cursor');
}

/** GET /v1/webhook-endpoints: oldest first, without secrets. */
export async function listEndpoints(ctx: AppContext, accountId: string, query: { limit: number; cursor?: string }) {
  const { rows, next } = await listEndpointRows(ctx.orm.em.fork(), accountId, decodeAfter(query.cursor, 'webhook-endpoints'), query.limit);
  return { data: rows.map(endpointView), nextCursor: next ? encodeCursor('webhook-endpoints', next) : null };
}

/** GET /v1/webhook-endpoints/{id}, without its secret. */
export async function getEndpoint(ctx: AppContext, accountId: string, id: string): Promise<EndpointView> {
  const row = isUuid(id) ? await findEndpoint(ctx.orm.em.fork(), accountId, id) : null;
  if (!row) throw endpointNotFound();
  return endpointView(row);
}

/** DELETE /v1/webhook-endpoints/{id}: its deliveries go with it. */
export async function deleteEndpoint(ctx: AppContext, accountId: string, id: string, caller: Caller): Promise<void> {
  if (!isUuid(id)) throw endpointNotFound();
  const now = ctx.clock.now();
  await ctx.orm.em.fork().transactional(async (tx) => {
    const before = await findEndpoint(tx, accountId, id, true);
    if (!before || !(await deleteEndpointRow(tx, accountId, id))) throw endpointNotFound();
    await recordChange(tx, accountId, caller, now, { action: 'webhook_endpoint.deleted', target: endpointTarget(id), before: endpointAudit(before), after: null });
  });
}
