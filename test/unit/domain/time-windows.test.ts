import { DateTime } from 'luxon';
import { monthsWindowEnd, redemptionWindowPassed, untilBoundary, windowEnd } from '../../../src/domain';
import { redemption, terms } from './fixtures';

const iso = (dt: DateTime | null) => dt?.toISO() ?? null;

describe('monthsWindowEnd (calendar months in the coupon zone)', () => {
  it.each([
    // anchor, months, zone, end (local ISO)
    ['2025-01-31T00:00:00-05:00', 1, 'America/New_York', '2025-02-28T00:00:00.000-05:00'],
    ['2024-01-31T00:00:00-05:00', 1, 'America/New_York', '2024-02-29T00:00:00.000-05:00'],
    ['2025-01-31T00:00:00-05:00', 3, 'America/New_York', '2025-04-30T00:00:00.000-04:00'],
    ['2025-03-31T10:00:00Z', 1, 'UTC', '2025-04-30T10:00:00.000Z'],
    ['2025-08-31T00:00:00Z', 6, 'UTC', '2026-02-28T00:00:00.000Z'],
    // spring forward: wall clock kept, offset changes
    ['2025-02-10T00:00:00-05:00', 1, 'America/New_York', '2025-03-10T00:00:00.000-04:00'],
    // lands in the spring-forward gap (02:30 does not exist on 2025-03-09): moved forward an hour
    ['2025-02-09T02:30:00-05:00', 1, 'America/New_York', '2025-03-09T03:30:00.000-04:00'],
    // fall back: lands on the repeated hour, the first occurrence (EDT) is kept
    ['2025-10-02T01:30:00-04:00', 1, 'America/New_York', '2025-11-02T01:30:00.000-04:00'],
    ['2025-10-10T00:00:00-04:00', 1, 'America/New_York', '2025-11-10T00:00:00.000-05:00'],
    ['2025-02-28T09:00:00Z', 1, 'Europe/London', '2025-03-28T09:00:00.000+00:00'],
    ['2025-03-10T09:00:00Z', 1, 'Europe/London', '2025-04-10T09:00:00.000+01:00'],
    ['2025-09-26T01:30:00+01:00', 1, 'Europe/London', '2025-10-26T01:30:00.000+01:00'],
    ['2025-10-26T00:30:00Z', 1, 'Europe/London', '2025-11-26T01:30:00.000+00:00'],
    // half-hour offsets
    ['2025-01-31T00:00:00+05:30', 1, 'Asia/Kolkata', '2025-02-28T00:00:00.000+05:30'],
    ['2025-03-15T09:00:00+10:30', 1, 'Australia/Adelaide', '2025-04-15T09:00:00.000+09:30'],
    ['2025-09-30T00:00:00+09:30', 1, 'Australia/Adelaide', '2025-10-30T00:00:00.000+10:30'],
  ])('%s + %i months in %s = %s', (anchor, months, zone, want) => {
    expect(monthsWindowEnd(anchor, months, zone).toISO()).toBe(want);
  });

  it('the same instant gives different ends in different zones', () => {
    // 2025-01-31T03:00Z is Jan 30 22:00 in New York but Jan 31 in UTC
    expect(monthsWindowEnd('2025-01-31T03:00:00Z', 1, 'America/New_York').toUTC().toISO()).toBe('2025-03-01T03:00:00.000Z');
    expect(monthsWindowEnd('2025-01-31T03:00:00Z', 1, 'UTC').toISO()).toBe('2025-02-28T03:00:00.000Z');
  });

  it('accepts Date and DateTime anchors and refuses bad input', () => {
    expect(monthsWindowEnd(new Date('2025-01-15T00:00:00Z'), 1, 'UTC').toISO()).toBe('2025-02-15T00:00:00.000Z');
    expect(monthsWindowEnd(DateTime.fromISO('2025-01-15T00:00:00Z'), 2, 'UTC').toISO()).toBe('2025-03-15T00:00:00.000Z');
    expect(() => monthsWindowEnd('2025-01-15', 1, 'Mars/Olympus')).toThrow(expect.objectContaining({ code: 'invalid_time_zone' }));
    expect(() => monthsWindowEnd('2025-01-15T00:00:00Z', -1, 'UTC')).toThrow(expect.objectContaining({ code: 'invalid_duration' }));
    expect(() => monthsWindowEnd('2025-01-15T00:00:00Z', 1.5, 'UTC')).toThrow(expect.objectContaining({ code: 'invalid_duration' }));
    expect(() => monthsWindowEnd('not a date', 1, 'UTC')).toThrow(expect.objectContaining({ code: 'invalid_datetime', field: 'anchor' }));
    expect(() => monthsWindowEnd(new Date(Number.NaN), 1, 'UTC')).toThrow(expect.objectContaining({ code: 'invalid_datetime' }));
  });
});

