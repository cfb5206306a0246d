import { formProblems, fromCoupon, parseIntervals, planScope, toBody } from '../../console/src/coupon-body';
import type { Coupon } from '../../src/contracts/types';

/** A stored coupon as GET /v1/coupons/{id} answers it, with a plan scope the form does not show in full. */
function coupon(appliesTo: Record<string, unknown>): Coupon {
  return {
    id: '6f1c0c56-7c1e-4d1c-9a57-0e2c7f3f2b10', name: 'Annual push', description: null, status: 'active', version: 1,
    discount: { type: 'percentage', basisPoints: 1500 }, duration: { type: 'once' }, appliesTo,
    eligibility: { customers: 'any' }, limits: { maxRedemptions: null, perCustomer: null },
    validFrom: null, expiresAt: null, expiresOn: null, expiresAfterDays: null, timeZone: 'UTC', overflow: 'cap', stackable: false,
    attribution: {}, grantsAccess: false, metadata: {}, timesRedeemed: 0, createdAt: '2026-11-01T00:00:00.000Z', updatedAt: '2026-11-01T00:00:00.000Z',
  } as unknown as Coupon;
}

const RULES = {
  include: { families: ['pro'], planIds: ['pro-annual'] },
  exclude: { intervals: [{ unit: 'month', count: 1 }] },
};

describe('planScope: included and excluded plan ids, families and intervals', () => {
  const none = { plans: '', families: '', intervals: '', excludePlans: '', excludeFamilies: '', excludeIntervals: '' };
  it('the ids listed, or every plan', () => {
    expect(planScope({ ...none, plans: 'pro-annual, team-annual' })).toEqual({ include: { planIds: ['pro-annual', 'team-annual'] } });
    expect(planScope({ ...none, plans: '  ' })).toBe('all');
  });
  it('families (which may hold spaces), intervals with counts, and exclusions', () => {
    expect(planScope({ ...none, families: 'pro, Team plans', intervals: 'month, 3 months, Year', excludePlans: 'pro-legacy', excludeIntervals: '2 weeks' })).toEqual({
      include: { families: ['pro', 'Team plans'], intervals: [{ unit: 'month', count: 1 }, { unit: 'month', count: 3 }, { unit: 'year', count: 1 }] },
      exclude: { planIds: ['pro-legacy'], intervals: [{ unit: 'week', count: 2 }] },
    });
  });
  it('an edit shows every rule of the coupon and sends them back exactly', () => {
    const c = coupon({ plans: RULES });
    const f = fromCoupon(c, 'USD');
    expect([f.plans, f.families, f.intervals, f.excludePlans, f.excludeFamilies, f.excludeIntervals]).toEqual(['pro-annual', 'pro', '', '', '', 'month']);
    expect(planScope(f)).toEqual(RULES);
    expect(planScope({ ...f, plans: '' })).toEqual({ include: { families: ['pro'] }, exclude: RULES.exclude });
    expect(planScope({ ...f, plans: '', families: '', excludeIntervals: '' })).toBe('all');
  });
  it('intervals the form cannot read are a problem of that input, not sent', () => {
    const f = { ...fromCoupon(undefined, 'USD'), intervals: 'month, fortnight' };
    expect(formProblems(f)).toEqual({ intervals: 'Write intervals as day, week, month or year, with a count before them if more than one (for example: month, 3 months, year).' });
    expect(parseIntervals('month, fortnight')).toBeNull();
    expect(parseIntervals('12 months')).toEqual([{ unit: 'month', count: 12 }]);
  });
});

