import {
  computeInvoiceDiscounts, type CouponTerms, type InvoiceDiscountPlan, type InvoiceToDiscount, type RedemptionState,
} from '../../../src/domain';
import { applyUpdates, invoice, line, PLANS, redemption, terms } from './fixtures';

type Step = Partial<InvoiceToDiscount> & { amount?: number };

/** Runs invoices in order, feeding each plan's updates into the next call. */
function series(t: Partial<CouponTerms>, steps: Step[], start: Partial<RedemptionState> = {}) {
  let states = [redemption({ terms: terms(t), ...start })];
  const out: { plan: InvoiceDiscountPlan; state: RedemptionState }[] = [];
  steps.forEach(({ amount, ...over }, i) => {
    const plan = computeInvoiceDiscounts({
      invoice: invoice([line('l1', amount ?? 2000, over.midPeriod ? { kind: 'component' } : {})], { id: `in_${i}`, ...over }),
      plans: PLANS,
      redemptions: states,
    });
    states = applyUpdates(states, plan.updates);
    out.push({ plan, state: states[0] as RedemptionState });
  });
  return out;
}

const monthly = (n: number, offset = 'Z'): Step[] =>
  Array.from({ length: n }, (_, i) => ({ periodStart: `2026-${String(i + 1).padStart(2, '0')}-01T00:00:00${offset}` }));
const tenPercent = { discount: { type: 'percentage', basisPoints: 1000 } } as const;

