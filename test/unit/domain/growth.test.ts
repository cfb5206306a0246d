import fc from 'fast-check';
import {
  accessRefusal, attributionColumns, authorizeSignupWithoutCode, compactAttribution, compareIntervals, decideDirectRedemption,
  decideRedemption, DIRECT_CODE, effectiveAttribution, intervalMicrodays, requiresCode, switchAllowed, type Action, type Interval,
  type RedemptionRequest, type SwitchRule,
} from '../../../src/domain';
import { PLANS, terms } from './fixtures';

const NOW = '2026-06-01T12:00:00Z';

describe('effectiveAttribution: the code over its coupon, field by field', () => {
  test.each<[string, Record<string, string | null | undefined> | null, Record<string, string | null | undefined> | null, Record<string, string>]>([
    ['neither has any', null, null, {}],
    ['only the coupon', null, { channel: 'email', partner: 'acme' }, { channel: 'email', partner: 'acme' }],
    ['only the code', { referrerCustomerId: 'cus_9' }, null, { referrerCustomerId: 'cus_9' }],
    ['the code wins where it sets a field', { channel: 'social' }, { channel: 'email', partner: 'acme' }, { channel: 'social', partner: 'acme' }],
    ['every field from a different side', { partner: 'globex' }, { channel: 'email', referrerCustomerId: 'cus_1' }, { channel: 'email', partner: 'globex', referrerCustomerId: 'cus_1' }],
    ['a null or empty code field inherits', { channel: null, partner: '' }, { channel: 'email', partner: 'acme' }, { channel: 'email', partner: 'acme' }],
    ['the code sets all three', { channel: 'a', partner: 'b', referrerCustomerId: 'c' }, { channel: 'x', partner: 'y', referrerCustomerId: 'z' }, { channel: 'a', partner: 'b', referrerCustomerId: 'c' }],
  ])('%s', (_name, code, coupon, want) => {
    expect(effectiveAttribution(code, coupon)).toEqual(want);
  });

  test('fields not set are omitted; the stored form has every column', () => {
    expect(compactAttribution({ channel: 'email', partner: null, referrerCustomerId: undefined })).toEqual({ channel: 'email' });
    expect(Object.keys(compactAttribution({ channel: 'email' }))).toEqual(['channel']);
    expect(attributionColumns({ partner: 'acme' })).toEqual({ channel: null, partner: 'acme', referrerCustomerId: null });
    expect(attributionColumns(null)).toEqual({ channel: null, partner: null, referrerCustomerId: null });
  });
});

describe('access', () => {
  test.each<[('open' | 'invitation_only' | undefined), Action, boolean, 'invitation_required' | null]>([
    [undefined, 'new_subscription', false, null],
    ['open', 'new_subscription', false, null],
    ['open', 'new_subscription', true, null],
    ['invitation_only', 'new_subscription', false, 'invitation_required'],
    ['invitation_only', 'new_subscription', true, null],
    ['invitation_only', 'renewal', false, null],
    ['invitation_only', 'upgrade', false, null],
    ['invitation_only', 'one_time_purchase', false, null],
  ])('plan %s, action %s, grantsAccess %s → %s', (access, action, grants, want) => {
    expect(accessRefusal(access, action, grants)).toBe(want);
  });

  test('signups without a code: requiresCode exactly when invitation_only', () => {
    expect(authorizeSignupWithoutCode('open')).toEqual({ allowed: true, requiresCode: false });
    expect(authorizeSignupWithoutCode(undefined)).toEqual({ allowed: true, requiresCode: false });
    expect(authorizeSignupWithoutCode('invitation_only')).toEqual({ allowed: false, requiresCode: true, refusal: 'invitation_required' });
    expect(requiresCode('invitation_only')).toBe(true);
    expect(requiresCode('open')).toBe(false);
  });
});

const I = (unit: Interval['unit'], count: number): Interval => ({ unit, count });

