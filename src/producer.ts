/**
 * A typed producer for billing systems written in TypeScript: enqueue invoices straight onto
 * BullMQ, without the HTTP intake. The job's return value is a JobOutcome: `{ok: true, body}`
 * with the body `POST /v1/invoices` answers, or `{ok: false, error: {code, message, field?}}`
 * (409 `conflict`, 400 `validation_failed` over HTTP); the result is also stored
 * (`GET /v1/invoices/{id}`).
 *
 *   import { createInvoiceQueue, enqueueInvoice } from 'couponflow/dist/src/producer';
 *   const queue = createInvoiceQueue({ connection: new IORedis(url), prefix: 'couponflow' });
 *   // on a Redis Cluster: createInvoiceQueue({ connection: new Cluster(nodes), prefix: 'couponflow' })
 *   await enqueueInvoice(queue, accountId, invoice);
 */
import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { bulkJob, INVOICE_JOB_OPTIONS, invoiceJobId } from './queues/catalogue';
import { QUEUES } from './queues/names';
import { queuePrefix } from './queues/connection';
import type { InvoiceInput, InvoiceJobData } from './queues/payloads';

export type { InvoiceInput, InvoiceJobData, InvoiceLineInput } from './queues/payloads';
export type { JobOutcome, ErrorBody } from './queues/outcomes';
export { INVOICE_JOB_OPTIONS, invoiceJobId };

export const INVOICE_QUEUE = QUEUES.invoices;
export const INVOICE_JOB_NAME = 'invoice';

/**
 * The invoice queue under the service's `QUEUE_PREFIX`. On a Redis Cluster (an ioredis `Cluster`
 * connection, or `cluster: true`) the queue lives under the hash-tagged prefix the service uses
 * there, `{prefix:invoice-discounts}`.
 */
export function createInvoiceQueue(opts: { connection: ConnectionOptions; prefix?: string; cluster?: boolean }): Queue<InvoiceJobData> {
  const cluster = opts.cluster ?? (opts.connection as { isCluster?: boolean }).isCluster === true;
  return new Queue<InvoiceJobData>(INVOICE_QUEUE, { connection: opts.connection, prefix: queuePrefix(opts.prefix ?? 'couponflow', cluster, INVOICE_QUEUE) });
}

/** The invoice job of the job catalogue (src/queues/catalogue.ts): its name, payload, id and options. */
export function invoiceJob(accountId: string, invoice: InvoiceInput): { name: string; data: InvoiceJobData; opts: JobsOptions & { jobId: string } } {
  const j = bulkJob({ queue: 'invoices', name: INVOICE_JOB_NAME, data: { accountId, invoice } });
  return { name: j.name, data: j.data as InvoiceJobData, opts: j.opts };
}

export async function enqueueInvoice(queue: Queue<InvoiceJobData>, accountId: string, invoice: InvoiceInput): Promise<Job<InvoiceJobData>> {
  const j = invoiceJob(accountId, invoice);
  return queue.add(j.name as never, j.data as never, j.opts);
}

/** Many invoices in one round trip (BullMQ addBulk). */
export async function enqueueInvoices(queue: Queue<InvoiceJobData>, accountId: string, invoices: InvoiceInput[]): Promise<Job<InvoiceJobData>[]> {
  return queue.addBulk(invoices.map((inv) => invoiceJob(accountId, inv)) as never);
}
