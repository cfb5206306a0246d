import { describeSweep, sweepShares } from '../../bench/sweep';

describe("row 9's sweep (BENCH_VALIDATE_SWEEP)", () => {
  it('reads percentages of the raw maximum, and nothing when unset or blank', () => {
    expect(sweepShares(undefined)).toEqual([]);
    expect(sweepShares('  ')).toEqual([]);
    expect(sweepShares('30, 40,45')).toEqual([0.3, 0.4, 0.45]);
    expect(sweepShares('100')).toEqual([1]);
  });

  it.each(['0', '-10', '101', 'half', '30,,40'])('refuses %p, naming the part', (text) => {
    expect(() => sweepShares(text)).toThrow(/^BENCH_VALIDATE_SWEEP: ".*" is not a percentage of the raw maximum above 0 and at most 100$/);
  });

  it('says each rung: share, rate, p99 and busy cores of the product and the floor, and which was not clean', () => {
    const clean = { dropped: 0, timeouts: 0, non2xx: 0, errors: 0 };
    expect(
      describeSweep([
        { share: 0.3, rate: 1440, product: { ...clean, p99: 12.4, coresBusy: 0.612 }, floor: { ...clean, p99: 9.14, coresBusy: 0.48 } },
        { share: 0.4, rate: 1920.4, product: { ...clean, p99: 31, coresBusy: 0.8, dropped: 3 }, floor: { ...clean, p99: 14.6, coresBusy: 0.6, non2xx: 1 } },
      ]),
    ).toBe('30 % (1,440/s): p99 12 ms at 61 % busy, floor 9.1 ms at 48 %; 40 % (1,920/s): p99 31 ms at 80 % busy (not clean), floor 15 ms at 60 % (not clean)');
  });
});