describe('interval lengths (month = 30.436875 days, year = 365.2425 days, exact)', () => {
  test.each<[Interval, Interval, -1 | 0 | 1]>([
    [I('month', 12), I('year', 1), 0],
    [I('month', 24), I('year', 2), 0],
    [I('month', 13), I('year', 1), 1],
    [I('month', 11), I('year', 1), -1],
    [I('week', 52), I('year', 1), -1], // 364 days
    [I('day', 365), I('year', 1), -1],
    [I('day', 366), I('year', 1), 1],
    [I('day', 30), I('month', 1), -1],
    [I('day', 31), I('month', 1), 1],
    [I('week', 4), I('month', 1), -1], // 28 days
    [I('week', 5), I('month', 1), 1],
    [I('day', 7), I('week', 1), 0],
    [I('month', 3), I('month', 3), 0],
    [I('day', 1461), I('year', 4), 1], // 4 years = 1460.97 days
  ])('%o vs %o → %d', (a, b, want) => {
    expect(compareIntervals(a, b)).toBe(want);
    expect(compareIntervals(a, b) + compareIntervals(b, a)).toBe(0);
  });

  test('lengths in millionths of a day', () => {
    expect(intervalMicrodays(I('month', 1))).toBe(30_436_875n);
    expect(intervalMicrodays(I('year', 1))).toBe(365_242_500n);
    expect(intervalMicrodays(I('week', 2))).toBe(14_000_000n);
  });

  const interval = fc.record({ unit: fc.constantFrom<Interval['unit']>('day', 'week', 'month', 'year'), count: fc.integer({ min: 1, max: 1000 }) });
  // an independent reference: lengths as exact fractions of a day, numerator over 10^6, compared by cross-multiplying decimals
  const DAYS: Record<Interval['unit'], [bigint, bigint]> = { day: [1n, 1n], week: [7n, 1n], month: [30436875n, 1000000n], year: [3652425n, 10000n] };
  const refCompare = (a: Interval, b: Interval) => {
    const [an, ad] = DAYS[a.unit];
    const [bn, bd] = DAYS[b.unit];
    const x = an * BigInt(a.count) * bd;
    const y = bn * BigInt(b.count) * ad;
    return x < y ? -1 : x > y ? 1 : 0;
  };

  test('property: agrees with an exact fraction comparison, is antisymmetric and 12k months = k years', () => {
    fc.assert(fc.property(interval, interval, (a, b) => {
      expect(compareIntervals(a, b)).toBe(refCompare(a, b));
      expect(compareIntervals(a, b) + compareIntervals(b, a)).toBe(0);
    }));
    fc.assert(fc.property(fc.integer({ min: 1, max: 83 }), (k) => {
      expect(compareIntervals(I('month', 12 * k), I('year', k))).toBe(0);
      expect(compareIntervals(I('month', 12 * k + 1), I('year', k))).toBe(1);
    }));
  });

  test('property: transitive', () => {
    fc.assert(fc.property(interval, interval, interval, (a, b, c) => {
      if (compareIntervals(a, b) <= 0 && compareIntervals(b, c) <= 0) expect(compareIntervals(a, c)).toBeLessThanOrEqual(0);
    }));
  });
});

describe('switchAllowed', () => {
  const monthly = { interval: I('month', 1) };
  const yearly = { interval: I('year', 1) };
  const twelve = { interval: I('month', 12) };
  const quarterly = { interval: I('month', 3) };
  const noInterval = { interval: null };
  test.each<[SwitchRule | undefined, Action, { interval: Interval | null } | null, { interval: Interval | null } | null, boolean]>([
    [undefined, 'new_subscription', null, monthly, true],
    ['any', 'renewal', null, monthly, true],
    ['any', 'upgrade', yearly, monthly, true],
    ['same_interval_upgrade', 'upgrade', monthly, monthly, true],
    ['same_interval_upgrade', 'upgrade', twelve, yearly, true],
    ['same_interval_upgrade', 'upgrade', monthly, yearly, false],
    ['same_interval_upgrade', 'downgrade', monthly, monthly, false],
    ['same_interval_upgrade', 'new_subscription', monthly, monthly, false],
    ['same_interval_upgrade', 'upgrade', null, monthly, false],
    ['same_interval_upgrade', 'upgrade', monthly, null, true], // validate without planId: nothing to compare
    ['same_interval_upgrade', 'upgrade', noInterval, noInterval, false],
    ['to_longer_interval', 'upgrade', monthly, yearly, true],
    ['to_longer_interval', 'downgrade', monthly, yearly, true],
    ['to_longer_interval', 'upgrade', quarterly, monthly, false],
    ['to_longer_interval', 'upgrade', twelve, yearly, false], // equal, not strictly longer
    ['to_longer_interval', 'upgrade', monthly, monthly, false],
    ['to_longer_interval', 'renewal', monthly, yearly, false],
    ['to_longer_interval', 'one_time_purchase', monthly, yearly, false],
    ['to_longer_interval', 'upgrade', null, yearly, false],
    ['to_longer_interval', 'upgrade', noInterval, yearly, false],
  ])('%s, %s, %o → %o: %s', (rule, action, from, to, want) => {
    expect(switchAllowed(rule, action, from, to)).toBe(want);
  });
});

