import fc from 'fast-check';
import {
  billingPeriods, computeInvoiceDiscounts, planLine, previewInvoices, priceDiscount, rankQualified, type Budget, type Discount, type Duration,
  type InvoiceLine, type RoundingMode,
} from '../../../src/domain';
import { applyUpdates, domainError, invoice, line, PLANS, redemption, terms } from './fixtures';

describe('invoices: minimum amounts', () => {
  const red = (minimumAmounts: Record<string, number>, over: Parameters<typeof terms>[0] = {}) =>
    redemption({ terms: terms({ discount: { type: 'percentage', basisPoints: 1000 }, appliesTo: { plans: 'all', lineKinds: ['recurring'], minimumAmounts }, ...over }) });

  it('in-scope lines below the minimum: nothing off, the cycle still counts', () => {
    const r = computeInvoiceDiscounts({ invoice: invoice([line('l1', 4000), line('l2', 2000, { kind: 'setup_fee' })]), plans: PLANS, redemptions: [red({ USD: 5000 })] });
    // the setup fee is out of scope, so 4,000 < 5,000
    expect(r.discountTotal).toBe(0);
    expect(r.applied).toEqual([{ redemptionId: 'red_1', couponId: 'cpn_1', code: 'CODE1', cycle: 1, amount: 0, lines: [] }]);
    expect(r.updates).toEqual([expect.objectContaining({ cyclesApplied: 1, status: 'active', lastCountedDiscounted: true })]);
  });

  it('at the minimum exactly: discounted', () => {
    const r = computeInvoiceDiscounts({ invoice: invoice([line('l1', 5000)]), plans: PLANS, redemptions: [red({ USD: 5000 })] });
    expect(r.discountTotal).toBe(500);
  });

  it('judged on the lines as invoiced, not on what a stacked coupon before it left', () => {
    const first = redemption({ id: 'red_0', couponId: 'cpn_0', terms: terms({ discount: { type: 'fixed_amount', amounts: { USD: 3000 } }, stackable: true }) });
    const second = { ...red({ USD: 5000 }, { stackable: true }), id: 'red_2', couponId: 'cpn_2' };
    const r = computeInvoiceDiscounts({ invoice: invoice([line('l1', 5000)]), plans: PLANS, redemptions: [first, second] });
    // 3,000 off, then 10 % of the 2,000 left
    expect(r.applied.map((a) => a.amount)).toEqual([3000, 200]);
  });

  it('a minimum in another currency does not apply', () => {
    const r = computeInvoiceDiscounts({ invoice: invoice([line('l1', 100)]), plans: PLANS, redemptions: [red({ EUR: 5000 })] });
    expect(r.discountTotal).toBe(10);
  });
});

describe('invoices: rounding pinned on the redemption', () => {
  // 15 % of 1,030 = 154.5; 15 % of 1,010 = 151.5
  it.each<[RoundingMode | undefined, number, number]>([
    [undefined, 155, 152],
    ['half_up', 155, 152],
    ['half_even', 154, 152],
    ['down', 154, 151],
    ['up', 155, 152],
  ])('%s', (rounding, on1030, on1010) => {
    const red = redemption({ terms: terms({ discount: { type: 'percentage', basisPoints: 1500 }, ...(rounding ? { rounding } : {}) }) });
    expect(computeInvoiceDiscounts({ invoice: invoice([line('l1', 1030)]), plans: PLANS, redemptions: [red] }).discountTotal).toBe(on1030);
    expect(computeInvoiceDiscounts({ invoice: invoice([line('l1', 1010)]), plans: PLANS, redemptions: [red] }).discountTotal).toBe(on1010);
  });

  it('rounds once per invoice per redemption; the split over lines is unchanged (largest remainder)', () => {
    // 15 % of (333 + 333 + 334) = 150 exactly; 15 % of (335 + 335 + 360) = 154.5
    const red = redemption({ terms: terms({ discount: { type: 'percentage', basisPoints: 1500 }, rounding: 'down' }) });
    const r = computeInvoiceDiscounts({ invoice: invoice([line('a', 335), line('b', 335), line('c', 360)]), plans: PLANS, redemptions: [red] });
    expect(r.discountTotal).toBe(154);
    // 154 over 335/335/360: 50.08, 50.08, 53.82 → 50, 50, 53 and the unit left to the largest remainder (c)
    expect(r.lines.map((l) => l.discount)).toEqual([50, 50, 54]);
  });
});

