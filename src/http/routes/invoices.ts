import { defineRoute } from '../route';
import { conflict, notFound } from '../../errors';
import type { z } from '../openapi';
import { JobRef } from '../../contracts/common';
import { InvoiceIdParams, InvoiceRequest, InvoiceResult } from '../../contracts/invoices';
import { enqueueAndReply } from '../job-reply';
import { invoiceHash } from '../../hash';
import { invoiceJob } from '../../producer';
import type { InvoiceInput } from '../../queues/payloads';
import { markCustomerPaid } from '../../repositories/customers';
import { findInvoice, markInvoicePaid } from '../../repositories/invoices';

type InvoiceBody = z.infer<typeof InvoiceRequest>;

export const invoiceRoutes = [
  defineRoute<InvoiceBody>({
    method: 'post',
    path: '/v1/invoices',
    auth: 'account',
    summary: 'Discount an invoice (idempotent on invoiceId; waits for the worker; Prefer: respond-async answers 202)',
    tags: ['invoices'],
    body: InvoiceRequest,
    responses: {
      200: { description: 'the discounted invoice', schema: InvoiceResult },
      202: { description: 'accepted (Prefer: respond-async)', schema: JobRef },
    },
    errors: [409, 503],
    handler: async ({ ctx, req, account, body }) => {
      const inv = body as InvoiceInput;
      const stored = await findInvoice(ctx.orm.em.fork(), account.id, inv.invoiceId);
      if (stored) {
        if (stored.requestHash !== invoiceHash(inv)) throw conflict('invoiceId: this invoice was already recorded with different content', 'invoiceId');
        if (!(inv.paid && !stored.paid)) return { status: 200, body: { ...stored.result, paid: stored.paid } };
      }
      const job = invoiceJob(account.id, inv);
      return enqueueAndReply(ctx, req, 'invoices', job.name, job.data, { ...job.opts, jobId: job.opts.jobId! });
    },
  }),
  defineRoute<undefined, undefined, z.infer<typeof InvoiceIdParams>>({
    method: 'get',
    path: '/v1/invoices/:invoiceId',
    auth: 'account',
    summary: 'A discounted invoice, as POST /v1/invoices answered it',
    tags: ['invoices'],
    params: InvoiceIdParams,
    responses: { 200: { description: 'the invoice', schema: InvoiceResult } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      const stored = await findInvoice(ctx.orm.em.fork(), account.id, params.invoiceId);
      if (!stored) throw notFound('invoice');
      return { status: 200, body: { ...stored.result, paid: stored.paid } };
    },
  }),
  defineRoute<undefined, undefined, z.infer<typeof InvoiceIdParams>>({
    method: 'post',
    path: '/v1/invoices/:invoiceId/paid',
    auth: 'account',
    summary: 'Mark an invoice paid; its customer now has a paid subscription (existing-customer eligibility)',
    tags: ['invoices'],
    params: InvoiceIdParams,
    responses: { 200: { description: 'the invoice', schema: InvoiceResult } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      const marked = await ctx.orm.em.fork().transactional(async (em) => {
        const inv = await markInvoicePaid(em, account.id, params.invoiceId);
        if (inv?.customerId) await markCustomerPaid(em, account.id, inv.customerId);
        return inv;
      });
      if (!marked) throw notFound('invoice');
      return { status: 200, body: { ...marked.result, paid: true } };
    },
  }),
];