function base(): RedemptionRequest {
  return {
    coupon: { status: 'active', maxRedemptions: 2, timesRedeemed: 1, perCustomer: null, terms: terms() },
    code: { status: 'active', maxRedemptions: null, timesRedeemed: 0 },
    customer: { id: 'cus_1', hasPaidSubscription: false },
    plan: structuredClone(PLANS['pro-yearly']!),
    customerRedemptionCount: 0,
    subscriptionActive: [],
  };
}

describe('decisions with growth rules', () => {
  test('invitation_only plan: refused without grantsAccess, allowed with it, only for new_subscription', () => {
    const r = base();
    r.plan!.access = 'invitation_only';
    expect(decideRedemption(r, NOW)).toMatchObject({ ok: false, code: 'invitation_required' });
    r.coupon.grantsAccess = true;
    expect(decideRedemption(r, NOW)).toEqual({ ok: true, action: 'new_subscription' });
    r.coupon.grantsAccess = false;
    r.action = 'renewal';
    expect(decideRedemption(r, NOW)).toEqual({ ok: true, action: 'renewal' });
    r.plan = null; // validate without a plan cannot know the plan's access
    r.action = undefined;
    expect(decideRedemption(r, NOW)).toEqual({ ok: true, action: 'new_subscription' });
  });

  test('plan switches: fromPlan and the rule', () => {
    const r = base();
    r.coupon.terms.appliesTo = { plans: 'all', switches: 'to_longer_interval' };
    expect(decideRedemption(r, NOW)).toMatchObject({ code: 'switch_not_eligible' });
    r.action = 'upgrade';
    expect(decideRedemption(r, NOW)).toMatchObject({ code: 'switch_not_eligible' }); // no fromPlan
    r.fromPlan = structuredClone(PLANS['pro-monthly']!);
    expect(decideRedemption(r, NOW)).toEqual({ ok: true, action: 'upgrade' });
    r.action = 'downgrade';
    expect(decideRedemption(r, NOW)).toEqual({ ok: true, action: 'downgrade' }); // a downgrade to a longer interval
    r.plan = structuredClone(PLANS['basic-monthly']!);
    expect(decideRedemption(r, NOW)).toMatchObject({ code: 'switch_not_eligible' });
    r.coupon.terms.appliesTo = { plans: 'all' };
    expect(decideRedemption(r, NOW)).toEqual({ ok: true, action: 'downgrade' });
  });

  test('direct coupons: unknown → coupon_not_found, else the coupon-level checks only', () => {
    const { code: _code, ...rest } = base();
    expect(decideDirectRedemption({ ...rest, coupon: null }, NOW)).toEqual({ ok: false, code: 'coupon_not_found', message: 'This coupon does not exist.' });
    expect(decideDirectRedemption(rest, NOW)).toEqual({ ok: true, action: 'new_subscription' });
    expect(decideDirectRedemption({ ...rest, coupon: { ...rest.coupon, timesRedeemed: 2 } }, NOW)).toMatchObject({ code: 'code_exhausted' });
    expect(decideDirectRedemption({ ...rest, coupon: { ...rest.coupon, status: 'disabled' } }, NOW)).toMatchObject({ code: 'code_disabled' });
    expect(decideDirectRedemption({ ...rest, coupon: { ...rest.coupon, status: 'archived' } }, NOW)).toMatchObject({ code: 'coupon_archived' });
    expect(DIRECT_CODE).toEqual({ status: 'active', maxRedemptions: null, timesRedeemed: 0, expiresAt: null, customerId: null });
  });
});
