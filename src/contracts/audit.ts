import { z } from './zod';
import { Instant, ListQuery, page } from './common';
import { AUDIT_ACTOR_TYPES, AUDIT_TARGET_TYPES } from '../domain';

export const AuditLogQuery = ListQuery.extend({
  targetType: z.enum(AUDIT_TARGET_TYPES).optional(),
  targetId: z.string().min(1).max(255).optional(),
  actorId: z.string().min(1).max(255).optional(),
  action: z.string().min(1).max(100).optional().openapi({ example: 'coupon.updated' }),
  from: Instant.optional().openapi({ description: 'records at or after this instant' }),
  to: Instant.optional().openapi({ description: 'records at or before this instant' }),
})
  .strict()
  .openapi('AuditLogQuery');

const FieldChange = z.object({ from: z.unknown(), to: z.unknown() });

export const AuditRecord = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.object({ type: z.enum(AUDIT_ACTOR_TYPES), id: z.string(), name: z.string() }),
    action: z.string().openapi({ example: 'coupon.updated' }),
    target: z.object({ type: z.enum(AUDIT_TARGET_TYPES), id: z.string() }),
    changes: z.record(z.string(), FieldChange).openapi({ description: '{"<field path>": {from, to}}; {} for a state action; every set field from null for a creation' }),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
  })
  .openapi('AuditRecord');

export const AuditRecordPage = page(AuditRecord).openapi('AuditRecordPage');
