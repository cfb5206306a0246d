import type { DateTime } from 'luxon';
import { capToBudget } from './budget';
import { type EndedReason, evaluateCountedInvoice, insideWindow, type RedemptionState } from './cycles';
import { discountLines } from './discount';
import { DomainError } from './errors';
import { assertMinorUnits, sumMinor } from './money';
import { lineInScope, meetsMinimum } from './scope';
import { discountsInvoices, LINE_KINDS, type LineKind, type Plan } from './terms';
import { toDateTime } from './time';

export interface InvoiceLine {
  id: string;
  kind: LineKind;
  planId?: string | null;
  amount: number;
}

export interface InvoiceToDiscount {
  id: string;
  currency: string;
  /** ISO 8601 instant with offset. */
  periodStart: string;
  trial: boolean;
  midPeriod: boolean;
  lines: InvoiceLine[];
}

export interface InvoiceDiscountInput {
  invoice: InvoiceToDiscount;
  plans: Record<string, Plan>;
  /** The subscription's redemptions (active, and ended ones that may still cover a mid-period invoice), oldest first. */
  redemptions: readonly RedemptionState[];
  /**
   * What the budget of each budgeted coupon (by coupon id) has left in the invoice's currency for
   * the period of its `periodStart`; coupons not listed are not capped.
   */
  budgets?: Readonly<Record<string, number>>;
}

export interface InvoiceLineResult {
  id: string;
  amount: number;
  discount: number;
  total: number;
}

export interface AppliedDiscount {
  redemptionId: string;
  couponId: string;
  code: string | null;
  /** Cycle number of a counted invoice; null on a mid-period invoice. */
  cycle: number | null;
  amount: number;
  /** Lines this redemption discounted (discount > 0), in invoice order. */
  lines: { id: string; discount: number }[];
}

export interface RedemptionUpdate {
  redemptionId: string;
  cyclesApplied: number;
  anchor: string | null;
  lastCountedDiscounted: boolean;
  status: 'active' | 'ended';
  endedReason?: EndedReason;
}

export interface InvoiceDiscountPlan {
  invoiceId: string;
  currency: string;
  subtotal: number;
  discountTotal: number;
  total: number;
  /** Excess of credit-overflow fixed amounts, booked by the billing system as a negative balance. */
  credit: number;
  lines: InvoiceLineResult[];
  applied: AppliedDiscount[];
  /** New state of every redemption whose state this invoice changed. */
  updates: RedemptionUpdate[];
  /** What this invoice takes from each budgeted coupon's budget (coupons of `budgets` that discounted anything). */
  budgetSpent: Record<string, number>;
}

interface Work {
  state: RedemptionState;
  cycle: number | null;
  shares: number[];
}

function validateInvoice(invoice: InvoiceToDiscount): DateTime {
  const seen = new Set<string>();
  invoice.lines.forEach((line, i) => {
    if (seen.has(line.id)) throw new DomainError('duplicate_line_id', `line id "${line.id}" appears twice`, `invoice.lines[${i}].id`);
    seen.add(line.id);
    if (!LINE_KINDS.includes(line.kind)) throw new DomainError('invalid_line_kind', `unknown line kind "${line.kind}"`, `invoice.lines[${i}].kind`);
    assertMinorUnits(line.amount, `invoice.lines[${i}].amount`);
  });
  return toDateTime(invoice.periodStart, 'invoice.periodStart');
}

function planFor(plans: Record<string, Plan>, id: string, field: string): Plan {
  if (!Object.prototype.hasOwnProperty.call(plans, id)) throw new DomainError('unknown_plan', `plan "${id}" is not registered`, field);
  return plans[id] as Plan;
}

function eligibleLines(input: InvoiceDiscountInput, state: RedemptionState, index: number): boolean[] {
  return input.invoice.lines.map((line, i) => {
    const plan = line.planId
      ? planFor(input.plans, line.planId, `invoice.lines[${i}].planId`)
      : planFor(input.plans, state.planId, `redemptions[${index}].planId`);
    return lineInScope(state.terms, line, plan);
  });
}

/** A counted invoice: every active redemption uses its next cycle; ended ones stop covering mid-period invoices. */
function countedStep(state: RedemptionState, periodStart: DateTime): { entitled: boolean; cycle: number | null; update: RedemptionUpdate | null } {
  const base = { redemptionId: state.id, cyclesApplied: state.cyclesApplied, anchor: state.anchor };
  if (state.status === 'ended') {
    const update = state.lastCountedDiscounted ? { ...base, lastCountedDiscounted: false, status: 'ended' as const } : null;
    return { entitled: false, cycle: null, update };
  }
  const ev = evaluateCountedInvoice(state, periodStart);
  const update: RedemptionUpdate = {
    ...base,
    cyclesApplied: ev.entitled ? ev.cycle : state.cyclesApplied,
    anchor: ev.anchor,
    lastCountedDiscounted: ev.entitled && discountsInvoices(state.terms.discount),
    status: ev.ends ? 'ended' : 'active',
    ...(ev.endedReason ? { endedReason: ev.endedReason } : {}),
  };
  return { entitled: ev.entitled, cycle: ev.cycle, update };
}

