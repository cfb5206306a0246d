import type { Em } from '../../db/orm';
import type { GroupFigures } from '../../domain';
import { figures, groupCtes, redemptionsCte, type RawRow } from './figures';
import { bound, runReport, type SqlParams } from './run';

/**
 * The attribution report (GET /v1/reports/attribution): the figures per value of one stored
 * attribution field of the redemptions (channel, partner or referrer).
 */

export type AttributionGroup = 'channel' | 'partner' | 'referrer';
const GROUP_COLUMN: Record<AttributionGroup, string> = { channel: 'r.channel', partner: 'r.partner', referrer: 'r.referrer_customer_id' };

export interface AttributionRow extends GroupFigures {
  key: string | null;
  /** the sort currency's sums, for ordering */
  sortDiscount: number;
  sortRevenue: number;
}

/**
 * GET /v1/reports/attribution: one row per value of the redemptions' stored attribution field
 * (`null` for redemptions without one), over redemptions created in [since, until).
 */
export async function attributionReport(
  em: Em,
  accountId: string,
  q: { groupBy: AttributionGroup; since: string | null; until: string | null; currency: string },
): Promise<AttributionRow[]> {
  const { text, params } = attributionStatement(accountId, q);
  type Row = RawRow & { key: string | null; cur_discount: string; cur_revenue: string };
  const rows = await runReport(em, bound<Row>(text, params));
  return rows.map((r) => ({ key: r.key, ...figures(r), sortDiscount: Number(r.cur_discount ?? 0), sortRevenue: Number(r.cur_revenue ?? 0) }));
}

export function attributionStatement(
  accountId: string,
  q: { groupBy: AttributionGroup; since: string | null; until: string | null; currency: string },
): { text: string; params: SqlParams } {
  const col = GROUP_COLUMN[q.groupBy];
  const text = `with ${redemptionsCte()},
keyed as (select r.*, ${col} as key from r),
${groupCtes('r.key').replace(/\bfrom r\b/g, 'from keyed r').replace(/join r on/g, 'join keyed r on')}
select g.key, g.redemptions, g.customers, g.converted, g.churned, gm.discount, gm.revenue, gm.cur_discount, gm.cur_revenue
  from g left join gm on gm.key is not distinct from g.key`;
  return { text, params: { acct: accountId, coupon: null, code: null, since: q.since, until: q.until, currency: q.currency } };
}
