import { DateTime } from 'luxon';
import {
  DomainError, epochMillis, expiryDelayMs, expiryStillScheduled, isNearlyExhausted, NEARLY_EXHAUSTED_PERCENT,
} from '../../../src/domain';

describe('isNearlyExhausted', () => {
  it('uses 90 %', () => expect(NEARLY_EXHAUSTED_PERCENT).toBe(90));
  it.each<[number | null | undefined, number, boolean]>([
    [null, 1_000_000, false],
    [undefined, 5, false],
    [10, 8, false],
    [10, 9, true],
    [10, 10, true],
    [1, 0, false],
    [1, 1, true],
    [3, 2, false],
    [3, 3, true],
    [100, 89, false],
    [100, 90, true],
    [7, 6, false],
    [7, 7, true],
    [1000, 900, true],
    [1000, 899, false],
  ])('max %p, used %p → %p', (max, used, want) => {
    expect(isNearlyExhausted(max, used)).toBe(want);
  });
});

describe('expiryDelayMs', () => {
  it('is the time until the instant', () => {
    expect(expiryDelayMs('2026-01-01T00:00:02Z', '2026-01-01T00:00:00Z')).toBe(2000);
  });
  it('compares instants across offsets', () => {
    expect(expiryDelayMs('2026-01-01T01:00:00+01:00', '2025-12-31T23:59:59.500Z')).toBe(500);
  });
  it('is 0 for an instant already past or exactly now', () => {
    expect(expiryDelayMs('2026-01-01T00:00:00Z', '2026-01-01T00:00:05Z')).toBe(0);
    expect(expiryDelayMs('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')).toBe(0);
  });
  it('accepts Date and DateTime', () => {
    expect(expiryDelayMs(new Date('2026-01-01T00:01:00Z'), DateTime.fromISO('2026-01-01T00:00:00Z'))).toBe(60_000);
  });
  it('throws invalid_datetime naming the field', () => {
    expect(() => expiryDelayMs('soon', '2026-01-01T00:00:00Z')).toThrow(DomainError);
    expect(() => expiryDelayMs('soon', '2026-01-01T00:00:00Z')).toThrow(expect.objectContaining({ code: 'invalid_datetime', field: 'expiresAt' }));
    expect(() => expiryDelayMs('2026-01-01T00:00:00Z', 'nope')).toThrow(expect.objectContaining({ code: 'invalid_datetime', field: 'now' }));
  });
});

describe('epochMillis', () => {
  it('is the same for one instant in any offset', () => {
    expect(epochMillis('2026-03-01T12:00:00.123Z')).toBe(Date.UTC(2026, 2, 1, 12, 0, 0, 123));
    expect(epochMillis('2026-03-01T07:00:00.123-05:00')).toBe(Date.UTC(2026, 2, 1, 12, 0, 0, 123));
  });
  it('names the field it was given', () => {
    expect(() => epochMillis('x', 'when')).toThrow(expect.objectContaining({ code: 'invalid_datetime', field: 'when' }));
  });
});

describe('expiryStillScheduled', () => {
  const at = '2026-05-01T10:00:00.000Z';
  it('is true when the row still expires at the scheduled instant', () => {
    expect(expiryStillScheduled(at, at)).toBe(true);
    expect(expiryStillScheduled('2026-05-01T12:00:00+02:00', at)).toBe(true);
    expect(expiryStillScheduled(new Date(at), at)).toBe(true);
  });
  it('is false when the expiry moved, even by a millisecond', () => {
    expect(expiryStillScheduled('2026-05-01T10:00:00.001Z', at)).toBe(false);
    expect(expiryStillScheduled('2026-06-01T10:00:00.000Z', at)).toBe(false);
  });
  it('is false when the expiry was removed', () => {
    expect(expiryStillScheduled(null, at)).toBe(false);
    expect(expiryStillScheduled(undefined, at)).toBe(false);
  });
});
