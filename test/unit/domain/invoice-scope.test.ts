import { computeInvoiceDiscounts, type CouponTerms, DomainError, type InvoiceLine, type Plan } from '../../../src/domain';
import { invoice, line, PLANS, redemption, terms } from './fixtures';

const discountsOf = (lines: InvoiceLine[], t: Partial<CouponTerms>, over: { planId?: string; currency?: string } = {}) =>
  computeInvoiceDiscounts({
    invoice: invoice(lines, over.currency ? { currency: over.currency } : {}),
    plans: PLANS,
    redemptions: [redemption({ terms: terms(t), planId: over.planId ?? 'pro-monthly' })],
  }).lines.map((l) => l.discount);

const half = { discount: { type: 'percentage', basisPoints: 5000 } } as const;

describe('line scope', () => {
  const mixed = [
    line('sub', 2000),
    line('setup', 500, { kind: 'setup_fee', planId: null }),
    line('ship', 300, { kind: 'shipping', planId: null }),
    line('extra', 1000, { kind: 'one_time', planId: 'topup-1m' }),
  ];

  it('"subscription fee only" is lineKinds ["recurring"]', () => {
    expect(discountsOf(mixed, { ...half, appliesTo: { plans: 'all', lineKinds: ['recurring'] } })).toEqual([1000, 0, 0, 0]);
  });

  it('lineKinds may include shipping explicitly', () => {
    expect(discountsOf(mixed, { ...half, appliesTo: { plans: 'all', lineKinds: ['shipping', 'setup_fee'] } })).toEqual([0, 250, 150, 0]);
  });

  it('an empty lineKinds list discounts no line', () => {
    expect(discountsOf(mixed, { ...half, appliesTo: { plans: 'all', lineKinds: [] } })).toEqual([0, 0, 0, 0]);
  });

  it('free_shipping waives exactly the shipping lines (lineKinds ignored)', () => {
    const ship2 = [...mixed, line('ship2', 150, { kind: 'shipping', planId: null })];
    expect(discountsOf(ship2, { discount: { type: 'free_shipping' } })).toEqual([0, 0, 300, 0, 150]);
    expect(discountsOf(ship2, { discount: { type: 'free_shipping' }, appliesTo: { plans: 'all', lineKinds: ['recurring'] } })).toEqual([0, 0, 300, 0, 150]);
  });

  it('lines with a planId must be of a plan in scope', () => {
    const t = { ...half, appliesTo: { plans: { include: { planIds: ['pro-monthly'] } } } };
    expect(discountsOf(mixed, t)).toEqual([1000, 250, 0, 0]);
  });

  it('lines without a planId are judged by the redemption plan', () => {
    const t = { ...half, appliesTo: { plans: { include: { families: ['pro'] } } } };
    const lines = [line('basic', 1000, { planId: 'basic-monthly' }), line('setup', 500, { kind: 'setup_fee', planId: null })];
    expect(discountsOf(lines, t, { planId: 'pro-monthly' })).toEqual([0, 250]);
    expect(discountsOf(lines, t, { planId: 'basic-monthly' })).toEqual([0, 0]);
  });

  it('a one-time plan with a 1-month interval matches an interval rule unless planKinds narrows it', () => {
    const lines = [line('topup', 500, { kind: 'one_time', planId: 'topup-1m' })];
    const byInterval = { plans: { include: { intervals: [{ unit: 'month' as const, count: 1 }] } } };
    expect(discountsOf(lines, { ...half, appliesTo: { ...byInterval, lineKinds: ['one_time'] } })).toEqual([250]);
    expect(discountsOf(lines, { ...half, appliesTo: { ...byInterval, lineKinds: ['one_time'], planKinds: ['recurring'] } })).toEqual([0]);
  });

  it('exclusion wins over inclusion', () => {
    const t = { ...half, appliesTo: { plans: { include: { families: ['pro'] }, exclude: { planIds: ['pro-yearly'] } } } };
    expect(discountsOf([line('m', 2000), line('y', 20000, { planId: 'pro-yearly' })], t)).toEqual([1000, 0]);
  });
});

