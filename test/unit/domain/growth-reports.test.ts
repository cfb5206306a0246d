import { domainError } from './fixtures';
import {
  averageLifetimeValue, bucketOfDate, conversionRate, fillBuckets, groupFigures, isMoneySort, MAX_BUCKETS, moneyMap, planBuckets, sortGroups,
  REPORT_SORTS,
} from '../../../src/domain';

const error = domainError;

describe('group figures', () => {
  test('every figure from the raw counts, worked by hand', () => {
    expect(groupFigures({ redemptions: 4, customers: 3, converted: 3, churned: 1, discount: { USD: '600', EUR: 0 }, revenue: { USD: '5000', EUR: '1001' } })).toEqual({
      redemptions: 4,
      customers: 3,
      converted: 3,
      conversionRate: 0.75,
      active: 3,
      churned: 1,
      discount: { USD: 600 },
      revenue: { EUR: 1001, USD: 5000 },
      averageLifetimeValue: { EUR: 334, USD: 1667 }, // 1001/3 = 333.67 → 334; 5000/3 = 1666.67 → 1667
    });
  });

  test('nothing: conversionRate null, empty maps', () => {
    expect(groupFigures({ redemptions: 0, customers: 0, converted: 0, churned: 0, discount: null, revenue: null })).toEqual({
      redemptions: 0, customers: 0, converted: 0, conversionRate: null, active: 0, churned: 0, discount: {}, revenue: {}, averageLifetimeValue: {},
    });
  });

  test.each<[Record<string, number>, number, Record<string, number>]>([
    [{ USD: 1000 }, 4, { USD: 250 }],
    [{ USD: 5 }, 2, { USD: 3 }], // 2.5 rounds half up
    [{ USD: 7 }, 2, { USD: 4 }], // 3.5 → 4
    [{ USD: 1 }, 3, {}], // 0.33 → 0, a zero currency is omitted
    [{ USD: 2 }, 3, { USD: 1 }], // 0.67 → 1
    [{ JPY: 100 }, 0, {}],
    [{}, 5, {}],
  ])('averageLifetimeValue(%o, %d) = %o', (rev, customers, want) => {
    expect(averageLifetimeValue(rev, customers)).toEqual(want);
  });

  test('conversion rate and money maps', () => {
    expect(conversionRate(0, 0)).toBeNull();
    expect(conversionRate(1, 3)).toBe(1 / 3);
    expect(conversionRate(0, 2)).toBe(0);
    expect(moneyMap({ USD: '0', EUR: '12', AUD: 3 })).toEqual({ AUD: 3, EUR: 12 });
    expect(Object.keys(moneyMap({ USD: 1, EUR: 2 }))).toEqual(['EUR', 'USD']);
    expect(moneyMap(undefined)).toEqual({});
  });

  test('sorts', () => {
    expect(REPORT_SORTS).toEqual(['-redemptions', '-converted', '-conversionRate', '-revenue', '-discount']);
    expect(REPORT_SORTS.filter(isMoneySort)).toEqual(['-revenue', '-discount']);
  });
});

