import { abs, ceilDiv, minBig } from "../../core/fixed";
import { pow } from "./prb-pow";

// Pure GMX v2 position math, units as gmx-synthetics: USD and factors 1e30, prices per smallest
// token unit x 10^(30 - decimals) ("unit prices"), funding per size 1e45, amounts in token units.

export const FLOAT_PRECISION = 10n ** 30n;
const FUNDING_PRECISION = 10n ** 45n;
const FLOAT_TO_WEI = 10n ** 12n;

export type MinMax = { min: bigint; max: bigint };

/** DataStore parameters of one market (data/Keys.sol) as of the queried block. */
export type GmxV2MarketParams = {
  minCollateralUsd: bigint;
  minCollateralFactorForLiquidation: bigint;
  maxPositionImpactFactorForLiquidations: bigint;
  positionImpactFactorPositive: bigint;
  positionImpactFactorNegative: bigint;
  positionImpactExponentFactorPositive: bigint;
  positionImpactExponentFactorNegative: bigint;
  maxPositionImpactFactorPositive: bigint;
  maxPositionImpactFactorNegative: bigint;
  positionFeeFactorBalanceImproved: bigint;
  positionFeeFactorBalanceNotImproved: bigint;
};

/** Market accumulators for the position's side and collateral, and open interest per side (USD). */
export type GmxV2MarketState = {
  longOpenInterestUsd: bigint;
  shortOpenInterestUsd: bigint;
  cumulativeBorrowingFactor: bigint;
  fundingFeeAmountPerSize: bigint;
};

export type GmxV2Position = {
  isLong: boolean;
  sizeInUsd: bigint;
  sizeInTokens: bigint;
  collateralAmount: bigint;
  /** Index tokens; not in events, accumulated as the contract does (see ./normalise.ts). */
  pendingImpactAmount: bigint;
  borrowingFactor: bigint;
  fundingFeeAmountPerSize: bigint;
};

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

/**
 * PricingUtils.applyImpactFactor (v2.0 on): (diff ^ exponent) * factor. The "/ 2" of the first
 * synthetics code was removed before v2.0 (gmx-synthetics 1f94a2c7, 2023-05-31).
 */
export const applyImpactFactor = (diffUsd: bigint, factor: bigint, exponent: bigint): bigint =>
  applyFactor(applyExponentFactor(diffUsd, exponent), factor);

/**
 * MarketUtils.getAdjustedPositionImpactFactors / ...ExponentFactors: the positive factor and
 * exponent are never above the negative ones (so opening and closing cannot be a profitable loop).
 */
export function adjustedImpactParams(m: GmxV2MarketParams) {
  const negativeFactor = m.positionImpactFactorNegative;
  const negativeExponent = m.positionImpactExponentFactorNegative;
  return {
    positiveFactor: minBig(m.positionImpactFactorPositive, negativeFactor),
    negativeFactor,
    positiveExponent: minBig(m.positionImpactExponentFactorPositive, negativeExponent),
    negativeExponent,
  };
}

/** Open interest per side (USD 1e30) and the usdDelta an action adds to its side. */
export type OpenInterestChange = { longUsd: bigint; shortUsd: bigint; isLong: boolean; usdDelta: bigint };

/**
 * PositionPricingUtils._getPriceImpactUsd with PricingUtils.getPriceImpactUsdForSameSideRebalance and
 * ...ForCrossoverRebalance: the impact of moving one side's open interest by usdDelta. A decrease
 * larger than its side's open interest leaves it at zero (getNextOpenInterestParams, v2.1 on).
 */
export function priceImpactUsd(m: GmxV2MarketParams, change: OpenInterestChange) {
  const long = change.longUsd;
  const short = change.shortUsd;
  const moved = (side: bigint) => (side + change.usdDelta < 0n ? 0n : side + change.usdDelta);
  const nextLong = change.isLong ? moved(long) : long;
  const nextShort = change.isLong ? short : moved(short);
  const initialDiff = abs(long - short);
  const nextDiff = abs(nextLong - nextShort);
  const balanceWasImproved = nextDiff < initialDiff;
  const a = adjustedImpactParams(m);
  let impact: bigint;
  if (long <= short === nextLong <= nextShort) {
    const factor = balanceWasImproved ? a.positiveFactor : a.negativeFactor;
    const exponent = balanceWasImproved ? a.positiveExponent : a.negativeExponent;
    const delta = abs(applyImpactFactor(initialDiff, factor, exponent) - applyImpactFactor(nextDiff, factor, exponent));
    impact = balanceWasImproved ? delta : -delta;
  } else {
    const positive = applyImpactFactor(initialDiff, a.positiveFactor, a.positiveExponent);
    const negative = applyImpactFactor(nextDiff, a.negativeFactor, a.negativeExponent);
    impact = positive - negative;
  }
  return { impactUsd: impact, balanceWasImproved };
}

