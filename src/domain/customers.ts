import type { Customer } from './terms';

/** A customer as stored: every field present, null when unknown. */
export interface StoredCustomer {
  id: string;
  email: string | null;
  country: string | null;
  region: string | null;
  postalCode: string | null;
  hasPaidSubscription: boolean;
}

/** A customer as a request gives it: a field left out keeps its stored value. */
export interface CustomerFields {
  email?: string | null;
  country?: string | null;
  region?: string | null;
  postalCode?: string | null;
  hasPaidSubscription?: boolean;
}

const FIELDS = ['email', 'country', 'region', 'postalCode'] as const;

/**
 * The customer a request leaves stored, and whether that differs from what is stored (so the
 * caller writes only then). Fields left out keep their stored value (null for a new customer);
 * with `stickyPaid` (the redemption path) `hasPaidSubscription` never goes back from true.
 */
export function mergeCustomer(
  stored: StoredCustomer | null,
  id: string,
  input: CustomerFields,
  opts: { stickyPaid?: boolean } = {},
): { customer: StoredCustomer; changed: boolean } {
  const base: StoredCustomer = stored ?? { id, email: null, country: null, region: null, postalCode: null, hasPaidSubscription: false };
  const merged: StoredCustomer = { ...base, id };
  for (const f of FIELDS) if (input[f] !== undefined) merged[f] = input[f] ?? null;
  if (input.hasPaidSubscription !== undefined) {
    merged.hasPaidSubscription = opts.stickyPaid ? base.hasPaidSubscription || input.hasPaidSubscription : input.hasPaidSubscription;
  }
  const changed = stored === null || FIELDS.some((f) => merged[f] !== stored[f]) || merged.hasPaidSubscription !== stored.hasPaidSubscription;
  return { customer: merged, changed };
}

/** The rules engine's view of a stored customer (unknown fields left out). */
export function decisionCustomer(c: StoredCustomer): Customer {
  return {
    id: c.id,
    email: c.email ?? undefined,
    country: c.country ?? undefined,
    region: c.region ?? undefined,
    postalCode: c.postalCode ?? undefined,
    hasPaidSubscription: c.hasPaidSubscription,
  };
}

/**
 * Whether an invoice makes its customer one with a paid subscription (`hasPaidSubscription`,
 * which `eligibility.customers` new/existing reads): a paid invoice that is not a trial invoice.
 * A paid trial invoice leaves the customer new. Both the invoice worker (an invoice recorded or
 * re-sent with `paid: true`) and `POST /v1/invoices/{id}/paid` answer with this rule.
 */
export function paysCustomer(invoice: { paid: boolean; trial: boolean }): boolean {
  return invoice.paid && !invoice.trial;
}