describe('invoices: budgets', () => {
  const pct = (id: string, couponId: string, bp: number, over: Parameters<typeof terms>[0] = {}) =>
    redemption({ id, couponId, terms: terms({ discount: { type: 'percentage', basisPoints: bp }, stackable: true, ...over }) });

  it('the invoice that would pass the budget gets the remainder, lines in invoice order', () => {
    const r = computeInvoiceDiscounts({
      invoice: invoice([line('a', 3000), line('b', 2000), line('c', 1000)]), plans: PLANS, redemptions: [pct('r1', 'k1', 5000)], budgets: { k1: 2000 },
    });
    // 50 % would be 1,500 / 1,000 / 500; the budget has 2,000: a keeps 1,500, b gets 500, c full price
    expect(r.lines.map((l) => l.discount)).toEqual([1500, 500, 0]);
    expect(r.applied[0]!.amount).toBe(2000);
    expect(r.budgetSpent).toEqual({ k1: 2000 });
  });

  it('a spent budget discounts nothing, and the cycle still counts', () => {
    const r = computeInvoiceDiscounts({ invoice: invoice([line('a', 3000)]), plans: PLANS, redemptions: [pct('r1', 'k1', 5000)], budgets: { k1: 0 } });
    expect(r.discountTotal).toBe(0);
    expect(r.applied).toEqual([expect.objectContaining({ amount: 0, cycle: 1 })]);
    expect(r.budgetSpent).toEqual({});
  });

  it('a capped coupon leaves more for the next stacked one; two redemptions of one coupon share its budget', () => {
    const r = computeInvoiceDiscounts({
      invoice: invoice([line('a', 10000)]), plans: PLANS,
      redemptions: [pct('r1', 'k1', 1000), pct('r2', 'k1', 1000), pct('r3', 'k3', 1000)], budgets: { k1: 1500 },
    });
    // r1: 1,000 (budget 1,500 → 500 left); r2: 10 % of 9,000 = 900, capped at 500; r3: 10 % of 8,500 = 850
    expect(r.applied.map((a) => a.amount)).toEqual([1000, 500, 850]);
    expect(r.budgetSpent).toEqual({ k1: 1500 });
  });

  it('a capped credit coupon gives no credit', () => {
    const credit = redemption({ id: 'r1', couponId: 'k1', terms: terms({ discount: { type: 'fixed_amount', amounts: { USD: 5000 } }, overflow: 'credit' }) });
    const capped = computeInvoiceDiscounts({ invoice: invoice([line('a', 3000)]), plans: PLANS, redemptions: [credit], budgets: { k1: 1000 } });
    expect([capped.discountTotal, capped.credit]).toEqual([1000, 0]);
    const uncapped = computeInvoiceDiscounts({ invoice: invoice([line('a', 3000)]), plans: PLANS, redemptions: [credit], budgets: { k1: 9000 } });
    expect([uncapped.discountTotal, uncapped.credit, uncapped.budgetSpent.k1]).toEqual([3000, 2000, 3000]);
  });

  it('the minimum charge\'s unit comes back off the budget\'s spend', () => {
    const full = redemption({ id: 'r1', couponId: 'k1', terms: terms({ discount: { type: 'percentage', basisPoints: 10000 }, overflow: 'minimum_charge' }) });
    const r = computeInvoiceDiscounts({ invoice: invoice([line('a', 3000)]), plans: PLANS, redemptions: [full], budgets: { k1: 5000 } });
    expect([r.total, r.budgetSpent.k1]).toEqual([1, 2999]);
  });

  it('property: no budget is passed, each takes min(budget, what it would take uncapped) when alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500_000 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 0, max: 600_000 }),
        (amounts, bp, budget) => {
          const lines = amounts.map((a, i) => line(`l${i}`, a));
          const red = pct('r1', 'k1', bp);
          const free = computeInvoiceDiscounts({ invoice: invoice(lines), plans: PLANS, redemptions: [red] });
          const capped = computeInvoiceDiscounts({ invoice: invoice(lines), plans: PLANS, redemptions: [red], budgets: { k1: budget } });
          expect(capped.discountTotal).toBe(Math.min(budget, free.discountTotal));
          expect(capped.budgetSpent.k1 ?? 0).toBe(capped.discountTotal);
          capped.lines.forEach((l, i) => expect(l.discount <= free.lines[i]!.discount).toBe(true));
        },
      ),
    );
  });
});

