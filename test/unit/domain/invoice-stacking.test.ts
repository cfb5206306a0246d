import { computeInvoiceDiscounts, type CouponTerms, type InvoiceLine } from '../../../src/domain';
import { invoice, line, PLANS, redemption, terms } from './fixtures';

const stack = (lines: InvoiceLine[], ...list: Partial<CouponTerms>[]) =>
  computeInvoiceDiscounts({
    invoice: invoice(lines),
    plans: PLANS,
    redemptions: list.map((t, i) => redemption({ id: `red_${i + 1}`, couponId: `cpn_${i + 1}`, code: `C${i + 1}`, terms: terms({ stackable: true, ...t }) })),
  });

const pct = (basisPoints: number) => ({ discount: { type: 'percentage', basisPoints } }) as const;
const usd = (amount: number) => ({ discount: { type: 'fixed_amount', amounts: { USD: amount } } }) as const;

describe('stacking', () => {
  it('applies in redemption order, each on what the previous left', () => {
    const a = stack([line('l', 2000)], pct(5000), usd(500));
    expect(a.applied.map((x) => x.amount)).toEqual([1000, 500]);
    expect(a.total).toBe(500);
    const b = stack([line('l', 2000)], usd(500), pct(5000));
    expect(b.applied.map((x) => x.amount)).toEqual([500, 750]);
    expect(b.total).toBe(750);
  });

  it('records each redemption with its cycle and its own lines', () => {
    const r = stack([line('a', 1000), line('s', 400, { kind: 'shipping', planId: null })], pct(1000), { discount: { type: 'free_shipping' } });
    expect(r.applied).toEqual([
      { redemptionId: 'red_1', couponId: 'cpn_1', code: 'C1', cycle: 1, amount: 100, lines: [{ id: 'a', discount: 100 }] },
      { redemptionId: 'red_2', couponId: 'cpn_2', code: 'C2', cycle: 1, amount: 400, lines: [{ id: 's', discount: 400 }] },
    ]);
    expect(r.lines).toEqual([
      { id: 'a', amount: 1000, discount: 100, total: 900 },
      { id: 's', amount: 400, discount: 400, total: 0 },
    ]);
  });

  it('a later coupon finds nothing left after a full discount (cap)', () => {
    const r = stack([line('l', 2000)], pct(10000), usd(500));
    expect(r.applied.map((x) => x.amount)).toEqual([2000, 0]);
    expect([r.total, r.credit]).toEqual([0, 0]);
  });
});

describe('overflow', () => {
  it('credit: lines stop at zero and the excess is returned', () => {
    const r = stack([line('a', 2000), line('b', 1000, { kind: 'setup_fee', planId: null })], { ...usd(10000), overflow: 'credit' });
    expect(r.lines.map((l) => l.total)).toEqual([0, 0]);
    expect([r.discountTotal, r.total, r.credit]).toEqual([3000, 0, 7000]);
  });

  it('credit from a stacked fixed amount on an already-zero invoice is the whole amount', () => {
    const r = stack([line('l', 2000)], pct(10000), { ...usd(500), overflow: 'credit' });
    expect([r.total, r.credit]).toEqual([0, 500]);
  });

  it('minimum_charge takes the unit back from the last line of the last redemption that discounted', () => {
    const r = stack([line('a', 1000), line('b', 200, { kind: 'setup_fee', planId: null })], { ...pct(10000), overflow: 'minimum_charge' });
    expect(r.lines.map((l) => l.total)).toEqual([0, 1]);
    expect(r.applied[0]).toMatchObject({ amount: 1199, lines: [{ id: 'a', discount: 1000 }, { id: 'b', discount: 199 }] });
  });

  it('minimum_charge of a later coupon that found nothing takes the unit from the earlier discount', () => {
    const r = stack([line('l', 2000)], { ...pct(10000), overflow: 'cap' }, { ...pct(1000), overflow: 'minimum_charge' });
    expect(r.applied.map((x) => x.amount)).toEqual([1999, 0]);
    expect(r.total).toBe(1);
  });

  it('minimum_charge removes a line from applied when its discount falls to zero', () => {
    const r = stack([line('a', 1000), line('b', 1, { kind: 'setup_fee', planId: null })], { ...pct(10000), overflow: 'minimum_charge' });
    expect(r.applied[0]?.lines).toEqual([{ id: 'a', discount: 1000 }]);
    expect(r.lines.map((l) => l.total)).toEqual([0, 1]);
  });

  it('minimum_charge does nothing to a zero subtotal or when no such coupon applies', () => {
    expect(stack([line('l', 0)], { ...pct(10000), overflow: 'minimum_charge' }).total).toBe(0);
    expect(stack([line('l', 500)], { ...pct(10000), overflow: 'cap' }).total).toBe(0);
  });

  it('minimum_charge leaves the credit of another coupon unchanged', () => {
    const r = stack([line('l', 3000)], { ...usd(10000), overflow: 'credit' }, { ...pct(1000), overflow: 'minimum_charge' });
    expect([r.total, r.credit, r.discountTotal]).toEqual([1, 7000, 2999]);
  });
});
