import { z } from './zod';

const AttributionValue = z.string().min(1).max(100);

/** Who brought the customer (API.md "Growth"); fields not set are omitted. */
export const Attribution = z
  .object({ channel: AttributionValue.optional(), partner: AttributionValue.optional(), referrerCustomerId: AttributionValue.optional() })
  .strict()
  .openapi('Attribution', { description: 'each field a string of 1–100 characters; fields not set are omitted' });

export const PlanAccess = z.enum(['open', 'invitation_only']).openapi({ description: '`invitation_only`: a new subscription needs a code whose coupon grants access' });
export const SwitchRule = z.enum(['any', 'same_interval_upgrade', 'to_longer_interval']);
