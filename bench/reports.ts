import { performance } from 'node:perf_hooks';
import type { Em } from '../src/db/orm';
import { usageStats } from '../src/repositories/reports';

export interface ReportSeed {
  accountId: string;
  couponId: string;
  codes: number;
  redemptions: number;
}

/**
 * Generates a report-sized history straight in SQL (generate_series, no HTTP, no queues): one
 * account, one coupon with `codes` codes, `redemptions` redemptions spread over the codes
 * (10 % voided, 20 % ended), 50,000 customers, and one invoice per redemption with its ledger
 * row (a third in EUR, half paid, one in 20 discounting nothing). Then vacuums and analyzes
 * the tables, as autovacuum would have by then (index-only scans need the visibility map).
 * Takes about 1.5 minutes on this machine.
 */
export async function seedReportData(
  em: Em,
  opts: { codes?: number; redemptions?: number; existing?: { accountId: string; couponId: string } } = {},
): Promise<ReportSeed> {
  const codes = opts.codes ?? 1_000_000;
  const redemptions = opts.redemptions ?? 100_000;
  let accountId: string;
  let couponId: string;
  if (opts.existing) {
    // reuse a coupon that already holds `codes` codes (the batch benchmark's)
    ({ accountId, couponId } = opts.existing);
  } else {
    const [acct] = await em.execute(`insert into accounts (name) values ('report bench') returning id`);
    accountId = acct.id as string;
    const [coupon] = await em.execute(
      `insert into coupons (account_id, name, state, discount, duration, applies_to, eligibility, overflow, time_zone, times_redeemed)
       values (?, 'report bench', 'active', '{"type":"percentage","basisPoints":1000}', '{"type":"forever"}', '{"plans":"all"}',
               '{"customers":"any"}', 'cap', 'UTC', ?) returning id`,
      [accountId, redemptions],
    );
    couponId = coupon.id as string;
    await em.execute(
      `insert into codes (account_id, coupon_id, code, times_redeemed)
       select ?, ?, 'RB' || lpad(g::text, 9, '0'), case when g <= ? then 1 else 0 end from generate_series(1, ?) g`,
      [accountId, couponId, redemptions, codes],
    );
  }
  await em.execute(
    `insert into redemptions (account_id, coupon_id, coupon_version, code_id, code, customer_id, subscription_id, plan_id, action, status, terms, created_at)
     select ?, ?, 1, k.id, k.code, 'cus_' || (g % 50000), 'sub_' || g, 'pro', 'new_subscription',
            case when g % 10 = 0 then 'voided' when g % 10 in (1, 2) then 'ended' else 'active' end, '{}',
            now() - (g || ' minutes')::interval
       from generate_series(1, ?) g
       join (select id, code, row_number() over (order by id) as n from codes where coupon_id = ?) k on k.n = 1 + (g - 1) % ?`,
    [accountId, couponId, redemptions, couponId, codes],
  );
  await em.execute(
    `insert into invoices (account_id, id, subscription_id, customer_id, currency, period_start, paid, request_hash, subtotal, discount_total, total, credit, result)
     select ?, 'in_' || g, 'sub_' || g, 'cus_' || (g % 50000), case when g % 3 = 0 then 'EUR' else 'USD' end, now(), g % 2 = 0, '',
            2000, case when g % 20 = 0 then 0 else 200 end, case when g % 20 = 0 then 2000 else 1800 end, 0, '{}'
       from generate_series(1, ?) g`,
    [accountId, redemptions],
  );
  await em.execute(
    `insert into invoice_discounts (account_id, invoice_id, redemption_id, coupon_id, code_id, cycle, currency, amount, invoice_total, lines)
     select r.account_id, 'in_' || g, r.id, r.coupon_id, r.code_id, 1, case when g % 3 = 0 then 'EUR' else 'USD' end,
            case when g % 20 = 0 then 0 else 200 end, case when g % 20 = 0 then 2000 else 1800 end, '[]'
       from redemptions r cross join lateral (select substr(r.subscription_id, 5)::int as g) s
      where r.coupon_id = ?`,
    [couponId],
  );
  await em.execute(`vacuum (analyze) codes, redemptions, invoices, invoice_discounts`);
  return { accountId, couponId, codes, redemptions };
}

/** Milliseconds per `GET /v1/coupons/{id}/stats` query (usageStats), median of `runs` after one warm-up. */
export async function benchReports(em: Em, accountId: string, couponId: string, runs = 5): Promise<number> {
  await usageStats(em, accountId, { couponId });
  const times: number[] = [];
  for (let i = 0; i < Math.max(1, runs); i++) {
    const started = performance.now();
    await usageStats(em, accountId, { couponId });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
