import type { Pool } from 'pg';
import type { AppContext } from '../context';
import type { AccountRow } from '../api-keys';
import {
  budgetPeriodAt, decideDirectRedemption, decideRedemption, decisionCustomer, DomainError, mergeCustomer, previewInvoices as previewCycles, REFUSAL_MESSAGES,
  type Action, type Budget, type InvoiceLine, type Plan, type PreviewBudget, type RedemptionState, type RoundingMode,
} from '../domain';
import { AppError, badRequest } from '../errors';
import type { CustomerInput, InvoiceLineInput } from '../queues/payloads';
import { budgetSpendSince } from '../repositories/budgets';
import { decisionCode } from '../repositories/codes';
import { decisionCoupon } from '../repositories/coupons';
import { invoiceContextFromRow, invoiceContextStatement } from '../repositories/invoices';
import { contextQuery, pinnedTerms, readDecisionContext } from './redemption-service';
import { checkCustomerThrottle, countUnknownCode } from './validation';

export interface PreviewRequestInput {
  customer: CustomerInput;
  planId: string;
  currency: string;
  startsAt: string;
  cycles: number;
  subscriptionId?: string;
  coupons?: ({ code: string } | { couponId: string })[];
  lines?: InvoiceLineInput[];
}

export interface PreviewAnswer {
  data: {
    cycle: number; periodStart: string; periodEnd: string | null; subtotal: number; discountTotal: number; total: number; credit: number;
    applied: { couponId: string; code: string | null; cycle: number | null; amount: number }[];
  }[];
  rounding: RoundingMode;
}

/** A domain error of the preview's input: 400 naming the request's field. */
function badInput(err: DomainError): AppError {
  const field = err.field?.replace(/^invoice\./, '');
  return badRequest(`${field ?? 'body'}: ${err.message}`, field);
}

/**
 * POST /v1/previews/invoices: the next `cycles` invoices of a subscription on `planId` starting
 * at `startsAt` (periods from the plan's interval in the account's zone), discounted by the
 * invoice worker's own function (previewInvoices → computeInvoiceDiscounts) with the
 * subscription's redemptions as the worker loads them and the listed coupons as if redeemed at
 * `startsAt` (decided by the redemption rules at that instant, stacked in the order listed, on
 * the account's rounding mode now), each budget's spend so far and the previewed invoices' own.
 * Writes nothing. A listed coupon that would be refused is 422 with its refusal and
 * `error.field` `coupons[i]`; an unknown code counts toward the guessing defence.
 */
