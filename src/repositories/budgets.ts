import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { iso } from '../db/values';
import type { BudgetPeriod, BudgetSpend } from '../domain';

/** What a coupon's budget rows say was spent in one period (every currency). */
export async function budgetSpendIn(em: Em, couponId: string, period: BudgetPeriod): Promise<BudgetSpend[]> {
  const { rows } = await sql<{ period: string; period_start: string | Date; currency: string; spent: string | number }>`
    select period, period_start, currency, spent from coupon_budget_spend
     where coupon_id = ${couponId}::uuid and period_start = ${period.start}::timestamptz and period = ${period.period}`.execute(em.getKysely());
  return rows.map((r) => ({ period: r.period as BudgetSpend['period'], periodStart: iso(r.period_start), currency: r.currency, spent: Number(r.spent) }));
}

/** Every budget row of the given coupons in `currency` whose period starts at or after `from` (and their life rows). */
export async function budgetSpendSince(em: Em, couponIds: string[], currency: string, from: string): Promise<Map<string, BudgetSpend[]>> {
  const out = new Map<string, BudgetSpend[]>();
  if (couponIds.length === 0) return out;
  const { rows } = await sql<{ coupon_id: string; period: string; period_start: string | Date; currency: string; spent: string | number }>`
    select coupon_id, period, period_start, currency, spent from coupon_budget_spend
     where coupon_id = any(${couponIds}::uuid[]) and currency = ${currency} and (period_start >= ${from}::timestamptz or period = 'life')`.execute(em.getKysely());
  for (const r of rows) {
    const list = out.get(r.coupon_id) ?? [];
    list.push({ period: r.period as BudgetSpend['period'], periodStart: iso(r.period_start), currency: r.currency, spent: Number(r.spent) });
    out.set(r.coupon_id, list);
  }
  return out;
}
