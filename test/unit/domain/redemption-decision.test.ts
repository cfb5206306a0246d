import {
  decideDirectRedemption, decideRedemption, defaultAction, isRefusalCode, REFUSAL_CODES, REFUSAL_MESSAGES, type RedemptionRequest, type RefusalCode,
} from '../../../src/domain';
import { PLANS, terms } from './fixtures';

const NOW = '2026-06-01T12:00:00Z';

function base(): RedemptionRequest {
  return {
    coupon: {
      status: 'active', validFrom: '2026-01-01T00:00:00Z', expiresAt: '2026-12-31T00:00:00Z', maxRedemptions: 100, perCustomer: 1, timesRedeemed: 10,
      terms: terms({ discount: { type: 'percentage', basisPoints: 3000 }, duration: { type: 'forever' } }),
    },
    code: { status: 'active', maxRedemptions: 5, timesRedeemed: 0, expiresAt: null, customerId: null },
    customer: { id: 'cus_1', email: 'ann@example.com', country: 'US', region: 'US-CA', postalCode: '94107', hasPaidSubscription: false },
    plan: structuredClone(PLANS['pro-monthly']!),
    customerRedemptionCount: 0,
    subscriptionActive: [],
  };
}

/** One way to trigger each refusal, in SPEC §3.5 order. Each touches different fields. */
const BREAKERS: [RefusalCode, (r: RedemptionRequest) => void][] = [
  ['hold_not_active', (r) => { r.hold = { state: null, couponId: 'cpn_1', codeId: 7 }; }],
  ['code_not_found', (r) => { r.code = null; }],
  ['coupon_not_found', () => undefined], // a direct coupon that does not exist: see decide()
  ['coupon_archived', (r) => { r.coupon.status = 'archived'; }],
  ['code_disabled', (r) => { r.code!.status = 'disabled'; }],
  ['code_not_yet_valid', (r) => { r.coupon.validFrom = '2026-06-01T12:00:00.001Z'; }],
  ['code_expired', (r) => { r.coupon.expiresAt = NOW; }],
  ['code_exhausted', (r) => { r.code!.maxRedemptions = 1; r.code!.timesRedeemed = 1; }],
  ['budget_exhausted', (r) => {
    r.coupon.budget = { amounts: { USD: 1000 }, period: 'month' };
    r.budgetSpend = [{ period: 'month', periodStart: '2026-06-01T00:00:00.000Z', currency: 'USD', spent: 1000 }];
  }],
  ['code_restricted_to_customer', (r) => { r.code!.customerId = 'cus_other'; }],
  ['one_time_purchase_not_allowed', (r) => { r.action = 'one_time_purchase'; }],
  ['plan_not_eligible', (r) => { r.coupon.terms.appliesTo = { ...r.coupon.terms.appliesTo, plans: { include: { planIds: ['other'] } } }; }],
  ['invitation_required', (r) => { r.plan!.access = 'invitation_only'; }],
  ['action_not_eligible', (r) => { r.coupon.terms.appliesTo = { ...r.coupon.terms.appliesTo, actions: ['renewal'] }; }],
  ['switch_not_eligible', (r) => { r.coupon.terms.appliesTo = { ...r.coupon.terms.appliesTo, switches: 'to_longer_interval' }; }],
  ['currency_mismatch', (r) => { r.coupon.terms.discount = { type: 'fixed_amount', amounts: { EUR: 500 } }; }],
  ['minimum_not_met', (r) => { r.coupon.terms.appliesTo = { ...r.coupon.terms.appliesTo, minimumAmounts: { USD: 2001 } }; }],
  ['new_customers_only', (r) => { r.coupon.terms.eligibility.customers = 'new'; r.customer.hasPaidSubscription = true; }],
  ['existing_customers_only', (r) => { r.coupon.terms.eligibility.customers = 'existing'; }],
  ['email_domain_not_allowed', (r) => { r.coupon.terms.eligibility.emailDomains = ['*.example.com']; }],
  ['region_not_allowed', (r) => { r.coupon.terms.eligibility.regions = [{ country: 'US', regions: ['US-NY'] }]; }],
  ['customer_limit_reached', (r) => { r.customerRedemptionCount = 1; }],
  ['already_discounted', (r) => { r.subscriptionActive = [{ stackable: true }]; }],
];

