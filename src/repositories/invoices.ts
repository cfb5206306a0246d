import type { Em } from '../db/orm';
import { pgArray } from '../db/pg-array';
import { SUBSCRIPTION_CANCELLED, type InvoiceDiscountPlan, type RedemptionState } from '../domain';
import { planFromRow, type PlanView } from './plans';

export interface StoredInvoice {
  requestHash: string;
  paid: boolean;
  result: Record<string, unknown>;
}

export async function findInvoice(em: Em, accountId: string, invoiceId: string): Promise<StoredInvoice | null> {
  const rows = await em.execute(`select request_hash, paid, result from invoices where account_id = ? and id = ?`, [accountId, invoiceId]);
  if (!rows.length) return null;
  return { requestHash: rows[0].request_hash as string, paid: Boolean(rows[0].paid), result: rows[0].result as Record<string, unknown> };
}

export type LoadedRedemption = RedemptionState & { codeId: number | null };

export interface InvoiceContext {
  existing: StoredInvoice | null;
  /** The redemptions that can discount the subscription's next invoice, oldest first. */
  redemptions: LoadedRedemption[];
  /** The plans of the invoice lines and of those redemptions. */
  plans: Map<string, PlanView>;
}

/**
 * Everything an invoice needs, in one round trip. A cancelled subscription's invoices are
 * discounted by nothing: no redemption is loaded for them.
 */
export async function loadInvoiceContext(em: Em, accountId: string, invoiceId: string, subscriptionId: string, linePlanIds: string[]): Promise<InvoiceContext> {
  const rows = await em.execute(
    `with reds as (
       select id, coupon_id, code, code_id, plan_id, terms, status, cycles_applied, anchor, last_counted_discounted, created_at
         from redemptions
        where account_id = ? and subscription_id = ? and (status = 'active' or (status = 'ended' and last_counted_discounted))
          and not exists (select 1 from subscriptions s where s.account_id = redemptions.account_id and s.id = redemptions.subscription_id
                            and s.status = '${SUBSCRIPTION_CANCELLED}'))
     select
       (select jsonb_build_object('requestHash', request_hash, 'paid', paid, 'result', result)
          from invoices where account_id = ? and id = ?) as existing,
       coalesce((select jsonb_agg(to_jsonb(r) order by r.created_at, r.id) from reds r), '[]'::jsonb) as redemptions,
       coalesce((select jsonb_agg(to_jsonb(p)) from plans p
                  where p.account_id = ? and (p.id = any(?::text[]) or p.id in (select plan_id from reds))), '[]'::jsonb) as plans`,
    [accountId, subscriptionId, accountId, invoiceId, accountId, pgArray([...new Set(linePlanIds)])],
  );
  const r = rows[0];
  const reds = r.redemptions as Record<string, unknown>[];
  return {
    existing: (r.existing as StoredInvoice | null) ?? null,
    redemptions: reds.map((x) => ({
      id: x.id as string,
      couponId: x.coupon_id as string,
      code: (x.code as string | null) ?? null,
      codeId: x.code_id == null ? null : Number(x.code_id),
      planId: x.plan_id as string,
      terms: x.terms as RedemptionState['terms'],
      status: x.status as 'active' | 'ended',
      cyclesApplied: Number(x.cycles_applied),
      anchor: x.anchor == null ? null : new Date(x.anchor as string).toISOString(),
      lastCountedDiscounted: Boolean(x.last_counted_discounted),
    })),
    plans: new Map((r.plans as Record<string, unknown>[]).map((p) => [p.id as string, planFromRow(p)])),
  };
}

export interface InvoiceRow {
  accountId: string;
  id: string;
  subscriptionId: string;
  customerId: string | null;
  currency: string;
  periodStart: string;
  periodEnd: string | null;
  trial: boolean;
  midPeriod: boolean;
  paid: boolean;
  requestHash: string;
}

/**
 * Writes the invoice, its ledger rows, the redemptions' new state and the events in ONE
 * statement (writable CTEs), whatever the number of lines and redemptions.
 */
export async function recordInvoice(
  em: Em,
  inv: InvoiceRow,
  plan: InvoiceDiscountPlan,
  result: Record<string, unknown>,
  codeIds: Map<string, number | null>,
  events: { type: string; data: Record<string, unknown> }[],
): Promise<void> {
  const a = plan.applied;
  const u = plan.updates;
  await em.execute(
    `with inv as (
       insert into invoices (account_id, id, subscription_id, customer_id, currency, period_start, period_end, trial, mid_period, paid,
                             request_hash, subtotal, discount_total, total, credit, result, paid_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, case when ? then now() end)),
     ledger as (
       insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, cycle, currency, amount, invoice_total, lines)
       select ?, ?, r, c, k, y, ?, m, ?, l
         from unnest(?::uuid[], ?::uuid[], ?::bigint[], ?::int[], ?::bigint[], ?::jsonb[]) as t(r, c, k, y, m, l)),
     upd as (
       update redemptions r set cycles_applied = u.cycles, anchor = u.anchor, last_counted_discounted = u.lcd, status = u.status,
              ended_at = case when u.status = 'ended' and r.status <> 'ended' then now() else r.ended_at end,
              ended_reason = coalesce(u.reason, r.ended_reason), updated_at = now()
         from unnest(?::uuid[], ?::int[], ?::timestamptz[], ?::boolean[], ?::text[], ?::text[]) as u(id, cycles, anchor, lcd, status, reason)
        where r.id = u.id),
     ev as (
       insert into events (account_id, type, data) select ?, t, d from unnest(?::text[], ?::jsonb[]) as e(t, d))
     select 1`,
    [
      inv.accountId, inv.id, inv.subscriptionId, inv.customerId, inv.currency, inv.periodStart, inv.periodEnd, inv.trial, inv.midPeriod,
      inv.paid, inv.requestHash, plan.subtotal, plan.discountTotal, plan.total, plan.credit, JSON.stringify(result), inv.paid,
      inv.accountId, inv.id, inv.currency, plan.total,
      pgArray(a.map((x) => x.redemptionId)), pgArray(a.map((x) => x.couponId)), pgArray(a.map((x) => codeIds.get(x.redemptionId))),
      pgArray(a.map((x) => x.cycle)), pgArray(a.map((x) => x.amount)), pgArray(a.map((x) => JSON.stringify(x.lines))),
      pgArray(u.map((x) => x.redemptionId)), pgArray(u.map((x) => x.cyclesApplied)), pgArray(u.map((x) => x.anchor)),
      pgArray(u.map((x) => x.lastCountedDiscounted)), pgArray(u.map((x) => x.status)), pgArray(u.map((x) => x.endedReason ?? null)),
      inv.accountId, pgArray(events.map((e) => e.type)), pgArray(events.map((e) => JSON.stringify(e.data))),
    ],
  );
}

export async function markInvoicePaid(em: Em, accountId: string, invoiceId: string): Promise<{ customerId: string | null; result: Record<string, unknown> } | null> {
  const rows = await em.execute(
    `update invoices set paid = true, paid_at = coalesce(paid_at, now()) where account_id = ? and id = ? returning customer_id, result`,
    [accountId, invoiceId],
  );
  if (!rows.length) return null;
  return { customerId: (rows[0].customer_id as string | null) ?? null, result: rows[0].result as Record<string, unknown> };
}
