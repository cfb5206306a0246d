import { computeInvoiceDiscounts, type Discount, type InvoiceLine, type Overflow } from '../../../src/domain';
import { invoice, line, PLANS, redemption, terms } from './fixtures';

const run = (lines: InvoiceLine[], discount: Discount, overflow: Overflow = 'cap') =>
  computeInvoiceDiscounts({ invoice: invoice(lines), plans: PLANS, redemptions: [redemption({ terms: terms({ discount, overflow }) })] });

describe('worked examples (reference docs and SPEC)', () => {
  const pct = (bp: number): Discount => ({ type: 'percentage', basisPoints: bp });
  const usd = (amount: number): Discount => ({ type: 'fixed_amount', amounts: { USD: amount } });
  it.each<[string, number, Discount, Overflow, number, number, number]>([
    // name, invoice amount, discount, overflow, discount, total, credit
    ['50 % of $200', 20000, pct(5000), 'cap', 10000, 10000, 0],
    ['20 % of $50 (online course)', 5000, pct(2000), 'cap', 1000, 4000, 0],
    ['$50 off $100', 10000, usd(5000), 'cap', 5000, 5000, 0],
    ['$20 off $15, cap → $0', 1500, usd(2000), 'cap', 1500, 0, 0],
    ['$20 off $15, minimum charge → 1 cent', 1500, usd(2000), 'minimum_charge', 1499, 1, 0],
    ['100 % off $12, minimum charge → 1 cent', 1200, pct(10000), 'minimum_charge', 1199, 1, 0],
    ['100 % off $12, cap → $0', 1200, pct(10000), 'cap', 1200, 0, 0],
    ['$100 on $30 with credit → $70 credit', 3000, usd(10000), 'credit', 3000, 0, 7000],
    ['$100 on $30 limited (cap) → $0 balance', 3000, usd(10000), 'cap', 3000, 0, 0],
    ['15 % of $34.90 = $5.24', 3490, pct(1500), 'cap', 524, 2966, 0],
    ['$5 forever on $20 → pays $15', 2000, usd(500), 'cap', 500, 1500, 0],
    ['$25 fixed regardless of total', 9999, usd(2500), 'cap', 2500, 7499, 0],
    ['minimum charge leaves a partly discounted invoice alone', 1500, usd(1000), 'minimum_charge', 1000, 500, 0],
  ])('%s', (_name, amount, discount, overflow, wantDiscount, wantTotal, wantCredit) => {
    const r = run([line('l1', amount)], discount, overflow);
    expect({ subtotal: r.subtotal, discountTotal: r.discountTotal, total: r.total, credit: r.credit }).toEqual({
      subtotal: amount, discountTotal: wantDiscount, total: wantTotal, credit: wantCredit,
    });
    expect(r.lines).toEqual([{ id: 'l1', amount, discount: wantDiscount, total: wantTotal }]);
    expect(r.applied).toEqual([
      { redemptionId: 'red_1', couponId: 'cpn_1', code: 'CODE1', cycle: 1, amount: wantDiscount, lines: [{ id: 'l1', discount: wantDiscount }] },
    ]);
  });

  it('percentage is computed once on the eligible amount, then split (not rounded per line)', () => {
    const r = run([line('a', 1), line('b', 1), line('c', 1)], { type: 'percentage', basisPoints: 5000 });
    expect(r.lines.map((l) => l.discount)).toEqual([1, 1, 0]); // round_half_up(1.5) = 2, split 1/1/0
    expect(r.discountTotal).toBe(2);
  });

  it('15 % of $34.90 over two lines splits 524 by largest remainder', () => {
    const r = run([line('a', 2000), line('b', 1490, { kind: 'setup_fee', planId: null })], { type: 'percentage', basisPoints: 1500 });
    expect(r.lines.map((l) => l.discount)).toEqual([300, 224]);
  });

  it('coupons apply to setup fees and components too, not to shipping, by default', () => {
    const r = run(
      [line('sub', 2000), line('setup', 500, { kind: 'setup_fee', planId: null }), line('comp', 1000, { kind: 'component' }), line('ship', 300, { kind: 'shipping', planId: null })],
      { type: 'percentage', basisPoints: 1000 },
    );
    expect(r.lines.map((l) => l.discount)).toEqual([200, 50, 100, 0]);
    expect(r.total).toBe(3450);
  });

  it('a fixed amount is split in proportion over the eligible lines', () => {
    const r = run([line('sub', 2000), line('setup', 500, { kind: 'setup_fee', planId: null })], { type: 'fixed_amount', amounts: { USD: 500 } });
    expect(r.lines.map((l) => l.discount)).toEqual([400, 100]);
    expect(r.applied[0]?.lines).toEqual([{ id: 'sub', discount: 400 }, { id: 'setup', discount: 100 }]);
  });
});
