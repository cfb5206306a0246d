import { fromCoupon, planScope, toBody } from '../../console/src/coupon-body';
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

describe('planScope: the form edits the included plan ids only', () => {
  it('a new coupon: the ids listed, or every plan', () => {
    expect(planScope('pro-annual, team-annual', undefined)).toEqual({ include: { planIds: ['pro-annual', 'team-annual'] } });
    expect(planScope('  ', undefined)).toBe('all');
  });
  it('an edit keeps the families, intervals and exclusions the form does not show', () => {
    const c = coupon({ plans: RULES });
    expect(planScope('pro-annual', c)).toEqual(RULES);
    expect(planScope('team-annual', c)).toEqual({ include: { families: ['pro'], planIds: ['team-annual'] }, exclude: RULES.exclude });
    expect(planScope('', c)).toEqual({ include: { families: ['pro'] }, exclude: RULES.exclude });
  });
  it('an edit that clears the only rule (plan ids) applies to every plan', () => {
    expect(planScope('', coupon({ plans: { include: { planIds: ['pro-annual'] } } }))).toBe('all');
  });
});

describe('toBody on an edit', () => {
  it('sends only what changed: a new name alone is the whole PATCH', () => {
    const c = coupon({ plans: RULES, planKinds: ['recurring'], lineKinds: ['recurring', 'setup_fee'], actions: ['renewal'] });
    expect(toBody({ ...fromCoupon(c, 'USD'), name: 'Annual push 2' }, 'UTC', c)).toEqual({ name: 'Annual push 2' });
    expect(toBody(fromCoupon(c, 'USD'), 'UTC', c)).toEqual({});
  });
  it('changed plan ids send the whole scope, with the rules the form does not show', () => {
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
  it('drops the line kinds and actions the form cleared, keeps the plan kinds it does not show', () => {
    const c = coupon({ plans: RULES, planKinds: ['one_time'], lineKinds: ['recurring'], actions: ['renewal'] });
    const body = toBody({ ...fromCoupon(c, 'USD'), lineKinds: [], actions: [] }, 'UTC', c);
    expect(body.appliesTo).toEqual({ plans: RULES, planKinds: ['one_time'] });
  });
});

describe('toBody and the checkout fields the form does not show', () => {
  it('keeps the minimum amounts in a changed scope; a limits edit names only the limits shown (the API merges them with the budget)', () => {
    const c = { ...coupon({ plans: 'all', minimumAmounts: { USD: 5000 } }), limits: { maxRedemptions: null, perCustomer: null, budget: { amounts: { USD: 9000 }, period: 'month' } } } as unknown as Coupon;
    const body = toBody({ ...fromCoupon(c, 'USD'), lineKinds: ['recurring'], maxRedemptions: '10' }, 'UTC', c);
    expect(body).toEqual({ appliesTo: { plans: 'all', minimumAmounts: { USD: 5000 }, lineKinds: ['recurring'] }, limits: { maxRedemptions: 10, perCustomer: null } });
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
