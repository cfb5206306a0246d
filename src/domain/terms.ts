/**
 * The shapes of a coupon's terms, plans and customers. They mirror API.md's JSON (camelCase),
 * so a parsed request body can be passed straight in.
 */

import type { PlanAccess } from './access';
import type { RoundingMode } from './money';
import type { SwitchRule } from './switches';

export type LineKind = 'recurring' | 'setup_fee' | 'component' | 'one_time' | 'shipping';
export const LINE_KINDS: readonly LineKind[] = ['recurring', 'setup_fee', 'component', 'one_time', 'shipping'];

export type Action = 'new_subscription' | 'renewal' | 'upgrade' | 'downgrade' | 'one_time_purchase';
export const ACTIONS: readonly Action[] = ['new_subscription', 'renewal', 'upgrade', 'downgrade', 'one_time_purchase'];

export type PlanKind = 'recurring' | 'one_time';
export type IntervalUnit = 'day' | 'week' | 'month' | 'year';
export interface Interval {
  unit: IntervalUnit;
  count: number;
}

export type Discount =
  | { type: 'percentage'; basisPoints: number }
  | { type: 'fixed_amount'; amounts: Record<string, number> }
  | { type: 'free_trial'; days: number }
  | { type: 'free_shipping' }
  | { type: 'none' };

export type Duration =
  | { type: 'once' }
  | { type: 'repeating'; cycles: number }
  | { type: 'forever' }
  | { type: 'months'; months: number }
  | { type: 'until'; date: string };

/** Plan criteria; a plan matches when it matches ANY list given (an omitted list matches nothing). */
export interface PlanMatch {
  planIds?: string[];
  families?: string[];
  intervals?: Interval[];
}

export interface AppliesTo {
  plans: 'all' | { include?: PlanMatch; exclude?: PlanMatch };
  planKinds?: PlanKind[];
  lineKinds?: LineKind[];
  actions?: Action[];
  /** Plan switches the coupon applies to (default `any`). */
  switches?: SwitchRule;
  /**
   * The least the invoice lines in the coupon's scope must sum to, per currency (minor units),
   * for the coupon to discount the invoice (Stripe's restrictions.minimum_amount).
   */
  minimumAmounts?: Record<string, number>;
}

export type CustomerKind = 'any' | 'new' | 'existing';

export interface RegionRule {
  country: string;
  regions?: string[];
  postalPrefixes?: string[];
}

export interface Eligibility {
  customers?: CustomerKind;
  emailDomains?: string[];
  regions?: RegionRule[];
}

export type Overflow = 'cap' | 'minimum_charge' | 'credit';

/** The snapshot pinned on a redemption; later coupon edits never change it. */
export interface CouponTerms {
  discount: Discount;
  duration: Duration;
  appliesTo: AppliesTo;
  eligibility: Eligibility;
  overflow: Overflow;
  stackable: boolean;
  /** IANA zone of the account when the coupon was created. */
  timeZone: string;
  /** How a percentage rounds (the account's mode when the redemption was made); absent: half up. */
  rounding?: RoundingMode;
}

export interface Plan {
  id: string;
  kind: PlanKind;
  interval: Interval | null;
  currency: string;
  price: number;
  family?: string | null;
  /** `open` (default) or `invitation_only`. */
  access?: PlanAccess;
}

export interface Customer {
  id: string;
  email?: string | null;
  country?: string | null;
  region?: string | null;
  postalCode?: string | null;
  hasPaidSubscription: boolean;
}

/** Line kinds a coupon discounts when `appliesTo.lineKinds` is omitted: all but shipping. */
export const DEFAULT_LINE_KINDS: readonly LineKind[] = ['recurring', 'setup_fee', 'component', 'one_time'];

/** True for discount types that reduce invoice amounts (free_trial and none never do). */
export function discountsInvoices(discount: Discount): boolean {
  return discount.type === 'percentage' || discount.type === 'fixed_amount' || discount.type === 'free_shipping';
}
