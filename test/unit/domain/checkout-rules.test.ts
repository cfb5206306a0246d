import fc from 'fast-check';
import {
  budgetExhausted, budgetPeriodAt, budgetRemaining, budgetStats, capToBudget, holdActive, holdExpiresAt, holdRefusal, holdShownStatus,
  isRoundingMode, LIFE_PERIOD_START, meetsMinimum, minimumAmountFor, percentOf, ROUNDING_MODES, roundDivide, spentIn, takenSlots,
  type BudgetSpend, type RoundingMode,
} from '../../../src/domain';
import { domainError } from './fixtures';

describe('rounding modes', () => {
  // n / d → [half_up, half_even, down, up], worked out by hand
  it.each<[bigint, bigint, [bigint, bigint, bigint, bigint]]>([
    [0n, 4n, [0n, 0n, 0n, 0n]],
    [8n, 4n, [2n, 2n, 2n, 2n]],
    [9n, 4n, [2n, 2n, 2n, 3n]], // 2.25
    [10n, 4n, [3n, 2n, 2n, 3n]], // 2.5: half even keeps 2
    [14n, 4n, [4n, 4n, 3n, 4n]], // 3.5: half even goes to 4
    [11n, 4n, [3n, 3n, 2n, 3n]], // 2.75
    [1n, 3n, [0n, 0n, 0n, 1n]],
    [2n, 3n, [1n, 1n, 0n, 1n]],
    [5n, 10n, [1n, 0n, 0n, 1n]], // 0.5
    [15n, 10n, [2n, 2n, 1n, 2n]], // 1.5
    [25n, 10n, [3n, 2n, 2n, 3n]], // 2.5
  ])('%p / %p', (n, d, want) => {
    expect(ROUNDING_MODES.map((m) => roundDivide(n, d, m))).toEqual(want);
  });

  it('percentages of an amount: 12.5 % of 1,004 is 125.5', () => {
    expect(ROUNDING_MODES.map((m) => percentOf(1004, 1250, m))).toEqual([126, 126, 125, 126]);
    // 15 % of 1,010 = 151.5
    expect(ROUNDING_MODES.map((m) => percentOf(1010, 1500, m))).toEqual([152, 152, 151, 152]);
    // 15 % of 1,030 = 154.5
    expect(ROUNDING_MODES.map((m) => percentOf(1030, 1500, m))).toEqual([155, 154, 154, 155]);
    // the default stays half up
    expect(percentOf(1030, 1500)).toBe(155);
  });

  it('is exact for the largest amounts', () => {
    const max = Number.MAX_SAFE_INTEGER; // 9007199254740991 × 0.5 = 4503599627370495.5
    expect(ROUNDING_MODES.map((m) => percentOf(max, 5000, m))).toEqual([4503599627370496, 4503599627370496, 4503599627370495, 4503599627370496]);
  });

  it('refuses what money never divides', () => {
    expect(domainError(() => roundDivide(-1n, 2n, 'down')).code).toBe('invalid_amount');
    expect(domainError(() => roundDivide(1n, 0n, 'down')).code).toBe('invalid_denominator');
    expect(domainError(() => roundDivide(1n, 2n, 'sideways' as RoundingMode)).code).toBe('invalid_rounding');
    expect(isRoundingMode('half_even')).toBe(true);
    expect(isRoundingMode('half_down')).toBe(false);
  });

  it('property: each mode lands on the integer its definition names', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        const down = roundDivide(n, d, 'down');
        const up = roundDivide(n, d, 'up');
        const halfUp = roundDivide(n, d, 'half_up');
        const halfEven = roundDivide(n, d, 'half_even');
        // down: the largest q with q·d ≤ n; up: the smallest q with q·d ≥ n
        expect(down * d <= n && n < (down + 1n) * d).toBe(true);
        expect(up * d >= n && n > (up - 1n) * d).toBe(true);
        // half modes: within half a unit (2·|n − q·d| ≤ d); off a tie they agree, on a tie half up goes up and half even to the even one
        for (const q of [halfUp, halfEven]) {
          const diff = n - q * d;
          expect(2n * (diff < 0n ? -diff : diff) <= d).toBe(true);
        }
        const tie = 2n * (n - down * d) === d;
        if (!tie) expect(halfUp).toBe(halfEven);
        else {
          expect(halfUp).toBe(down + 1n);
          expect(halfEven % 2n).toBe(0n);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('budget periods', () => {
  it.each<[string, 'day' | 'week' | 'month' | null, string, string, string | null]>([
    // New York, the day DST starts (23 hours) and the one it ends (25 hours)
    ['2026-03-08T12:00:00Z', 'day', 'America/New_York', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    ['2026-11-01T12:00:00Z', 'day', 'America/New_York', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    // 03:30 UTC on the 9th is still the 8th in New York
    ['2026-03-09T03:30:00Z', 'day', 'America/New_York', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    // ISO weeks from Monday: Wednesday 2026-12-02 → Monday 2026-11-30
    ['2026-12-02T10:00:00Z', 'week', 'Europe/Paris', '2026-11-29T23:00:00.000Z', '2026-12-06T23:00:00.000Z'],
    // the week DST ends in Europe (Sunday 2026-10-25)
    ['2026-10-21T10:00:00Z', 'week', 'Europe/London', '2026-10-18T23:00:00.000Z', '2026-10-26T00:00:00.000Z'],
    // months: Sydney's April holds the end of DST
    ['2026-04-15T00:00:00Z', 'month', 'Australia/Sydney', '2026-03-31T13:00:00.000Z', '2026-04-30T14:00:00.000Z'],
    ['2026-12-31T23:30:00-05:00', 'month', 'America/New_York', '2026-12-01T05:00:00.000Z', '2027-01-01T05:00:00.000Z'],
    ['2026-12-31T23:30:00-05:00', null, 'America/New_York', LIFE_PERIOD_START, null],
  ])('%s %s in %s → [%s, %s)', (at, period, zone, start, end) => {
    expect(budgetPeriodAt(period, zone, at)).toEqual({ period: period ?? 'life', start, end });
  });

  it('property: the period holds the instant, and the next one starts where it ends', () => {
    const zones = ['America/New_York', 'Europe/London', 'Australia/Sydney', 'America/Santiago', 'Asia/Kolkata', 'UTC'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        fc.constantFrom<'day' | 'week' | 'month'>('day', 'week', 'month'),
        fc.constantFrom(...zones),
        (ms, unit, zone) => {
          const at = new Date(ms).toISOString();
          const p = budgetPeriodAt(unit, zone, at);
          expect(Date.parse(p.start) <= ms && ms < Date.parse(p.end!)).toBe(true);
          expect(budgetPeriodAt(unit, zone, p.end!).start).toBe(p.end);
          expect(budgetPeriodAt(unit, zone, new Date(Date.parse(p.end!) - 1).toISOString()).start).toBe(p.start);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('budget spending', () => {
  const spend = (rows: Partial<BudgetSpend>[]): BudgetSpend[] =>
    rows.map((r) => ({ period: 'month', periodStart: '2026-06-01T00:00:00.000Z', currency: 'USD', spent: 0, ...r }));

  it('counts the rows of the period and currency only (currency keys case-insensitive)', () => {
    const rows = spend([{ spent: 300 }, { spent: 50, currency: 'EUR' }, { spent: 999, periodStart: '2026-05-01T00:00:00.000Z' }, { spent: 7, period: 'day' }]);
    const june = budgetPeriodAt('month', 'UTC', '2026-06-20T00:00:00Z');
    expect(spentIn(rows, june, 'usd')).toBe(300);
    const budget = { amounts: { usd: 1000, EUR: 50 }, period: 'month' as const };
    expect(budgetRemaining(budget, 'UTC', 'USD', '2026-06-20T00:00:00Z', rows)).toBe(700);
    expect(budgetRemaining(budget, 'UTC', 'EUR', '2026-06-20T00:00:00Z', rows)).toBe(0);
    expect(budgetExhausted(budget, 'UTC', 'EUR', '2026-06-20T00:00:00Z', rows)).toBe(true);
    expect(budgetRemaining(budget, 'UTC', 'USD', '2026-07-01T00:00:00Z', rows)).toBe(1000);
    // a currency the budget does not list is not capped
    expect(budgetRemaining(budget, 'UTC', 'GBP', '2026-06-20T00:00:00Z', rows)).toBeNull();
    expect(budgetRemaining(null, 'UTC', 'USD', '2026-06-20T00:00:00Z', rows)).toBeNull();
    // overspent (a lowered budget) reads as 0, never negative
    expect(budgetRemaining({ amounts: { USD: 100 }, period: 'month' }, 'UTC', 'USD', '2026-06-20T00:00:00Z', rows)).toBe(0);
  });

  it.each<[number[], number, number[]]>([
    [[300, 200, 100], 1000, [300, 200, 100]],
    [[300, 200, 100], 600, [300, 200, 100]],
    [[300, 200, 100], 450, [300, 150, 0]],
    [[300, 200, 100], 300, [300, 0, 0]],
    [[0, 200, 100], 250, [0, 200, 50]],
    [[300, 200, 100], 0, [0, 0, 0]],
  ])('caps %p at %p: %p (invoice order, the rest at full price)', (shares, cap, want) => {
    expect(capToBudget(shares, cap)).toEqual(want);
  });

  it('property: capped shares never pass the cap nor a line\'s share, and give min(cap, demand)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 8 }), fc.integer({ min: 0, max: 3_000_000 }), (shares, cap) => {
        const out = capToBudget(shares, cap);
        const demand = shares.reduce((a, b) => a + b, 0);
        expect(out.reduce((a, b) => a + b, 0)).toBe(Math.min(cap, demand));
        out.forEach((v, i) => expect(v >= 0 && v <= shares[i]!).toBe(true));
        // once a line is cut short, every later line gets nothing
        const cut = out.findIndex((v, i) => v < shares[i]!);
        if (cut >= 0) expect(out.slice(cut + 1).every((v) => v === 0)).toBe(true);
      }),
    );
  });

  it('stats: the period holding now, spent and remaining per currency of the budget', () => {
    const rows = spend([{ spent: 300 }, { spent: 20, currency: 'EUR' }]);
    expect(budgetStats({ amounts: { USD: 1000, EUR: 10 }, period: 'month' }, 'UTC', '2026-06-20T00:00:00Z', rows)).toEqual({
      period: 'month', periodStart: '2026-06-01T00:00:00.000Z', resetsAt: '2026-07-01T00:00:00.000Z', spent: { USD: 300, EUR: 20 }, remaining: { USD: 700, EUR: 0 },
    });
    expect(budgetStats({ amounts: { USD: 1000 } }, 'UTC', '2026-06-20T00:00:00Z', [])).toEqual({
      period: null, periodStart: null, resetsAt: null, spent: { USD: 0 }, remaining: { USD: 1000 },
    });
  });
});

describe('minimum amounts', () => {
  it.each<[Record<string, number> | undefined, string, number, boolean]>([
    [undefined, 'USD', 0, true],
    [{ USD: 5000 }, 'USD', 4999, false],
    [{ USD: 5000 }, 'usd', 5000, true],
    [{ USD: 5000 }, 'EUR', 0, true],
    [{ usd: 5000 }, 'USD', 4999, false],
  ])('minimums %p in %s at %p → %p', (minimumAmounts, currency, amount, want) => {
    expect(meetsMinimum({ minimumAmounts }, currency, amount)).toBe(want);
  });
  it('names the minimum of a currency', () => {
    expect(minimumAmountFor({ minimumAmounts: { JPY: 500 } }, 'jpy')).toBe(500);
    expect(minimumAmountFor({}, 'JPY')).toBeNull();
  });
});

describe('holds', () => {
  const NOW = '2026-06-01T12:00:00Z';
  const hold = { status: 'active' as const, expiresAt: '2026-06-01T12:15:00.000Z', customerId: 'cus_1', couponId: 'cpn_1', codeId: 7 };

  it('expires ttlSeconds after it is made; ttl 60..86400', () => {
    expect(holdExpiresAt(NOW)).toBe('2026-06-01T12:15:00.000Z');
    expect(holdExpiresAt('2026-03-08T01:59:00-05:00', 86_400)).toBe('2026-03-09T06:59:00.000Z');
    // rounded up to a whole second
    expect(holdExpiresAt('2026-06-01T12:00:00.001Z', 60)).toBe('2026-06-01T12:01:01.000Z');
    expect(holdExpiresAt('2026-06-01T12:00:00.999Z', 60)).toBe('2026-06-01T12:01:01.000Z');
    expect(domainError(() => holdExpiresAt(NOW, 59)).field).toBe('ttlSeconds');
    expect(domainError(() => holdExpiresAt(NOW, 86_401)).code).toBe('invalid_ttl');
  });

  it('is active until its expiry instant, then shows expired', () => {
    expect(holdActive(hold, '2026-06-01T12:14:59.999Z')).toBe(true);
    expect(holdActive(hold, '2026-06-01T12:15:00Z')).toBe(false);
    expect(holdShownStatus(hold, '2026-06-01T12:15:00Z')).toBe('expired');
    expect(holdShownStatus(hold, NOW)).toBe('active');
    expect(holdShownStatus({ ...hold, status: 'consumed' }, '2027-01-01T00:00:00Z')).toBe('consumed');
  });

  it.each<[string, Parameters<typeof holdRefusal>[1], typeof hold | null, string, 'hold_not_active' | null]>([
    ['its holder, coupon and code', { customerId: 'cus_1', couponId: 'cpn_1', codeId: 7 }, hold, NOW, null],
    ['a release naming no customer', {}, hold, NOW, null],
    ['no such hold', {}, null, NOW, 'hold_not_active'],
    ['another customer', { customerId: 'cus_2' }, hold, NOW, 'hold_not_active'],
    ['another coupon', { customerId: 'cus_1', couponId: 'cpn_2', codeId: 7 }, hold, NOW, 'hold_not_active'],
    ['the direct coupon instead of the code', { customerId: 'cus_1', couponId: 'cpn_1', codeId: null }, hold, NOW, 'hold_not_active'],
    ['expired by the clock', {}, hold, '2026-06-01T12:15:00Z', 'hold_not_active'],
    ['consumed', {}, { ...hold, status: 'consumed' as never }, NOW, 'hold_not_active'],
  ])('%s', (_name, who, h, now, want) => {
    expect(holdRefusal(h, who, now)).toBe(want);
  });

  it('counts slots: redemptions and holds, less the request\'s own', () => {
    expect(takenSlots(5, 2, false)).toBe(7);
    expect(takenSlots(5, 2, true)).toBe(6);
    expect(takenSlots(5, undefined, false)).toBe(5);
  });
});
