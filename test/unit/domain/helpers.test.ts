import { DateTime } from 'luxon';
import {
  assertZone, discountLines, DomainError, fixedAmountFor, generateCodes, parseLocalDate, planBatch, regionRuleMatches,
  toDateTime, toOptionalDateTime, toUtcIso,
} from '../../../src/domain';

describe('discount helpers', () => {
  it('fixedAmountFor only answers for fixed amounts', () => {
    expect(fixedAmountFor({ type: 'percentage', basisPoints: 100 }, 'USD')).toBeNull();
    expect(fixedAmountFor({ type: 'fixed_amount', amounts: { JPY: 500 } }, 'jpy')).toBe(500);
    expect(fixedAmountFor({ type: 'fixed_amount', amounts: { JPY: 500 } }, 'USD')).toBeNull();
  });

  it('free_trial and none discount no line', () => {
    for (const d of [{ type: 'free_trial', days: 7 }, { type: 'none' }] as const) {
      expect(discountLines(d, 'USD', [100, 200], [true, true])).toEqual({ shares: [0, 0], amount: 0, excess: 0 });
    }
  });
});

describe('time helpers', () => {
  it('parses instants from strings, Dates and DateTimes', () => {
    expect(toUtcIso(toDateTime('2026-03-01T10:00:00+05:30'))).toBe('2026-03-01T04:30:00.000Z');
    expect(toUtcIso(toDateTime(new Date('2026-03-01T10:00:00Z')))).toBe('2026-03-01T10:00:00.000Z');
    expect(toUtcIso(toDateTime(DateTime.fromISO('2026-03-01T10:00:00Z')))).toBe('2026-03-01T10:00:00.000Z');
    expect(toOptionalDateTime(null, 'x')).toBeNull();
    expect(toOptionalDateTime(undefined, 'x')).toBeNull();
    expect(() => toDateTime('nope')).toThrow(expect.objectContaining({ code: 'invalid_datetime', field: 'instant' }));
    expect(() => toDateTime(DateTime.invalid('bad'), 'now')).toThrow(expect.objectContaining({ field: 'now' }));
  });

  it('parses local dates and checks zones', () => {
    expect(parseLocalDate('2026-03-01', 'Asia/Kolkata').toISO()).toBe('2026-03-01T00:00:00.000+05:30');
    expect(() => parseLocalDate('2026-3-1', 'UTC')).toThrow(expect.objectContaining({ code: 'invalid_date', field: 'date' }));
    expect(() => assertZone('Bad/Zone')).toThrow(DomainError);
    expect(() => assertZone('Europe/London')).not.toThrow();
  });
});

describe('misc', () => {
  it('regionRuleMatches checks one rule', () => {
    expect(regionRuleMatches({ country: 'AU', regions: ['AU-SA'] }, { country: 'au', region: 'au-sa' })).toBe(true);
    expect(regionRuleMatches({ country: 'AU', regions: ['AU-SA'] }, { country: 'AU', region: null })).toBe(false);
  });

  it('uses only the bytes asked for when a source returns more', () => {
    const r = planBatch({ count: 2, pattern: 'AB#', charset: 'XY' });
    if (!r.ok) throw r.error;
    let calls = 0;
    const codes = generateCodes(r.value, 2, (n) => {
      calls += 1;
      return Uint8Array.from({ length: n + 10 }, (_, i) => (calls === 1 ? i % 2 : 1));
    });
    expect(codes).toEqual(['ABX', 'ABY']);
  });
});
