import type { AppContext } from '../context';
import { Coalescer } from '../coalescer';
import { withPipeline, type Statement } from '../db/pipeline';
import { budgetAmountFor, budgetPeriodAt, computeInvoiceDiscounts, DomainError, paysCustomer, type Plan } from '../domain';
import { type AppError, badRequest, conflict, isUniqueViolation, notFound, unknownPlan } from '../errors';
import { invoiceHash } from '../hash';
import type { InvoiceInput } from '../queues/payloads';
import { refused, succeeded, type JobOutcome } from '../queues/outcomes';
import { markCustomerPaid, markCustomerPaidStatement } from '../repositories/customers';
import {
  findInvoice, INVOICE_BEGIN, invoiceContextFromRow, invoiceContextStatement, lockBudgetSpendStatements, lockedBudgetFromRow, markInvoicePaid, markInvoicePaidStatement,
  recordBudgetSpendStatement, recordInvoiceStatements, type BudgetKey, type InvoiceContext, type LockedBudget,
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
  return withPipeline(app.orm, async (p) => {
    const flight = readFlight([{ accountId, inv }]);
    const read = (await p.flight(flight.statements))[flight.contextAt[0]!]!;
    const step = afterRead(accountId, inv, hash, read.rows[0]);
    if (step.kind === 'final') {
      await p.flight([...step.writes, step.undo ? 'rollback' : 'commit']);
      return step.outcome;
    }
    const locked = step.keys.length > 0 ? budgetsFromRows((await p.flight(lockBudgetSpendStatements(accountId, step.keys)))[1].rows) : new Map<string, LockedBudget>();
    const done = withDiscounts(accountId, inv, hash, step, locked);
    await p.flight([...done.writes, done.undo ? 'rollback' : 'commit']);
    return done.outcome;
  });
}

/**
 * The flight that opens an invoice transaction (INVOICE_BEGIN) and reads each invoice: its
 * subscription's row lock (created if new), then its context read; with where each invoice's
 * context read answers in the flight.
 */
function readFlight(reads: { accountId: string; inv: InvoiceInput }[]): { statements: (Statement | string)[]; contextAt: number[] } {
  const statements: (Statement | string)[] = [...INVOICE_BEGIN];
  const contextAt = reads.map(({ accountId, inv }) => {
    const linePlanIds = inv.lines.flatMap((l) => (l.planId ? [l.planId] : []));
    statements.push(
      lockSubscriptionStatement(accountId, inv.subscriptionId, inv.customerId ?? null),
      invoiceContextStatement(accountId, inv.invoiceId, inv.subscriptionId, linePlanIds),
    );
    return statements.length - 1;
  });
  return { statements, contextAt };
}

/**
 * Where an invoice stands once its context is read: answered already (`final`: its writes, and
 * whether its transaction must be undone rather than committed) or to be discounted on the
 * budgets of `keys`.
 */
type ReadStep =
  | { kind: 'final'; outcome: JobOutcome; writes: Statement[]; undo: boolean }
  | { kind: 'discount'; context: InvoiceContext; keys: (BudgetKey & { amount: number })[] };

/** The writes and answer of an invoice: `undo` when its transaction must roll back (a refusal). */
type Done = { outcome: JobOutcome; writes: Statement[]; undo: boolean; spends: (BudgetKey & { add: number; markExhausted: boolean })[] };

const budgetKeyOf = (k: BudgetKey): string => `${k.couponId}|${k.currency}|${k.period}|${new Date(k.periodStart).toISOString()}`;

/** The locked budget rows by their whole key (an invoice group may hold several periods of one coupon). */
function budgetsFromRows(rows: Record<string, unknown>[]): Map<string, LockedBudget> {
  return new Map(rows.map((r) => {
    const b = lockedBudgetFromRow(r);
    return [budgetKeyOf(b), b];
  }));
}

function payerStatements(accountId: string, inv: InvoiceInput): Statement[] {
  const paid = inv.paid ?? false;
  return inv.customerId && paysCustomer({ paid, trial: inv.trial ?? false }) ? [markCustomerPaidStatement(accountId, inv.customerId)] : [];
}