describe('untilBoundary (00:01 on the day after, local)', () => {
  it.each([
    ['2019-09-30', 'America/New_York', '2019-10-01T00:01:00.000-04:00'],
    ['2026-09-30', 'America/Los_Angeles', '2026-10-01T00:01:00.000-07:00'],
    ['2026-09-30', 'Asia/Tokyo', '2026-10-01T00:01:00.000+09:00'],
    ['2025-12-31', 'UTC', '2026-01-01T00:01:00.000Z'],
    ['2024-02-28', 'UTC', '2024-02-29T00:01:00.000Z'],
    ['2025-03-08', 'America/New_York', '2025-03-09T00:01:00.000-05:00'], // before the 2am jump
    ['2025-11-01', 'America/New_York', '2025-11-02T00:01:00.000-04:00'],
    ['2025-03-29', 'Europe/London', '2025-03-30T00:01:00.000+00:00'],
    ['2025-10-25', 'Europe/London', '2025-10-26T00:01:00.000+01:00'],
    ['2025-06-30', 'Asia/Kolkata', '2025-07-01T00:01:00.000+05:30'],
    ['2025-10-04', 'Australia/Adelaide', '2025-10-05T00:01:00.000+09:30'],
    ['2025-04-05', 'Australia/Adelaide', '2025-04-06T00:01:00.000+10:30'],
    // Santiago skips midnight on 2025-09-07 (00:00 → 01:00): 00:01 moves forward to 01:01
    ['2025-09-06', 'America/Santiago', '2025-09-07T01:01:00.000-03:00'],
  ])('until %s in %s → %s', (date, zone, want) => {
    expect(untilBoundary(date, zone).toISO()).toBe(want);
  });

  it('refuses bad dates and zones', () => {
    expect(() => untilBoundary('2025-02-30', 'UTC')).toThrow(expect.objectContaining({ code: 'invalid_date', field: 'duration.date' }));
    expect(() => untilBoundary('30/09/2019', 'UTC')).toThrow(expect.objectContaining({ code: 'invalid_date' }));
    expect(() => untilBoundary('2025-02-01', 'Nowhere/Zone')).toThrow(expect.objectContaining({ code: 'invalid_time_zone' }));
  });
});

describe('windowEnd and redemptionWindowPassed (expiry job)', () => {
  const months = (anchor: string | null, status: 'active' | 'ended' = 'active') =>
    redemption({ status, anchor, terms: terms({ duration: { type: 'months', months: 2 }, timeZone: 'Asia/Kolkata' }) });
  const until = redemption({ terms: terms({ duration: { type: 'until', date: '2026-03-31' }, timeZone: 'Australia/Adelaide' }) });

  it('computes the window end per duration', () => {
    expect(iso(windowEnd({ type: 'once' }, null, 'UTC'))).toBeNull();
    expect(iso(windowEnd({ type: 'forever' }, '2026-01-01T00:00:00Z', 'UTC'))).toBeNull();
    expect(iso(windowEnd({ type: 'months', months: 1 }, null, 'UTC'))).toBeNull();
    expect(iso(windowEnd({ type: 'months', months: 1 }, '2026-01-01T00:00:00Z', 'UTC'))).toBe('2026-02-01T00:00:00.000Z');
    expect(iso(windowEnd({ type: 'until', date: '2026-03-31' }, null, 'UTC'))).toBe('2026-04-01T00:01:00.000Z');
  });

  it('months: passed from anchor + N months on, not before, not without an anchor', () => {
    const r = months('2025-12-31T18:30:00Z'); // Jan 1 00:00 in Kolkata → ends Mar 1 00:00 +05:30
    expect(redemptionWindowPassed(r, '2026-02-28T18:29:59Z')).toBe(false);
    expect(redemptionWindowPassed(r, '2026-02-28T18:30:00Z')).toBe(true);
    expect(redemptionWindowPassed(months(null), '2099-01-01T00:00:00Z')).toBe(false);
    expect(redemptionWindowPassed(months('2025-12-31T18:30:00Z', 'ended'), '2099-01-01T00:00:00Z')).toBe(false);
  });

  it('until: passed from 00:01 local on the next day (Adelaide, +10:30 in March)', () => {
    expect(redemptionWindowPassed(until, '2026-03-31T13:30:59Z')).toBe(false);
    expect(redemptionWindowPassed(until, '2026-03-31T13:31:00Z')).toBe(true);
    expect(redemptionWindowPassed(until, new Date('2026-04-02T00:00:00Z'))).toBe(true);
  });

  it('other durations never pass', () => {
    const r = redemption({ terms: terms({ duration: { type: 'repeating', cycles: 1 } }) });
    expect(redemptionWindowPassed(r, '2099-01-01T00:00:00Z')).toBe(false);
  });
});
