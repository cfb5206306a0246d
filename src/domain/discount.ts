import { allocate, assertMinorUnits, DEFAULT_ROUNDING, percentOf, sumMinor, type RoundingMode } from './money';
import type { Discount } from './terms';

/** The fixed amount a fixed_amount discount grants in `currency` (case-insensitive key), or null. */
export function fixedAmountFor(discount: Discount, currency: string): number | null {
  if (discount.type !== 'fixed_amount') return null;
  const wanted = currency.toUpperCase();
  const key = Object.keys(discount.amounts).find((k) => k.toUpperCase() === wanted);
  if (key === undefined) return null;
  const amount = discount.amounts[key] as number;
  assertMinorUnits(amount, `discount.amounts.${key}`);
  return amount;
}

export interface LineDiscounts {
  /** Discount per invoice line (0 for lines out of scope), never above what the line had left. */
  shares: number[];
  /** Sum of shares. */
  amount: number;
  /** Part of a fixed amount larger than the eligible amount (becomes credit under `credit`). */
  excess: number;
}

/**
 * One redemption's discount on what the invoice lines have left. `eligible[i]` says whether
 * line i is in scope. Percentage: E × bp / 10000 of the eligible amount E rounded by `rounding`
 * (half up unless the redemption pinned another mode), once,
 * then split over the eligible lines by largest remainder. Fixed amount: min(amount, E), split
 * likewise; nothing when the invoice currency has no amount. Free shipping: every eligible
 * (shipping) line in full. Free trial and none: nothing.
 */
export function discountLines(
  discount: Discount,
  currency: string,
  remaining: readonly number[],
  eligible: readonly boolean[],
  rounding: RoundingMode = DEFAULT_ROUNDING,
): LineDiscounts {
  const weights = remaining.map((amount, i) => (eligible[i] ? amount : 0));
  const eligibleAmount = sumMinor(weights);
  const anyEligible = eligible.some(Boolean);
  let amount = 0;
  let excess = 0;
  if (discount.type === 'percentage') {
    amount = percentOf(eligibleAmount, discount.basisPoints, rounding);
  } else if (discount.type === 'fixed_amount') {
    const fixed = fixedAmountFor(discount, currency);
    if (fixed !== null && anyEligible) {
      amount = Math.min(fixed, eligibleAmount);
      excess = fixed - amount;
    }
  } else if (discount.type === 'free_shipping') {
    amount = eligibleAmount;
  }
  return { shares: allocate(amount, weights), amount, excess };
}
