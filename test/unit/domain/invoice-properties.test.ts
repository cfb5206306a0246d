import fc from 'fast-check';
import {
  computeInvoiceDiscounts, type Discount, type InvoiceLine, LINE_KINDS, type LineKind, type Overflow, sumMinor,
} from '../../../src/domain';
import { invoice, PLANS, redemption, terms } from './fixtures';

const lineArb = fc.record({
  kind: fc.constantFrom(...LINE_KINDS),
  amount: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 3 })),
  planId: fc.constantFrom<string | null>('pro-monthly', 'basic-monthly', 'topup-1m', null),
});
const linesArb = fc.array(lineArb, { minLength: 1, maxLength: 6 }).map((ls) => ls.map((l, i): InvoiceLine => ({ id: `l${i}`, ...l })));
const discountArb: fc.Arbitrary<Discount> = fc.oneof(
  fc.integer({ min: 1, max: 10000 }).map((basisPoints) => ({ type: 'percentage' as const, basisPoints })),
  fc.integer({ min: 0, max: 2_000_000 }).map((a) => ({ type: 'fixed_amount' as const, amounts: { USD: a } })),
  fc.constant({ type: 'free_shipping' as const }),
);
const redemptionArb = fc.record({
  discount: discountArb,
  overflow: fc.constantFrom<Overflow>('cap', 'minimum_charge', 'credit'),
  lineKinds: fc.option(fc.subarray([...LINE_KINDS] as LineKind[]), { nil: undefined }),
  family: fc.option(fc.constantFrom('pro', 'basic'), { nil: undefined }),
});
const inputArb = fc.record({
  lines: linesArb,
  redemptions: fc.array(redemptionArb, { minLength: 1, maxLength: 3 }),
  midPeriod: fc.boolean(),
});

interface GenRedemption {
  discount: Discount;
  overflow: Overflow;
  lineKinds?: LineKind[] | undefined;
  family?: string | undefined;
}
interface GenInput {
  lines: InvoiceLine[];
  redemptions: GenRedemption[];
  midPeriod: boolean;
}

const build = (x: GenInput) => ({
  invoice: invoice(x.lines, { midPeriod: x.midPeriod }),
  plans: PLANS,
  redemptions: x.redemptions.map((r: GenRedemption, i: number) =>
    redemption({
      id: `red_${i}`,
      lastCountedDiscounted: true,
      cyclesApplied: 1,
      anchor: '2025-12-01T00:00:00.000Z',
      terms: terms({
        discount: r.discount,
        overflow: r.overflow,
        stackable: true,
        appliesTo: { plans: r.family ? { include: { families: [r.family] } } : 'all', ...(r.lineKinds ? { lineKinds: r.lineKinds } : {}) },
      }),
    }),
  ),
});

