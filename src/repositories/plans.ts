import type { Em } from '../db/orm';
import { pgArray } from '../db/pg-array';
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

export function planFromRow(r: Record<string, unknown>): PlanView {
  return {
    id: r.id as string,
    name: r.name as string,
    kind: r.kind as PlanView['kind'],
    interval: r.interval_unit ? { unit: r.interval_unit as 'month', count: Number(r.interval_count) } : null,
    currency: r.currency as string,
    price: Number(r.price),
    family: (r.family as string | null) ?? null,
    access: ((r.access as PlanAccess | undefined) ?? 'open'),
  };
}

export async function upsertPlan(em: Em, accountId: string, id: string, p: PlanInput): Promise<PlanView> {
  const rows = await em.execute(
    `insert into plans (account_id, id, name, kind, interval_unit, interval_count, currency, price, family, access)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (account_id, id) do update set name = excluded.name, kind = excluded.kind,
       interval_unit = excluded.interval_unit, interval_count = excluded.interval_count,
       currency = excluded.currency, price = excluded.price, family = excluded.family, access = excluded.access, updated_at = now()
     returning *`,
    [accountId, id, p.name, p.kind, p.interval?.unit ?? null, p.interval?.count ?? null, p.currency, p.price, p.family ?? null, p.access ?? 'open'],
  );
  return planFromRow(rows[0]);
}

export async function getPlans(em: Em, accountId: string, ids: string[]): Promise<Map<string, PlanView>> {
  const out = new Map<string, PlanView>();
  if (ids.length === 0) return out;
  const rows = await em.execute(`select * from plans where account_id = ? and id = any(?::text[])`, [accountId, pgArray([...new Set(ids)])]);
  for (const r of rows) out.set(r.id as string, planFromRow(r));
  return out;
}

export async function getPlan(em: Em, accountId: string, id: string): Promise<PlanView | null> {
  return (await getPlans(em, accountId, [id])).get(id) ?? null;
}