describe('timeseries buckets', () => {
  test('days start at from; covered instants in the zone', () => {
    expect(planBuckets('2026-03-07', '2026-03-09', 'day', 'America/New_York')).toEqual({
      starts: ['2026-03-07', '2026-03-08', '2026-03-09'],
      rangeStart: '2026-03-07T05:00:00.000Z',
      rangeEnd: '2026-03-10T04:00:00.000Z', // DST began on Mar 8: the 3 days hold 71 hours
      endDay: '2026-03-10',
    });
  });

  test('weeks start on the Monday on or before from and cover their whole week', () => {
    // 2026-06-03 is a Wednesday; 2026-06-15 a Monday
    expect(planBuckets('2026-06-03', '2026-06-15', 'week', 'UTC')).toEqual({
      starts: ['2026-06-01', '2026-06-08', '2026-06-15'],
      rangeStart: '2026-06-01T00:00:00.000Z',
      rangeEnd: '2026-06-22T00:00:00.000Z',
      endDay: '2026-06-22',
    });
    expect(planBuckets('2026-06-01', '2026-06-01', 'week', 'UTC').starts).toEqual(['2026-06-01']);
    expect(planBuckets('2026-06-07', '2026-06-08', 'week', 'UTC').starts).toEqual(['2026-06-01', '2026-06-08']); // Sunday, Monday
  });

  test('months start on the 1st on or before from', () => {
    expect(planBuckets('2026-01-31', '2026-03-01', 'month', 'Europe/Paris')).toEqual({
      starts: ['2026-01-01', '2026-02-01', '2026-03-01'],
      rangeStart: '2025-12-31T23:00:00.000Z',
      rangeEnd: '2026-03-31T22:00:00.000Z', // April 1st in Paris, summer time
      endDay: '2026-04-01',
    });
  });

  test('a year by day is 365 buckets; 400 is the most', () => {
    expect(planBuckets('2026-01-01', '2026-12-31', 'day', 'UTC').starts).toHaveLength(365);
    expect(planBuckets('2026-01-01', '2027-02-04', 'day', 'UTC').starts).toHaveLength(MAX_BUCKETS);
    expect(error(() => planBuckets('2026-01-01', '2027-02-05', 'day', 'UTC'))).toMatchObject({ code: 'too_many_buckets', field: 'to' });
    expect(planBuckets('2000-01-01', '2033-04-30', 'month', 'UTC').starts).toHaveLength(400);
    expect(error(() => planBuckets('2000-01-01', '2033-05-01', 'month', 'UTC'))).toMatchObject({ code: 'too_many_buckets' });
  });

  test('bad dates and reversed ranges', () => {
    expect(error(() => planBuckets('2026-02-30', '2026-03-01', 'day', 'UTC'))).toMatchObject({ code: 'invalid_date', field: 'from' });
    expect(error(() => planBuckets('2026-03-01', 'tomorrow', 'day', 'UTC'))).toMatchObject({ code: 'invalid_date', field: 'to' });
    expect(error(() => planBuckets('2026-03-02', '2026-03-01', 'day', 'UTC'))).toMatchObject({ code: 'invalid_range', field: 'to' });
  });

  test.each([
    ['2026-06-03', 'day', '2026-06-03'],
    ['2026-06-03', 'week', '2026-06-01'],
    ['2026-06-07', 'week', '2026-06-01'],
    ['2026-06-08', 'week', '2026-06-08'],
    ['2026-01-01', 'week', '2025-12-29'],
    ['2026-06-30', 'month', '2026-06-01'],
  ] as const)('bucketOfDate(%s, %s) = %s', (day, interval, want) => {
    expect(bucketOfDate(day, interval)).toBe(want);
  });

  test('fillBuckets sums days into buckets, keeps empty buckets, drops days outside', () => {
    const plan = planBuckets('2026-06-03', '2026-06-15', 'week', 'UTC');
    expect(fillBuckets(plan, 'week', [
      { day: '2026-06-01', redemptions: 2, discount: { USD: '100' }, revenue: null },
      { day: '2026-06-07', redemptions: 1, discount: { USD: 50, EUR: 10 }, revenue: { USD: '900' } },
      { day: '2026-06-21', redemptions: 4, discount: null, revenue: { USD: 0 } },
      { day: '2026-06-22', redemptions: 9, discount: { USD: 1 }, revenue: null },
    ])).toEqual([
      { start: '2026-06-01', redemptions: 3, discount: { EUR: 10, USD: 150 }, revenue: { USD: 900 } },
      { start: '2026-06-08', redemptions: 0, discount: {}, revenue: {} },
      { start: '2026-06-15', redemptions: 4, discount: {}, revenue: {} },
    ]);
  });
});

describe('sortGroups', () => {
  const g = (key: string | null, redemptions: number, converted: number, revenue: Record<string, number> = {}, discount: Record<string, number> = {}) =>
    ({ key, ...groupFigures({ redemptions, customers: redemptions, converted, churned: 0, discount, revenue }) });
  const rows = [g('b', 2, 1, { USD: 10 }), g(null, 2, 2, { EUR: 50 }), g('a', 2, 0, { USD: 10 }, { USD: 3 }), g('c', 3, 0), g('d', 0, 0)];
  test.each([
    ['-redemptions', ['c', 'a', 'b', null, 'd']],
    ['-converted', [null, 'b', 'a', 'c', 'd']],
    ['-conversionRate', [null, 'b', 'a', 'c', 'd']], // d has no redemptions: null rate, last
    ['-revenue', ['a', 'b', 'c', 'd', null]], // in USD: null's EUR revenue counts 0
    ['-discount', ['a', 'b', 'c', 'd', null]],
  ] as const)('%s', (sort, want) => {
    expect(sortGroups(rows, sort, 'USD').map((r) => r.key)).toEqual(want);
  });
  test('money sorts read the given currency', () => {
    expect(sortGroups(rows, '-revenue', 'EUR').map((r) => r.key)).toEqual([null, 'a', 'b', 'c', 'd']);
  });
});
