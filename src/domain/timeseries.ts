import { DateTime } from 'luxon';
import { DomainError } from './errors';
import { moneyMap } from './report-figures';
import { parseLocalDate, toUtcIso } from './time';

export type BucketInterval = 'day' | 'week' | 'month';
export const BUCKET_INTERVALS: readonly BucketInterval[] = ['day', 'week', 'month'];

/** More buckets than this is a 400. */
export const MAX_BUCKETS = 400;

export interface BucketPlan {
  /** Bucket start dates YYYY-MM-DD in the zone, in order. */
  starts: string[];
  /** The instants the buckets cover: [first bucket's start, last bucket's end), UTC ISO. */
  rangeStart: string;
  rangeEnd: string;
  /** The local date after the last bucket (the date of rangeEnd in the zone), YYYY-MM-DD. */
  endDay: string;
}

/** The start of the bucket holding local day `day`: the day itself, its week's Monday, or its month's 1st. */
export function bucketStart(day: DateTime, interval: BucketInterval): DateTime {
  if (interval === 'day') return day.startOf('day');
  if (interval === 'week') return day.startOf('day').minus({ days: day.weekday - 1 });
  return day.startOf('month');
}

/** The bucket start (YYYY-MM-DD) of a local date YYYY-MM-DD; calendar arithmetic only. */
export function bucketOfDate(date: string, interval: BucketInterval): string {
  return bucketStart(DateTime.fromISO(date, { zone: 'UTC' }), interval).toISODate() as string;
}

/**
 * The buckets of GET /v1/reports/timeseries, in the account's zone with Luxon: one per
 * interval from `from` to `to` inclusive; day buckets start at `from`, week buckets on the
 * Monday on or before `from`, month buckets on the 1st on or before `from`. Every bucket covers
 * its whole interval, so the covered instants run from the first bucket's local midnight to the
 * local midnight after the last bucket (days of 23 or 25 hours across DST included). Throws
 * `invalid_date` (from/to), `invalid_range` (to before from) and `too_many_buckets` (more than
 * MAX_BUCKETS), each naming its field.
 */
export function planBuckets(from: string, to: string, interval: BucketInterval, zone: string): BucketPlan {
  const first = parseLocalDate(from, zone, 'from');
  const last = parseLocalDate(to, zone, 'to');
  if (last.toMillis() < first.toMillis()) throw new DomainError('invalid_range', 'to must be the same day as from or later', 'to');
  const step = { [interval === 'day' ? 'days' : interval === 'week' ? 'weeks' : 'months']: 1 };
  const starts: string[] = [];
  let cursor = bucketStart(first, interval);
  const lastStart = bucketStart(last, interval);
  while (cursor.toMillis() <= lastStart.toMillis()) {
    if (starts.length === MAX_BUCKETS) {
      throw new DomainError('too_many_buckets', `the range holds more than ${MAX_BUCKETS} ${interval} buckets`, 'to');
    }
    starts.push(cursor.toISODate() as string);
    cursor = cursor.plus(step).startOf('day');
  }
  return { starts, rangeStart: toUtcIso(bucketStart(first, interval)), rangeEnd: toUtcIso(cursor), endDay: cursor.toISODate() as string };
}

export interface DayFigures {
  /** local date YYYY-MM-DD */
  day: string;
  redemptions: number;
  discount: Record<string, number | string> | null;
  revenue: Record<string, number | string> | null;
}

export interface TimeBucket {
  start: string;
  redemptions: number;
  discount: Record<string, number>;
  revenue: Record<string, number>;
}

/** Sums per-day figures into the planned buckets; empty buckets are kept, days outside are dropped. */
export function fillBuckets(plan: Pick<BucketPlan, 'starts'>, interval: BucketInterval, days: readonly DayFigures[]): TimeBucket[] {
  const acc = new Map(plan.starts.map((s) => [s, { redemptions: 0, discount: new Map<string, bigint>(), revenue: new Map<string, bigint>() }]));
  const add = (m: Map<string, bigint>, src: Record<string, number | string> | null) => {
    for (const [cur, v] of Object.entries(src ?? {})) m.set(cur, (m.get(cur) ?? 0n) + BigInt(v));
  };
  for (const d of days) {
    const b = acc.get(bucketOfDate(d.day, interval));
    if (!b) continue;
    b.redemptions += d.redemptions;
    add(b.discount, d.discount);
    add(b.revenue, d.revenue);
  }
  const money = (m: Map<string, bigint>) => moneyMap(Object.fromEntries([...m].map(([k, v]) => [k, v.toString()])));
  return plan.starts.map((start) => {
    const b = acc.get(start)!;
    return { start, redemptions: b.redemptions, discount: money(b.discount), revenue: money(b.revenue) };
  });
}