describe('durations and cycles', () => {
  it('once: discounts cycle 1 only and ends at that invoice', () => {
    const r = series({ ...tenPercent, duration: { type: 'once' } }, monthly(2));
    expect(r.map((x) => x.plan.discountTotal)).toEqual([200, 0]);
    expect(r[0]?.plan.updates).toEqual([
      { redemptionId: 'red_1', cyclesApplied: 1, anchor: '2026-01-01T00:00:00.000Z', lastCountedDiscounted: true, status: 'ended', endedReason: 'cycles_used' },
    ]);
    expect(r[0]?.plan.applied[0]?.cycle).toBe(1);
    // the ended redemption stops covering mid-period invoices once the next counted invoice passes
    expect(r[1]?.plan.updates).toEqual([
      { redemptionId: 'red_1', cyclesApplied: 1, anchor: '2026-01-01T00:00:00.000Z', lastCountedDiscounted: false, status: 'ended' },
    ]);
    expect(r[1]?.plan.applied).toEqual([]);
  });

  it('repeating 3 ("for X periods", the first charge counts): cycles 1..3, ends at the third', () => {
    const r = series({ discount: { type: 'fixed_amount', amounts: { USD: 500 } }, duration: { type: 'repeating', cycles: 3 } }, monthly(5));
    expect(r.map((x) => x.plan.total)).toEqual([1500, 1500, 1500, 2000, 2000]);
    expect(r.map((x) => x.plan.applied[0]?.cycle ?? null)).toEqual([1, 2, 3, null, null]);
    expect(r.map((x) => x.state.status)).toEqual(['active', 'active', 'ended', 'ended', 'ended']);
    expect(r.map((x) => x.state.cyclesApplied)).toEqual([1, 2, 3, 3, 3]);
    expect(r.map((x) => x.plan.updates.length)).toEqual([1, 1, 1, 1, 0]);
  });

  it('forever: every counted invoice, never ends', () => {
    const r = series({ discount: { type: 'fixed_amount', amounts: { USD: 500 } }, duration: { type: 'forever' } }, monthly(6));
    expect(r.map((x) => x.plan.total)).toEqual([1500, 1500, 1500, 1500, 1500, 1500]);
    expect(r[5]?.state).toMatchObject({ status: 'active', cyclesApplied: 6, lastCountedDiscounted: true });
  });

  it('an active redemption whose cycles are already used is ended, not discounted', () => {
    const r = series({ ...tenPercent, duration: { type: 'repeating', cycles: 2 } }, monthly(1), { cyclesApplied: 2, anchor: '2025-11-01T00:00:00.000Z' });
    expect(r[0]?.plan.discountTotal).toBe(0);
    expect(r[0]?.plan.updates).toEqual([
      { redemptionId: 'red_1', cyclesApplied: 2, anchor: '2025-11-01T00:00:00.000Z', lastCountedDiscounted: false, status: 'ended', endedReason: 'cycles_used' },
    ]);
  });

  it('trial then first payment: the trial invoice is not discounted and counts nothing', () => {
    const r = series({ ...tenPercent, duration: { type: 'once' } }, [
      { periodStart: '2026-01-01T00:00:00Z', trial: true, amount: 0 },
      { periodStart: '2026-02-01T00:00:00Z', trial: true, amount: 2000 },
      { periodStart: '2026-03-01T00:00:00Z' },
    ]);
    expect(r.map((x) => x.plan.discountTotal)).toEqual([0, 0, 200]);
    expect(r[1]?.plan.updates).toEqual([]);
    expect(r[2]?.plan.applied[0]?.cycle).toBe(1);
    expect(r[2]?.state.anchor).toBe('2026-03-01T00:00:00.000Z');
  });

  it('mid-period invoices are discounted after a discounted cycle and count nothing', () => {
    const r = series({ ...tenPercent, duration: { type: 'repeating', cycles: 2 } }, [
      { periodStart: '2026-01-01T00:00:00Z', midPeriod: true, amount: 1000 }, // before cycle 1: nothing
      { periodStart: '2026-01-01T00:00:00Z' },
      { periodStart: '2026-01-15T00:00:00Z', midPeriod: true, amount: 1000 },
      { periodStart: '2026-02-01T00:00:00Z' },
      { periodStart: '2026-02-10T00:00:00Z', midPeriod: true, amount: 1000 }, // cycle 2 ended it: still covered
      { periodStart: '2026-03-01T00:00:00Z' },
      { periodStart: '2026-03-10T00:00:00Z', midPeriod: true, amount: 1000 }, // latest counted not discounted
    ]);
    expect(r.map((x) => x.plan.discountTotal)).toEqual([0, 200, 100, 200, 100, 0, 0]);
    expect(r.map((x) => x.plan.applied[0]?.cycle)).toEqual([undefined, 1, null, 2, null, undefined, undefined]);
    expect(r.map((x) => x.state.cyclesApplied)).toEqual([0, 1, 1, 2, 2, 2, 2]);
    expect(r[2]?.plan.updates).toEqual([]);
  });

  it('a fixed amount is granted again on a mid-period allocation', () => {
    const r = series({ discount: { type: 'fixed_amount', amounts: { USD: 500 } } }, [
      { periodStart: '2026-01-01T00:00:00Z' },
      { periodStart: '2026-01-20T00:00:00Z', midPeriod: true, amount: 800 },
    ]);
    expect(r.map((x) => x.plan.discountTotal)).toEqual([500, 500]);
  });

  it('a trial invoice flagged mid-period is still a trial invoice', () => {
    const r = series(tenPercent, [{ periodStart: '2026-01-01T00:00:00Z' }, { periodStart: '2026-01-05T00:00:00Z', trial: true, midPeriod: true }]);
    expect(r[1]?.plan.discountTotal).toBe(0);
  });

  it('free_trial and none coupons discount no invoice but use their cycles', () => {
    for (const discount of [{ type: 'free_trial', days: 14 }, { type: 'none' }] as const) {
      const r = series({ discount, duration: { type: 'once' } }, monthly(1));
      expect(r[0]?.plan.applied).toEqual([]);
      expect(r[0]?.plan.discountTotal).toBe(0);
      expect(r[0]?.state).toMatchObject({ status: 'ended', cyclesApplied: 1, lastCountedDiscounted: false });
    }
  });

  it('ended redemptions that did not discount the latest cycle produce no update', () => {
    const r = series(tenPercent, monthly(1), { status: 'ended', lastCountedDiscounted: false, cyclesApplied: 4 });
    expect(r[0]?.plan.updates).toEqual([]);
    expect(r[0]?.plan.discountTotal).toBe(0);
  });
});

