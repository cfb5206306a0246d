// Row 9's optional sweep: the product and the HTTP floor at other shares of the raw validate maximum.
import { openLoopClean, type OpenLoopRun } from './drivers';
import { fmt } from './table';

/**
 * `BENCH_VALIDATE_SWEEP`: percentages of the raw same-work maximum (`30,40`) at which row 9 also
 * runs the product and the HTTP floor, each on the same schedule, after its own measurement:
 * the rate at which each still holds the target on this machine. Empty (the default): no sweep.
 */
export function sweepShares(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((part) => {
    const percent = Number(part.trim());
    if (!Number.isFinite(percent) || percent <= 0 || percent > 100) {
      throw new Error(`BENCH_VALIDATE_SWEEP: "${part.trim()}" is not a percentage of the raw maximum above 0 and at most 100`);
    }
    return percent / 100;
  });
}

/** One rung of row 9's sweep: the product and the HTTP floor at one share of the raw maximum. */
export interface SweepRung {
  share: number;
  rate: number;
  product: OpenLoopRun;
  floor: OpenLoopRun;
}

type RungFigures = Parameters<typeof openLoopClean>[0] & { p99: number; coresBusy: number };

/** `30 % (1,440/s): p99 12 ms at 61 % busy, floor 9.1 ms at 48 %`, one rung after another. */
export function describeSweep(rungs: { share: number; rate: number; product: RungFigures; floor: RungFigures }[]): string {
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  const unclean = (r: RungFigures) => (openLoopClean(r) ? '' : ' (not clean)');
  return rungs
    .map((r) => `${pct(r.share)} (${fmt.rate(r.rate)}): p99 ${fmt.ms(r.product.p99)} at ${pct(r.product.coresBusy)} busy${unclean(r.product)}, floor ${fmt.ms(r.floor.p99)} at ${pct(r.floor.coresBusy)}${unclean(r.floor)}`)
    .join('; ');
}