export async function previewInvoices(ctx: AppContext, account: AccountRow, apiKeyId: string | null, body: PreviewRequestInput): Promise<PreviewAnswer> {
  const accountId = account.id;
  await checkCustomerThrottle(ctx, accountId, body.customer.id);
  const em = ctx.orm.em.fork();
  const at = new Date(body.startsAt).toISOString();
  const linePlanIds = (body.lines ?? []).flatMap((l) => (l.planId ? [l.planId] : []));
  // the subscription's redemptions, plans and budgets exactly as the invoice worker reads them
  const pool: Pool = await em.getConnection().getNativeClient();
  const read = await pool.query(invoiceContextStatement(accountId, '', body.subscriptionId ?? '', [body.planId, ...linePlanIds]));
  const invoiceCtx = invoiceContextFromRow(read.rows[0]);
  const plans = Object.fromEntries(invoiceCtx.plans) as Record<string, Plan>;
  const plan = plans[body.planId];
  if (!plan) throw badRequest(`planId: no plan "${body.planId}" is registered`, 'planId');
  const unknownLine = (body.lines ?? []).findIndex((l) => l.planId !== undefined && !plans[l.planId]);
  if (unknownLine >= 0) throw badRequest(`lines[${unknownLine}].planId: no plan "${body.lines![unknownLine]!.planId}" is registered`, `lines[${unknownLine}].planId`);

  const states: RedemptionState[] = invoiceCtx.redemptions.map(({ codeId: _c, ...s }) => s);
  const budgets = new Map<string, { budget: Budget; zone: string }>(invoiceCtx.budgets);
  let rounding: RoundingMode | undefined;
  const listed = body.coupons ?? [];
  for (const [i, item] of listed.entries()) {
    const field = `coupons[${i}]`;
    const couponId = 'couponId' in item ? item.couponId : undefined;
    const code = 'code' in item ? item.code : undefined;
    const q = contextQuery(
      { code, couponId, customer: body.customer, planId: body.planId, subscriptionId: body.subscriptionId, currency: body.currency, action: undefined },
      at,
    );
    const c = await readDecisionContext(em, accountId, q);
    rounding = c.rounding;
    const { id, ...fields } = body.customer;
    const customer = decisionCustomer(mergeCustomer(c.storedCustomer, id, fields, { stickyPaid: true }).customer);
    // what the subscription already has, then the coupons listed before this one
    const subscriptionActive = [...(body.subscriptionId ? c.subscriptionActive : []), ...states.slice(invoiceCtx.redemptions.length).map((s) => ({ stackable: s.terms.stackable }))];
    const common = {
      customer, plan, fromPlan: null, action: undefined as Action | undefined, currency: body.currency, customerRedemptionCount: c.customerCount,
      customerHoldCount: c.customerHoldCount, subscriptionActive, budgetSpend: c.budgetSpend,
    };
    const decision = couponId !== undefined
      ? decideDirectRedemption({ ...common, coupon: c.loaded ? decisionCoupon(c.loaded.coupon) : null }, at)
      : c.loaded?.code
        ? decideRedemption({ ...common, coupon: decisionCoupon(c.loaded.coupon), code: decisionCode(c.loaded.code) }, at)
        : ({ ok: false, code: 'code_not_found', message: REFUSAL_MESSAGES.code_not_found } as const);
    if (!decision.ok) {
      if (decision.code === 'code_not_found') await countUnknownCode(ctx, accountId, id, apiKeyId);
      throw new AppError(decision.code, `${field}: ${decision.message}`, field);
    }
    const coupon = c.loaded!.coupon;
    states.push({
      id: `preview-${i + 1}`, couponId: coupon.id, code: c.loaded!.code?.code ?? null, planId: body.planId, terms: pinnedTerms(coupon, c.rounding),
      status: 'active', cyclesApplied: 0, anchor: null, lastCountedDiscounted: false,
    });
    if (coupon.budget) budgets.set(coupon.id, { budget: coupon.budget, zone: coupon.timeZone });
  }
  if (rounding === undefined) rounding = (await readDecisionContext(em, accountId, contextQuery({ code: '', customer: body.customer }, at))).rounding;

  let previewBudgets: Record<string, PreviewBudget> = {};
  try {
    if (budgets.size > 0) {
      const from = [...budgets.values()].map((b) => budgetPeriodAt(b.budget.period, b.zone, at).start).sort()[0]!;
      const spend = await budgetSpendSince(em, [...budgets.keys()], body.currency, from);
      previewBudgets = Object.fromEntries([...budgets].map(([id, b]) => [id, { ...b, spend: spend.get(id) ?? [] }]));
    }
    const rows = previewCycles({
      plan, plans, zone: account.timeZone, startsAt: body.startsAt, cycles: body.cycles, currency: body.currency,
      ...(body.lines ? { lines: body.lines as InvoiceLine[] } : {}), redemptions: states, budgets: previewBudgets,
    });
    return {
      data: rows.map((r) => ({ ...r, applied: r.applied.map((a) => ({ couponId: a.couponId, code: a.code, cycle: a.cycle, amount: a.amount })) })),
      rounding,
    };
  } catch (err) {
    if (err instanceof DomainError) throw badInput(err);
    throw err;
  }
}