describe('toBody on an edit', () => {
  it('sends only what changed: a new name alone is the whole PATCH', () => {
    const c = coupon({ plans: RULES, planKinds: ['recurring'], lineKinds: ['recurring', 'setup_fee'], actions: ['renewal'] });
    expect(toBody({ ...fromCoupon(c, 'USD'), name: 'Annual push 2' }, 'UTC', c)).toEqual({ name: 'Annual push 2' });
    expect(toBody(fromCoupon(c, 'USD'), 'UTC', c)).toEqual({});
  });
  it('changed plan ids send the whole scope, with its other rules', () => {
    const c = coupon({ plans: RULES, planKinds: ['recurring'], lineKinds: ['recurring', 'setup_fee'], actions: ['renewal'] });
    expect(toBody({ ...fromCoupon(c, 'USD'), plans: 'team-annual' }, 'UTC', c)).toEqual({
      appliesTo: {
        plans: { include: { families: ['pro'], planIds: ['team-annual'] }, exclude: RULES.exclude },
        planKinds: ['recurring'], lineKinds: ['recurring', 'setup_fee'], actions: ['renewal'],
      },
    });
  });
  it('a fixed amount edited in one currency keeps the others', () => {
    const c = { ...coupon({ plans: 'all' }), discount: { type: 'fixed_amount', amounts: { EUR: 450, USD: 500 } } } as unknown as Coupon;
    const f = fromCoupon(c, 'USD');
    expect([f.currency, f.amount]).toEqual(['EUR', '4.50']);
    expect(toBody({ ...f, amount: '4.00' }, 'UTC', c)).toEqual({ discount: { type: 'fixed_amount', amounts: { EUR: 400, USD: 500 } } });
  });
  it('drops the line kinds and actions the form cleared, keeps the plan kinds left ticked', () => {
    const c = coupon({ plans: RULES, planKinds: ['one_time'], lineKinds: ['recurring'], actions: ['renewal'] });
    const body = toBody({ ...fromCoupon(c, 'USD'), lineKinds: [], actions: [] }, 'UTC', c);
    expect(body.appliesTo).toEqual({ plans: RULES, planKinds: ['one_time'] });
  });
  it('plan kinds ticked and cleared', () => {
    const c = coupon({ plans: 'all', planKinds: ['one_time'] });
    expect(fromCoupon(c, 'USD').planKinds).toEqual(['one_time']);
    expect(toBody({ ...fromCoupon(c, 'USD'), planKinds: ['recurring', 'one_time'] }, 'UTC', c)).toEqual({ appliesTo: { plans: 'all', planKinds: ['recurring', 'one_time'] } });
    expect(toBody({ ...fromCoupon(c, 'USD'), planKinds: [] }, 'UTC', c)).toEqual({ appliesTo: { plans: 'all' } });
  });
});

describe('toBody and the checkout fields: budget and minimum amounts', () => {
  const withBudget = () =>
    ({ ...coupon({ plans: 'all', minimumAmounts: { USD: 5000, JPY: 700 } }), limits: { maxRedemptions: null, perCustomer: null, budget: { amounts: { USD: 9000 }, period: 'month' } } }) as unknown as Coupon;

  it('a new coupon: budget amounts per currency in minor units, the period, minimum amounts', () => {
    const f = {
      ...fromCoupon(undefined, 'USD'), name: 'Capped',
      budget: [{ currency: 'usd', amount: '1000.00' }, { currency: 'EUR', amount: '250.5' }, { currency: '', amount: '' }],
      budgetPeriod: 'week' as const,
      minimumAmounts: [{ currency: 'USD', amount: '50' }, { currency: 'JPY', amount: '700' }],
    };
    expect(formProblems(f)).toEqual({});
    const body = toBody(f, 'UTC', undefined);
    expect(body.limits).toEqual({ maxRedemptions: null, perCustomer: null, budget: { amounts: { USD: 100000, EUR: 25050 }, period: 'week' } });
    expect(body.appliesTo).toEqual({ plans: 'all', minimumAmounts: { USD: 5000, JPY: 700 } });
  });
  it('a budget over the coupon’s life has period null; no rows, no budget', () => {
    const f = { ...fromCoupon(undefined, 'USD'), budget: [{ currency: 'USD', amount: '10' }] };
    expect(toBody(f, 'UTC', undefined).limits).toEqual({ maxRedemptions: null, perCustomer: null, budget: { amounts: { USD: 1000 }, period: null } });
    expect(toBody(fromCoupon(undefined, 'USD'), 'UTC', undefined).limits).toEqual({ maxRedemptions: null, perCustomer: null });
  });
  it('an edit shows them by currency code and, unchanged, sends nothing', () => {
    const c = withBudget();
    const f = fromCoupon(c, 'USD');
    expect([f.budget, f.budgetPeriod, f.minimumAmounts]).toEqual([[{ currency: 'USD', amount: '90.00' }], 'month', [{ currency: 'JPY', amount: '700' }, { currency: 'USD', amount: '50.00' }]]);
    expect(toBody(f, 'UTC', c)).toEqual({});
  });
  it('an edit of the budget sends the limits with it; of the minimums, the scope', () => {
    const c = withBudget();
    const f = fromCoupon(c, 'USD');
    expect(toBody({ ...f, budget: [...f.budget, { currency: 'EUR', amount: '80' }], budgetPeriod: 'day' }, 'UTC', c)).toEqual({
      limits: { maxRedemptions: null, perCustomer: null, budget: { amounts: { USD: 9000, EUR: 8000 }, period: 'day' } },
    });
    expect(toBody({ ...f, minimumAmounts: [{ currency: 'USD', amount: '75.00' }] }, 'UTC', c)).toEqual({ appliesTo: { plans: 'all', minimumAmounts: { USD: 7500 } } });
  });
  it('clearing every row clears the budget (null) and the minimums (left out of the scope)', () => {
    const c = withBudget();
    const body = toBody({ ...fromCoupon(c, 'USD'), budget: [], minimumAmounts: [] }, 'UTC', c);
    expect(body).toEqual({ appliesTo: { plans: 'all' }, limits: { maxRedemptions: null, perCustomer: null, budget: null } });
  });
  it('a limits edit keeps the budget as it is', () => {
    const c = withBudget();
    expect(toBody({ ...fromCoupon(c, 'USD'), maxRedemptions: '10' }, 'UTC', c)).toEqual({
      limits: { maxRedemptions: 10, perCustomer: null, budget: { amounts: { USD: 9000 }, period: 'month' } },
    });
  });
  it('a currency given twice or missing is a problem of that list', () => {
    const f = fromCoupon(undefined, 'USD');
    expect(formProblems({ ...f, budget: [{ currency: 'USD', amount: '1' }, { currency: 'usd', amount: '2' }] })).toEqual({ budget: 'Give each currency once.' });
    expect(formProblems({ ...f, minimumAmounts: [{ currency: ' ', amount: '1' }] })).toEqual({ minimumAmounts: 'Every amount needs its currency.' });
  });
});

