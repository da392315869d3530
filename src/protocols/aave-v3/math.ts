// Pure Aave v3 math, integer for integer as aave-v3-core v1.19 (Aave v3.0) computes it.
// Sources: protocol/libraries/math/{WadRayMath,PercentageMath,MathUtils}.sol,
// logic/{ReserveLogic,GenericLogic}.sol, configuration/ReserveConfiguration.sol.

import { ratio } from "../../core/fixed";

export const WAD = 10n ** 18n;
export const RAY = 10n ** 27n;
const HALF_RAY = RAY / 2n;
const HALF_WAD = WAD / 2n;
const PERCENTAGE_FACTOR = 10_000n;
const HALF_PERCENTAGE_FACTOR = 5_000n;
export const SECONDS_PER_YEAR = 365n * 24n * 3600n;
/** GenericLogic's health factor with no debt: type(uint256).max. */
export const MAX_UINT256 = 2n ** 256n - 1n;
export const HEALTH_FACTOR_LIQUIDATION_THRESHOLD = WAD;

/** WadRayMath.rayMul / rayDiv / wadDiv: half-up rounding. */
export const rayMul = (a: bigint, b: bigint): bigint => (a * b + HALF_RAY) / RAY;
export const rayDiv = (a: bigint, b: bigint): bigint => (a * RAY + b / 2n) / b;
export const wadDiv = (a: bigint, b: bigint): bigint => (a * WAD + b / 2n) / b;
export const wadMul = (a: bigint, b: bigint): bigint => (a * b + HALF_WAD) / WAD;
/** PercentageMath.percentMul: half-up, percentage in bps. */
export const percentMul = (value: bigint, bps: bigint): bigint => (value * bps + HALF_PERCENTAGE_FACTOR) / PERCENTAGE_FACTOR;

/** MathUtils.calculateLinearInterest. */
export const linearInterest = (rate: bigint, from: bigint, to: bigint): bigint => RAY + (rate * (to - from)) / SECONDS_PER_YEAR;

/** MathUtils.calculateCompoundedInterest: the three-term binomial expansion. */
export function compoundedInterest(rate: bigint, from: bigint, to: bigint): bigint {
  const exp = to - from;
  if (exp === 0n) return RAY;
  const expMinusOne = exp - 1n;
  const expMinusTwo = exp > 2n ? exp - 2n : 0n;
  const basePowerTwo = rayMul(rate, rate) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
  const basePowerThree = rayMul(basePowerTwo, rate) / SECONDS_PER_YEAR;
  const secondTerm = (exp * expMinusOne * basePowerTwo) / 2n;
  const thirdTerm = (exp * expMinusOne * expMinusTwo * basePowerThree) / 6n;
  return RAY + (rate * exp) / SECONDS_PER_YEAR + secondTerm + thirdTerm;
}

/** A reserve as of its last ReserveDataUpdated. */
export type ReserveIndexes = {
  liquidityIndex: bigint;
  variableBorrowIndex: bigint;
  liquidityRate: bigint;
  variableBorrowRate: bigint;
  lastUpdateTimestamp: bigint;
};

/** ReserveLogic.getNormalizedIncome at `timestamp`. */
export const normalizedIncome = (r: ReserveIndexes, timestamp: bigint): bigint =>
  timestamp === r.lastUpdateTimestamp ? r.liquidityIndex : rayMul(linearInterest(r.liquidityRate, r.lastUpdateTimestamp, timestamp), r.liquidityIndex);

/** ReserveLogic.getNormalizedDebt at `timestamp`. */
export const normalizedDebt = (r: ReserveIndexes, timestamp: bigint): bigint =>
  timestamp === r.lastUpdateTimestamp
    ? r.variableBorrowIndex
    : rayMul(compoundedInterest(r.variableBorrowRate, r.lastUpdateTimestamp, timestamp), r.variableBorrowIndex);