describe('previews', () => {
  it.each<[string, { unit: 'day' | 'week' | 'month' | 'year'; count: number }, string, string[]]>([
    // month ends: each period from the start itself (Jan 31 → Feb 28 → Mar 31)
    ['2027-01-31T09:00:00-05:00', { unit: 'month', count: 1 }, 'America/New_York', ['2027-01-31T14:00:00.000Z', '2027-02-28T14:00:00.000Z', '2027-03-31T13:00:00.000Z', '2027-04-30T13:00:00.000Z']],
    // weekly across the European DST change: 09:00 local each time
    ['2026-10-19T09:00:00+02:00', { unit: 'week', count: 1 }, 'Europe/Paris', ['2026-10-19T07:00:00.000Z', '2026-10-26T08:00:00.000Z', '2026-11-02T08:00:00.000Z', '2026-11-09T08:00:00.000Z']],
    // every 2 days over Sydney's April change
    ['2026-04-04T00:30:00+11:00', { unit: 'day', count: 2 }, 'Australia/Sydney', ['2026-04-03T13:30:00.000Z', '2026-04-05T14:30:00.000Z', '2026-04-07T14:30:00.000Z', '2026-04-09T14:30:00.000Z']],
    ['2028-02-29T00:00:00Z', { unit: 'year', count: 1 }, 'UTC', ['2028-02-29T00:00:00.000Z', '2029-02-28T00:00:00.000Z', '2030-02-28T00:00:00.000Z', '2031-02-28T00:00:00.000Z']],
  ])('periods from %s every %o in %s', (start, interval, zone, want) => {
    const periods = billingPeriods(start, interval, zone, 3);
    expect(periods).toEqual([0, 1, 2].map((k) => ({ start: want[k], end: want[k + 1] })));
  });

  it('a plan without an interval previews one cycle; cycles 1..36', () => {
    expect(billingPeriods('2026-01-01T00:00:00Z', null, 'UTC', 1)).toEqual([{ start: '2026-01-01T00:00:00.000Z', end: null }]);
    expect(domainError(() => billingPeriods('2026-01-01T00:00:00Z', null, 'UTC', 2)).field).toBe('cycles');
    expect(domainError(() => billingPeriods('2026-01-01T00:00:00Z', { unit: 'month', count: 1 }, 'UTC', 37)).field).toBe('cycles');
  });

  const base = (redemptions: ReturnType<typeof redemption>[], over: Partial<Parameters<typeof previewInvoices>[0]> = {}) =>
    previewInvoices({ plan: PLANS['pro-monthly']!, plans: PLANS, zone: 'UTC', startsAt: '2027-01-01T00:00:00Z', cycles: 5, currency: 'USD', redemptions, ...over });

  it('repeating 3 cycles of 10 % on 2,000: three discounts then full price', () => {
    const rows = base([redemption({ terms: terms({ duration: { type: 'repeating', cycles: 3 } }) })]);
    expect(rows.map((r) => [r.periodStart, r.discountTotal, r.total, r.applied.map((a) => a.cycle)])).toEqual([
      ['2027-01-01T00:00:00.000Z', 200, 1800, [1]],
      ['2027-02-01T00:00:00.000Z', 200, 1800, [2]],
      ['2027-03-01T00:00:00.000Z', 200, 1800, [3]],
      ['2027-04-01T00:00:00.000Z', 0, 2000, []],
      ['2027-05-01T00:00:00.000Z', 0, 2000, []],
    ]);
    expect(rows[4]).toEqual({ cycle: 5, periodStart: '2027-05-01T00:00:00.000Z', periodEnd: '2027-06-01T00:00:00.000Z', subtotal: 2000, discountTotal: 0, total: 2000, credit: 0, applied: [] });
  });

  it('months 2 from the first invoice; until a date', () => {
    const months = base([redemption({ terms: terms({ duration: { type: 'months', months: 2 } }) })]);
    expect(months.map((r) => r.discountTotal)).toEqual([200, 200, 0, 0, 0]);
    const until = base([redemption({ terms: terms({ duration: { type: 'until', date: '2027-02-28' } }) })]);
    // the March 1 invoice starts before 00:01 on the day after Feb 28: still inside
    expect(until.map((r) => r.discountTotal)).toEqual([200, 200, 200, 0, 0]);
  });

  it('a monthly budget carries over the previewed invoices and resets each month; weekly invoices', () => {
    const weekly = { ...PLANS['pro-monthly']!, id: 'pro-weekly', interval: { unit: 'week' as const, count: 1 } };
    const red = redemption({ planId: 'pro-weekly', terms: terms({ discount: { type: 'percentage', basisPoints: 5000 } }) });
    const rows = previewInvoices({
      plan: weekly, plans: { ...PLANS, 'pro-weekly': weekly }, zone: 'UTC', startsAt: '2027-01-18T00:00:00Z', cycles: 4, currency: 'USD', redemptions: [red],
      // 2,500 a month, 1,200 already spent in January
      budgets: { cpn_1: { budget: { amounts: { USD: 2500 }, period: 'month' }, zone: 'UTC', spend: [{ period: 'month', periodStart: '2027-01-01T00:00:00.000Z', currency: 'USD', spent: 1200 }] } },
    });
    // Jan 18: 1,000 (300 left), Jan 25: 300, Feb 1: 1,000, Feb 8: 1,000
    expect(rows.map((r) => r.discountTotal)).toEqual([1000, 300, 1000, 1000]);
  });

  it('lines given replace the plan\'s price', () => {
    const lines: InvoiceLine[] = [line('a', 1000), line('s', 700, { kind: 'shipping', planId: null })];
    const rows = base([redemption({ terms: terms({ discount: { type: 'free_shipping' } }) })], { lines, cycles: 1 });
    expect(rows[0]).toMatchObject({ subtotal: 1700, discountTotal: 700, total: 1000 });
    expect(planLine(PLANS.course!)).toEqual({ id: 'plan', kind: 'one_time', planId: 'course', amount: 5000 });
  });

  // An independent model of the simple cases: one redemption of a percentage or fixed amount,
  // once/repeating/forever, a life budget, half-up rounding: cycle k is discounted when the
  // duration covers it, by min(price·bp/10000 rounded half up | fixed, budget left).
  it('property: a single redemption over N cycles matches the hand model', () => {
    const discountArb: fc.Arbitrary<Discount> = fc.oneof(
      fc.integer({ min: 1, max: 10000 }).map((basisPoints) => ({ type: 'percentage' as const, basisPoints })),
      fc.integer({ min: 1, max: 5000 }).map((a) => ({ type: 'fixed_amount' as const, amounts: { USD: a } })),
    );
    const durationArb: fc.Arbitrary<Duration> = fc.oneof(
      fc.constant({ type: 'once' as const }),
      fc.constant({ type: 'forever' as const }),
      fc.integer({ min: 1, max: 6 }).map((cycles) => ({ type: 'repeating' as const, cycles })),
    );
    fc.assert(
      fc.property(discountArb, durationArb, fc.integer({ min: 0, max: 10_000 }), fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: null }), fc.integer({ min: 1, max: 12 }),
        (discount, duration, price, budgetAmount, cycles) => {
          const plan = { ...PLANS['pro-monthly']!, price };
          const budget: Budget | null = budgetAmount === null ? null : { amounts: { USD: budgetAmount }, period: null };
          const rows = previewInvoices({
            plan, plans: { ...PLANS, 'pro-monthly': plan }, zone: 'UTC', startsAt: '2027-01-01T00:00:00Z', cycles, currency: 'USD',
            redemptions: [redemption({ terms: terms({ discount, duration }) })],
            ...(budget ? { budgets: { cpn_1: { budget, zone: 'UTC', spend: [] } } } : {}),
          });
          let left = budgetAmount ?? Infinity;
          const covers = (k: number) => duration.type === 'forever' || k <= (duration.type === 'once' ? 1 : (duration as { cycles: number }).cycles);
          const want = Array.from({ length: cycles }, (_, i) => {
            if (!covers(i + 1)) return 0;
            const full = discount.type === 'percentage'
              ? Number((BigInt(price) * BigInt(discount.basisPoints) * 2n + 10000n) / 20000n)
              : Math.min((discount as { amounts: Record<string, number> }).amounts.USD!, price);
            const given = Math.min(full, left);
            left -= given;
            return given;
          });
          expect(rows.map((r) => r.discountTotal)).toEqual(want);
        }),
    );
  });

  it('is the invoices in a row: each from the state the previous left (applyUpdates)', () => {
    const reds = [redemption({ terms: terms({ duration: { type: 'repeating', cycles: 2 }, stackable: true }) }), redemption({ id: 'red_2', couponId: 'cpn_2', terms: terms({ discount: { type: 'fixed_amount', amounts: { USD: 300 } }, stackable: true }) })];
    const rows = base(reds, { cycles: 3 });
    let states = reds;
    const byHand = ['2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z'].map((periodStart, k) => {
      const r = computeInvoiceDiscounts({ invoice: invoice([line('plan', 2000)], { id: `x${k}`, periodStart }), plans: PLANS, redemptions: states });
      states = applyUpdates(states, r.updates);
      return r.discountTotal;
    });
    // 200 + 300, 200 + 300, then the fixed amount alone
    expect(byHand).toEqual([500, 500, 300]);
    expect(rows.map((r) => r.discountTotal)).toEqual(byHand);
  });
});