function decide(...breakers: RefusalCode[]) {
  const req = base();
  // code_not_found nulls the code, so it runs last
  const chosen = BREAKERS.filter(([c]) => breakers.includes(c)).reverse();
  chosen.forEach(([, f]) => f(req));
  if (breakers.includes('coupon_not_found')) return decideDirectRedemption({ ...req, coupon: null }, NOW);
  return decideRedemption(req, NOW);
}

describe('decideRedemption', () => {
  it('accepts the base request and resolves the action', () => {
    expect(decideRedemption(base(), NOW)).toEqual({ ok: true, action: 'new_subscription' });
  });

  it('the breakers follow REFUSAL_CODES order, which has the 17 codes of API.md, the 3 growth and the 3 checkout refusals', () => {
    expect(BREAKERS.map(([c]) => c)).toEqual([...REFUSAL_CODES]);
    expect(new Set(REFUSAL_CODES)).toEqual(new Set([
      'code_not_found', 'code_disabled', 'code_expired', 'code_not_yet_valid', 'code_exhausted', 'coupon_archived', 'customer_limit_reached',
      'new_customers_only', 'existing_customers_only', 'email_domain_not_allowed', 'region_not_allowed', 'plan_not_eligible',
      'action_not_eligible', 'currency_mismatch', 'code_restricted_to_customer', 'already_discounted', 'one_time_purchase_not_allowed',
      'coupon_not_found', 'invitation_required', 'switch_not_eligible',
      'hold_not_active', 'budget_exhausted', 'minimum_not_met',
    ]));
    expect(REFUSAL_CODES).toHaveLength(23);
    expect(REFUSAL_CODES.indexOf('invitation_required')).toBe(REFUSAL_CODES.indexOf('plan_not_eligible') + 1);
    expect(REFUSAL_CODES.indexOf('switch_not_eligible')).toBe(REFUSAL_CODES.indexOf('action_not_eligible') + 1);
    expect(REFUSAL_CODES.indexOf('budget_exhausted')).toBe(REFUSAL_CODES.indexOf('code_exhausted') + 1);
    expect(REFUSAL_CODES.indexOf('minimum_not_met')).toBe(REFUSAL_CODES.indexOf('currency_mismatch') + 1);
    expect(REFUSAL_CODES[0]).toBe('hold_not_active');
    expect(isRefusalCode('code_expired')).toBe(true);
    expect(isRefusalCode('rate_limited')).toBe(false);
  });

  it.each(BREAKERS.map(([c]) => c))('refuses %s with its default message', (code) => {
    expect(decide(code)).toEqual({ ok: false, code, message: REFUSAL_MESSAGES[code] });
  });

  it('answers the first failing check for every pair of failures', () => {
    let pairs = 0;
    BREAKERS.forEach(([first], i) => {
      BREAKERS.slice(i + 1).forEach(([second]) => {
        if (first === 'new_customers_only' && second === 'existing_customers_only') return; // one check, two answers
        if (first === 'code_not_found' && second === 'coupon_not_found') return; // a code or a coupon id, never both
        expect([first, second, decide(first, second)]).toEqual([first, second, expect.objectContaining({ ok: false, code: first })]);
        pairs += 1;
      });
    });
    expect(pairs).toBe(251);
  });

  it('answers the first of all failures at once', () => {
    const all = BREAKERS.map(([c]) => c).filter((c) => c !== 'existing_customers_only' && c !== 'coupon_not_found');
    for (let k = 0; k < all.length; k += 1) {
      expect(decide(...all.slice(k))).toMatchObject({ code: all[k] });
    }
  });

  const variant = (f: (r: RedemptionRequest) => void, now = NOW) => {
    const req = base();
    f(req);
    return decideRedemption(req, now);
  };

  it.each<[string, (r: RedemptionRequest) => void, RefusalCode | null]>([
    ['draft coupon → code_disabled', (r) => { r.coupon.status = 'draft'; }, 'code_disabled'],
    ['disabled coupon → code_disabled', (r) => { r.coupon.status = 'disabled'; }, 'code_disabled'],
    ['archived code (cascade) → coupon_archived', (r) => { r.code!.status = 'archived'; }, 'coupon_archived'],
    ['code past its own expiry → code_expired', (r) => { r.code!.expiresAt = '2026-06-01T11:59:59Z'; }, 'code_expired'],
    ['coupon limit used up → code_exhausted', (r) => { r.coupon.timesRedeemed = 100; }, 'code_exhausted'],
    ['valid from exactly now → ok', (r) => { r.coupon.validFrom = NOW; }, null],
    ['no window, no limits → ok', (r) => { Object.assign(r.coupon, { validFrom: null, expiresAt: null, maxRedemptions: null, perCustomer: null }); Object.assign(r.code!, { maxRedemptions: null }); }, null],
    ['code reserved for this customer → ok', (r) => { r.code!.customerId = 'cus_1'; }, null],
    ['one-time plan, recurring duration → refused', (r) => { r.plan = structuredClone(PLANS.course!); }, 'one_time_purchase_not_allowed'],
    ['one-time plan, once → ok', (r) => { r.plan = structuredClone(PLANS.course!); r.coupon.terms.duration = { type: 'once' }; }, null],
    ['repeating on a one-time purchase → refused', (r) => { r.action = 'one_time_purchase'; r.coupon.terms.duration = { type: 'repeating', cycles: 3 }; }, 'one_time_purchase_not_allowed'],
    ['action in the allowed list → ok', (r) => { r.action = 'renewal'; r.coupon.terms.appliesTo.actions = ['renewal', 'upgrade']; }, null],
    ['fixed amount in the plan currency → ok', (r) => { r.coupon.terms.discount = { type: 'fixed_amount', amounts: { USD: 500, EUR: 450 } }; }, null],
    ['fixed amount in the requested currency → ok', (r) => { r.currency = 'EUR'; r.coupon.terms.discount = { type: 'fixed_amount', amounts: { EUR: 450 } }; }, null],
    ['fixed amount without the requested currency → refused', (r) => { r.currency = 'GBP'; r.coupon.terms.discount = { type: 'fixed_amount', amounts: { USD: 500 } }; }, 'currency_mismatch'],
    ['percentage ignores the currency', (r) => { r.currency = 'JPY'; }, null],
    ['existing customer on an existing-only coupon → ok', (r) => { r.coupon.terms.eligibility.customers = 'existing'; r.customer.hasPaidSubscription = true; }, null],
    ['perCustomer 0 lets nobody in', (r) => { r.coupon.perCustomer = 0; }, 'customer_limit_reached'],
    ['voided redemptions are not counted by the caller: 0 of 1 → ok', (r) => { r.customerRedemptionCount = 0; }, null],
    ['stackable with stackable → ok', (r) => { r.coupon.terms.stackable = true; r.subscriptionActive = [{ stackable: true }, { stackable: true }]; }, null],
    ['stackable with a non-stackable active one → refused', (r) => { r.coupon.terms.stackable = true; r.subscriptionActive = [{ stackable: true }, { stackable: false }]; }, 'already_discounted'],
    ['non-stackable with a stackable active one → refused', (r) => { r.subscriptionActive = [{ stackable: true }]; }, 'already_discounted'],
  ])('%s', (_name, f, want) => {
    const r = variant(f);
    if (want === null) expect(r.ok).toBe(true);
    else expect(r).toMatchObject({ ok: false, code: want });
  });

  it('defaults the action by plan kind and returns an explicit one', () => {
    expect(defaultAction({ kind: 'recurring' })).toBe('new_subscription');
    expect(defaultAction({ kind: 'one_time' })).toBe('one_time_purchase');
    expect(defaultAction({ kind: 'one_time' }, 'upgrade')).toBe('upgrade');
    expect(variant((r) => { r.plan = structuredClone(PLANS.course!); r.coupon.terms.duration = { type: 'once' }; })).toEqual({ ok: true, action: 'one_time_purchase' });
    expect(variant((r) => { r.action = 'downgrade'; })).toEqual({ ok: true, action: 'downgrade' });
  });

  it('returns the trial days of a free_trial coupon', () => {
    expect(variant((r) => { r.coupon.terms.discount = { type: 'free_trial', days: 14 }; })).toEqual({ ok: true, action: 'new_subscription', trialDays: 14 });
  });

  it('partner code example: $50 off first order, new customers only, 500 uses', () => {
    const partner = (f: (r: RedemptionRequest) => void) =>
      variant((r) => {
        Object.assign(r.coupon, { maxRedemptions: 500, timesRedeemed: 499, perCustomer: null });
        r.code = { status: 'active', maxRedemptions: null, timesRedeemed: 499, expiresAt: null, customerId: null };
        r.coupon.terms = terms({ discount: { type: 'fixed_amount', amounts: { USD: 5000 } }, duration: { type: 'once' }, eligibility: { customers: 'new' } });
        f(r);
      });
    expect(partner(() => undefined)).toEqual({ ok: true, action: 'new_subscription' });
    expect(partner((r) => { r.customer.hasPaidSubscription = true; })).toMatchObject({ code: 'new_customers_only' });
    expect(partner((r) => { r.coupon.timesRedeemed = 500; })).toMatchObject({ code: 'code_exhausted' });
  });

  it('accepts now as a Date', () => {
    expect(decideRedemption(base(), new Date('2027-01-01T00:00:00Z'))).toMatchObject({ code: 'code_expired' });
  });
});