/** StableDebtToken.balanceOf: the principal compounded at the user's own rate since their last update. */
export const stableDebtBalance = (principal: bigint, rate: bigint, from: bigint, to: bigint): bigint =>
  principal === 0n ? 0n : rayMul(principal, compoundedInterest(rate, from, to));

/** ScaledBalanceTokenBase._mintScaled / _burnScaled: amount.rayDiv(index). */
export const toScaled = (amount: bigint, index: bigint): bigint => rayDiv(amount, index);
export const fromScaled = (scaled: bigint, index: bigint): bigint => rayMul(scaled, index);

export type ReserveConfig = {
  ltv: bigint;
  liquidationThreshold: bigint;
  liquidationBonus: bigint;
  decimals: number;
  eModeCategory: number;
  active: boolean;
  frozen: boolean;
  paused: boolean;
  /** Isolation mode debt ceiling (2 decimals of the base currency); non-zero makes the asset isolated collateral. */
  debtCeiling: bigint;
  liquidationProtocolFee: bigint;
};

/** ReserveConfiguration.getParams from the packed configuration word. */
export function decodeReserveConfiguration(data: bigint): ReserveConfig {
  const bits = (from: bigint, width: bigint) => (data >> from) & ((1n << width) - 1n);
  return {
    ltv: bits(0n, 16n),
    liquidationThreshold: bits(16n, 16n),
    liquidationBonus: bits(32n, 16n),
    decimals: Number(bits(48n, 8n)),
    eModeCategory: Number(bits(168n, 8n)),
    active: bits(56n, 1n) === 1n,
    frozen: bits(57n, 1n) === 1n,
    paused: bits(60n, 1n) === 1n,
    debtCeiling: bits(212n, 40n),
    liquidationProtocolFee: bits(152n, 16n),
  };
}

export type EModeCategory = { ltv: bigint; liquidationThreshold: bigint };

/** One reserve of one user, as GenericLogic sees it. */
export type UserReserve = {
  asset: string;
  config: ReserveConfig;
  /** Oracle price in the base currency (USD, 8 decimals). */
  price: bigint;
  /** Underlying balances at the block: scaled.rayMul(normalized index). */
  supplied: bigint;
  borrowed: bigint;
  usingAsCollateral: boolean;
};

export type AccountData = {
  totalCollateralBase: bigint;
  totalDebtBase: bigint;
  avgLtv: bigint;
  avgLiquidationThreshold: bigint;
  healthFactor: bigint;
};

/** GenericLogic.calculateUserAccountData (prices per reserve; the e-mode price source is not used). */
export function accountData(reserves: UserReserve[], eMode: { category: number; data: EModeCategory } | null): AccountData {
  let totalCollateralBase = 0n;
  let totalDebtBase = 0n;
  let avgLtv = 0n;
  let avgLiquidationThreshold = 0n;
  for (const r of reserves) {
    const unit = 10n ** BigInt(r.config.decimals);
    if (r.config.liquidationThreshold !== 0n && r.usingAsCollateral) {
      // _getUserBalanceInBaseCurrency: scaled.rayMul(income) * price / unit
      const value = (r.supplied * r.price) / unit;
      totalCollateralBase += value;
      const inEMode = eMode !== null && eMode.category !== 0 && eMode.category === r.config.eModeCategory;
      if (r.config.ltv !== 0n) avgLtv += value * (inEMode ? eMode!.data.ltv : r.config.ltv);
      avgLiquidationThreshold += value * (inEMode ? eMode!.data.liquidationThreshold : r.config.liquidationThreshold);
    }
    // _getUserDebtInBaseCurrency: price * debt / unit
    if (r.borrowed > 0n) totalDebtBase += (r.price * r.borrowed) / unit;
  }
  avgLtv = totalCollateralBase !== 0n ? avgLtv / totalCollateralBase : 0n;
  avgLiquidationThreshold = totalCollateralBase !== 0n ? avgLiquidationThreshold / totalCollateralBase : 0n;
  const healthFactor =
    totalDebtBase === 0n ? MAX_UINT256 : wadDiv(percentMul(totalCollateralBase, avgLiquidationThreshold), totalDebtBase);
  return { totalCollateralBase, totalDebtBase, avgLtv, avgLiquidationThreshold, healthFactor };
}

