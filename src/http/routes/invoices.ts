import { defineRoute } from '../route';
import type { z } from '../openapi';
import { JobRef } from '../../contracts/common';
import { InvoiceIdParams, InvoiceRequest, InvoiceResult } from '../../contracts/invoices';
import { enqueueAndReply } from '../job-reply';
import type { InvoiceInput } from '../../queues/payloads';
import { getInvoice, markPaid, storedInvoiceAnswer } from '../../services/invoice-service';

type InvoiceBody = z.infer<typeof InvoiceRequest>;

export const invoiceRoutes = [
  defineRoute<InvoiceBody>({
    method: 'post',
    path: '/v1/invoices',
    auth: 'account',
    scope: 'invoices:write',
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
      const stored = await storedInvoiceAnswer(ctx, account.id, inv);
      if (stored) return { status: 200, body: stored };
      return enqueueAndReply(ctx, req, { queue: 'invoices', name: 'invoice', data: { accountId: account.id, invoice: inv } }, 200);
    },
  }),
  defineRoute<undefined, undefined, z.infer<typeof InvoiceIdParams>>({
    method: 'get',
    path: '/v1/invoices/:invoiceId',
    auth: 'account',
    scope: 'invoices:write',
    summary: 'A discounted invoice, as POST /v1/invoices answered it',
    tags: ['invoices'],
    params: InvoiceIdParams,
    responses: { 200: { description: 'the invoice', schema: InvoiceResult } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await getInvoice(ctx, account.id, params.invoiceId) }),
  }),
  defineRoute<undefined, undefined, z.infer<typeof InvoiceIdParams>>({
    method: 'post',
    path: '/v1/invoices/:invoiceId/paid',
    auth: 'account',
    scope: 'invoices:write',
    summary: 'Mark an invoice paid; its customer now has a paid subscription (existing-customer eligibility) unless it is a trial invoice',
    tags: ['invoices'],
    params: InvoiceIdParams,
    responses: { 200: { description: 'the invoice', schema: InvoiceResult } },
    errors: [404],
    handler: async ({ ctx, account, params }) => ({ status: 200, body: await markPaid(ctx, account.id, params.invoiceId) }),
  }),
];
