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
