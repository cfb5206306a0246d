import fc from 'fast-check';
import { allocate, CURRENCIES, currencyExponent, DomainError, isCurrency, percentOf, roundHalfUp, sumMinor } from '../../../src/domain';

describe('currencies', () => {
  it.each([
    ['JPY', 0], ['KRW', 0], ['CLP', 0], ['VND', 0], ['ISK', 0], ['XOF', 0],
    ['USD', 2], ['EUR', 2], ['GBP', 2], ['INR', 2],
    ['KWD', 3], ['BHD', 3], ['JOD', 3], ['OMR', 3], ['TND', 3], ['IQD', 3], ['LYD', 3],
    ['CLF', 4],
  ])('%s has exponent %i', (code, exp) => {
    expect(currencyExponent(code)).toBe(exp);
  });

  it('lists every exponent-0 and exponent-3 ISO 4217 currency', () => {
    const zero = Object.keys(CURRENCIES).filter((c) => CURRENCIES[c] === 0).sort();
    const three = Object.keys(CURRENCIES).filter((c) => CURRENCIES[c] === 3).sort();
    expect(zero).toEqual(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
    expect(three).toEqual(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
  });

  it('knows only exact upper-case ISO codes', () => {
    expect(isCurrency('USD')).toBe(true);
    expect(isCurrency('usd')).toBe(false);
    expect(isCurrency('XXX')).toBe(false);
    expect(isCurrency('toString')).toBe(false);
    expect(() => currencyExponent('ABC')).toThrow(expect.objectContaining({ code: 'unknown_currency', field: 'currency' }));
  });
});

describe('roundHalfUp', () => {
  it.each([
    [5n, 2n, 3n], [3n, 2n, 2n], [7n, 7n, 1n], [0n, 9n, 0n], [4n, 3n, 1n], [5n, 3n, 2n],
    [-5n, 2n, -2n], [-2n, 3n, -1n], [-1n, 3n, 0n], [-6n, 3n, -2n],
  ])('%p / %p → %p', (n, d, want) => {
    expect(roundHalfUp(n, d)).toBe(want);
  });
  it('refuses a non-positive denominator', () => {
    expect(() => roundHalfUp(1n, 0n)).toThrow(DomainError);
  });
});

describe('percentOf', () => {
  it.each([
    [3490, 1500, 524], // 15 % of $34.90 = 523.5 → 524
    [20000, 5000, 10000], // 50 % of $200
    [5000, 2000, 1000], // 20 % of $50
    [1200, 10000, 1200],
    [1, 5000, 1],
    [1, 4999, 0],
    [999, 1, 0],
    [5000, 1, 1], // 0.5 → 1
    [0, 10000, 0],
    [Number.MAX_SAFE_INTEGER, 10000, Number.MAX_SAFE_INTEGER],
    [Number.MAX_SAFE_INTEGER, 3333, 3002099511605172],
  ])('%i × %i bp = %i', (amount, bp, want) => {
    expect(percentOf(amount, bp)).toBe(want);
  });

  it.each([[-1, 100], [1.5, 100], [Number.NaN, 100], [2 ** 53, 100]])('refuses amount %p', (amount, bp) => {
    expect(() => percentOf(amount, bp)).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
  });
  it.each([-1, 10001, 1.5])('refuses basis points %p', (bp) => {
    expect(() => percentOf(100, bp)).toThrow(expect.objectContaining({ code: 'invalid_basis_points' }));
  });

  it('equals round_half_up(E × bp / 10000) computed exactly, never above E', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10000 }), (e, bp) => {
        const got = percentOf(e, bp);
        const exact = (BigInt(e) * BigInt(bp) * 2n + 10000n) / 20000n;
        expect(BigInt(got)).toBe(exact);
        expect(got).toBeLessThanOrEqual(e);
      }),
    );
  });
});

describe('allocate', () => {
  it.each([
    [100, [1, 1, 1], [34, 33, 33]],
    [2, [1, 1, 1], [1, 1, 0]],
    [10, [3, 3, 4], [3, 3, 4]],
    [524, [2000, 1490], [300, 224]],
    [250, [2000, 500], [200, 50]],
    [5, [0, 10, 0], [0, 5, 0]],
    [1, [1, 1], [1, 0]],
    [0, [0, 0], [0, 0]],
    [0, [], []],
    [7, [2, 1, 2], [3, 1, 3]], // 2.8, 1.4, 2.8 → 2,1,2 + two units to the .8s
    [Number.MAX_SAFE_INTEGER, [1, 2], [3002399751580330, 6004799503160661]],
  ])('allocate(%i, %p) = %p', (total, weights, want) => {
    expect(allocate(total, weights)).toEqual(want);
  });

  it('refuses a non-zero total over zero weights and bad amounts', () => {
    expect(() => allocate(1, [0, 0])).toThrow(expect.objectContaining({ code: 'allocation_without_weight' }));
    expect(() => allocate(1, [])).toThrow(expect.objectContaining({ code: 'allocation_without_weight' }));
    expect(() => allocate(-1, [1])).toThrow(expect.objectContaining({ code: 'invalid_amount', field: 'total' }));
    expect(() => allocate(1, [1, -2])).toThrow(expect.objectContaining({ code: 'invalid_amount', field: 'weights[1]' }));
  });

  it('sums exactly, stays within one unit of the exact share, and is deterministic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000_000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 1_000_000_000 }),
        (weights, total) => {
          fc.pre(weights.some((w) => w > 0));
          const parts = allocate(total, weights);
          expect(sumMinor(parts)).toBe(total);
          expect(allocate(total, weights)).toEqual(parts);
          const sum = BigInt(sumMinor(weights));
          parts.forEach((p, i) => {
            const floor = (BigInt(total) * BigInt(weights[i] as number)) / sum;
            expect(BigInt(p) === floor || BigInt(p) === floor + 1n).toBe(true);
            if (weights[i] === 0) expect(p).toBe(0);
          });
        },
      ),
    );
  });

  it('never gives a line more than its weight when the total does not exceed the weights', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 8 }), fc.nat(), (weights, seed) => {
        const sum = sumMinor(weights);
        fc.pre(sum > 0);
        const total = seed % (sum + 1);
        allocate(total, weights).forEach((p, i) => expect(p).toBeLessThanOrEqual(weights[i] as number));
      }),
    );
  });
});
