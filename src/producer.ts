/**
 * A typed producer for billing systems written in TypeScript: enqueue invoices straight onto
 * BullMQ, without the HTTP intake. The job's return value is `{status, body}` — the same status
 * and body `POST /v1/invoices` answers — and the result is also stored (`GET /v1/invoices/{id}`).
 *
 *   import { createInvoiceQueue, enqueueInvoice } from 'couponflow/dist/src/producer';
 *   const queue = createInvoiceQueue({ connection: new IORedis(url), prefix: 'couponflow' });
 *   // on a Redis Cluster: createInvoiceQueue({ connection: new Cluster(nodes), prefix: 'couponflow' })
 *   await enqueueInvoice(queue, accountId, invoice);
 */
import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { invoiceHash, sha256 } from './hash';
import { JOB_NAMES, QUEUES } from './queues/names';
import { queuePrefix } from './queues/connection';
import type { InvoiceInput, InvoiceJobData } from './queues/payloads';

export type { InvoiceInput, InvoiceJobData, InvoiceLineInput, HttpOutcome } from './queues/payloads';

export const INVOICE_QUEUE = QUEUES.invoices;
export const INVOICE_JOB_NAME = JOB_NAMES.invoice;

/** Options every invoice job gets: retries with exponential backoff for infrastructure errors. */
export const INVOICE_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: { age: 3600, count: 50_000 },
  removeOnFail: { age: 86_400 },
};

/**
 * Job id of an invoice: one job per (account, invoice id, content, paid flag). The same invoice
 * enqueued again is a no-op; the same invoice now reported paid, or other content under the same
 * invoice id, is another job, which the worker answers from the stored invoice (marking it paid,
 * or 409), so a completed job's old answer never stands for a send that differs from it.
 */
export function invoiceJobId(accountId: string, invoice: InvoiceInput): string {
  const variant = `${invoice.invoiceId}\n${invoiceHash(invoice)}\n${invoice.paid === true ? 'paid' : 'open'}`;
  return `inv-${accountId}-${sha256(variant).slice(0, 40)}`;
}

/**
 * The invoice queue under the service's `QUEUE_PREFIX`. On a Redis Cluster (an ioredis `Cluster`
 * connection, or `cluster: true`) the queue lives under the hash-tagged prefix the service uses
 * there, `{prefix:invoice-discounts}`.
 */
export function createInvoiceQueue(opts: { connection: ConnectionOptions; prefix?: string; cluster?: boolean }): Queue<InvoiceJobData> {
  const cluster = opts.cluster ?? (opts.connection as { isCluster?: boolean }).isCluster === true;
  return new Queue<InvoiceJobData>(INVOICE_QUEUE, { connection: opts.connection, prefix: queuePrefix(opts.prefix ?? 'couponflow', cluster, INVOICE_QUEUE) });
}

export function invoiceJob(accountId: string, invoice: InvoiceInput): { name: string; data: InvoiceJobData; opts: JobsOptions } {
  return { name: INVOICE_JOB_NAME, data: { accountId, invoice }, opts: { ...INVOICE_JOB_OPTIONS, jobId: invoiceJobId(accountId, invoice) } };
}

export async function enqueueInvoice(queue: Queue<InvoiceJobData>, accountId: string, invoice: InvoiceInput): Promise<Job<InvoiceJobData>> {
  const j = invoiceJob(accountId, invoice);
  return queue.add(j.name as never, j.data as never, j.opts);
}

/** Many invoices in one round trip (BullMQ addBulk). */
export async function enqueueInvoices(queue: Queue<InvoiceJobData>, accountId: string, invoices: InvoiceInput[]): Promise<Job<InvoiceJobData>[]> {
  return queue.addBulk(invoices.map((inv) => invoiceJob(accountId, inv)) as never);
}
