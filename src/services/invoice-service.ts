import type { AppContext } from '../context';
import { withPipeline } from '../db/pipeline';
import { budgetAmountFor, budgetPeriodAt, computeInvoiceDiscounts, DomainError, paysCustomer, type Plan } from '../domain';
import { type AppError, badRequest, conflict, isUniqueViolation, notFound, unknownPlan } from '../errors';
import { invoiceHash } from '../hash';
import type { InvoiceInput } from '../queues/payloads';
import { refused, succeeded, type JobOutcome } from '../queues/outcomes';
import { markCustomerPaid, markCustomerPaidStatement } from '../repositories/customers';
import {
  findInvoice, invoiceContextFromRow, invoiceContextStatement, lockBudgetSpendStatements, lockedBudgetsFromRows, markInvoicePaid, markInvoicePaidStatement,
  recordBudgetSpendStatement, recordInvoiceStatement, type BudgetKey, type InvoiceContext, type LockedBudget,
} from '../repositories/invoices';
import { lockSubscriptionStatement } from '../repositories/redemption-statements';

/** 409: the invoice id was already recorded with other content (the HTTP route and the worker answer the same). */
export const invoiceConflict = (): AppError => conflict('invoiceId: this invoice was already recorded with different content', 'invoiceId');


/** The events an invoice writes: invoice.discounted when anything applied, redemption.ended per redemption it ended. */
function invoiceEvents(
  inv: InvoiceInput,
  plan: ReturnType<typeof computeInvoiceDiscounts>,
  redemptions: { id: string; couponId: string; code: string | null; status: string }[],
): { type: string; data: Record<string, unknown> }[] {
  const events: { type: string; data: Record<string, unknown> }[] = [];
  if (plan.applied.length) {
    events.push({ type: 'invoice.discounted', data: { invoiceId: inv.invoiceId, subscriptionId: inv.subscriptionId, redemptionIds: plan.applied.map((a) => a.redemptionId), discountTotal: plan.discountTotal } });
  }
  const byId = new Map(redemptions.map((s) => [s.id, s]));
  for (const u of plan.updates) {
    const s = byId.get(u.redemptionId)!;
    if (u.status === 'ended' && s.status !== 'ended') {
      events.push({ type: 'redemption.ended', data: { redemptionId: s.id, couponId: s.couponId, code: s.code, subscriptionId: inv.subscriptionId, invoiceId: inv.invoiceId, reason: u.endedReason } });
    }
  }
  return events;
}

/** The budget rows an invoice takes from: per budgeted coupon with an amount in its currency, the period of its periodStart. */
function budgetKeys(inv: InvoiceInput, budgets: InvoiceContext['budgets']): (BudgetKey & { amount: number })[] {
  const keys: (BudgetKey & { amount: number })[] = [];
  for (const [couponId, { budget, zone }] of budgets) {
    const amount = budgetAmountFor(budget, inv.currency);
    if (amount === null) continue;
    const p = budgetPeriodAt(budget.period, zone, inv.periodStart);
    keys.push({ couponId, currency: inv.currency, period: p.period, periodStart: p.start, amount });
  }
  return keys;
}

/**
 * One invoice (the `invoice-discounts` worker's use case): one transaction under the
 * subscription's row lock, sent in two pipelined flights of named statements (three when a
 * coupon involved has a budget):
 *
 * 1. BEGIN, the subscription's row lock (created if new), the context read (the invoice if
 *    already recorded, the redemptions that can discount it, the plans, their coupons' budgets)
 *    — sent at once.
 * 1b. With budgets in the invoice's currency: their rows for the period of its periodStart,
 *    created if missing and locked in key order; the rules engine then computes the discounts
 *    on what each budget has left, so concurrent invoices of a coupon take from its budget one
 *    after the other and never pass it.
 * 2. The one-statement write (invoice, ledger, redemption state, events), what it took from the
 *    budgets (the one that spends a budget marks it: one coupon.budget_exhausted per period and
 *    currency), the customer marked paid when the invoice pays (paysCustomer), COMMIT — sent at
 *    once.
 *
 * Lock order: subscription → budget rows → customer.
 *
 * Idempotent on invoiceId; a re-sent invoice now reported paid marks it paid. Refusals (an
 * unknown plan, a domain error, a conflict) are outcomes, not failures. Two sends of one invoice
 * id under different subscriptions lock different rows: the one that records second fails on the
 * invoices' primary key, rolls back, and is answered again from the invoice the first recorded.
 */
export async function discountInvoice(app: AppContext, accountId: string, inv: InvoiceInput): Promise<JobOutcome> {
  try {
    return await discountInvoiceOnce(app, accountId, inv);
  } catch (err) {
    if (!isUniqueViolation(err, 'invoices_pkey')) throw err;
    return discountInvoiceOnce(app, accountId, inv);
  }
}

