import { performance } from 'node:perf_hooks';
import { api, type BenchEnv } from './env';
import { closedLoop, describeOpenLoop, openLoop, openLoopClean } from './drivers';
import { describeCpu } from './cpu';
import { rawLoop } from './raw';
import { rawHoldFloor, rawHoldSameWork } from './raw-work';
import { benchAccount, OPEN_SECONDS } from './redemptions';
import { interleaved, RAW_CLIENTS, RUNS, SECONDS } from './stats';
import { fmt, type Row } from './table';
import { previewInvoices, type Plan } from '../src/domain';

/** The preview row's rate: a checkout page asking for a subscription's next 36 invoices. */
const PREVIEW_RATE = Number(process.env.BENCH_PREVIEW_RATE ?? 50);

/** Rows 15 and 16: holds throughput against the raw same work; a 36-cycle preview's latency. */
export async function benchCheckout(env: BenchEnv): Promise<Row[]> {
  const { key, raw } = await benchAccount(env);
  const rows: Row[] = [];

  // Row 15: holds over HTTP (through the redemptions queue), closed loop, against the raw same work and floor.
  const template = (tag: string) => ({ code: 'OPEN{i%1000}', customer: { id: `${tag}h{i}` }, planId: 'pro' });
  const held = await interleaved({
    ours: (run) => closedLoop(env, key, '/v1/holds', template(`t${run}`), 64, SECONDS),
    same: (run) => rawLoop(env.pool, RAW_CLIENTS, SECONDS, (c, i) => rawHoldSameWork(c, raw, i, `t${run}`)),
    floor: (run) => rawLoop(env.pool, RAW_CLIENTS, SECONDS / 2, (c, i) => rawHoldFloor(c, raw, i, `t${run}`)),
  });
  const failed = held.ours.details.reduce((n, d) => n + d.non2xx + d.errors, 0);
  const ratio = held.ours.median / held.same.median;
  rows.push({
    row: 15,
    name: `Holds over HTTP, throughput (64 conns, ${SECONDS} s, median of ${RUNS})`,
    ours: `${fmt.spread(held.ours)}, ${failed} errors, ${describeCpu(held.ours.cpu)}`,
    raw: `${fmt.spread(held.same)} same work, ${describeCpu(held.same.cpu)}; floor ${fmt.spread(held.floor)}`,
    ratio,
    target: 'ratio ≥ 0.60',
    met: ratio >= 0.6 && failed === 0,
    details: { ours: held.ours, rawSameWork: held.same, rawFloor: held.floor, ratioToFloor: held.ours.median / held.floor.median },
  });

  // Row 16: a preview of 36 monthly cycles with three stacked coupons (a budget among them), open loop.
  const coupon = (body: Record<string, unknown>) => api(env, key, 'POST', '/v1/coupons', { stackable: true, ...body });
  await coupon({ name: 'preview months', code: 'PV-MONTHS', discount: { type: 'percentage', basisPoints: 1500 }, duration: { type: 'months', months: 12 } });
  await coupon({ name: 'preview fixed', code: 'PV-FIXED', discount: { type: 'fixed_amount', amounts: { USD: 300 } }, duration: { type: 'repeating', cycles: 24 } });
  await coupon({
    name: 'preview budget', code: 'PV-BUDGET', discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' },
    limits: { budget: { amounts: { USD: 100_000 }, period: 'month' } },
  });
  const body = {
    customer: { id: 'pv{i%500}' }, planId: 'pro', currency: 'USD', startsAt: '2027-01-31T09:00:00Z', cycles: 36,
    coupons: [{ code: 'PV-MONTHS' }, { code: 'PV-FIXED' }, { code: 'PV-BUDGET' }],
  };
  const check = await api(env, key, 'POST', '/v1/previews/invoices', { ...body, customer: { id: 'pv-check' } });
  if (check.status !== 200 || check.body.data.length !== 36) throw new Error(`preview: ${check.status} ${JSON.stringify(check.body).slice(0, 300)}`);
  const open = await openLoop(env, key, '/v1/previews/invoices', body, PREVIEW_RATE, OPEN_SECONDS);
  // the raw limit: the rules alone (the same 36 invoices computed in this process, no HTTP, no database)
  const plan: Plan = { id: 'pro', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000 };
  const terms = (discount: unknown, duration: unknown) => ({ discount, duration, appliesTo: { plans: 'all' }, eligibility: {}, overflow: 'cap', stackable: true, timeZone: 'UTC', rounding: 'half_up' });
  const states = [
    terms({ type: 'percentage', basisPoints: 1500 }, { type: 'months', months: 12 }),
    terms({ type: 'fixed_amount', amounts: { USD: 300 } }, { type: 'repeating', cycles: 24 }),
    terms({ type: 'percentage', basisPoints: 1000 }, { type: 'forever' }),
  ].map((t, i) => ({ id: `r${i}`, couponId: `k${i}`, code: null, planId: 'pro', terms: t as never, status: 'active' as const, cyclesApplied: 0, anchor: null, lastCountedDiscounted: false }));
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    previewInvoices({
      plan, plans: { pro: plan }, zone: 'UTC', startsAt: body.startsAt, cycles: 36, currency: 'USD', redemptions: states,
      budgets: { k2: { budget: { amounts: { USD: 100_000 }, period: 'month' }, zone: 'UTC', spend: [] } },
    });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const rules99 = times[Math.floor(times.length * 0.99)]!;
  rows.push({
    row: 16,
    name: `Preview of 36 cycles, 3 stacked coupons, open loop (${PREVIEW_RATE}/s, ${OPEN_SECONDS} s)`,
    ours: describeOpenLoop(open),
    raw: `the rules alone: p99 ${fmt.ms(rules99)}`,
    ratio: null,
    target: 'p99 < 20 ms',
    met: open.p99 < 20 && openLoopClean(open),
    details: { ...open, rulesP50: times[Math.floor(times.length / 2)], rulesP99: rules99 },
  });
  return rows;
}