function afterRead(accountId: string, inv: InvoiceInput, hash: string, row: Parameters<typeof invoiceContextFromRow>[0]): ReadStep {
  const paid = inv.paid ?? false;
  const context = invoiceContextFromRow(row);
  const { existing, plans, budgets } = context;
  if (existing) {
    if (existing.requestHash !== hash) return { kind: 'final', outcome: refused(invoiceConflict()), writes: [], undo: true };
    const writes = paid && !existing.paid ? [markInvoicePaidStatement(accountId, inv.invoiceId), ...payerStatements(accountId, inv)] : [];
    return { kind: 'final', outcome: succeeded({ ...existing.result, paid: existing.paid || paid }), writes, undo: false };
  }
  const unknown = inv.lines.findIndex((l) => l.planId !== undefined && !plans.has(l.planId));
  if (unknown >= 0) return { kind: 'final', outcome: refused(unknownPlan(`lines[${unknown}].planId`, inv.lines[unknown].planId!)), writes: [], undo: false };
  try {
    return { kind: 'discount', context, keys: inv.trial ? [] : budgetKeys(inv, budgets) };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { kind: 'final', outcome: refused(badRequest(err.message, err.field)), writes: [], undo: true };
  }
}

/** The rules engine on the invoice's context and what its budgets (`locked`, by budgetKeyOf) have left; the one-statement write. */
function withDiscounts(
  accountId: string, inv: InvoiceInput, hash: string, step: Extract<ReadStep, { kind: 'discount' }>, locked: Map<string, LockedBudget>,
): Done {
  const paid = inv.paid ?? false;
  const trial = inv.trial ?? false;
  const { redemptions, plans } = step.context;
  const { keys } = step;
  const lockedOf = (k: BudgetKey) => locked.get(budgetKeyOf(k));
  const left = Object.fromEntries(keys.map((k) => [k.couponId, Math.max(0, k.amount - (lockedOf(k)?.spent ?? 0))]));
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
    return { outcome: refused(badRequest(err.message, err.field)), writes: [], undo: true, spends: [] };
  }
  const spends = keys.map((k) => {
    const before = lockedOf(k)?.spent ?? 0;
    const add = plan.budgetSpent[k.couponId] ?? 0;
    return { ...k, add, markExhausted: before + add >= k.amount && !(lockedOf(k)?.exhausted ?? false) };
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
  const writes = [
    ...recordInvoiceStatements({
      accountId, id: inv.invoiceId, subscriptionId: inv.subscriptionId, customerId: inv.customerId ?? null, currency: inv.currency,
      periodStart: inv.periodStart, periodEnd: inv.periodEnd ?? null, trial, midPeriod: inv.midPeriod ?? false,
      paid, requestHash: hash,
    }, plan, result, new Map(redemptions.map((s) => [s.id, s.codeId])), [...invoiceEvents(inv, plan, redemptions), ...budgetEvents]),
    ...(spendWrites.length ? [recordBudgetSpendStatement(spendWrites)] : []),
    ...payerStatements(accountId, inv),
  ];
  return { outcome: succeeded({ ...result, paid }), writes, undo: false, spends: spendWrites };
}

/** Thrown inside a group's transaction when one of its invoices cannot share it: the group rolls back and each invoice runs alone. */
class RunAlone extends Error {}

export interface InvoiceJob {
  accountId: string;
  invoice: InvoiceInput;
}

/**
 * Several invoices in one transaction (group commit): the invoices a worker process has in
 * flight at once share its flights — BEGIN, every subscription's lock and context read; the
 * budget rows of all of them; every invoice's one-statement write and one COMMIT — so a group of
 * n costs two (or three) round trips and one WAL flush instead of 2n and n.
 *
 * Exactly what each invoice alone would do, in the group's order:
 * - subscriptions are locked in (account, subscription) order, so two groups never wait on each
 *   other in a cycle; an invoice's context is read under its own subscription's lock;
 * - budget rows are locked once, in key order, and each invoice is discounted on what the ones
 *   before it in the group left (their spends are added to the rows in that order);
 * - a group whose invoices share a subscription or an invoice id, or one whose invoice is refused
 *   in a way that undoes its transaction (a conflict, a domain error), rolls back before writing
 *   anything and each of its invoices runs alone (`RunAlone`), as does a group whose transaction
 *   fails (the Coalescer tries a failed batch again item by item).
 */
export async function discountInvoiceGroup(app: AppContext, jobs: InvoiceJob[]): Promise<JobOutcome[]> {
  if (jobs.length === 1) return [await discountInvoice(app, jobs[0].accountId, jobs[0].invoice)];
  const subs = new Set(jobs.map((j) => `${j.accountId}|${j.invoice.subscriptionId}`));
  const ids = new Set(jobs.map((j) => `${j.accountId}|${j.invoice.invoiceId}`));
  if (subs.size < jobs.length || ids.size < jobs.length) throw new RunAlone('invoices of one subscription or id');
  const order = jobs.map((j, i) => ({ ...j, i, hash: invoiceHash(j.invoice) }))
    .sort((a, b) => (a.accountId === b.accountId ? (a.invoice.subscriptionId < b.invoice.subscriptionId ? -1 : 1) : a.accountId < b.accountId ? -1 : 1));
  return withPipeline(app.orm, async (p) => {
    const flight = readFlight(order.map((j) => ({ accountId: j.accountId, inv: j.invoice })));
    const read = await p.flight(flight.statements);
    const steps = order.map((j, n) => afterRead(j.accountId, j.invoice, j.hash, read[flight.contextAt[n]!]!.rows[0]));
    const alone = async (why: string): Promise<never> => {
      await p.flight(['rollback']);
      throw new RunAlone(why);
    };
    if (steps.some((s) => s.kind === 'final' && s.undo)) return alone('a refusal undoes its transaction');
    const keys = new Map<string, BudgetKey & { accountId: string }>();
    order.forEach((j, n) => {
      const s = steps[n];
      if (s.kind === 'discount') for (const k of s.keys) keys.set(budgetKeyOf(k), { ...k, accountId: j.accountId });
    });
    const locked = new Map<string, LockedBudget>();
    for (const accountId of new Set([...keys.values()].map((k) => k.accountId))) {
      const mine = [...keys.values()].filter((k) => k.accountId === accountId);
      for (const [key, b] of budgetsFromRows((await p.flight(lockBudgetSpendStatements(accountId, mine)))[1].rows)) locked.set(key, b);
    }
    const outcomes: JobOutcome[] = new Array(jobs.length);
    const writes: Statement[] = [];
    for (const [n, j] of order.entries()) {
      const s = steps[n];
      const done: Done = s.kind === 'final' ? { ...s, spends: [] } : withDiscounts(j.accountId, j.invoice, j.hash, s, locked);
      if (done.undo) return alone('a refusal undoes its transaction');
      // what this invoice took is what the next one of the group finds spent
      for (const w of done.spends) {
        const b = locked.get(budgetKeyOf(w))!;
        locked.set(budgetKeyOf(w), { ...b, spent: b.spent + w.add, exhausted: b.exhausted || w.markExhausted });
      }
      writes.push(...done.writes);
      outcomes[j.i] = done.outcome;
    }
    await p.flight([...writes, 'commit']);
    return outcomes;
  });
}

/** Invoice groups one worker process has in flight at once: the next group gathers while one is answered. */
const GROUPS_IN_FLIGHT = 2;
const groups = new WeakMap<AppContext, Coalescer<InvoiceJob, JobOutcome>>();

/**
 * One invoice job (the `invoice-discounts` worker's use case): discounted in a group with the
 * other invoices this process has in flight (discountInvoiceGroup), alone when it has none or
 * when grouping is off (`INVOICE_GROUP_MAX=1`).
 */
export function discountInvoiceJob(app: AppContext, accountId: string, invoice: InvoiceInput): Promise<JobOutcome> {
  const max = app.config.invoiceGroupMax;
  if (max <= 1) return discountInvoice(app, accountId, invoice);
  let c = groups.get(app);
  if (!c) {
    c = new Coalescer((jobs) => discountInvoiceGroup(app, jobs), { maxInFlight: GROUPS_IN_FLIGHT, maxBatch: max });
    groups.set(app, c);
  }
  return c.call({ accountId, invoice });
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
