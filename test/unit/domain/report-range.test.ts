import { domainError } from './fixtures';
import { resolveReportRange } from '../../../src/domain';

const error = domainError;

describe('resolveReportRange', () => {
  it('is open on both sides without dates', () => {
    expect(resolveReportRange({}, 'UTC')).toEqual({ from: null, until: null });
    expect(resolveReportRange({ from: null, to: null }, 'Europe/Paris')).toEqual({ from: null, until: null });
  });

  it('turns local days into a half-open UTC range in the zone', () => {
    expect(resolveReportRange({ from: '2026-01-10', to: '2026-01-11' }, 'America/New_York')).toEqual({
      from: '2026-01-10T05:00:00.000Z',
      until: '2026-01-12T05:00:00.000Z',
    });
    expect(resolveReportRange({ from: '2026-03-01', to: '2026-03-01' }, 'UTC')).toEqual({
      from: '2026-03-01T00:00:00.000Z',
      until: '2026-03-02T00:00:00.000Z',
    });
    expect(resolveReportRange({ from: '2026-07-01', to: '2026-07-31' }, 'Asia/Tokyo')).toEqual({
      from: '2026-06-30T15:00:00.000Z',
      until: '2026-07-31T15:00:00.000Z',
    });
  });

  it('takes one bound alone', () => {
    expect(resolveReportRange({ from: '2026-06-15' }, 'Europe/Paris')).toEqual({ from: '2026-06-14T22:00:00.000Z', until: null });
    expect(resolveReportRange({ to: '2026-12-15' }, 'Europe/Paris')).toEqual({ from: null, until: '2026-12-15T23:00:00.000Z' });
  });

  it('keeps calendar days across DST changes (23 and 25 hour days)', () => {
    const spring = resolveReportRange({ from: '2026-03-08', to: '2026-03-08' }, 'America/New_York');
    expect(spring).toEqual({ from: '2026-03-08T05:00:00.000Z', until: '2026-03-09T04:00:00.000Z' });
    const fall = resolveReportRange({ from: '2026-11-01', to: '2026-11-01' }, 'America/New_York');
    expect(fall).toEqual({ from: '2026-11-01T04:00:00.000Z', until: '2026-11-02T05:00:00.000Z' });
  });

  it('starts a day whose midnight does not exist at its first valid instant', () => {
    // São Paulo skipped 2018-11-04 00:00 → 01:00 (-02:00).
    expect(resolveReportRange({ from: '2018-11-04', to: '2018-11-04' }, 'America/Sao_Paulo')).toEqual({
      from: '2018-11-04T03:00:00.000Z',
      until: '2018-11-05T02:00:00.000Z',
    });
    expect(resolveReportRange({ to: '2018-11-03' }, 'America/Sao_Paulo')).toEqual({ from: null, until: '2018-11-04T03:00:00.000Z' });
  });

  it('refuses bad dates naming the field', () => {
    expect(error(() => resolveReportRange({ from: '2026-02-30' }, 'UTC'))).toMatchObject({ code: 'invalid_date', field: 'from' });
    expect(error(() => resolveReportRange({ to: '2026-1-5' }, 'UTC'))).toMatchObject({ code: 'invalid_date', field: 'to' });
    expect(error(() => resolveReportRange({ from: '2026-01-05T00:00:00Z' }, 'UTC'))).toMatchObject({ code: 'invalid_date', field: 'from' });
  });

  it('refuses a range that ends before it starts, naming to', () => {
    expect(error(() => resolveReportRange({ from: '2026-01-11', to: '2026-01-10' }, 'UTC'))).toMatchObject({ code: 'invalid_range', field: 'to' });
  });

  it('refuses an unknown zone', () => {
    expect(error(() => resolveReportRange({ from: '2026-01-11' }, 'Mars/Olympus'))).toMatchObject({ code: 'invalid_time_zone' });
  });
});
