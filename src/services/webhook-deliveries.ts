import type { AppContext } from '../context';
import { encodeCursor } from '../cursor';
import { notFound } from '../errors';
import { findEndpoint } from '../repositories/webhook-endpoints';
import { deliveryView, findDelivery, listAttempts, listDeliveries, type AttemptView, type DeliveryStatus, type DeliveryView } from '../repositories/webhook-deliveries';
import { decodeAfter } from './webhook-endpoints';
import { isUuid } from '../ids';

/** The reads of deliveries: an endpoint's, newest first, and one with its attempt log. */

/** GET /v1/webhook-endpoints/{id}/deliveries: newest first (404 for another account's endpoint). */
export async function listEndpointDeliveries(ctx: AppContext, accountId: string, endpointId: string, query: { status?: DeliveryStatus; limit: number; cursor?: string }) {
  const em = ctx.orm.em.fork();
  const after = decodeAfter(query.cursor, 'webhook-deliveries');
  if (!isUuid(endpointId) || !(await findEndpoint(em, accountId, endpointId))) throw notFound('webhook endpoint');
  const { rows, next } = await listDeliveries(em, accountId, endpointId, query.status, after, query.limit);
  return { data: rows.map(deliveryView), nextCursor: next ? encodeCursor('webhook-deliveries', next) : null };
}

/** GET /v1/webhook-deliveries/{id}: the delivery with its attempt log. */
export async function getDelivery(ctx: AppContext, accountId: string, id: string): Promise<DeliveryView & { attemptLog: AttemptView[] }> {
  const em = ctx.orm.em.fork();
  const row = isUuid(id) ? await findDelivery(em, accountId, id) : null;
  if (!row) throw notFound('webhook delivery');
  return { ...deliveryView(row), attemptLog: await listAttempts(em, row.id) };
}
