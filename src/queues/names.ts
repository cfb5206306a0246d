/** The queues. Job ids never contain ':' (BullMQ reserves it). */
export const QUEUES = {
  redemptions: 'redemptions',
  invoices: 'invoice-discounts',
  batches: 'code-batches',
  expiry: 'expiry',
  webhooks: 'webhooks',
} as const;

export type QueueKey = keyof typeof QUEUES;
export type QueueName = (typeof QUEUES)[QueueKey];
export const QUEUE_NAMES: QueueName[] = Object.values(QUEUES);

export function isQueueName(s: string): s is QueueName {
  return (QUEUE_NAMES as string[]).includes(s);
}

/** Makes a string safe as (part of) a BullMQ job id. */
export function jobIdPart(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, (c) => '~' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}