/**
 * Uniform fractional drop of every collateral price that brings the health factor to 1: scaling
 * collateral by (1 - d) scales HF by (1 - d), so d = 1 - 1/HF (negative once HF < 1). Null with no
 * debt, and with HF 0 (no collateral left: no price move reaches 1).
 */
export function collateralDropToLiquidation(healthFactor: bigint): number | null {
  if (healthFactor === MAX_UINT256) return null;
  const inverse = ratio(HEALTH_FACTOR_LIQUIDATION_THRESHOLD, healthFactor);
  return inverse === null ? null : 1 - inverse;
}

const withPrice = (reserves: UserReserve[], asset: string, price: bigint) =>
  reserves.map((r) => (r.asset === asset ? { ...r, price } : r));

export type LiquidationPriceResult =
  | { kind: "price"; price: bigint; direction: "down" | "up" }
  | { kind: "none" };

/**
 * Oracle price of `asset` (others held) at which the health factor crosses 1, found by bisection on
 * the exact health factor: for an asset whose fall hurts, the highest price with HF < 1; for one
 * whose rise hurts (a debt), the lowest. Bisection keeps the answer exact even where integer
 * rounding makes the health factor step unevenly.
 */
export function liquidationPrice(
  reserves: UserReserve[],
  eMode: { category: number; data: EModeCategory } | null,
  asset: string,
): LiquidationPriceResult {
  const current = reserves.find((r) => r.asset === asset);
  if (!current || current.price <= 0n) return { kind: "none" };
  const hf = (price: bigint) => accountData(withPrice(reserves, asset, price), eMode).healthFactor;
  const unsafe = (price: bigint) => hf(price) < HEALTH_FACTOR_LIQUIDATION_THRESHOLD;
  const ceiling = current.price * 2n ** 64n;
  const fallHurts = hf(current.price * 2n) > hf(current.price) || hf(current.price / 2n) < hf(current.price);

  if (fallHurts) {
    // Highest unsafe price: unsafe at 1, safe somewhere above the mark.
    if (!unsafe(1n)) return { kind: "none" };
    const hi = doubleWhile(current.price, ceiling, unsafe);
    return hi === undefined ? { kind: "none" } : { kind: "price", price: bisect(1n, hi, unsafe).lo, direction: "down" };
  }
  const riseHurts = hf(current.price * 2n) < hf(current.price);
  if (!riseHurts) return { kind: "none" };
  // Lowest unsafe price: safe at 0, unsafe somewhere above the mark.
  const safe = (price: bigint) => !unsafe(price);
  if (!safe(0n)) return { kind: "none" };
  const hi = doubleWhile(current.price, ceiling, safe);
  return hi === undefined ? { kind: "none" } : { kind: "price", price: bisect(0n, hi, safe).hi, direction: "up" };
}

/** Doubles `from` while `keep` holds; undefined once past `ceiling`. */
function doubleWhile(from: bigint, ceiling: bigint, keep: (price: bigint) => boolean): bigint | undefined {
  let price = from;
  while (keep(price)) {
    if (price > ceiling) return undefined;
    price *= 2n;
  }
  return price;
}

/** Narrows [lo, hi], where `atLo` holds at lo and not at hi, to two adjacent prices. */
function bisect(lo: bigint, hi: bigint, atLo: (price: bigint) => boolean): { lo: bigint; hi: bigint } {
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (atLo(mid)) lo = mid;
    else hi = mid;
  }
  return { lo, hi };
}
