import {
  checkLimitNotBelowUsage, checkValidFromBeforeExpiry, CODE_STATUS_CHECKS, COUPON_STATUS_CHECKS, LIVE_STATE, resolveCouponWindow,
  type CouponWindow,
} from '../../../src/domain';

describe('checkLimitNotBelowUsage', () => {
  it.each<[string, number | null | undefined, number, string | null]>([
    ['no limit', null, 50, null],
    ['undefined limit', undefined, 50, null],
    ['limit above usage', 10, 3, null],
    ['limit equal to usage', 3, 3, null],
    ['limit zero, nothing used', 0, 0, null],
    ['limit one below usage', 2, 3, '2 is below the 3 redemptions already made'],
    ['limit zero with usage', 0, 1, '0 is below the 1 redemptions already made'],
  ])('%s', (_name, limit, used, message) => {
    const err = checkLimitNotBelowUsage(limit, used, 'limits.maxRedemptions');
    expect(err?.message ?? null).toBe(message);
    if (err) {
      expect(err.code).toBe('limit_below_usage');
      expect(err.field).toBe('limits.maxRedemptions');
    }
  });

  it('describes the usage it was given', () => {
    expect(checkLimitNotBelowUsage(1, 2, 'limits.perCustomer', 'redemptions one customer already has')?.message).toBe(
      '1 is below the 2 redemptions one customer already has',
    );
  });
});

describe('checkValidFromBeforeExpiry', () => {
  it.each<[string, string | null, string | null, string | undefined, string | null]>([
    ['neither', null, null, undefined, null],
    ['only validFrom', '2026-01-01T00:00:00Z', null, undefined, null],
    ['only expiry', null, '2026-01-01T00:00:00Z', undefined, null],
    ['one millisecond before', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.001Z', undefined, null],
    ['equal instants, other offsets', '2026-01-01T05:00:00+05:00', '2026-01-01T00:00:00Z', undefined, 'validFrom'],
    ['after, blamed on the expiry given', '2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z', 'expiresOn', 'expiresOn'],
  ])('%s', (_name, from, until, given, field) => {
    const err = checkValidFromBeforeExpiry(from, until, given);
    expect(err?.field ?? null).toBe(field);
    if (err) expect(err.code).toBe('window_inverted');
  });

  it('names both instants in UTC', () => {
    expect(checkValidFromBeforeExpiry('2026-01-01T05:00:00+05:00', '2026-01-01T00:00:00Z')?.message).toBe(
      'the coupon would expire before it becomes valid (validFrom 2026-01-01T00:00:00.000Z, expiry 2026-01-01T00:00:00.000Z)',
    );
  });
});

describe('resolveCouponWindow', () => {
  const none: CouponWindow = { validFrom: null, expiresAt: null, expiresOn: null, expiresAfterDays: null };
  const created = '2026-03-01T10:00:00Z';

  it.each<[string, CouponWindow, Partial<CouponWindow>, string, CouponWindow]>([
    ['nothing', none, {}, 'UTC', none],
    ['validFrom normalised to UTC', { ...none, validFrom: '2026-03-02T01:00:00+01:00' }, {}, 'UTC', { ...none, validFrom: '2026-03-02T00:00:00.000Z' }],
    ['explicit expiry', { ...none, expiresAt: '2026-04-01T00:00:00-04:00' }, {}, 'UTC', { ...none, expiresAt: '2026-04-01T04:00:00.000Z' }],
    ['expiresOn in the zone', { ...none, expiresOn: '2026-04-01' }, {}, 'Asia/Tokyo', { ...none, expiresAt: '2026-04-01T15:00:00.000Z', expiresOn: '2026-04-01' }],
    ['expiresOn wins over a stale resolved instant', { ...none, expiresAt: '2030-01-01T00:00:00.000Z', expiresOn: '2026-04-01' }, {}, 'UTC', { ...none, expiresAt: '2026-04-02T00:00:00.000Z', expiresOn: '2026-04-01' }],
    ['expiresAfterDays from creation', { ...none, expiresAfterDays: 10 }, {}, 'UTC', { ...none, expiresAt: '2026-03-11T10:00:00.000Z', expiresAfterDays: 10 }],
  ])('%s', (_name, w, given, zone, want) => {
    expect(resolveCouponWindow(w, given, zone, created)).toEqual({ ok: true, value: want });
  });

  it.each<[string, CouponWindow, Partial<CouponWindow>, string, string]>([
    ['validFrom at the expiry, expiry given', { ...none, validFrom: '2026-04-01T00:00:00Z', expiresAt: '2026-04-01T00:00:00Z' }, { expiresAt: '2026-04-01T00:00:00Z' }, 'window_inverted', 'expiresAt'],
    ['validFrom after the expiry, only validFrom given', { ...none, validFrom: '2026-05-01T00:00:00Z', expiresOn: '2026-04-01' }, { validFrom: '2026-05-01T00:00:00Z' }, 'window_inverted', 'validFrom'],
    ['expiresAfterDays not positive', { ...none, expiresAfterDays: 0 }, { expiresAfterDays: 0 }, 'invalid_expiry', 'expiresAfterDays'],
    ['an unknown zone', { ...none, expiresOn: '2026-04-01' }, {}, 'invalid_time_zone', 'timeZone'],
  ])('%s', (_name, w, given, code, field) => {
    const r = resolveCouponWindow(w, given, w.expiresOn && code === 'invalid_time_zone' ? 'Mars/Olympus' : 'UTC', created);
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.code, r.error.field]).toEqual([code, field]);
  });
});

describe('status checks', () => {
  it('derive in SPEC §3.6 order from the live state', () => {
    expect(LIVE_STATE).toBe('active');
    expect(COUPON_STATUS_CHECKS).toEqual(['expired', 'exhausted', 'scheduled']);
    expect(CODE_STATUS_CHECKS).toEqual(['expired', 'exhausted']);
  });
});
