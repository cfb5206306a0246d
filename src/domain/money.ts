import { DomainError } from './errors';

/** 100 % in basis points. */
export const FULL_BASIS_POINTS = 10000;

/** Throws unless `value` is a safe, non-negative integer amount of minor units. */
export function assertMinorUnits(value: number, field = 'amount'): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DomainError('invalid_amount', `${field} must be a non-negative integer of minor units`, field);
  }
}

/**
 * round_half_up(numerator / denominator) on bigints, rounding halves towards +infinity
 * (the only case money uses is non-negative, where that is the usual "half up").
 */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new DomainError('invalid_denominator', 'denominator must be positive');
  const twice = 2n * numerator + denominator;
  const den = 2n * denominator;
  const q = twice / den;
  // bigint division truncates towards zero; turn it into floor for negative numerators.
  return twice % den !== 0n && twice < 0n ? q - 1n : q;
}

/**
 * How a percentage of an amount that is not a whole minor unit rounds (API.md "Previews and
 * rounding"): `half_up` (the default: halves up), `half_even` (halves to the even unit, banker's
 * rounding), `down` (towards zero), `up` (away from zero). An account chooses one; a redemption
 * pins the mode in force when it is made, in its terms.
 */
export const ROUNDING_MODES = ['half_up', 'half_even', 'down', 'up'] as const;
export type RoundingMode = (typeof ROUNDING_MODES)[number];
export const DEFAULT_ROUNDING: RoundingMode = 'half_up';

export function isRoundingMode(value: unknown): value is RoundingMode {
  return typeof value === 'string' && (ROUNDING_MODES as readonly string[]).includes(value);
}

/**
 * numerator / denominator rounded to an integer by `mode`, exactly, on bigints. Money only
 * divides non-negative amounts: a negative numerator or a non-positive denominator is refused.
 */
export function roundDivide(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (denominator <= 0n) throw new DomainError('invalid_denominator', 'denominator must be positive');
  if (numerator < 0n) throw new DomainError('invalid_amount', 'only non-negative amounts are rounded');
  const q = numerator / denominator;
  const r = numerator % denominator;
  if (r === 0n) return q;
  switch (mode) {
    case 'down':
      return q;
    case 'up':
      return q + 1n;
    case 'half_up':
      return 2n * r >= denominator ? q + 1n : q;
    case 'half_even': {
      const twice = 2n * r;
      if (twice !== denominator) return twice > denominator ? q + 1n : q;
      return q % 2n === 0n ? q : q + 1n;
    }
    default:
      throw new DomainError('invalid_rounding', `unknown rounding mode "${String(mode)}"`, 'rounding');
  }
}

/** amount × basisPoints / 10000 rounded by `mode` (default half up), exact for every safe integer amount. */
export function percentOf(amount: number, basisPoints: number, mode: RoundingMode = DEFAULT_ROUNDING): number {
  assertMinorUnits(amount);
  if (!Number.isInteger(basisPoints) || basisPoints < 0 || basisPoints > FULL_BASIS_POINTS) {
    throw new DomainError('invalid_basis_points', 'basisPoints must be an integer 0..10000', 'basisPoints');
  }
  return Number(roundDivide(BigInt(amount) * BigInt(basisPoints), BigInt(FULL_BASIS_POINTS), mode));
}

/**
 * Splits `total` over `weights` in proportion, by the largest-remainder method: each part
 * gets floor(total × w / Σw), then the units left over go one each to the largest remainders,
 * ties to the earlier index. The parts always sum to `total`; the result is deterministic.
 * All-zero weights are only allowed with a zero total.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  assertMinorUnits(total, 'total');
  weights.forEach((w, i) => assertMinorUnits(w, `weights[${i}]`));
  const sum = weights.reduce((acc, w) => acc + BigInt(w), 0n);
  if (sum === 0n) {
    if (total === 0) return weights.map(() => 0);
    throw new DomainError('allocation_without_weight', 'cannot allocate a non-zero total over zero weights');
  }
  const t = BigInt(total);
  const parts: bigint[] = [];
  const remainders: { index: number; rem: bigint }[] = [];
  let given = 0n;
  weights.forEach((w, index) => {
    const product = t * BigInt(w);
    parts.push(product / sum);
    remainders.push({ index, rem: product % sum });
    given += product / sum;
  });
  remainders.sort((a, b) => (a.rem === b.rem ? a.index - b.index : a.rem > b.rem ? -1 : 1));
  for (let k = 0; k < Number(t - given); k += 1) {
    const target = remainders[k] as { index: number };
    parts[target.index] = (parts[target.index] as bigint) + 1n;
  }
  return parts.map(Number);
}

/**
 * Exact sum of minor-unit amounts (integers), added as bigints: a float sum rounds once it
 * passes 2^53 − 1 (3 × (2^53 − 1) would come out one unit off). A sum above
 * Number.MAX_SAFE_INTEGER has no exact number, so it is refused: DomainError `amount_too_large`
 * naming `field`.
 */
export function sumMinor(values: readonly number[], field = 'amount'): number {
  const sum = values.reduce((a, b) => a + BigInt(b), 0n);
  if (sum > BigInt(Number.MAX_SAFE_INTEGER) || sum < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DomainError('amount_too_large', `${field}: the amounts total ${sum}, more than ${Number.MAX_SAFE_INTEGER} (2^53 − 1) minor units`, field);
  }
  return Number(sum);
}
