import { defineEntity, p } from '@mikro-orm/core';
import { Account } from './account';
import { Redemption } from './redemption';
import { INVOICE_TRIGGERS, LEDGER_TRIGGERS } from '../report-rollup-triggers';

/** An invoice the engine has discounted, with its stored result (idempotency on its id). */
export const Invoice = defineEntity({
  name: 'Invoice',
  tableName: 'invoices',
  triggers: INVOICE_TRIGGERS,
  indexes: [{ name: 'invoices_subscription_idx', properties: ['subscriptionId', 'accountId'] }],
  properties: {
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').primary().foreignKeyName('invoices_account_id_fkey').deleteRule('cascade'),
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
  triggers: LEDGER_TRIGGERS,
  // covering indexes for the reports: ledger rows that discounted something, in invoice order
  indexes: [
    {
      name: 'invoice_discounts_coupon_report_idx',
      properties: ['couponId', 'invoiceId'],
      include: ['redemptionId', 'currency', 'amount', 'invoiceTotal'],
      where: 'amount > 0',
    },
    {
      name: 'invoice_discounts_code_report_idx',
      properties: ['codeId', 'invoiceId'],
      include: ['redemptionId', 'currency', 'amount', 'invoiceTotal'],
      where: 'amount > 0',
    },
  ],
  uniques: [{ name: 'invoice_discounts_redemption_invoice_unique', properties: ['redemptionId', 'invoiceId'] }],
  properties: {
    id: p.bigint('number').primary().autoincrement().columnType('bigint').generated('by default as identity'),
    accountId: p.manyToOne(Account).mapToPk().fieldName('account_id').foreignKeyName('invoice_discounts_account_id_fkey').deleteRule('cascade'),
    invoiceId: p.text(),
    redemptionId: p.manyToOne(Redemption).mapToPk().fieldName('redemption_id').foreignKeyName('invoice_discounts_redemption_id_fkey'),
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
