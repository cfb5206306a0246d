import type { Job } from 'bullmq';
import type { AppContext } from '../src/context';
import { InvoiceRequest } from '../src/contracts/invoices';
import { parseOrThrow } from '../src/contracts/validation';
import { AppError } from '../src/errors';
import type { InvoiceInput, InvoiceJobData } from '../src/queues/payloads';
import { refused, type JobOutcome } from '../src/queues/outcomes';
import { discountInvoiceJob } from '../src/services/invoice-service';

/** `invoice-discounts` queue: parses the invoice and discounts it in a group with the process's other invoices (see services/invoice-service). */
export function invoiceProcessor(ctx: AppContext) {
  return async (job: Job<InvoiceJobData>): Promise<JobOutcome> => {
    let inv: InvoiceInput;
    try {
      inv = parseOrThrow(InvoiceRequest, job.data.invoice, 'body') as InvoiceInput;
    } catch (err) {
      if (err instanceof AppError) return refused(err);
      throw err;
    }
    return discountInvoiceJob(ctx, job.data.accountId, inv);
  };
}