describe('months and until windows on invoices', () => {
  it('months 1 anchored on Jan 31 (New York) ends at Feb 28 local midnight', () => {
    const r = series({ ...tenPercent, duration: { type: 'months', months: 1 }, timeZone: 'America/New_York' }, [
      { periodStart: '2025-01-31T00:00:00-05:00' },
      { periodStart: '2025-02-27T23:59:59-05:00', midPeriod: true, amount: 1000 },
      { periodStart: '2025-02-28T00:00:00-05:00' },
    ]);
    expect(r.map((x) => x.plan.discountTotal)).toEqual([200, 100, 0]);
    expect(r[0]?.state).toMatchObject({ anchor: '2025-01-31T05:00:00.000Z', status: 'active', cyclesApplied: 1 });
    expect(r[2]?.plan.updates).toEqual([
      { redemptionId: 'red_1', cyclesApplied: 1, anchor: '2025-01-31T05:00:00.000Z', lastCountedDiscounted: false, status: 'ended', endedReason: 'window_passed' },
    ]);
  });

  it('months 1 anchored on Jan 31 of a leap year runs to Feb 29', () => {
    const r = series({ ...tenPercent, duration: { type: 'months', months: 1 }, timeZone: 'UTC' }, [
      { periodStart: '2024-01-31T00:00:00Z' },
      { periodStart: '2024-02-28T12:00:00Z' },
      { periodStart: '2024-02-29T00:00:00Z' },
    ]);
    expect(r.map((x) => x.plan.discountTotal)).toEqual([200, 200, 0]);
  });

  it('months 3 on monthly invoices: three discounted cycles, the fourth ends it', () => {
    const r = series({ ...tenPercent, duration: { type: 'months', months: 3 } }, monthly(4));
    expect(r.map((x) => x.plan.discountTotal)).toEqual([200, 200, 200, 0]);
    expect(r.map((x) => x.state.status)).toEqual(['active', 'active', 'active', 'ended']);
  });

  it('months keeps wall-clock time across the DST change (New York)', () => {
    const t = { ...tenPercent, duration: { type: 'months', months: 1 }, timeZone: 'America/New_York' } as const;
    // anchor Feb 10 00:00 EST; window ends Mar 10 00:00 EDT = 04:00Z (not 05:00Z)
    const inside = series(t, [{ periodStart: '2025-02-10T05:00:00Z' }, { periodStart: '2025-03-10T03:59:59Z' }]);
    const outside = series(t, [{ periodStart: '2025-02-10T05:00:00Z' }, { periodStart: '2025-03-10T04:30:00Z' }]);
    expect(inside[1]?.plan.discountTotal).toBe(200);
    expect(outside[1]?.plan.discountTotal).toBe(0);
  });

  it('until D discounts invoices starting before 00:01 on D+1 in the coupon zone', () => {
    const t = { ...tenPercent, duration: { type: 'until', date: '2019-09-30' }, timeZone: 'America/New_York' } as const;
    const r = series(t, [
      { periodStart: '2019-09-01T00:00:00-04:00' },
      { periodStart: '2019-10-01T00:00:59-04:00' },
      { periodStart: '2019-10-01T00:01:00-04:00' },
    ]);
    expect(r.map((x) => x.plan.discountTotal)).toEqual([200, 200, 0]);
    expect(r[2]?.plan.updates[0]).toMatchObject({ status: 'ended', endedReason: 'window_passed', cyclesApplied: 2 });
  });

  it('until: a first counted invoice already past the date ends the redemption undiscounted', () => {
    const r = series({ ...tenPercent, duration: { type: 'until', date: '2025-12-30' } }, monthly(1));
    expect(r[0]?.plan.discountTotal).toBe(0);
    expect(r[0]?.plan.updates).toEqual([
      { redemptionId: 'red_1', cyclesApplied: 0, anchor: '2026-01-01T00:00:00.000Z', lastCountedDiscounted: false, status: 'ended', endedReason: 'window_passed' },
    ]);
  });

  it('a mid-period invoice outside an active window ends the redemption undiscounted', () => {
    const t = { ...tenPercent, duration: { type: 'until', date: '2026-01-20' } } as const;
    const r = series(t, [{ periodStart: '2026-01-01T00:00:00Z' }, { periodStart: '2026-01-21T00:01:00Z', midPeriod: true, amount: 1000 }]);
    expect(r[1]?.plan.discountTotal).toBe(0);
    expect(r[1]?.plan.updates).toEqual([
      { redemptionId: 'red_1', cyclesApplied: 1, anchor: '2026-01-01T00:00:00.000Z', lastCountedDiscounted: true, status: 'ended', endedReason: 'window_passed' },
    ]);
    // the expiry job may already have ended it: a mid-period invoice inside the window is still covered
    const early = series(t, [{ periodStart: '2026-01-20T12:00:00Z', midPeriod: true, amount: 1000 }], {
      status: 'ended', cyclesApplied: 1, anchor: '2026-01-01T00:00:00.000Z', lastCountedDiscounted: true,
    });
    expect(early[0]?.plan.discountTotal).toBe(100);
    expect(early[0]?.plan.updates).toEqual([]);
  });

  it('a coupon keeps its creation zone after the account moves (terms carry the zone)', () => {
    // created while the account was in Los Angeles; the account is now in Tokyo
    const la = { ...tenPercent, duration: { type: 'until', date: '2026-09-30' }, timeZone: 'America/Los_Angeles' } as const;
    const tokyo = { ...la, timeZone: 'Asia/Tokyo' } as const;
    const start = { periodStart: '2026-10-01T07:00:00Z' }; // 00:00 in LA, 16:00 in Tokyo
    expect(series(la, [start])[0]?.plan.discountTotal).toBe(200);
    expect(series(tokyo, [start])[0]?.plan.discountTotal).toBe(0);
  });
});
