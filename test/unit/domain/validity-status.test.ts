import {
  checkCodeNotLooser, codeStatus, type CodeStatusInput, couponStatus, type CouponStatusInput, type CouponStoredStatus,
  type LifecycleAction, moreRestrictive, resolveExpiry, STATUS_PRECEDENCE, transition,
} from '../../../src/domain';

describe('resolveExpiry', () => {
  const created = '2026-01-10T09:15:00-05:00';
  it.each<[string, Parameters<typeof resolveExpiry>[0], string | null]>([
    ['nothing → never', { createdAt: created, timeZone: 'UTC' }, null],
    ['explicit instant, normalised to UTC', { expiresAt: '2026-12-07T23:59:59-05:00', createdAt: created, timeZone: 'UTC' }, '2026-12-08T04:59:59.000Z'],
    ['explicit Date', { expiresAt: new Date('2026-12-07T10:00:00Z'), createdAt: created, timeZone: 'UTC' }, '2026-12-07T10:00:00.000Z'],
    ['expiresOn: end of that day in New York', { expiresOn: '2026-12-07', createdAt: created, timeZone: 'America/New_York' }, '2026-12-08T05:00:00.000Z'],
    ['expiresOn in Los Angeles', { expiresOn: '2026-12-07', createdAt: created, timeZone: 'America/Los_Angeles' }, '2026-12-08T08:00:00.000Z'],
    ['expiresOn in Tokyo', { expiresOn: '2026-12-07', createdAt: created, timeZone: 'Asia/Tokyo' }, '2026-12-07T15:00:00.000Z'],
    ['expiresOn in Kolkata (+05:30)', { expiresOn: '2026-12-31', createdAt: created, timeZone: 'Asia/Kolkata' }, '2026-12-31T18:30:00.000Z'],
    ['expiresOn in Adelaide before DST starts', { expiresOn: '2025-10-04', createdAt: created, timeZone: 'Australia/Adelaide' }, '2025-10-04T14:30:00.000Z'],
    ['expiresOn in Adelaide after DST starts', { expiresOn: '2025-10-05', createdAt: created, timeZone: 'Australia/Adelaide' }, '2025-10-05T13:30:00.000Z'],
    ['expiresOn the day before spring forward (NY)', { expiresOn: '2025-03-08', createdAt: created, timeZone: 'America/New_York' }, '2025-03-09T05:00:00.000Z'],
    ['expiresOn the spring-forward day (NY)', { expiresOn: '2025-03-09', createdAt: created, timeZone: 'America/New_York' }, '2025-03-10T04:00:00.000Z'],
    ['expiresOn the fall-back day (London)', { expiresOn: '2025-10-26', createdAt: created, timeZone: 'Europe/London' }, '2025-10-27T00:00:00.000Z'],
    ['expiresOn when next midnight does not exist (Santiago)', { expiresOn: '2025-09-06', createdAt: created, timeZone: 'America/Santiago' }, '2025-09-07T04:00:00.000Z'],
    ['expiresAfterDays 60 across spring forward, same wall time', { expiresAfterDays: 60, createdAt: created, timeZone: 'America/New_York' }, '2026-03-11T13:15:00.000Z'],
    ['expiresAfterDays 1 over spring forward is 23 h', { expiresAfterDays: 1, createdAt: '2025-03-08T12:00:00-05:00', timeZone: 'America/New_York' }, '2025-03-09T16:00:00.000Z'],
    ['expiresAfterDays 1 over fall back is 25 h', { expiresAfterDays: 1, createdAt: '2025-11-01T12:00:00-04:00', timeZone: 'America/New_York' }, '2025-11-02T17:00:00.000Z'],
    ['expiresAfterDays 7 over the London change', { expiresAfterDays: 7, createdAt: '2025-03-25T10:00:00Z', timeZone: 'Europe/London' }, '2025-04-01T09:00:00.000Z'],
    ['expiresAfterDays in UTC is plain days', { expiresAfterDays: 7, createdAt: '2025-03-25T10:00:00Z', timeZone: 'UTC' }, '2025-04-01T10:00:00.000Z'],
    ['null fields count as absent', { expiresAt: null, expiresOn: null, expiresAfterDays: 3, createdAt: '2025-01-01T00:00:00Z', timeZone: 'UTC' }, '2025-01-04T00:00:00.000Z'],
  ])('%s', (_name, input, want) => {
    expect(resolveExpiry(input)).toBe(want);
  });

  it.each<[string, Parameters<typeof resolveExpiry>[0], string, string]>([
    ['two ways at once', { expiresAt: '2026-01-01T00:00:00Z', expiresOn: '2026-01-01', createdAt: created, timeZone: 'UTC' }, 'expiry_conflict', 'expiresOn'],
    ['zero days', { expiresAfterDays: 0, createdAt: created, timeZone: 'UTC' }, 'invalid_expiry', 'expiresAfterDays'],
    ['fractional days', { expiresAfterDays: 1.5, createdAt: created, timeZone: 'UTC' }, 'invalid_expiry', 'expiresAfterDays'],
    ['bad date', { expiresOn: '2026-13-01', createdAt: created, timeZone: 'UTC' }, 'invalid_date', 'expiresOn'],
    ['bad zone', { createdAt: created, timeZone: 'Not/AZone' }, 'invalid_time_zone', 'timeZone'],
    ['bad instant', { expiresAt: '2026-02-30T00:00:00Z', createdAt: created, timeZone: 'UTC' }, 'invalid_datetime', 'expiresAt'],
  ])('refuses %s', (_name, input, code, field) => {
    expect(() => resolveExpiry(input)).toThrow(expect.objectContaining({ code, field }));
  });
});

