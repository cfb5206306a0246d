import { IANAZone } from 'luxon';
import { z } from './zod';

export const TimeZone = z
  .string()
  .refine((s) => IANAZone.isValidZone(s), { message: 'must be an IANA time zone such as Europe/Paris' })
  .openapi({ example: 'America/New_York' });

export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case, such as USD')
  .openapi({ example: 'USD' });

export const Overflow = z.enum(['cap', 'minimum_charge', 'credit']);

/** An instant with an explicit offset (ISO 8601). */
export const Instant = z.iso.datetime({ offset: true }).openapi({ example: '2026-12-01T00:00:00-05:00' });
export const LocalDate = z.iso.date().openapi({ example: '2026-12-07' });

export const Id = z.string().min(1).max(255);
export const MinorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

export const JobRef = z.object({
  job: z.object({ id: z.string(), queue: z.string(), status: z.string() }),
});
