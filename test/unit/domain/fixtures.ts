import { DomainError, type CouponTerms, type InvoiceLine, type InvoiceToDiscount, type Plan, type RedemptionState } from '../../../src/domain';

export const PLANS: Record<string, Plan> = {
  'pro-monthly': { id: 'pro-monthly', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 2000, family: 'pro' },
  'pro-yearly': { id: 'pro-yearly', kind: 'recurring', interval: { unit: 'year', count: 1 }, currency: 'USD', price: 20000, family: 'pro' },
  'basic-monthly': { id: 'basic-monthly', kind: 'recurring', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 1000, family: 'basic' },
  'topup-1m': { id: 'topup-1m', kind: 'one_time', interval: { unit: 'month', count: 1 }, currency: 'USD', price: 500, family: null },
  course: { id: 'course', kind: 'one_time', interval: null, currency: 'USD', price: 5000 },
};

export function terms(over: Partial<CouponTerms> = {}): CouponTerms {
  return {
    discount: { type: 'percentage', basisPoints: 1000 },
    duration: { type: 'forever' },
    appliesTo: { plans: 'all' },
    eligibility: {},
    overflow: 'cap',
    stackable: false,
    timeZone: 'UTC',
    ...over,
  };
}

export function redemption(over: Partial<RedemptionState> = {}): RedemptionState {
  return {
    id: 'red_1',
    couponId: 'cpn_1',
    code: 'CODE1',
    planId: 'pro-monthly',
    terms: terms(),
    status: 'active',
    cyclesApplied: 0,
    anchor: null,
    lastCountedDiscounted: false,
    ...over,
  };
}

export function line(id: string, amount: number, over: Partial<InvoiceLine> = {}): InvoiceLine {
  return { id, kind: 'recurring', planId: 'pro-monthly', amount, ...over };
}

export function invoice(lines: InvoiceLine[], over: Partial<InvoiceToDiscount> = {}): InvoiceToDiscount {
  return {
    id: 'in_1',
    currency: 'USD',
    periodStart: '2026-01-01T00:00:00Z',
    trial: false,
    midPeriod: false,
    lines,
    ...over,
  };
}

/** Applies a plan's updates to the states, as the persistence layer would. */
export function applyUpdates(
  states: RedemptionState[],
  updates: { redemptionId: string; cyclesApplied: number; anchor: string | null; lastCountedDiscounted: boolean; status: 'active' | 'ended' }[],
): RedemptionState[] {
  return states.map((s) => {
    const u = updates.find((x) => x.redemptionId === s.id);
    return u ? { ...s, cyclesApplied: u.cyclesApplied, anchor: u.anchor, lastCountedDiscounted: u.lastCountedDiscounted, status: u.status } : s;
  });
}

/** The DomainError a call throws (fails the test when it throws nothing or something else). */
export function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}
