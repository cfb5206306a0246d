import type { Em } from '../db/orm';
import { sql } from 'kysely';
import type { PlanAccess } from '../domain';

export interface PlanView {
  id: string;
  name: string;
  kind: 'recurring' | 'one_time';
  interval: { unit: 'day' | 'week' | 'month' | 'year'; count: number } | null;
  currency: string;
  price: number;
  family: string | null;
  access: PlanAccess;
}

export interface PlanInput {
  name: string;
  kind: 'recurring' | 'one_time';
  interval?: { unit: 'day' | 'week' | 'month' | 'year'; count: number } | null;
  currency: string;
  price: number;
  family?: string | null;
  access?: PlanAccess;
}

export function planFromRow(row: object): PlanView {
  const r = row as Record<string, unknown>;
  return {
    id: r.id as string,
    name: r.name as string,
    kind: r.kind as PlanView['kind'],
    interval: r.interval_unit ? { unit: r.interval_unit as 'month', count: Number(r.interval_count) } : null,
    currency: r.currency as string,
    price: Number(r.price),
    family: (r.family as string | null) ?? null,
    access: (r.access as PlanAccess | undefined) ?? 'open',
  };
}

export async function upsertPlan(em: Em, accountId: string, id: string, p: PlanInput): Promise<PlanView> {
  const values = {
    name: p.name,
    kind: p.kind,
    interval_unit: p.interval?.unit ?? null,
    interval_count: p.interval?.count ?? null,
    currency: p.currency,
    price: p.price,
    family: p.family ?? null,
    access: p.access ?? 'open',
  };
  const row = await em
    .getKysely()
    .insertInto('plans')
    .values({ account_id: accountId, id, ...values })
    .onConflict((oc) => oc.columns(['account_id', 'id']).doUpdateSet({ ...values, updated_at: sql<Date>`now()` }))
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
