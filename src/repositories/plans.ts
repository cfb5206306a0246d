import type { Em } from '../db/orm';
import { sql } from 'kysely';
import type { PlanAccess } from '../domain';
import type { StoredRow } from '../db/rows';

type IntervalUnit = 'day' | 'week' | 'month' | 'year';

export interface PlanView {
  id: string;
  name: string;
  kind: 'recurring' | 'one_time';
  interval: { unit: IntervalUnit; count: number } | null;
  currency: string;
  price: number;
  family: string | null;
  access: PlanAccess;
}

export interface PlanInput {
  name: string;
  kind: 'recurring' | 'one_time';
  interval?: { unit: IntervalUnit; count: number } | null;
  currency: string;
  price: number;
  family?: string | null;
  access?: PlanAccess;
}

/** The one mapping of a plans row, read through kysely or as JSON (the redemption and invoice contexts' `to_jsonb`). */
export function planFromRow(r: StoredRow<'plans'>): PlanView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as PlanView['kind'],
    interval: r.interval_unit ? { unit: r.interval_unit as IntervalUnit, count: Number(r.interval_count) } : null,
    currency: r.currency,
    price: Number(r.price),
    family: r.family,
    access: r.access as PlanAccess,
  };
}

function planValues(p: PlanInput) {
  return {
    name: p.name,
    kind: p.kind,
    interval_unit: p.interval?.unit ?? null,
    interval_count: p.interval?.count ?? null,
    currency: p.currency,
    price: p.price,
    family: p.family ?? null,
    access: p.access ?? 'open',
  };
}

/** The plan, locked for the caller's transaction; null when it is not registered. */
export async function lockPlan(tx: Em, accountId: string, id: string): Promise<PlanView | null> {
  const row = await tx.getKysely().selectFrom('plans').selectAll().where('account_id', '=', accountId).where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? planFromRow(row) : null;
}

/** Registers the plan unless it exists (then null: a concurrent request registered it first). */
export async function insertPlanIfAbsent(tx: Em, accountId: string, id: string, p: PlanInput): Promise<PlanView | null> {
  const row = await tx
    .getKysely()
    .insertInto('plans')
    .values({ account_id: accountId, id, ...planValues(p) })
    .onConflict((oc) => oc.columns(['account_id', 'id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? planFromRow(row) : null;
}

/** Replaces a registered plan's fields. */
export async function replacePlan(tx: Em, accountId: string, id: string, p: PlanInput): Promise<PlanView> {
  const row = await tx
    .getKysely()
    .updateTable('plans')
    .set({ ...planValues(p), updated_at: sql<Date>`now()` })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return planFromRow(row);
}

export async function getPlans(em: Em, accountId: string, ids: string[]): Promise<Map<string, PlanView>> {
  const out = new Map<string, PlanView>();
  if (ids.length === 0) return out;
  const rows = await em.getKysely().selectFrom('plans').selectAll().where('account_id', '=', accountId).where('id', 'in', [...new Set(ids)]).execute();
  for (const r of rows) out.set(r.id, planFromRow(r));
  return out;
}

export async function getPlan(em: Em, accountId: string, id: string): Promise<PlanView | null> {
  return (await getPlans(em, accountId, [id])).get(id) ?? null;
}

/** A page of the account's plans in id order, after the cursor's id. */
export async function listPlans(em: Em, accountId: string, afterId: string | null, limit: number): Promise<{ rows: PlanView[]; next: string | null }> {
  let q = em.getKysely().selectFrom('plans').selectAll().where('account_id', '=', accountId);
  if (afterId !== null) q = q.where('id', '>', afterId);
  const rows = (await q.orderBy('id').limit(limit + 1).execute()).map(planFromRow);
  const page = rows.slice(0, limit);
  return { rows: page, next: rows.length > limit ? page[page.length - 1].id : null };
}