describe('fixed amounts and currencies', () => {
  const five = { discount: { type: 'fixed_amount', amounts: { USD: 500, eur: 400 } } } as const;

  it('applies the amount of the invoice currency (keys compared case-insensitively)', () => {
    expect(discountsOf([line('a', 2000)], five)).toEqual([500]);
    expect(discountsOf([line('a', 2000)], five, { currency: 'EUR' })).toEqual([400]);
  });

  it('gives nothing on an invoice in another currency, but still counts the cycle', () => {
    const r = computeInvoiceDiscounts({
      invoice: invoice([line('a', 2000)], { currency: 'GBP' }),
      plans: PLANS,
      redemptions: [redemption({ terms: terms({ ...five, duration: { type: 'repeating', cycles: 2 } }) })],
    });
    expect(r.discountTotal).toBe(0);
    expect(r.applied).toEqual([{ redemptionId: 'red_1', couponId: 'cpn_1', code: 'CODE1', cycle: 1, amount: 0, lines: [] }]);
    expect(r.updates).toEqual([
      { redemptionId: 'red_1', cyclesApplied: 1, anchor: '2026-01-01T00:00:00.000Z', lastCountedDiscounted: true, status: 'active' },
    ]);
  });

  it('grants no credit when no line is in scope', () => {
    const r = computeInvoiceDiscounts({
      invoice: invoice([line('ship', 300, { kind: 'shipping', planId: null })]),
      plans: PLANS,
      redemptions: [redemption({ terms: terms({ ...five, overflow: 'credit' }) })],
    });
    expect([r.discountTotal, r.credit]).toEqual([0, 0]);
  });

  it('refuses a malformed fixed amount', () => {
    expect(() => discountsOf([line('a', 2000)], { discount: { type: 'fixed_amount', amounts: { USD: -5 } } })).toThrow(
      expect.objectContaining({ code: 'invalid_amount', field: 'discount.amounts.USD' }),
    );
  });
});

describe('input validation', () => {
  const compute = (lines: InvoiceLine[], over: { periodStart?: string; plans?: Record<string, Plan> } = {}) =>
    computeInvoiceDiscounts({
      invoice: invoice(lines, over.periodStart ? { periodStart: over.periodStart } : {}),
      plans: over.plans ?? PLANS,
      redemptions: [redemption()],
    });

  it.each<[string, () => unknown, string, string]>([
    ['duplicate line ids', () => compute([line('a', 1), line('a', 2)]), 'duplicate_line_id', 'invoice.lines[1].id'],
    ['unknown line kind', () => compute([line('a', 1, { kind: 'tax' as never })]), 'invalid_line_kind', 'invoice.lines[0].kind'],
    ['negative amount', () => compute([line('a', -1)]), 'invalid_amount', 'invoice.lines[0].amount'],
    ['fractional amount', () => compute([line('a', 1.5)]), 'invalid_amount', 'invoice.lines[0].amount'],
    ['bad periodStart', () => compute([line('a', 1)], { periodStart: 'yesterday' }), 'invalid_datetime', 'invoice.periodStart'],
    ['unknown line plan', () => compute([line('a', 1, { planId: 'nope' })]), 'unknown_plan', 'invoice.lines[0].planId'],
    ['unknown redemption plan', () => compute([line('a', 1, { planId: null })], { plans: { 'pro-yearly': PLANS['pro-yearly'] as Plan } }), 'unknown_plan', 'redemptions[0].planId'],
    ['inherited object key as plan', () => compute([line('a', 1, { planId: 'toString' })]), 'unknown_plan', 'invoice.lines[0].planId'],
  ])('%s', (_name, fn, code, field) => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code, field });
  });

  it('does not mutate its input', () => {
    const input = {
      invoice: invoice([line('a', 2000), line('b', 0, { kind: 'setup_fee', planId: null })]),
      plans: PLANS,
      redemptions: [redemption({ terms: terms({ overflow: 'minimum_charge', discount: { type: 'percentage', basisPoints: 10000 } }) })],
    };
    const before = JSON.stringify(input);
    const r = computeInvoiceDiscounts(input);
    expect(r.total).toBe(1);
    expect(JSON.stringify(input)).toBe(before);
  });
});
