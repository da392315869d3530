import { pow } from "./prb-pow";

// gmx-synthetics utils/Precision.sol and price/Price.sol: the fixed-point primitives every GMX v2 formula uses.

export const FLOAT_PRECISION = 10n ** 30n;
/** Funding amounts per size: FLOAT_PRECISION x FLOAT_PRECISION_SQRT (1e30 x 1e15). */
export const FUNDING_PRECISION = 10n ** 45n;
const FLOAT_TO_WEI = 10n ** 12n;

export type MinMax = { min: bigint; max: bigint };

/** Price.midPrice: (min + max) / 2. */
export const midPrice = (price: MinMax): bigint => (price.min + price.max) / 2n;

/** Precision.applyFactor: value * factor / 1e30, rounded down. */
export const applyFactor = (value: bigint, factor: bigint): bigint => (value * factor) / FLOAT_PRECISION;

/**
 * Precision.applyExponentFactor: value ^ exponent through PRBMathUD60x18.pow in 18 decimals; 0 below
 * $1 (pow's domain), the value itself for an exponent of exactly 1.
 */
export function applyExponentFactor(value: bigint, exponent: bigint): bigint {
  if (value < FLOAT_PRECISION) return 0n;
  if (exponent === FLOAT_PRECISION) return value;
  return pow(value / FLOAT_TO_WEI, exponent / FLOAT_TO_WEI) * FLOAT_TO_WEI;
}