async function discountInvoiceOnce(app: AppContext, accountId: string, inv: InvoiceInput): Promise<JobOutcome> {
  const hash = invoiceHash(inv);
  const paid = inv.paid ?? false;
  const trial = inv.trial ?? false;
  const payer = inv.customerId && paysCustomer({ paid, trial }) ? [markCustomerPaidStatement(accountId, inv.customerId)] : [];
  const linePlanIds = inv.lines.flatMap((l) => (l.planId ? [l.planId] : []));
  return withPipeline(app.orm, async (p) => {
    const [, , read] = await p.flight([
      'begin',
      lockSubscriptionStatement(accountId, inv.subscriptionId, inv.customerId ?? null),
      invoiceContextStatement(accountId, inv.invoiceId, inv.subscriptionId, linePlanIds),
    ]);
    const { existing, redemptions, plans, budgets } = invoiceContextFromRow(read.rows[0]);
    if (existing) {
      if (existing.requestHash !== hash) {
        await p.flight(['rollback']);
        return refused(invoiceConflict());
      }
      await p.flight([...(paid && !existing.paid ? [markInvoicePaidStatement(accountId, inv.invoiceId), ...payer] : []), 'commit']);
      return succeeded({ ...existing.result, paid: existing.paid || paid });
    }
    const unknown = inv.lines.findIndex((l) => l.planId !== undefined && !plans.has(l.planId));
    if (unknown >= 0) {
      await p.flight(['commit']);
      return refused(unknownPlan(`lines[${unknown}].planId`, inv.lines[unknown].planId!));
    }
    let keys: (BudgetKey & { amount: number })[];
    try {
      keys = trial ? [] : budgetKeys(inv, budgets);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      await p.flight(['rollback']);
      return refused(badRequest(err.message, err.field));
    }
    let locked = new Map<string, LockedBudget>();
    if (keys.length > 0) {
      const [, lockedRows] = await p.flight(lockBudgetSpendStatements(accountId, keys));
      locked = lockedBudgetsFromRows(lockedRows.rows);
    }
    const left = Object.fromEntries(keys.map((k) => [k.couponId, Math.max(0, k.amount - (locked.get(k.couponId)?.spent ?? 0))]));
    let plan: ReturnType<typeof computeInvoiceDiscounts>;
    try {
      plan = computeInvoiceDiscounts({
        invoice: { id: inv.invoiceId, currency: inv.currency, periodStart: inv.periodStart, trial, midPeriod: inv.midPeriod ?? false, lines: inv.lines },
        plans: Object.fromEntries(plans) as Record<string, Plan>,
        redemptions,
        budgets: left,
      });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      await p.flight(['rollback']);
      return refused(badRequest(err.message, err.field));
    }
    const spends = keys.map((k) => {
      const before = locked.get(k.couponId)?.spent ?? 0;
      const add = plan.budgetSpent[k.couponId] ?? 0;
      return { ...k, add, markExhausted: before + add >= k.amount && !(locked.get(k.couponId)?.exhausted ?? false) };
    });
    const budgetEvents = spends.filter((w) => w.markExhausted).map((w) => ({
      type: 'coupon.budget_exhausted',
      data: { couponId: w.couponId, currency: w.currency, period: w.period === 'life' ? null : w.period, periodStart: w.period === 'life' ? null : w.periodStart, amount: w.amount, invoiceId: inv.invoiceId },
    }));
    const spendWrites = spends.filter((w) => w.add > 0 || w.markExhausted);
    const result = {
      invoiceId: plan.invoiceId, currency: plan.currency, subtotal: plan.subtotal, discountTotal: plan.discountTotal,
      total: plan.total, credit: plan.credit, lines: plan.lines,
      applied: plan.applied.map((a) => ({ redemptionId: a.redemptionId, couponId: a.couponId, code: a.code, cycle: a.cycle, amount: a.amount })),
    };
    await p.flight([
      recordInvoiceStatement({
        accountId, id: inv.invoiceId, subscriptionId: inv.subscriptionId, customerId: inv.customerId ?? null, currency: inv.currency,
        periodStart: inv.periodStart, periodEnd: inv.periodEnd ?? null, trial, midPeriod: inv.midPeriod ?? false,
        paid, requestHash: hash,
      }, plan, result, new Map(redemptions.map((s) => [s.id, s.codeId])), [...invoiceEvents(inv, plan, redemptions), ...budgetEvents]),
      ...(spendWrites.length ? [recordBudgetSpendStatement(spendWrites)] : []),
      ...payer,
      'commit',
    ]);
    return succeeded({ ...result, paid });
  });
}

/**
 * The answer POST /v1/invoices gives from a stored invoice without the worker, or null when the
 * worker must run (a new invoice, or a stored one now reported paid). Throws 409 when the
 * invoice was recorded with other content.
 */
export async function storedInvoiceAnswer(app: AppContext, accountId: string, inv: InvoiceInput): Promise<Record<string, unknown> | null> {
  const stored = await findInvoice(app.orm.em.fork(), accountId, inv.invoiceId);
  if (!stored) return null;
  if (stored.requestHash !== invoiceHash(inv)) throw invoiceConflict();
  if (inv.paid && !stored.paid) return null;
  return { ...stored.result, paid: stored.paid };
}

/** A discounted invoice as POST /v1/invoices answered it; 404 when there is none. */
export async function getInvoice(app: AppContext, accountId: string, invoiceId: string): Promise<Record<string, unknown>> {
  const stored = await findInvoice(app.orm.em.fork(), accountId, invoiceId);
  if (!stored) throw notFound('invoice');
  return { ...stored.result, paid: stored.paid };
}

/**
 * Marks an invoice paid (POST /v1/invoices/{id}/paid); its customer then has a paid
 * subscription unless it is a trial invoice (paysCustomer, the worker's rule). 404 when there is
 * no such invoice.
 */
export async function markPaid(app: AppContext, accountId: string, invoiceId: string): Promise<Record<string, unknown>> {
  const marked = await app.orm.em.fork().transactional(async (em) => {
    const inv = await markInvoicePaid(em, accountId, invoiceId);
    if (inv?.customerId && paysCustomer({ paid: true, trial: inv.trial })) await markCustomerPaid(em, accountId, inv.customerId);
    return inv;
  });
  if (!marked) throw notFound('invoice');
  return { ...marked.result, paid: true };
}
