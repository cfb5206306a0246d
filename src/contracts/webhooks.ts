import { z } from './zod';
import { Id, Instant, ListQuery, page } from './common';
import { EVENT_TYPES, ROTATION_DEFAULT_SECONDS, ROTATION_MAX_SECONDS } from '../domain';

/** Account events an endpoint may subscribe to (`webhook.test` is sent only on request). */
const SUBSCRIBABLE = EVENT_TYPES.filter((t) => t !== 'webhook.test');

const EventTypeName = z
  .string()
  .refine((t) => (SUBSCRIBABLE as readonly string[]).includes(t), { message: `must be one of ${SUBSCRIBABLE.join(', ')}` })
  .openapi({ example: 'redemption.created' });

const Url = z.string().min(1).max(2048).openapi({ example: 'https://billing.example.com/hooks/couponflow' });
const Description = z.string().max(1000);

export const WebhookEndpointCreate = z
  .object({
    url: Url,
    eventTypes: z.array(EventTypeName).max(100).optional().openapi({ description: 'empty or absent: every type' }),
    description: Description.nullish(),
  })
  .strict()
  .openapi('WebhookEndpointCreate');

export const WebhookEndpointPatch = z
  .object({
    url: Url.optional(),
    eventTypes: z.array(EventTypeName).max(100).optional(),
    description: Description.nullish(),
    status: z.enum(['enabled', 'disabled']).optional(),
  })
  .strict()
  .openapi('WebhookEndpointPatch');

export const WebhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(['enabled', 'disabled']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookEndpoint');

export const WebhookEndpointCreated = WebhookEndpoint.extend({
  secret: z.string().openapi({ description: '`whsec_` + base64 of 32 random bytes; shown only here and at rotation' }),
}).openapi('WebhookEndpointCreated');

export const WebhookEndpointPage = page(WebhookEndpoint).openapi('WebhookEndpointPage');

export const RotateSecret = z
  .object({
    expiresInSeconds: z.number().int().min(0).max(ROTATION_MAX_SECONDS).default(ROTATION_DEFAULT_SECONDS).openapi({
      description: 'how long the previous secret keeps signing (both signatures are sent meanwhile)',
    }),
  })
  .strict()
  .openapi('RotateSecret');

export const RotatedSecret = z.object({ secret: z.string() }).openapi('RotatedSecret');

export const DeliveryStatus = z.enum(['pending', 'succeeded', 'failed']);

export const WebhookDelivery = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    eventId: z.string().openapi({ description: 'the event id as GET /v1/events shows it; `evt_test_<uuid>` for a test' }),
    eventType: z.string(),
    webhookId: z.string().openapi({ description: 'the `webhook-id` header of every attempt' }),
    status: DeliveryStatus,
    attempts: z.number(),
    lastStatusCode: z.number().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .openapi('WebhookDelivery');

export const WebhookAttempt = z
  .object({
    at: z.string(),
    statusCode: z.number().nullable(),
    error: z.string().nullable(),
    durationMs: z.number(),
    responseBody: z.string().nullable().openapi({ description: 'the first 4 KB of the answer' }),
  })
  .openapi('WebhookAttempt');

export const WebhookDeliveryDetail = WebhookDelivery.extend({ attemptLog: z.array(WebhookAttempt) }).openapi('WebhookDeliveryDetail');
export const WebhookDeliveryPage = page(WebhookDelivery).openapi('WebhookDeliveryPage');

export const DeliveryListQuery = ListQuery.extend({ status: DeliveryStatus.optional() }).strict();

export const WebhookIdParams = z.object({ id: Id });

export const RecoverDeliveries = z
  .object({ since: Instant.openapi({ description: 'failed deliveries of events that occurred at or after this instant are sent again' }) })
  .strict()
  .openapi('RecoverDeliveries');

export const RecoveredDeliveries = z
  .object({ deliveries: z.number().int().min(0).openapi({ description: 'how many failed deliveries were queued again' }) })
  .openapi('RecoveredDeliveries');