describe('qualification', () => {
  const plan = PLANS['pro-monthly']!;
  it.each<[string, Parameters<typeof terms>[0], number | null, number]>([
    ['10 % of 2,000', {}, null, 200],
    ['a fixed amount above the price gives the price', { discount: { type: 'fixed_amount', amounts: { USD: 5000 } } }, null, 2000],
    ['a fixed amount without the currency gives 0', { discount: { type: 'fixed_amount', amounts: { EUR: 500 } } }, null, 0],
    ['the budget left caps it', {}, 150, 150],
    ['a free trial takes nothing off the price', { discount: { type: 'free_trial', days: 14 } }, null, 0],
    ['free shipping takes nothing off the price', { discount: { type: 'free_shipping' } }, null, 0],
    ['out of scope gives 0', { appliesTo: { plans: 'all', lineKinds: ['setup_fee'] } }, null, 0],
    ['below the minimum gives 0', { appliesTo: { plans: 'all', minimumAmounts: { USD: 2001 } } }, null, 0],
    ['rounding down: 12.5 % of 2,004 = 250.5', { discount: { type: 'percentage', basisPoints: 1250 }, rounding: 'down' }, null, 250],
  ])('%s', (_name, over, budgetLeft, want) => {
    const p = _name.startsWith('rounding') ? { ...plan, price: 2004 } : plan;
    expect(priceDiscount(terms(over), p, 'USD', budgetLeft)).toBe(want);
  });

  it('ranks by discount, unknown last, then older coupon, then direct before codes A→Z', () => {
    const items = [
      { couponId: 'b', couponCreatedAt: '2026-01-02T00:00:00Z', code: 'ZED', amount: 100 },
      { couponId: 'b', couponCreatedAt: '2026-01-02T00:00:00Z', code: null, amount: 100 },
      { couponId: 'a', couponCreatedAt: '2026-01-03T00:00:00Z', code: 'ALPHA', amount: 100 },
      { couponId: 'c', couponCreatedAt: '2026-01-01T00:00:00Z', code: null, amount: null },
      { couponId: 'd', couponCreatedAt: '2026-01-05T00:00:00Z', code: 'BIG', amount: 900 },
      { couponId: 'b', couponCreatedAt: '2026-01-02T00:00:00Z', code: 'ABC', amount: 100 },
    ];
    expect(rankQualified(items).map((i) => `${i.couponId}:${i.code}`)).toEqual(['d:BIG', 'b:null', 'b:ABC', 'b:ZED', 'a:ALPHA', 'c:null']);
  });
});
