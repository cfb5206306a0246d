import { computeInvoiceDiscounts, DomainError, sumMinor, type CouponTerms, type InvoiceLine } from '../../../src/domain';
import { invoice, line, PLANS, redemption, terms } from './fixtures';

const MAX = Number.MAX_SAFE_INTEGER; // 2^53 − 1

const run = (lines: InvoiceLine[], ...list: Partial<CouponTerms>[]) =>
  computeInvoiceDiscounts({
    invoice: invoice(lines),
    plans: PLANS,
    redemptions: list.map((t, i) => redemption({ id: `red_${i + 1}`, couponId: `cpn_${i + 1}`, code: `C${i + 1}`, terms: terms({ stackable: true, ...t }) })),
  });

const thrown = (f: () => unknown): DomainError => {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('nothing thrown');
};

describe('sumMinor: exact, refused past 2^53 − 1', () => {
  it('sums exactly up to 2^53 − 1', () => {
    expect(sumMinor([2 ** 52, 2 ** 52 - 1])).toBe(MAX);
    expect(sumMinor([MAX, 0])).toBe(MAX);
    expect(sumMinor([])).toBe(0);
  });

  it('3 × (2^53 − 1) is refused (a float sum says 27021597764222972, one unit off), naming the field', () => {
    expect(MAX + MAX + MAX).toBe(27021597764222972); // the float sum this replaces
    const e = thrown(() => sumMinor([MAX, MAX, MAX], 'invoice.lines'));
    expect([e.code, e.field, e.message]).toEqual([
      'amount_too_large', 'invoice.lines', 'invoice.lines: the amounts total 27021597764222973, more than 9007199254740991 (2^53 − 1) minor units',
    ]);
    expect(thrown(() => sumMinor([MAX, 1])).field).toBe('amount');
  });
});

describe('computeInvoiceDiscounts: sums of money stay safe integers', () => {
  it('a subtotal of exactly 2^53 − 1 is computed to the unit', () => {
    const r = run([line('a', 2 ** 52), line('b', 2 ** 52 - 1)], { discount: { type: 'percentage', basisPoints: 5000 } });
    expect({ subtotal: r.subtotal, discountTotal: r.discountTotal, total: r.total }).toEqual({ subtotal: MAX, discountTotal: 2 ** 52, total: 2 ** 52 - 1 });
    expect(r.lines.map((l) => l.discount)).toEqual([2 ** 51, 2 ** 51]);
  });

  it('lines of 3 × (2^53 − 1) are refused with a DomainError naming the lines', () => {
    const e = thrown(() => run([line('a', MAX), line('b', MAX), line('c', MAX)]));
    expect([e.code, e.field]).toEqual(['amount_too_large', 'invoice.lines']);
    expect(thrown(() => run([line('a', MAX), line('b', 1)])).field).toBe('invoice.lines');
  });

  it('stacked credit is summed exactly, and refused past 2^53 − 1', () => {
    const credit = (amount: number): Partial<CouponTerms> => ({ discount: { type: 'fixed_amount', amounts: { USD: amount } }, overflow: 'credit' });
    const ok = run([line('a', 100)], credit(2 ** 52), credit(2 ** 52 - 1 + 100));
    expect([ok.discountTotal, ok.total, ok.credit]).toEqual([100, 0, MAX]);
    const e = thrown(() => run([line('a', 100)], credit(MAX), credit(MAX)));
    expect([e.code, e.field]).toEqual(['amount_too_large', 'credit']);
  });
});