describe('invoice discount properties', () => {
  it('lines add up, never go below zero, and applied amounts match', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const input = build(x);
        const r = computeInvoiceDiscounts(input);
        const broken: string[] = [];
        const check = (ok: boolean, what: string) => {
          if (!ok) broken.push(what);
        };
        check(r.subtotal === sumMinor(x.lines.map((l) => l.amount)), 'subtotal');
        r.lines.forEach((l, i) => {
          check(l.amount === x.lines[i]?.amount && l.discount + l.total === l.amount, `line ${i} adds up`);
          check(l.total >= 0 && l.discount >= 0, `line ${i} not negative`);
        });
        check(sumMinor(r.lines.map((l) => l.discount)) === r.discountTotal, 'line discounts = discountTotal');
        check(sumMinor(r.applied.map((a) => a.amount)) === r.discountTotal, 'applied = discountTotal');
        check(r.total === r.subtotal - r.discountTotal, 'total');
        r.applied.forEach((a, k) => {
          check(sumMinor(a.lines.map((l) => l.discount)) === a.amount && a.lines.every((l) => l.discount > 0), `applied ${k} lines`);
        });
        check(Number.isInteger(r.credit) && r.credit >= 0, 'credit non-negative');
        check(x.redemptions.some((d) => d.overflow === 'credit') || r.credit === 0, 'credit only from credit coupons');
        check(!x.redemptions.some((d) => d.overflow === 'minimum_charge') || r.subtotal === 0 || r.total >= 1, 'minimum charge');
        expect(broken).toEqual([]);
        expect(computeInvoiceDiscounts(input)).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('under cap alone the total never goes below zero and no credit appears', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const r = computeInvoiceDiscounts(build({ ...x, redemptions: x.redemptions.map((d) => ({ ...d, overflow: 'cap' as const })) }));
        expect(r.total).toBeGreaterThanOrEqual(0);
        expect(r.credit).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('a percentage is exactly round_half_up of the eligible amount, never above it', () => {
    fc.assert(
      fc.property(linesArb, fc.integer({ min: 1, max: 10000 }), (lines, bp) => {
        const r = computeInvoiceDiscounts({
          invoice: invoice(lines),
          plans: PLANS,
          redemptions: [redemption({ terms: terms({ discount: { type: 'percentage', basisPoints: bp } }) })],
        });
        // Independent reference in BigInt: round half up of eligible × bp / 10,000.
        const eligible = lines.filter((l) => l.kind !== 'shipping').reduce((s, l) => s + BigInt(l.amount), 0n);
        const expected = (eligible * BigInt(bp) * 2n + 10_000n) / 20_000n;
        expect(BigInt(r.discountTotal)).toBe(expected);
        expect(BigInt(r.total)).toBe(lines.reduce((s, l) => s + BigInt(l.amount), 0n) - expected);
        expect(BigInt(r.discountTotal)).toBeLessThanOrEqual(eligible);
        lines.forEach((l, i) => {
          if (l.kind === 'shipping') expect(r.lines[i]?.discount).toBe(0);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a fixed amount takes min(amount, eligible), and under credit the excess becomes credit (BigInt reference)', () => {
    fc.assert(
      fc.property(linesArb, fc.integer({ min: 1, max: 3_000_000 }), fc.constantFrom<Overflow>('cap', 'credit'), (lines, amount, overflow) => {
        const r = computeInvoiceDiscounts({
          invoice: invoice(lines),
          plans: PLANS,
          redemptions: [redemption({ terms: terms({ discount: { type: 'fixed_amount', amounts: { USD: amount } }, overflow }) })],
        });
        const inScope = lines.filter((l) => l.kind !== 'shipping');
        const eligible = inScope.reduce((s, l) => s + BigInt(l.amount), 0n);
        const a = BigInt(amount);
        const taken = a < eligible ? a : eligible;
        expect(BigInt(r.discountTotal)).toBe(taken);
        expect(BigInt(r.credit)).toBe(overflow === 'credit' && inScope.length > 0 ? a - taken : 0n);
      }),
      { numRuns: 300 },
    );
  });

  it('hand-worked: 15 % of 1,999 + 1 (shipping left out) and 12.5 % of 333', () => {
    const lines: InvoiceLine[] = [
      { id: 'a', kind: 'recurring', planId: 'pro-monthly', amount: 1999 },
      { id: 'b', kind: 'setup_fee', planId: null, amount: 1 },
      { id: 's', kind: 'shipping', planId: null, amount: 500 },
    ];
    const r = computeInvoiceDiscounts({ invoice: invoice(lines), plans: PLANS, redemptions: [redemption({ terms: terms({ discount: { type: 'percentage', basisPoints: 1500 } }) })] });
    expect([r.subtotal, r.discountTotal, r.total]).toEqual([2500, 300, 2200]); // 2000 × 0.15 = 300
    const half = computeInvoiceDiscounts({ invoice: invoice([{ id: 'a', kind: 'recurring', planId: null, amount: 333 }]), plans: PLANS, redemptions: [redemption({ terms: terms({ discount: { type: 'percentage', basisPoints: 1250 } }) })] });
    expect(half.discountTotal).toBe(42); // 41.625 → 42
  });
});

/** One step of a stack: a percentage or a USD fixed amount, with its coupon's overflow. */
interface Step {
  discount: { type: 'percentage'; basisPoints: number } | { type: 'fixed_amount'; amounts: { USD: number } };
  overflow: Overflow;
}
const pct = (basisPoints: number, overflow: Overflow = 'cap'): Step => ({ discount: { type: 'percentage', basisPoints }, overflow });
const fixed = (amount: number, overflow: Overflow = 'cap'): Step => ({ discount: { type: 'fixed_amount', amounts: { USD: amount } }, overflow });

/** Stackable redemptions of the subscription, oldest first, each in its next counted cycle. */
const stack = (steps: Step[]) =>
  steps.map((st, i) =>
    redemption({ id: `red_${i}`, couponId: `cpn_${i}`, code: `CODE${i}`, terms: terms({ discount: st.discount, overflow: st.overflow, stackable: true }) }),
  );

interface StackFigures {
  subtotal: bigint;
  discountTotal: bigint;
  total: bigint;
  credit: bigint;
  applied: bigint[];
}

/**
 * Independent reference in BigInt for a stack whose coupons all cover every line but shipping:
 * each step discounts what the steps before it left of the in-scope lines — a percentage is
 * round half up of that amount × bp / 10,000, a fixed amount takes at most that amount (under
 * `credit` the rest of it becomes credit); when the stack took a positive subtotal to zero and one
 * of its coupons says `minimum_charge`, the last step that took anything gives back one unit.
 */
function stackReference(lines: InvoiceLine[], steps: Step[]): StackFigures {
  const subtotal = lines.reduce((s, l) => s + BigInt(l.amount), 0n);
  const inScope = lines.filter((l) => l.kind !== 'shipping');
  let left = inScope.reduce((s, l) => s + BigInt(l.amount), 0n);
  let credit = 0n;
  const applied: bigint[] = [];
  for (const st of steps) {
    let took: bigint;
    if (st.discount.type === 'percentage') {
      took = (left * BigInt(st.discount.basisPoints) * 2n + 10_000n) / 20_000n;
    } else {
      const amount = BigInt(st.discount.amounts.USD);
      took = inScope.length === 0 ? 0n : amount < left ? amount : left;
      if (st.overflow === 'credit' && inScope.length > 0) credit += amount - took;
    }
    applied.push(took);
    left -= took;
  }
  let total = subtotal - applied.reduce((s, a) => s + a, 0n);
  if (subtotal > 0n && total === 0n && steps.some((st) => st.overflow === 'minimum_charge')) {
    const last = applied.findLastIndex((a) => a > 0n);
    applied[last] = (applied[last] as bigint) - 1n;
    total = 1n;
  }
  return { subtotal, discountTotal: subtotal - total, total, credit, applied };
}

function engineFigures(lines: InvoiceLine[], steps: Step[]): StackFigures {
  const r = computeInvoiceDiscounts({ invoice: invoice(lines), plans: PLANS, redemptions: stack(steps) });
  // shipping is never discounted by these coupons, and no line goes below zero
  lines.forEach((l, i) => {
    if (l.kind === 'shipping') expect(r.lines[i]?.discount).toBe(0);
    expect(r.lines[i]?.total).toBeGreaterThanOrEqual(0);
  });
  return {
    subtotal: BigInt(r.subtotal),
    discountTotal: BigInt(r.discountTotal),
    total: BigInt(r.total),
    credit: BigInt(r.credit),
    applied: r.applied.map((a) => BigInt(a.amount)),
  };
}

const overflowArb = fc.constantFrom<Overflow>('cap', 'minimum_charge', 'credit');
const pctArb = fc.tuple(fc.integer({ min: 1, max: 10000 }), overflowArb).map(([bp, o]) => pct(bp, o));
const fixedArb = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 3_000_000 }), fc.integer({ min: 1, max: 50 })), overflowArb).map(([a, o]) => fixed(a, o));
const stepArb = fc.oneof(pctArb, fixedArb);

describe('stacked discounts against a BigInt reference', () => {
  it('a percentage then a fixed amount: the fixed amount applies to what the percentage left', () => {
    fc.assert(
      fc.property(linesArb, pctArb, fixedArb, (lines, p, f) => {
        expect(engineFigures(lines, [p, f])).toEqual(stackReference(lines, [p, f]));
      }),
      { numRuns: 300 },
    );
  });

  it('two percentages: the second is a percentage of what the first left, each rounded half up', () => {
    fc.assert(
      fc.property(linesArb, pctArb, pctArb, (lines, a, b) => {
        expect(engineFigures(lines, [a, b])).toEqual(stackReference(lines, [a, b]));
      }),
      { numRuns: 300 },
    );
  });

  it('any stack of two or three, in any order, under cap, minimum_charge and credit', () => {
    fc.assert(
      fc.property(linesArb, fc.array(stepArb, { minLength: 2, maxLength: 3 }), (lines, steps) => {
        expect(engineFigures(lines, steps)).toEqual(stackReference(lines, steps));
      }),
      { numRuns: 500 },
    );
  });

  // Worked by hand on one 10,000 recurring line and a 500 shipping line.
  const lines: InvoiceLine[] = [
    { id: 'r', kind: 'recurring', planId: 'pro-monthly', amount: 10_000 },
    { id: 's', kind: 'shipping', planId: null, amount: 500 },
  ];
  const only = (amount: number): InvoiceLine[] => [{ id: 'r', kind: 'recurring', planId: 'pro-monthly', amount }];
  it.each<[string, InvoiceLine[], Step[], StackFigures]>([
    // 20 % of 10,000 = 2,000; then 9,000 on the 8,000 left: 8,000 taken, 1,000 credit
    ['20 % then 9,000 (credit)', lines, [pct(2000), fixed(9000, 'credit')], { subtotal: 10_500n, discountTotal: 10_000n, total: 500n, credit: 1000n, applied: [2000n, 8000n] }],
    // 1,500 off, then 20 % of 8,500 = 1,700
    ['1,500 then 20 %', lines, [fixed(1500), pct(2000)], { subtotal: 10_500n, discountTotal: 3200n, total: 7300n, credit: 0n, applied: [1500n, 1700n] }],
    // 20 % = 2,000, then 10 % of 8,000 = 800
    ['20 % then 10 %', lines, [pct(2000), pct(1000)], { subtotal: 10_500n, discountTotal: 2800n, total: 7700n, credit: 0n, applied: [2000n, 800n] }],
    // 50 % of 1,000 = 500, then 700 capped at the 500 left: total 0 → minimum charge of 1 from the last
    ['50 % then 700 (minimum_charge)', only(1000), [pct(5000), fixed(700, 'minimum_charge')], { subtotal: 1000n, discountTotal: 999n, total: 1n, credit: 0n, applied: [500n, 499n] }],
    // the same under cap: nothing is given back, the 200 over is lost
    ['50 % then 700 (cap)', only(1000), [pct(5000), fixed(700)], { subtotal: 1000n, discountTotal: 1000n, total: 0n, credit: 0n, applied: [500n, 500n] }],
    // 700 off, then 100 % of the 300 left; a third (credit) finds nothing left: all 400 become credit
    // 333 × 0.125 = 41.625 → 42; then (333 − 42) × 0.125 = 36.375 → 36
    ['12.5 % then 12.5 % of 333', only(333), [pct(1250), pct(1250)], { subtotal: 333n, discountTotal: 78n, total: 255n, credit: 0n, applied: [42n, 36n] }],
    ['700, 100 %, 400 (credit)', only(1000), [fixed(700), pct(10_000), fixed(400, 'credit')], { subtotal: 1000n, discountTotal: 1000n, total: 0n, credit: 400n, applied: [700n, 300n, 0n] }],
  ])('hand-worked: %s', (_name, ls, steps, want) => {
    expect(stackReference(ls, steps)).toEqual(want);
    expect(engineFigures(ls, steps)).toEqual(want);
  });
});