/**
 * PositionPricingUtils.getPriceImpactUsd for closing the whole position (usdDelta = -size). Virtual
 * inventory is not followed.
 */
export const closePriceImpactUsd = (p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState) =>
  priceImpactUsd(m, { longUsd: s.longOpenInterestUsd, shortUsd: s.shortOpenInterestUsd, isLong: p.isLong, usdDelta: -p.sizeInUsd });

/**
 * The price impact PositionUtils.isPositionLiquidatable counts: close impact (positive part capped by
 * the max positive factor), plus the pending impact at the index price, then capped to
 * [-size * maxPositionImpactFactorForLiquidations, 0].
 */
export function liquidationImpactUsd(p: GmxV2Position, m: GmxV2MarketParams, closeImpactUsd: bigint, index: MinMax): bigint {
  let impact = closeImpactUsd;
  if (impact > 0n) {
    const cap = applyFactor(p.sizeInUsd, minBig(m.maxPositionImpactFactorPositive, m.maxPositionImpactFactorNegative));
    if (impact > cap) impact = cap;
  }
  impact += p.pendingImpactAmount * (p.pendingImpactAmount > 0n ? index.min : index.max);
  if (impact >= 0n) return 0n;
  const floor = -applyFactor(p.sizeInUsd, m.maxPositionImpactFactorForLiquidations);
  return impact < floor ? floor : impact;
}

/** What closing costs, in collateral tokens as PositionPricingUtils.getPositionFees charges it. */
export function closingCosts(p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState, collateralMin: bigint) {
  if (collateralMin <= 0n) throw new RangeError("collateral price must be positive");
  // MarketUtils.getBorrowingFees: size * (cumulative - position's factor) / 1e30.
  const borrowingFeeUsd = applyFactor(p.sizeInUsd, s.cumulativeBorrowingFactor - p.borrowingFactor);
  // MarketUtils.getFundingAmount rounds the amount a position pays up.
  const fundingFeeAmount = ceilDiv(p.sizeInUsd * (s.fundingFeeAmountPerSize - p.fundingFeeAmountPerSize), FUNDING_PRECISION);
  // The liquidation check prices the closing fee as "balance not improved" (no referral discount).
  const positionFeeUsd = applyFactor(p.sizeInUsd, m.positionFeeFactorBalanceNotImproved);
  const amount = borrowingFeeUsd / collateralMin + fundingFeeAmount + positionFeeUsd / collateralMin;
  return { borrowingFeeUsd, fundingFeeAmount, positionFeeUsd, costAmount: amount, costUsd: amount * collateralMin };
}

/** PositionUtils.getPositionPnlUsd for the whole size (no profit cap): long at min price, short at max. */
export const positionPnlUsd = (p: GmxV2Position, index: MinMax): bigint => {
  const value = p.sizeInTokens * (p.isLong ? index.min : index.max);
  return p.isLong ? value - p.sizeInUsd : p.sizeInUsd - value;
};

export type LiquidationCheck = { liquidatable: boolean; remainingCollateralUsd: bigint; minCollateralUsdForLeverage: bigint };

/** PositionUtils.isPositionLiquidatable with shouldValidateMinCollateralUsd = true, forLiquidation = true. */
export function liquidationCheck(
  p: GmxV2Position,
  m: GmxV2MarketParams,
  s: GmxV2MarketState,
  prices: { index: MinMax; collateral: MinMax },
  // The close impact depends on open interest only; a price search passes it in once.
  closeImpactUsd: bigint = closePriceImpactUsd(p, m, s).impactUsd,
): LiquidationCheck {
  const remainingCollateralUsd =
    p.collateralAmount * prices.collateral.min +
    positionPnlUsd(p, prices.index) +
    liquidationImpactUsd(p, m, closeImpactUsd, prices.index) -
    closingCosts(p, m, s, prices.collateral.min).costUsd;
  const minCollateralUsdForLeverage = applyFactor(p.sizeInUsd, m.minCollateralFactorForLiquidation);
  const liquidatable =
    remainingCollateralUsd < m.minCollateralUsd || remainingCollateralUsd <= 0n || remainingCollateralUsd < minCollateralUsdForLeverage;
  return { liquidatable, remainingCollateralUsd, minCollateralUsdForLeverage };
}

export type LiquidationPrice = { kind: "price"; price: bigint } | { kind: "always" } | { kind: "never" };

