import { defineEntity, p } from '@mikro-orm/core';

/** An invoice the engine has discounted, with its stored result (idempotency on its id). */
export const Invoice = defineEntity({
  name: 'Invoice',
  tableName: 'invoices',
  properties: {
    accountId: p.uuid().primary(),
    id: p.text().primary(),
    subscriptionId: p.text(),
    customerId: p.text().nullable(),
    currency: p.text(),
    periodStart: p.datetime(),
    periodEnd: p.datetime().nullable(),
    trial: p.boolean().default(false),
    midPeriod: p.boolean().default(false),
    paid: p.boolean().default(false),
    requestHash: p.text(),
    subtotal: p.bigint('number'),
    discountTotal: p.bigint('number'),
    total: p.bigint('number'),
    credit: p.bigint('number'),
    result: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    paidAt: p.datetime().nullable(),
  },
});

/** The ledger: one row per (redemption, invoice). */
export const InvoiceDiscount = defineEntity({
  name: 'InvoiceDiscount',
  tableName: 'invoice_discounts',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    accountId: p.uuid(),
    invoiceId: p.text(),
    redemptionId: p.uuid(),
    couponId: p.uuid(),
    codeId: p.bigint('number').nullable(),
    cycle: p.integer().nullable(),
    currency: p.text(),
    amount: p.bigint('number'),
    invoiceTotal: p.bigint('number'),
    lines: p.json<unknown[]>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
  },
});