const NOW = '2026-06-01T12:00:00Z';
const coupon = (over: Partial<CouponStatusInput> = {}): CouponStatusInput => ({
  storedStatus: 'active', validFrom: null, expiresAt: null, maxRedemptions: null, timesRedeemed: 0, ...over,
});
const EXPIRED = { expiresAt: '2026-06-01T12:00:00Z' }; // expires exactly now
const EXHAUSTED = { maxRedemptions: 100, timesRedeemed: 100 };
const SCHEDULED = { validFrom: '2026-06-01T12:00:01Z' };

describe('couponStatus precedence: archived > disabled > draft > expired > exhausted > scheduled > active', () => {
  it.each<[string, Partial<CouponStatusInput>, string]>([
    ['archived beats everything', { storedStatus: 'archived', ...EXPIRED, ...EXHAUSTED, ...SCHEDULED }, 'archived'],
    ['disabled beats draft-like and derived states', { storedStatus: 'disabled', ...EXPIRED, ...EXHAUSTED }, 'disabled'],
    ['draft beats expired', { storedStatus: 'draft', ...EXPIRED }, 'draft'],
    ['expired beats exhausted and scheduled', { ...EXPIRED, ...EXHAUSTED, ...SCHEDULED }, 'expired'],
    ['exhausted beats scheduled', { ...EXHAUSTED, ...SCHEDULED }, 'exhausted'],
    ['scheduled', SCHEDULED, 'scheduled'],
    ['active', {}, 'active'],
    ['valid from exactly now is active', { validFrom: NOW }, 'active'],
    ['expiring a millisecond later is active', { expiresAt: '2026-06-01T12:00:00.001Z' }, 'active'],
    ['99 of 100 used is active', { maxRedemptions: 100, timesRedeemed: 99 }, 'active'],
    ['a limit of 0 is exhausted at once', { maxRedemptions: 0 }, 'exhausted'],
  ])('%s', (_name, over, want) => {
    expect(couponStatus(coupon(over), NOW)).toBe(want);
  });

  it('lists the precedence and picks the more restrictive status', () => {
    expect(STATUS_PRECEDENCE).toEqual(['archived', 'disabled', 'draft', 'expired', 'exhausted', 'scheduled', 'active']);
    expect(moreRestrictive('active', 'scheduled')).toBe('scheduled');
    expect(moreRestrictive('expired', 'exhausted')).toBe('expired');
    expect(moreRestrictive('archived', 'archived')).toBe('archived');
  });
});