/** A mid-period invoice: counts nothing; covered when the latest counted cycle was discounted and the window still holds. */
function midPeriodStep(state: RedemptionState, periodStart: DateTime): { entitled: boolean; cycle: null; update: RedemptionUpdate | null } {
  const inside = insideWindow(state, periodStart);
  const update: RedemptionUpdate | null =
    state.status === 'active' && !inside
      ? {
          redemptionId: state.id,
          cyclesApplied: state.cyclesApplied,
          anchor: state.anchor,
          lastCountedDiscounted: state.lastCountedDiscounted,
          status: 'ended',
          endedReason: 'window_passed',
        }
      : null;
  return { entitled: state.lastCountedDiscounted && inside, cycle: null, update };
}

/** minimum_charge: a positive subtotal discounted to zero is charged one minor unit, taken from the last discount. */
function applyMinimumCharge(subtotal: number, remaining: number[], work: Work[]): void {
  if (subtotal === 0 || sumMinor(remaining) > 0) return;
  if (!work.some((w) => w.state.terms.overflow === 'minimum_charge')) return;
  const last = [...work].reverse().find((w) => w.shares.some((s) => s > 0)) as Work;
  const line = last.shares.findLastIndex((s) => s > 0);
  last.shares[line] = (last.shares[line] as number) - 1;
  remaining[line] = (remaining[line] as number) + 1;
}

/**
 * Computes the discounts of one invoice for the subscription's redemptions (SPEC §3.1–3.4, §3.7,
 * §3.14) and the redemptions' new cycle state. Pure: the inputs are not mutated.
 *
 * Checkout rules, per redemption that covers the invoice, in stacking order:
 * - minimum amount: when the lines in its scope sum (as invoiced) below its minimum in the
 *   invoice's currency, it discounts nothing (its cycle still counts; listed with amount 0);
 * - rounding: its percentage rounds by the mode its terms pinned (half up when none);
 * - budget: its discount is capped at what its coupon's budget has left (`budgets`), the lines
 *   keeping theirs in invoice order until it runs out; a capped redemption gives no credit;
 *   two redemptions of one coupon draw on the same budget. `budgetSpent` says what was taken
 *   (after the minimum charge's unit, if one was taken back).
 */
export function computeInvoiceDiscounts(input: InvoiceDiscountInput): InvoiceDiscountPlan {
  const { invoice } = input;
  const periodStart = validateInvoice(invoice);
  const amounts = invoice.lines.map((l) => l.amount);
  // a subtotal above 2^53 − 1 is refused (every other sum of the lines is at most it)
  const subtotal = sumMinor(amounts, 'invoice.lines');
  const remaining = [...amounts];
  const work: Work[] = [];
  const updates: RedemptionUpdate[] = [];
  // each redemption's excess is at most its fixed amount, but stacked ones may add up past 2^53 − 1: summed exactly, refused past it
  const excesses: number[] = [];
  const budgetLeft = new Map(Object.entries(input.budgets ?? {}));
  budgetLeft.forEach((v, k) => assertMinorUnits(v, `budgets.${k}`));

  if (!invoice.trial) {
    input.redemptions.forEach((state, index) => {
      const step = invoice.midPeriod ? midPeriodStep(state, periodStart) : countedStep(state, periodStart);
      if (step.update) updates.push(step.update);
      if (!step.entitled || !discountsInvoices(state.terms.discount)) return;
      const eligible = eligibleLines(input, state, index);
      // the minimum is judged on the lines in scope as invoiced, before any discount
      const inScope = sumMinor(amounts.filter((_, i) => eligible[i]));
      if (!meetsMinimum(state.terms.appliesTo, invoice.currency, inScope)) {
        work.push({ state, cycle: step.cycle, shares: amounts.map(() => 0) });
        return;
      }
      const result = discountLines(state.terms.discount, invoice.currency, remaining, eligible, state.terms.rounding);
      let shares = result.shares;
      let excess = result.excess;
      const left = budgetLeft.get(state.couponId);
      if (left !== undefined) {
        shares = capToBudget(shares, left);
        // a coupon its budget caps gives nothing beyond it, credit included
        if (sumMinor(shares) < result.amount) excess = 0;
        budgetLeft.set(state.couponId, left - sumMinor(shares));
      }
      shares.forEach((s, i) => {
        remaining[i] = (remaining[i] as number) - s;
      });
      if (state.terms.overflow === 'credit') excesses.push(excess);
      work.push({ state, cycle: step.cycle, shares });
    });
    applyMinimumCharge(subtotal, remaining, work);
  }
  const budgetSpent: Record<string, number> = {};
  for (const w of work) {
    if (!budgetLeft.has(w.state.couponId)) continue;
    const spent = sumMinor(w.shares);
    if (spent > 0) budgetSpent[w.state.couponId] = (budgetSpent[w.state.couponId] ?? 0) + spent;
  }

  const lines = invoice.lines.map((line, i) => {
    const total = remaining[i] as number;
    return { id: line.id, amount: line.amount, discount: line.amount - total, total };
  });
  const total = sumMinor(remaining);
  const credit = sumMinor(excesses, 'credit');
  const applied = work.map((w) => ({
    redemptionId: w.state.id,
    couponId: w.state.couponId,
    code: w.state.code,
    cycle: w.cycle,
    amount: sumMinor(w.shares),
    lines: w.shares.flatMap((d, i) => (d > 0 ? [{ id: (invoice.lines[i] as InvoiceLine).id, discount: d }] : [])),
  }));
  return {
    invoiceId: invoice.id,
    currency: invoice.currency,
    subtotal,
    discountTotal: subtotal - total,
    total,
    credit,
    lines,
    applied,
    updates,
    budgetSpent,
  };
}
