import type { AppContext } from '../context';
import type { Em } from '../db/orm';
import { decodeCursorOf, encodeCursor } from '../cursor';
import { fieldChanges, withoutSecrets, type AuditActor, type AuditTargetType, type FieldChanges } from '../domain';
import { insertAuditRecords, listAuditRecords, type AuditFilter, type AuditRecordView } from '../repositories/audit-records';

/**
 * The audit log: every change made through the API (and the service's own, such as an endpoint
 * disabled by a 410) writes one record per object it changes, in the change's transaction.
 */

/** Who asks for a change, and from where: the actor, the request's id and the client's address. */
export interface Caller {
  actor: AuditActor;
  requestId: string | null;
  ip: string | null;
}

export const PLATFORM_ACTOR: AuditActor = { type: 'platform', id: 'platform', name: 'platform admin token' };
/** The service itself, acting on a webhook endpoint's 410 answer (no request). */
export const WEBHOOK_DELIVERY: Caller = { actor: { type: 'system', id: 'webhook-delivery', name: 'webhook delivery' }, requestId: null, ip: null };

export interface Change {
  /** `<target type>.<verb>`, e.g. `coupon.updated`. */
  action: `${AuditTargetType}.${string}`;
  target: { type: AuditTargetType; id: string };
  /** The object before and after (null: created / deleted); a state action passes neither. */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** `{"<field path>": {from, to}}`: every set field from null for a creation, `{}` for a state action. */
export function changesOf(c: Change): FieldChanges {
  if (c.before === undefined && c.after === undefined) return {};
  return withoutSecrets(fieldChanges(c.before ?? null, c.after ?? null));
}

/** Appends the records of a change, in the caller's transaction (so they commit or roll back with it). */
export async function recordChanges(tx: Em, accountId: string, caller: Caller, at: string, changes: Change[]): Promise<void> {
  await insertAuditRecords(
    tx,
    changes.map((c) => ({ accountId, at, actor: caller.actor, action: c.action, target: c.target, changes: changesOf(c), requestId: caller.requestId, ip: caller.ip })),
  );
}

export function recordChange(tx: Em, accountId: string, caller: Caller, at: string, change: Change): Promise<void> {
  return recordChanges(tx, accountId, caller, at, [change]);
}

/** GET /v1/audit-log: newest first, filtered; the cursor is the last record's id. */
export async function listAuditLog(
  ctx: AppContext,
  accountId: string,
  query: Omit<AuditFilter, 'beforeId'> & { limit: number; cursor?: string },
): Promise<{ data: AuditRecordView[]; nextCursor: string | null }> {
  const { limit, cursor, ...filter } = query;
  const beforeId = cursor === undefined ? undefined : (decodeCursorOf(cursor, 'audit-log', ['integer'])[0] as number);
  const rows = await listAuditRecords(ctx.orm.em.fork(), accountId, { ...filter, beforeId }, limit + 1);
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? encodeCursor('audit-log', [Number(data[data.length - 1].id)]) : null };
}
