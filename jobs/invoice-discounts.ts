import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import type { Em } from '../src/db/orm';
import { computeInvoiceDiscounts, DomainError, type Plan } from '../src/domain';
import { invoiceHash } from '../src/hash';
import { InvoiceRequest } from '../src/contracts/invoices';
import { parseOrThrow } from '../src/contracts/validation';
import { AppError } from '../src/errors';
import type { HttpOutcome, InvoiceInput, InvoiceJobData } from '../src/queues/payloads';
import { markCustomerPaid } from '../src/repositories/customers';
import { loadInvoiceContext, markInvoicePaid, recordInvoice } from '../src/repositories/invoices';
import { lockSubscription } from '../src/repositories/redemptions';


function error(status: number, code: string, message: string, field?: string): HttpOutcome {
  return { status, body: { error: { code, message, ...(field ? { field } : {}) } } };
}

export function conflictOutcome(): HttpOutcome {
  return error(409, 'conflict', 'invoiceId: this invoice was already recorded with different content', 'invoiceId');
}

async function discount(em: Em, accountId: string, inv: InvoiceInput): Promise<HttpOutcome> {
  const hash = invoiceHash(inv);
  await lockSubscription(em, accountId, inv.subscriptionId, inv.customerId ?? null);
  const linePlanIds = inv.lines.flatMap((l) => (l.planId ? [l.planId] : []));
  const { existing, redemptions, plans } = await loadInvoiceContext(em, accountId, inv.invoiceId, inv.subscriptionId, linePlanIds);
  if (existing) {
    if (existing.requestHash !== hash) return conflictOutcome();
    if (inv.paid && !existing.paid) {
      await markInvoicePaid(em, accountId, inv.invoiceId);
      if (inv.customerId && !inv.trial) await markCustomerPaid(em, accountId, inv.customerId);
    }
    return { status: 200, body: { ...existing.result, paid: existing.paid || (inv.paid ?? false) } };
  }
  const unknown = inv.lines.findIndex((l) => l.planId !== undefined && !plans.has(l.planId));
  if (unknown >= 0) return error(400, 'validation_failed', `lines[${unknown}].planId: no plan "${inv.lines[unknown].planId}" is registered`, `lines[${unknown}].planId`);

  const plan = computeInvoiceDiscounts({
    invoice: { id: inv.invoiceId, currency: inv.currency, periodStart: inv.periodStart, trial: inv.trial ?? false, midPeriod: inv.midPeriod ?? false, lines: inv.lines },
    plans: Object.fromEntries(plans) as Record<string, Plan>,
    redemptions,
  });
  const result = {
    invoiceId: plan.invoiceId, currency: plan.currency, subtotal: plan.subtotal, discountTotal: plan.discountTotal,
    total: plan.total, credit: plan.credit, lines: plan.lines,
    applied: plan.applied.map((a) => ({ redemptionId: a.redemptionId, couponId: a.couponId, code: a.code, cycle: a.cycle, amount: a.amount })),
  };
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
  const paid = inv.paid ?? false;
  await recordInvoice(em, {
    accountId, id: inv.invoiceId, subscriptionId: inv.subscriptionId, customerId: inv.customerId ?? null, currency: inv.currency,
    periodStart: inv.periodStart, periodEnd: inv.periodEnd ?? null, trial: inv.trial ?? false, midPeriod: inv.midPeriod ?? false,
    paid, requestHash: hash,
  }, plan, result, new Map(redemptions.map((s) => [s.id, s.codeId])), events);
  if (paid && inv.customerId && !inv.trial) await markCustomerPaid(em, accountId, inv.customerId);
  return { status: 200, body: { ...result, paid } };
}

/** `invoice-discounts` queue: one invoice, one transaction, under the subscription's row lock. */
export function invoiceProcessor(ctx: AppContext) {
  return async (job: Job<InvoiceJobData>): Promise<HttpOutcome> => {
    let inv: InvoiceInput;
    try {
      inv = parseOrThrow(InvoiceRequest, job.data.invoice, 'body') as InvoiceInput;
    } catch (err) {
      if (err instanceof AppError) return { status: 400, body: err.toBody() };
      throw err;
    }
    try {
      return await ctx.orm.em.fork().transactional((em) => discount(em, job.data.accountId, inv));
    } catch (err) {
      if (err instanceof DomainError) return error(400, 'validation_failed', err.message, err.field);
      throw err;
    }
  };
}