describe('toBody and metadata', () => {
  it('a new coupon: the rows as an object of text values', () => {
    const f = { ...fromCoupon(undefined, 'USD'), metadata: [{ key: 'campaign', value: 'spring' }, { key: ' owner ', value: 'ana' }, { key: '', value: '' }] };
    expect(toBody(f, 'UTC', undefined).metadata).toEqual({ campaign: 'spring', owner: 'ana' });
    expect('metadata' in toBody(fromCoupon(undefined, 'USD'), 'UTC', undefined)).toBe(false);
  });
  it('an edit keeps a value that is not text when its row is unchanged, and sends text for an edited one', () => {
    const c = { ...coupon({ plans: 'all' }), metadata: { tier: 2, tags: ['a', 'b'], note: 'hi' } } as unknown as Coupon;
    const f = fromCoupon(c, 'USD');
    expect(f.metadata).toEqual([{ key: 'tier', value: '2' }, { key: 'tags', value: '["a","b"]' }, { key: 'note', value: 'hi' }]);
    expect(toBody(f, 'UTC', c)).toEqual({});
    const edited = f.metadata.map((r) => (r.key === 'tier' ? { ...r, value: '3' } : r));
    expect(toBody({ ...f, metadata: [...edited, { key: 'added', value: 'yes' }] }, 'UTC', c)).toEqual({ metadata: { tier: '3', tags: ['a', 'b'], note: 'hi', added: 'yes' } });
  });
  it('removing every row clears the metadata (null); a key twice is a problem', () => {
    const c = { ...coupon({ plans: 'all' }), metadata: { note: 'hi' } } as unknown as Coupon;
    expect(toBody({ ...fromCoupon(c, 'USD'), metadata: [] }, 'UTC', c)).toEqual({ metadata: null });
    expect(formProblems({ ...fromCoupon(c, 'USD'), metadata: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] })).toEqual({ metadata: 'Give each key once.' });
  });
});

describe('toBody and the expiry on an edit', () => {
  const withExpiry = (e: Record<string, unknown>) => ({ ...coupon({ plans: 'all' }), ...e }) as unknown as Coupon;
  it('keeps an expiry set as an instant through the API, which the form does not show', () => {
    const c = withExpiry({ expiresAt: '2027-01-01T00:00:00.000Z' });
    const body = toBody(fromCoupon(c, 'USD'), 'UTC', c);
    expect([body.expiresAt, body.expiresOn, body.expiresAfterDays]).toEqual([undefined, undefined, undefined]);
  });
  it('clears an expiry date the form showed when "never" is chosen', () => {
    const c = withExpiry({ expiresAt: '2027-01-01T23:59:59.999Z', expiresOn: '2027-01-01' });
    const body = toBody({ ...fromCoupon(c, 'USD'), expiryType: 'never' }, 'UTC', c);
    expect([body.expiresAt, body.expiresOn, body.expiresAfterDays]).toEqual([null, null, null]);
  });
});