describe('decideRedemption without a plan (validate with no planId)', () => {
  test('plan-dependent checks are skipped; the others still run in order', () => {
    const r = base();
    r.plan = null;
    r.coupon.terms.appliesTo = { plans: { include: { planIds: ['other'] } } };
    r.coupon.terms.discount = { type: 'fixed_amount', amounts: { EUR: 500 } };
    expect(decideRedemption(r, NOW)).toEqual({ ok: true, action: 'new_subscription' });
    r.currency = 'USD';
    expect(decideRedemption(r, NOW)).toMatchObject({ ok: false, code: 'currency_mismatch' });
    r.currency = 'EUR';
    r.customerRedemptionCount = 1;
    expect(decideRedemption(r, NOW)).toMatchObject({ ok: false, code: 'customer_limit_reached' });
  });

  test('an explicit one_time_purchase still refuses a recurring duration', () => {
    const r = base();
    r.plan = null;
    r.action = 'one_time_purchase';
    expect(decideRedemption(r, NOW)).toMatchObject({ ok: false, code: 'one_time_purchase_not_allowed' });
    expect(defaultAction(null)).toBe('new_subscription');
  });
});

describe('decideRedemption with holds, budgets and minimums', () => {
  const HOLD = { status: 'active' as const, expiresAt: '2026-06-01T12:15:00Z', customerId: 'cus_1', couponId: 'cpn_1', codeId: 7 };
  const variant = (f: (r: RedemptionRequest) => void, now = NOW) => {
    const req = base();
    f(req);
    return decideRedemption(req, now);
  };

  it.each<[string, (r: RedemptionRequest) => void, RefusalCode | null]>([
    ['others\' active holds take the code\'s last slot → code_exhausted', (r) => { r.code!.maxRedemptions = 3; r.code!.timesRedeemed = 2; r.code!.held = 1; }, 'code_exhausted'],
    ['holds take the coupon\'s last slot → code_exhausted', (r) => { r.coupon.timesRedeemed = 97; r.coupon.held = 3; }, 'code_exhausted'],
    ['one slot left beside the holds → ok', (r) => { r.coupon.timesRedeemed = 97; r.coupon.held = 2; }, null],
    ['the holder\'s own hold of the last slot → ok', (r) => {
      r.code!.maxRedemptions = 3; r.code!.timesRedeemed = 2; r.code!.held = 1; r.coupon.timesRedeemed = 99; r.coupon.held = 1;
      r.customerHoldCount = 1; r.hold = { state: HOLD, couponId: 'cpn_1', codeId: 7 };
    }, null],
    ['the customer\'s own active hold counts against perCustomer', (r) => { r.customerHoldCount = 1; }, 'customer_limit_reached'],
    ['…but not when the request consumes it', (r) => { r.customerHoldCount = 1; r.hold = { state: HOLD, couponId: 'cpn_1', codeId: 7 }; }, null],
    ['a hold of another customer → hold_not_active', (r) => { r.hold = { state: { ...HOLD, customerId: 'cus_2' }, couponId: 'cpn_1', codeId: 7 }; }, 'hold_not_active'],
    ['a hold of another code → hold_not_active', (r) => { r.hold = { state: HOLD, couponId: 'cpn_1', codeId: 8 }; }, 'hold_not_active'],
    ['a hold of another coupon → hold_not_active', (r) => { r.hold = { state: HOLD, couponId: 'cpn_2', codeId: 7 }; }, 'hold_not_active'],
    ['a released hold → hold_not_active', (r) => { r.hold = { state: { ...HOLD, status: 'released' }, couponId: 'cpn_1', codeId: 7 }; }, 'hold_not_active'],
    ['a hold at its expiry instant → hold_not_active', (r) => { r.hold = { state: { ...HOLD, expiresAt: NOW }, couponId: 'cpn_1', codeId: 7 }; }, 'hold_not_active'],
    ['a hold a millisecond before its expiry → ok', (r) => { r.hold = { state: { ...HOLD, expiresAt: '2026-06-01T12:00:00.001Z' }, couponId: 'cpn_1', codeId: 7 }; }, null],
    ['a spent budget in another currency → ok', (r) => {
      r.coupon.budget = { amounts: { USD: 1000 }, period: 'month' };
      r.budgetSpend = [{ period: 'month', periodStart: '2026-06-01T00:00:00.000Z', currency: 'USD', spent: 1000 }];
      r.currency = 'EUR';
    }, null],
    ['last month\'s spend does not count → ok', (r) => {
      r.coupon.budget = { amounts: { USD: 1000 }, period: 'month' };
      r.budgetSpend = [{ period: 'month', periodStart: '2026-05-01T00:00:00.000Z', currency: 'USD', spent: 1000 }];
    }, null],
    ['one unit left of the budget → ok', (r) => {
      r.coupon.budget = { amounts: { USD: 1000 }, period: null };
      r.budgetSpend = [{ period: 'life', periodStart: '1970-01-01T00:00:00.000Z', currency: 'USD', spent: 999 }];
    }, null],
    ['a spent budget does not refuse the holder', (r) => {
      r.coupon.budget = { amounts: { USD: 1000 }, period: null };
      r.budgetSpend = [{ period: 'life', periodStart: '1970-01-01T00:00:00.000Z', currency: 'USD', spent: 1000 }];
      r.hold = { state: HOLD, couponId: 'cpn_1', codeId: 7 };
    }, null],
    ['a spent budget, no plan and no currency: not known → ok', (r) => {
      r.plan = null;
      r.coupon.budget = { amounts: { USD: 1000 }, period: null };
      r.budgetSpend = [{ period: 'life', periodStart: '1970-01-01T00:00:00.000Z', currency: 'USD', spent: 1000 }];
    }, null],
    ['price equal to the minimum → ok', (r) => { r.coupon.terms.appliesTo.minimumAmounts = { USD: 2000 }; }, null],
    ['a minimum in another currency only → ok', (r) => { r.coupon.terms.appliesTo.minimumAmounts = { EUR: 999999 }; }, null],
    ['a minimum without a plan is not checked → ok', (r) => { r.plan = null; r.currency = 'USD'; r.coupon.terms.appliesTo.minimumAmounts = { USD: 999999 }; }, null],
  ])('%s', (_name, f, want) => {
    const r = variant(f);
    if (want === null) expect(r).toMatchObject({ ok: true });
    else expect(r).toMatchObject({ ok: false, code: want });
  });

  it('a direct coupon\'s hold is matched without a code', () => {
    const req = { ...base(), coupon: base().coupon, hold: { state: { ...HOLD, codeId: null }, couponId: 'cpn_1', codeId: null } };
    expect(decideDirectRedemption(req, NOW)).toMatchObject({ ok: true });
    expect(decideDirectRedemption({ ...req, hold: { state: HOLD, couponId: 'cpn_1', codeId: null } }, NOW)).toMatchObject({ ok: false, code: 'hold_not_active' });
    // the coupon named is not found: the hold is not a hold of it
    expect(decideDirectRedemption({ ...req, coupon: null, hold: { ...req.hold, couponId: null } }, NOW)).toMatchObject({ ok: false, code: 'hold_not_active' });
  });
});
