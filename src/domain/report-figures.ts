import { roundHalfUp } from './money';

/**
 * Growth report figures (API.md "Growth reports" and "Precise definitions (growth)"), from the
 * raw counts one report query gives per group. Only non-voided redemptions are counted:
 * - `redemptions`: non-voided redemptions of the group;
 * - `customers`: their distinct customers;
 * - `converted`: those whose subscription has at least one paid invoice processed at or after
 *   the redemption (discounted or not); `conversionRate` = converted ÷ redemptions, null when none;
 * - `churned`: those whose subscription is cancelled; `active` = redemptions − churned;
 * - `discount`: the redemptions' ledger amounts per currency;
 * - `revenue`: the totals of those paid invoices per currency, each invoice once per redemption
 *   (a stacked invoice counts for each coupon involved);
 * - `averageLifetimeValue`: revenue ÷ customers per currency, rounded half up; `{}` when none.
 * Money maps omit zero currencies (`{}` when none).
 */
export interface RawGroupFigures {
  redemptions: number;
  customers: number;
  converted: number;
  churned: number;
  /** minor units per currency; numbers or the decimal strings Postgres sums arrive as */
  discount: Record<string, number | string> | null;
  revenue: Record<string, number | string> | null;
}

export interface GroupFigures {
  redemptions: number;
  customers: number;
  converted: number;
  conversionRate: number | null;
  active: number;
  churned: number;
  discount: Record<string, number>;
  revenue: Record<string, number>;
  averageLifetimeValue: Record<string, number>;
}

/** Report sorts (each descending; ties by the group's key ascending, nulls last). */
export const REPORT_SORTS = ['-redemptions', '-converted', '-conversionRate', '-revenue', '-discount'] as const;
export type ReportSort = (typeof REPORT_SORTS)[number];

/** Sorts whose value is money: they read one currency of the map. */
export function isMoneySort(sort: ReportSort): boolean {
  return sort === '-revenue' || sort === '-discount';
}

/** A money map with integer values, zero currencies left out, currencies in code order. */
export function moneyMap(m: Record<string, number | string> | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const cur of Object.keys(m ?? {}).sort()) {
    const v = Number((m as Record<string, number | string>)[cur]);
    if (v !== 0) out[cur] = v;
  }
  return out;
}

/** converted ÷ redemptions as a fraction 0..1, null without redemptions. */
export function conversionRate(converted: number, redemptions: number): number | null {
  return redemptions === 0 ? null : converted / redemptions;
}

/** revenue ÷ distinct customers per currency, rounded half up; `{}` without customers or revenue. */
export function averageLifetimeValue(revenue: Record<string, number>, customers: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (customers <= 0) return out;
  for (const [cur, total] of Object.entries(revenue)) {
    const v = Number(roundHalfUp(BigInt(total), BigInt(customers)));
    if (v !== 0) out[cur] = v;
  }
  return out;
}

/** The figures of one group from its raw counts. */
export function groupFigures(raw: RawGroupFigures): GroupFigures {
  const revenue = moneyMap(raw.revenue);
  return {
    redemptions: raw.redemptions,
    customers: raw.customers,
    converted: raw.converted,
    conversionRate: conversionRate(raw.converted, raw.redemptions),
    active: raw.redemptions - raw.churned,
    churned: raw.churned,
    discount: moneyMap(raw.discount),
    revenue,
    averageLifetimeValue: averageLifetimeValue(revenue, raw.customers),
  };
}

/** Stored values the growth rules and reports compare against. */
export const SUBSCRIPTION_CANCELLED = 'cancelled';
/** `redemption.ended`'s reason (and the stored ended_reason) when its subscription is cancelled. */
export const SUBSCRIPTION_CANCELLED_REASON = 'subscription_cancelled';

/**
 * When a cancellation takes effect: `at` when given (as an ISO instant), else `now`; null when
 * `at` is later than `now` (a cancellation is recorded, not scheduled).
 */
export function cancellationInstant(at: string | undefined, now: string): string | null {
  const when = at === undefined ? now : new Date(at).toISOString();
  return Date.parse(when) > Date.parse(now) ? null : when;
}

/** The value a report sorts on (descending): counts, the rate (null last) or one currency's money. */
export function sortValueOf(sort: ReportSort, f: GroupFigures, currency: string): number {
  switch (sort) {
    case '-redemptions':
      return f.redemptions;
    case '-converted':
      return f.converted;
    case '-conversionRate':
      return f.conversionRate ?? -1;
    case '-revenue':
      return f.revenue[currency] ?? 0;
    case '-discount':
      return f.discount[currency] ?? 0;
  }
}

/**
 * Orders report groups: the sort value descending (a null conversionRate last), ties by key
 * ascending in code-point order, a null key last (API.md "/v1/reports/attribution").
 */
export function sortGroups<T extends GroupFigures & { key: string | null }>(rows: readonly T[], sort: ReportSort, currency: string): T[] {
  return [...rows].sort((a, b) => {
    const d = sortValueOf(sort, b, currency) - sortValueOf(sort, a, currency);
    if (d !== 0) return d;
    if (a.key === b.key) return 0;
    if (a.key === null) return 1;
    if (b.key === null) return -1;
    return a.key < b.key ? -1 : 1;
  });
}
