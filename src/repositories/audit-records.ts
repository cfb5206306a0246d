import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { storedJson } from '../db/rows';
import { iso, jsonb, tstz } from '../db/values';
import type { AuditActor, FieldChanges } from '../domain';

/** The audit log: appended in a change's transaction, read newest first; the table refuses updates and deletes. */

export interface AuditRecordInput {
  accountId: string;
  at: string;
  actor: AuditActor;
  action: string;
  target: { type: string; id: string };
  changes: FieldChanges;
  requestId: string | null;
  ip: string | null;
}

export interface AuditRecordView {
  id: string;
  at: string;
  actor: AuditActor;
  action: string;
  target: { type: string; id: string };
  changes: FieldChanges;
  requestId: string | null;
  ip: string | null;
}

export async function insertAuditRecords(tx: Em, records: AuditRecordInput[]): Promise<void> {
  if (records.length === 0) return;
  await tx
    .getKysely()
    .insertInto('audit_records')
    .values(records.map((r) => ({
      account_id: r.accountId, at: tstz(r.at), actor_type: r.actor.type, actor_id: r.actor.id, actor_name: r.actor.name, action: r.action,
      target_type: r.target.type, target_id: r.target.id, changes: jsonb(r.changes), request_id: r.requestId, ip: r.ip,
    })))
    .execute();
}

export interface AuditFilter {
  targetType?: string;
  targetId?: string;
  actorId?: string;
  action?: string;
  from?: string;
  to?: string;
  /** Records with a smaller id only (the cursor). */
  beforeId?: number;
}

/** The account's records newest first (by id), filtered; `limit` rows at most. */
export async function listAuditRecords(em: Em, accountId: string, f: AuditFilter, limit: number): Promise<AuditRecordView[]> {
  let q = em.getKysely().selectFrom('audit_records').selectAll().where('account_id', '=', accountId);
  if (f.targetType !== undefined) q = q.where('target_type', '=', f.targetType);
  if (f.targetId !== undefined) q = q.where('target_id', '=', f.targetId);
  if (f.actorId !== undefined) q = q.where('actor_id', '=', f.actorId);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.from !== undefined) q = q.where('at', '>=', sql<Date>`${f.from}::timestamptz`);
  if (f.to !== undefined) q = q.where('at', '<=', sql<Date>`${f.to}::timestamptz`);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  const rows = await q.orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: String(r.id),
    at: iso(r.at),
    actor: { type: r.actor_type as AuditActor['type'], id: r.actor_id, name: r.actor_name },
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    changes: storedJson<FieldChanges>(r.changes),
    requestId: r.request_id ?? null,
    ip: r.ip ?? null,
  }));
}
