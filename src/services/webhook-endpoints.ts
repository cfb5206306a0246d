import dns from 'node:dns/promises';
import type { AppContext } from '../context';
import { attemptsAllowed, ipLiteralOfHost, isPrivateAddress, rotateSecret, testMessage, webhookUrlProblem } from '../domain';
import { badRequest, notFound, queueUnavailable } from '../errors';
import { insertEndpoint, findEndpoint, setEndpointSecrets, updateEndpoint, type EndpointPatch, type EndpointRow } from '../repositories/webhook-endpoints';
import { insertTestDelivery, startRedelivery, type DeliveryRow } from '../repositories/webhook-deliveries';
import { enqueueDeliveries } from './webhook-delivery';
import { newEndpointSecret } from './webhook-signing';
import { randomUUID } from 'node:crypto';

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

export async function createEndpoint(
  ctx: AppContext,
  accountId: string,
  body: { url: string; eventTypes?: string[]; description?: string | null },
): Promise<EndpointRow> {
  await checkWebhookUrl(body.url, ctx.config.webhooks.allowPrivate);
  return insertEndpoint(ctx.orm.em.fork(), {
    accountId, url: body.url, eventTypes: [...new Set(body.eventTypes ?? [])], description: body.description ?? null, secret: newEndpointSecret(),
  });
}

export async function editEndpoint(ctx: AppContext, accountId: string, id: string, patch: EndpointPatch): Promise<EndpointRow> {
  if (patch.url !== undefined) await checkWebhookUrl(patch.url, ctx.config.webhooks.allowPrivate);
  const row = await updateEndpoint(ctx.orm.em.fork(), accountId, id, { ...patch, eventTypes: patch.eventTypes && [...new Set(patch.eventTypes)] });
  if (!row) throw notFound('webhook endpoint');
  return row;
}

/** A new secret; the one it replaces keeps signing for `expiresInSeconds`. */
export async function rotateEndpointSecret(ctx: AppContext, accountId: string, id: string, expiresInSeconds: number): Promise<string> {
  return ctx.orm.em.fork().transactional(async (tx) => {
    const cur = await findEndpoint(tx, accountId, id, true);
    if (!cur) throw notFound('webhook endpoint');
    const next = rotateSecret(cur.secret, newEndpointSecret(), expiresInSeconds, ctx.clock.now());
    await setEndpointSecrets(tx, cur.id, next);
    return next.secret;
  });
}

/** A `webhook.test` delivery to this endpoint only (whatever its event types). */
export async function sendTestEvent(ctx: AppContext, accountId: string, id: string): Promise<DeliveryRow> {
  const em = ctx.orm.em.fork();
  const endpoint = await findEndpoint(em, accountId, id);
  if (!endpoint) throw notFound('webhook endpoint');
  if (ctx.redis.status !== 'ready') throw queueUnavailable();
  const allowed = attemptsAllowed(ctx.config.webhooks.retryScheduleMs);
  const row = await insertTestDelivery(em, { accountId, endpointId: endpoint.id, message: testMessage(randomUUID(), endpoint.id, ctx.clock.now()), attemptsAllowed: allowed });
  await enqueueOrUnavailable(ctx, { id: row.id, accountId, round: row.round, attemptsLeft: allowed });
  return row;
}

/** One more attempt of a delivery, same `webhook-id`. */
export async function redeliver(ctx: AppContext, accountId: string, id: string): Promise<DeliveryRow> {
  if (ctx.redis.status !== 'ready') throw queueUnavailable();
  const row = await startRedelivery(ctx.orm.em.fork(), accountId, id);
  if (!row) throw notFound('webhook delivery');
  await enqueueOrUnavailable(ctx, { id: row.id, accountId, round: row.round, attemptsLeft: 1 });
  return row;
}

/** The row is written; if Redis refuses the job now, the sweeper enqueues it later. */
async function enqueueOrUnavailable(ctx: AppContext, d: { id: string; accountId: string; round: number; attemptsLeft: number }): Promise<void> {
  try {
    await enqueueDeliveries(ctx.queues.webhooks, [d]);
  } catch {
    throw queueUnavailable();
  }
}
