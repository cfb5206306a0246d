import { z } from './zod';
import { Id, Instant, ListQuery, page } from './common';
import { Attribution } from './attribution';

const MAX_COUNT = 1_000_000;

export const BatchCreate = z
  .object({
    count: z.number().int().min(1, 'must be at least 1').max(MAX_COUNT, 'must be at most 1,000,000'),
    length: z.number().int().nullish().openapi({ description: 'random characters, prefix and suffix not counted; default 12' }),
    pattern: z.string().max(64).nullish().openapi({ description: '`#` is one random character, anything else literal', example: 'SUMMER-####-####' }),
    prefix: z.string().max(64).nullish(),
    suffix: z.string().max(64).nullish(),
    charset: z.string().max(64).nullish().openapi({ description: 'default: A-Z and 2-9 without look-alikes (no 0/O, 1/I/L)' }),
    maxRedemptionsPerCode: z.number().int().min(1).max(2_147_483_647).optional().openapi({ description: 'default 1' }),
    expiresAt: Instant.nullish(),
    attribution: Attribution.nullish().openapi({ description: 'applied to every code of the batch' }),
  })
  .strict()
  .openapi('BatchCreate');

export const BatchStatus = z.enum(['queued', 'running', 'completed', 'failed']);

export const Batch = z
  .object({
    id: z.string(),
    couponId: z.string(),
    status: BatchStatus,
    count: z.number(),
    generated: z.number(),
    maxRedemptionsPerCode: z.number().nullable(),
    expiresAt: z.string().nullable(),
    error: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('Batch');

export const BatchCreated = z.object({ batch: Batch }).openapi('BatchCreated');
export const BatchPage = page(Batch).openapi('BatchPage');

export const BatchListQuery = ListQuery.extend({ couponId: Id.optional() }).strict();

export const IdParams = z.object({ id: Id });

export const CodesCsv = z.string().openapi({ example: 'code,max_redemptions,expires_at,status\nK7QX2M9PRT4B,1,,active\n' });
export const RedemptionsCsv = z.string().openapi({
  example: 'customer_id,email,code,redeemed_at,status,invoices,discount,revenue,currency\ncus_1,a@example.com,EARLYBIRD,2026-12-01T09:30:00.000-05:00,active,2,1200,2800,USD\n',
});
