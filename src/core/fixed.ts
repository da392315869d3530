import { formatUnits } from "viem";

/** USD amounts and prices are 30-decimal fixed point everywhere (GMX's precision; Aave's 8 scale up exactly). */
export const USD_DECIMALS = 30;
export const USD_ONE = 10n ** 30n;

export const ceilDiv = (a: bigint, b: bigint): bigint => {
  if (b <= 0n) throw new RangeError("ceilDiv: divisor must be positive");
  return a >= 0n ? (a + b - 1n) / b : -(-a / b);
};

export const abs = (a: bigint): bigint => (a < 0n ? -a : a);
export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Exact decimal string of a 1e30 USD amount. */
export const formatUsd = (value: bigint): string => formatUnits(value, USD_DECIMALS);

/** A ratio for people (leverage, distance): float from exact integers, 1e-12 resolution. */
const RATIO_SCALE = 10n ** 12n;
export const ratio = (numerator: bigint, denominator: bigint): number | null => {
  if (denominator === 0n) return null;
  return Number((numerator * RATIO_SCALE) / denominator) / 1e12;
};

/** Scales a fixed-point integer with `from` decimals to `to` decimals, flooring when it shrinks. */
export const rescale = (value: bigint, from: number, to: number): bigint =>
  to >= from ? value * 10n ** BigInt(to - from) : value / 10n ** BigInt(from - to);