describe('codeStatus: the more restrictive of the code and its coupon', () => {
  const code = (over: Partial<CodeStatusInput> = {}): CodeStatusInput => ({ storedStatus: 'active', expiresAt: null, maxRedemptions: null, timesRedeemed: 0, ...over });
  it.each<[string, Partial<CodeStatusInput>, Partial<CouponStatusInput>, string]>([
    ['both active', {}, {}, 'active'],
    ['code disabled', { storedStatus: 'disabled' }, {}, 'disabled'],
    ['code archived', { storedStatus: 'archived' }, {}, 'archived'],
    ['coupon disabled', {}, { storedStatus: 'disabled' }, 'disabled'],
    ['coupon archived over a disabled code', { storedStatus: 'disabled' }, { storedStatus: 'archived' }, 'archived'],
    ['code expired, coupon exhausted', EXPIRED, EXHAUSTED, 'expired'],
    ['code exhausted, coupon scheduled', { maxRedemptions: 1, timesRedeemed: 1 }, SCHEDULED, 'exhausted'],
    ['code both expired and exhausted', { ...EXPIRED, maxRedemptions: 1, timesRedeemed: 1 }, {}, 'expired'],
    ['coupon scheduled', {}, SCHEDULED, 'scheduled'],
    ['coupon expired though the code is not', { expiresAt: '2027-01-01T00:00:00Z' }, EXPIRED, 'expired'],
    ['coupon draft over an expired code', EXPIRED, { storedStatus: 'draft' }, 'draft'],
    ['disabled code ignores its own expiry', { storedStatus: 'disabled', ...EXPIRED }, {}, 'disabled'],
  ])('%s', (_name, c, cp, want) => {
    expect(codeStatus(code(c), coupon(cp), NOW)).toBe(want);
  });
});

describe('checkCodeNotLooser', () => {
  const errs = (c: Parameters<typeof checkCodeNotLooser>[0], cp: Parameters<typeof checkCodeNotLooser>[1]) =>
    checkCodeNotLooser(c, cp).map((e) => [e.code, e.field]);
  it('refuses a limit above the coupon\'s and an expiry after the coupon\'s', () => {
    expect(errs({ maxRedemptions: 101 }, { maxRedemptions: 100 })).toEqual([['code_limit_exceeds_coupon', 'maxRedemptions']]);
    expect(errs({ expiresAt: '2026-12-08T05:00:00.001Z' }, { expiresAt: '2026-12-08T05:00:00Z' })).toEqual([['code_expiry_after_coupon', 'expiresAt']]);
    expect(errs({ maxRedemptions: 5, expiresAt: '2027-01-01T00:00:00Z' }, { maxRedemptions: 3, expiresAt: '2026-01-01T00:00:00Z' })).toEqual([
      ['code_limit_exceeds_coupon', 'maxRedemptions'], ['code_expiry_after_coupon', 'expiresAt'],
    ]);
  });
  it('accepts equal or tighter terms, and codes that simply follow the coupon', () => {
    expect(errs({ maxRedemptions: 100, expiresAt: '2026-01-01T00:00:00Z' }, { maxRedemptions: 100, expiresAt: '2026-01-01T00:00:00Z' })).toEqual([]);
    expect(errs({ maxRedemptions: 3, expiresAt: '2025-01-01T00:00:00Z' }, { maxRedemptions: 100, expiresAt: '2026-01-01T00:00:00Z' })).toEqual([]);
    expect(errs({}, { maxRedemptions: 100, expiresAt: '2026-01-01T00:00:00Z' })).toEqual([]);
    expect(errs({ maxRedemptions: 1_000_000, expiresAt: '2099-01-01T00:00:00Z' }, { maxRedemptions: null, expiresAt: null })).toEqual([]);
  });
});

describe('transition', () => {
  const table: [CouponStoredStatus, LifecycleAction, CouponStoredStatus | null][] = [
    ['draft', 'activate', 'active'], ['draft', 'disable', null], ['draft', 'enable', null], ['draft', 'archive', 'archived'],
    ['active', 'activate', null], ['active', 'disable', 'disabled'], ['active', 'enable', null], ['active', 'archive', 'archived'],
    ['disabled', 'activate', null], ['disabled', 'disable', null], ['disabled', 'enable', 'active'], ['disabled', 'archive', 'archived'],
    ['archived', 'activate', null], ['archived', 'disable', null], ['archived', 'enable', null],
  ];
  it.each(table)('%s --%s--> %s', (from, action, to) => {
    const r = transition(from, action);
    if (to === null) expect(r).toEqual({ ok: false, code: 'invalid_transition', message: `cannot ${action} a ${from} coupon` });
    else expect(r).toEqual({ ok: true, status: to, changed: true });
  });
  it('archiving an archived coupon is a no-op', () => {
    expect(transition('archived', 'archive')).toEqual({ ok: true, status: 'archived', changed: false });
  });
});