/**
 * The index unit price at which the contract's check flips, with min = max = that price (and the
 * collateral priced with it when it is the index token). Long: the highest liquidatable price;
 * short: the lowest. Starts from the gmx-interface closed form (sdk utils/positions getLiquidationPrice)
 * and settles the last unit on liquidationCheck itself, since fees are charged in rounded token amounts.
 */
export function liquidationPrice(
  p: GmxV2Position,
  m: GmxV2MarketParams,
  s: GmxV2MarketState,
  collateral: { isIndexToken: true } | { isIndexToken: false; price: MinMax },
): LiquidationPrice {
  if (p.sizeInUsd === 0n || p.sizeInTokens === 0n) return { kind: "never" };
  const closeImpactUsd = closePriceImpactUsd(p, m, s).impactUsd;
  const at = (price: bigint) => {
    const index = { min: price, max: price };
    const prices = { index, collateral: collateral.isIndexToken ? index : collateral.price };
    return liquidationCheck(p, m, s, prices, closeImpactUsd).liquidatable;
  };
  // Safe side of the boundary: long safe above it, short safe below it.
  const safe = (price: bigint) => !at(price);
  const ceiling = (1n << 200n) / (p.sizeInTokens + p.collateralAmount + 1n); // keeps every product far below 2^256
  if (p.isLong) {
    if (!safe(ceiling)) return { kind: "always" };
    if (safe(1n)) return { kind: "never" };
    return { kind: "price", price: boundary(1n, ceiling, at, estimate(p, m, s, collateral)) };
  }
  if (!safe(1n)) return { kind: "always" };
  if (safe(ceiling)) return { kind: "never" };
  // For shorts the liquidatable side is above: search on the mirrored predicate, answer the first liquidatable.
  return { kind: "price", price: boundary(1n, ceiling, safe, estimate(p, m, s, collateral)) + 1n };
}

/** Largest x in [lo, hi) with pred(x) true, given pred(lo) and !pred(hi); gallops out from a guess. */
function boundary(lo: bigint, hi: bigint, pred: (x: bigint) => boolean, guess: bigint | null): bigint {
  if (guess !== null && guess > lo && guess < hi) {
    let step = 1n;
    if (pred(guess)) {
      lo = guess;
      while (lo + step < hi && pred(lo + step)) (lo += step), (step *= 2n);
      hi = minBig(hi, lo + step);
    } else {
      hi = guess;
      while (hi - step > lo && !pred(hi - step)) (hi -= step), (step *= 2n);
      lo = hi - step > lo ? hi - step : lo;
    }
  }
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (pred(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** gmx-interface closed form with the contract's rounded costs at the current collateral price; a search start. */
function estimate(
  p: GmxV2Position,
  m: GmxV2MarketParams,
  s: GmxV2MarketState,
  collateral: { isIndexToken: true } | { isIndexToken: false; price: MinMax },
): bigint | null {
  let liqCollateralUsd = applyFactor(p.sizeInUsd, m.minCollateralFactorForLiquidation);
  if (liqCollateralUsd < m.minCollateralUsd) liqCollateralUsd = m.minCollateralUsd;
  const impact = closePriceImpactUsd(p, m, s).impactUsd;
  const cappedImpact = impact > 0n ? 0n : impact;
  if (collateral.isIndexToken) {
    const costs = closingCosts(p, m, s, 1n);
    const feesUsd = costs.borrowingFeeUsd + costs.positionFeeUsd;
    const denominator = p.isLong ? p.sizeInTokens + p.collateralAmount : p.sizeInTokens - p.collateralAmount;
    if (denominator <= 0n) return null;
    const numerator = p.isLong
      ? p.sizeInUsd + liqCollateralUsd - cappedImpact + feesUsd
      : p.sizeInUsd - liqCollateralUsd + cappedImpact - feesUsd;
    return numerator > 0n ? numerator / denominator : null;
  }
  const remaining =
    p.collateralAmount * collateral.price.min + cappedImpact - closingCosts(p, m, s, collateral.price.min).costUsd;
  const numerator = p.isLong ? liqCollateralUsd - remaining + p.sizeInUsd : -(liqCollateralUsd - remaining - p.sizeInUsd);
  return numerator > 0n ? numerator / p.sizeInTokens : null;
}

/** PositionUtils/gmx-interface getLeverage: size / (collateral + pnl - pending fees), null when equity <= 0. */
export function leverage(sizeInUsd: bigint, equityUsd: bigint): number | null {
  if (equityUsd <= 0n) return null;
  return Number((sizeInUsd * 10_000n) / equityUsd) / 10_000;
}
