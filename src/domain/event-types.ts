/**
 * Every event type the service writes (SPEC §2 "Event", §3.12). A webhook endpoint's
 * `eventTypes` may name only these; `webhook.test` is sent only by the test action and is never
 * an account event.
 */
export const EVENT_TYPES = [
  'coupon.created', 'coupon.updated', 'coupon.activated', 'coupon.disabled', 'coupon.enabled', 'coupon.archived',
  'coupon.deleted', 'coupon.expired', 'coupon.exhausted', 'coupon.nearly_exhausted', 'coupon.budget_exhausted',
  'code.created', 'code.updated', 'code.disabled', 'code.enabled', 'code.deleted', 'code.expired', 'code.exhausted',
  'batch.completed', 'batch.failed',
  'redemption.created', 'redemption.ended', 'redemption.voided',
  'invoice.discounted',
  'hold.created', 'hold.released', 'hold.expired',
  'subscription.cancelled',
  'webhook_endpoint.disabled',
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}
