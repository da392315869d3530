import { abs, ceilDiv, minBig } from "../../core/fixed";
import { gmxV2ReleaseRules } from "./releases";
import { applyExponentFactor, applyFactor, FLOAT_PRECISION, FUNDING_PRECISION, midPrice, type MinMax } from "./precision";
import type { GmxV2MarketParams, GmxV2MarketState, GmxV2Position } from "./risk";

// Borrowing and funding the contract accrues between a market's last update and the check:
// PositionUtils.updateFundingAndBorrowingState runs before every order's liquidation check (v2.1 on:
// ExecuteOrderUtils.executeOrder), so the check sees the accumulators advanced to its block's timestamp.
// Formulas: gmx-synthetics market/MarketUtils.sol at v2.1, v2.2 and main (a5c0c883).

/** Precision.toFactor: 0 for a value of 0, else value * 1e30 / divisor (the contract reverts on a zero divisor). */
function toFactor(value: bigint, divisor: bigint, what: string): bigint {
  if (value === 0n) return 0n;
  if (divisor === 0n) throw new RangeError(`${what} is zero (the contract reverts)`);
  return (value * FLOAT_PRECISION) / divisor;
}

/** Calc.boundMagnitude: |value| clamped to [min, max], the sign kept (0 counts as positive). */
function boundMagnitude(value: bigint, min: bigint, max: bigint): bigint {
  let magnitude = abs(value);
  if (magnitude < min) magnitude = min;
  if (magnitude > max) magnitude = max;
  return value < 0n ? -magnitude : magnitude;
}

/** One side's borrowing parameters (Keys.borrowingFactorKey(market, isLong) and its neighbours). */
const borrowingParams = (m: GmxV2MarketParams, isLong: boolean) =>
  isLong
    ? { factor: m.borrowingFactorLong, exponentFactor: m.borrowingExponentFactorLong, optimalUsageFactor: m.optimalUsageFactorLong, baseBorrowingFactor: m.baseBorrowingFactorLong, aboveOptimalUsageBorrowingFactor: m.aboveOptimalUsageBorrowingFactorLong, openInterestReserveFactor: m.openInterestReserveFactorLong, maxOpenInterest: m.maxOpenInterestLong }
    : { factor: m.borrowingFactorShort, exponentFactor: m.borrowingExponentFactorShort, optimalUsageFactor: m.optimalUsageFactorShort, baseBorrowingFactor: m.baseBorrowingFactorShort, aboveOptimalUsageBorrowingFactor: m.aboveOptimalUsageBorrowingFactorShort, openInterestReserveFactor: m.openInterestReserveFactorShort, maxOpenInterest: m.maxOpenInterestShort };

/** Prices accrual reads: index (reserved USD, balance), the side's pool token (pool USD) and the position's collateral (funding per size). */
export type AccrualPrices = { index: MinMax; pnlToken: MinMax; collateral: MinMax };

/**
 * The open interest funding and the smaller-side skip balance: MarketUtils.getOpenInterestForBalance on
 * main (index tokens at the mid price when the market balances in tokens), USD through v2.2.
 */
function balanceOpenInterest(m: GmxV2MarketParams, s: GmxV2MarketState, index: MinMax) {
  if (!gmxV2ReleaseRules(m.release).openInterestInTokensForBalance || !m.useOpenInterestInTokensForBalance) {
    return { long: s.longOpenInterestUsd, short: s.shortOpenInterestUsd };
  }
  const mid = midPrice(index);
  return { long: s.longOpenInterestInTokens * mid, short: s.shortOpenInterestInTokens * mid };
}

/**
 * MarketUtils.getBorrowingFactorPerSecond: reserved USD (longs: open interest in tokens at the max index
 * price; shorts: open interest in USD) against the side's pool at its min price, by the kink model
 * (getKinkBorrowingFactor, when OPTIMAL_USAGE_FACTOR is set) or reserved^exponent / pool x BORROWING_FACTOR.
 */
export function borrowingFactorPerSecond(m: GmxV2MarketParams, s: GmxV2MarketState, isLong: boolean, prices: Pick<AccrualPrices, "index" | "pnlToken">): bigint {
  const side = borrowingParams(m, isLong);
  const reservedUsd = isLong ? s.longOpenInterestInTokens * prices.index.max : s.shortOpenInterestUsd;
  if (reservedUsd === 0n) return 0n;
  if (m.skipBorrowingFeeForSmallerSide) {
    const oi = balanceOpenInterest(m, s, prices.index);
    if (isLong ? oi.long < oi.short : oi.short < oi.long) return 0n;
  }
  const poolUsd = s.pnlPoolAmount * prices.pnlToken.min;
  if (poolUsd === 0n) throw new RangeError("the side's pool is empty: no borrowing rate (the contract reverts)");
  if (side.optimalUsageFactor !== 0n && gmxV2ReleaseRules(m.release).kinkUsage !== "none") return kinkBorrowingFactor(m, s, isLong, reservedUsd, poolUsd);
  // x 0 is 0 whatever the power (skips PRBMath's pow, the costly part of a liquidation search).
  if (side.factor === 0n) return 0n;
  return applyFactor(toFactor(applyExponentFactor(reservedUsd, side.exponentFactor), poolUsd, "pool USD"), side.factor);
}

/**
 * MarketUtils.getKinkBorrowingFactor with getUsageFactor (v2.1: also open interest over MAX_OPEN_INTEREST
 * unless IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR; v2.2 on: reserve only).
 */
function kinkBorrowingFactor(m: GmxV2MarketParams, s: GmxV2MarketState, isLong: boolean, reservedUsd: bigint, poolUsd: bigint): bigint {
  const side = borrowingParams(m, isLong);
  let usage = toFactor(reservedUsd, applyFactor(poolUsd, side.openInterestReserveFactor), "the reserve (pool x OPEN_INTEREST_RESERVE_FACTOR)");
  if (gmxV2ReleaseRules(m.release).kinkUsage === "reserveOrOpenInterest" && !m.ignoreOpenInterestForUsageFactor) {
    const openInterestUsage = toFactor(isLong ? s.longOpenInterestUsd : s.shortOpenInterestUsd, side.maxOpenInterest, "MAX_OPEN_INTEREST");
    if (openInterestUsage > usage) usage = openInterestUsage;
  }
  let factor = applyFactor(usage, side.baseBorrowingFactor);
  const optimal = side.optimalUsageFactor;
  if (usage > optimal && FLOAT_PRECISION > optimal) {
    const above = side.aboveOptimalUsageBorrowingFactor > side.baseBorrowingFactor ? side.aboveOptimalUsageBorrowingFactor - side.baseBorrowingFactor : 0n;
    factor += (above * (usage - optimal)) / (FLOAT_PRECISION - optimal);
  }
  return factor;
}

export type FundingRate = { factorPerSecond: bigint; longsPayShorts: boolean };

/**
 * MarketUtils.getNextFundingFactorPerSecond (v2.1 on): the skew factor diff^exponent / total; without
 * FUNDING_INCREASE_FACTOR_PER_SECOND, x FUNDING_FACTOR capped at MAX_FUNDING_FACTOR_PER_SECOND; with it
 * (adaptive), the saved factor raised or lowered over the elapsed seconds, then bounded by MIN and MAX.
 * Balanced sides reset it in v2.1 and, since v2.2, only without adaptive funding.
 */
export function fundingFactorPerSecond(m: GmxV2MarketParams, s: GmxV2MarketState, seconds: bigint, savedFactorPerSecond: bigint, index: MinMax): FundingRate {
  const oi = balanceOpenInterest(m, s, index);
  const diffUsd = abs(oi.long - oi.short);
  if (gmxV2ReleaseRules(m.release).stableOrUncappedFunding) return v20FundingFactorPerSecond(m, oi, diffUsd);
  if (diffUsd === 0n && (gmxV2ReleaseRules(m.release).balancedFundingResets || m.fundingIncreaseFactorPerSecond === 0n)) return { factorPerSecond: 0n, longsPayShorts: true };
  const fixedRate = m.fundingIncreaseFactorPerSecond === 0n;
  if (fixedRate && (m.fundingFactor === 0n || m.maxFundingFactorPerSecond === 0n)) return { factorPerSecond: 0n, longsPayShorts: oi.long > oi.short };
  const skew = toFactor(applyExponentFactor(diffUsd, m.fundingExponentFactor), oi.long + oi.short, "open interest");
  if (fixedRate) return { factorPerSecond: minBig(applyFactor(skew, m.fundingFactor), m.maxFundingFactorPerSecond), longsPayShorts: oi.long > oi.short };

  const saved = savedFactorPerSecond;
  const sameDirection = (saved > 0n && oi.long > oi.short) || (saved < 0n && oi.short > oi.long);
  const change = !sameDirection ? "increase" : skew > m.thresholdForStableFunding ? "increase" : skew < m.thresholdForDecreaseFunding ? "decrease" : "none";
  let next = saved;
  if (change === "increase") {
    const increase = applyFactor(skew, m.fundingIncreaseFactorPerSecond) * seconds;
    next = saved + (oi.long < oi.short ? -increase : increase);
  } else if (change === "decrease" && saved !== 0n) {
    const decrease = m.fundingDecreaseFactorPerSecond * seconds;
    const sign = saved < 0n ? -1n : 1n;
    // A factor decayed past zero stays at +-1, keeping its direction.
    next = abs(saved) <= decrease ? sign : (abs(saved) - decrease) * sign;
  }
  const withMin = boundMagnitude(boundMagnitude(next, 0n, m.maxFundingFactorPerSecond), m.minFundingFactorPerSecond, m.maxFundingFactorPerSecond);
  return { factorPerSecond: abs(withMin), longsPayShorts: withMin > 0n };
}

/**
 * v2.0's MarketUtils.getFundingFactorPerSecond: STABLE_FUNDING_FACTOR when set (whatever the skew, even
 * balanced), else diff^exponent / total x FUNDING_FACTOR with no cap; longs pay when they are the larger
 * side (getNextFundingAmountPerSize), so balanced sides under a stable factor have shorts pay.
 */
function v20FundingFactorPerSecond(m: GmxV2MarketParams, oi: { long: bigint; short: bigint }, diffUsd: bigint): FundingRate {
  const longsPayShorts = oi.long > oi.short;
  if (m.stableFundingFactor > 0n) return { factorPerSecond: m.stableFundingFactor, longsPayShorts };
  if (diffUsd === 0n) return { factorPerSecond: 0n, longsPayShorts };
  const skew = toFactor(applyExponentFactor(diffUsd, m.fundingExponentFactor), oi.long + oi.short, "open interest");
  return { factorPerSecond: applyFactor(skew, m.fundingFactor), longsPayShorts };
}

/** MarketUtils.getFundingAmountPerSizeDelta: funding USD per size (1e45) in token units at `tokenPriceMax`, rounded up for payers, down for receivers. */
function fundingPerSizeDelta(fundingUsd: bigint, openInterest: bigint, tokenPriceMax: bigint, roundUp: boolean): bigint {
  if (fundingUsd === 0n || openInterest === 0n) return 0n;
  if (!roundUp) return (fundingUsd * FUNDING_PRECISION) / openInterest / tokenPriceMax;
  return ceilDiv(ceilDiv(fundingUsd * FUNDING_PRECISION, openInterest), tokenPriceMax);
}

type Pending = NonNullable<GmxV2MarketState["pending"]>;
const SLOTS = ["longToken", "shortToken"] as const;

/**
 * MarketUtils.getNextFundingAmountPerSize's split of the funding since the last update: who pays, and
 * the USD each pool token's payers pay (the paying side's size, v2.1: the larger side's, x seconds x
 * rate, halved in a single-token market, shared by the payers' open interest per collateral token).
 * Null when nothing accrues (a side empty, or no time passed).
 */
function fundingSplit(m: GmxV2MarketParams, s: GmxV2MarketState, pending: Pending, index: MinMax) {
  const long = s.longOpenInterestUsd;
  const short = s.shortOpenInterestUsd;
  const seconds = pending.fundingSeconds;
  if (long === 0n || short === 0n || seconds === 0n) return null;
  const rate = fundingFactorPerSecond(m, s, seconds, pending.savedFundingFactorPerSecond, index);
  const size = gmxV2ReleaseRules(m.release).fundingOnPayingSide ? (rate.longsPayShorts ? long : short) : long > short ? long : short;
  const singleToken = pending.collateralSlots.longToken && pending.collateralSlots.shortToken;
  const fundingUsd = applyFactor(size, seconds * rate.factorPerSecond) / (singleToken ? 2n : 1n);
  const payers = rate.longsPayShorts ? pending.openInterestByCollateral.long : pending.openInterestByCollateral.short;
  const payersTotal = rate.longsPayShorts ? long : short;
  const usdBySlot = { longToken: (fundingUsd * payers.longToken) / payersTotal, shortToken: (fundingUsd * payers.shortToken) / payersTotal };
  return { longsPayShorts: rate.longsPayShorts, payers, usdBySlot, receiversTotal: rate.longsPayShorts ? short : long };
}

/**
 * What MarketUtils.getNextFundingAmountPerSize adds to the position's FUNDING_FEE_AMOUNT_PER_SIZE (its
 * collateral token and side): its collateral's share of the payers' funding over the payers' open
 * interest in that token, at the token's max price, rounded up. A single-token market adds both the
 * long-token and the short-token share to the one key.
 */
export function fundingFeeAmountPerSizeDelta(p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState, pending: Pending, prices: Pick<AccrualPrices, "index" | "collateral">): bigint {
  const split = fundingSplit(m, s, pending, prices.index);
  if (!split || split.longsPayShorts !== p.isLong) return 0n;
  let delta = 0n;
  for (const slot of SLOTS) {
    if (pending.collateralSlots[slot]) delta += fundingPerSizeDelta(split.usdBySlot[slot], split.payers[slot], prices.collateral.max, true);
  }
  return delta;
}

/**
 * What MarketUtils.getNextFundingAmountPerSize adds to CLAIMABLE_FUNDING_AMOUNT_PER_SIZE(market, token,
 * isLong) for each pool token: the receiving side gets each token's share of the funding over the whole
 * side's open interest, at that token's max price, rounded down; the paying side gets nothing. In a
 * single-token market both slots name the one key.
 */
export function claimableFundingPerSizeDelta(
  isLong: boolean,
  m: GmxV2MarketParams,
  s: GmxV2MarketState,
  pending: Pending,
  prices: { index: MinMax; longToken: MinMax; shortToken: MinMax },
): { longToken: bigint; shortToken: bigint } {
  const split = fundingSplit(m, s, pending, prices.index);
  if (!split || split.longsPayShorts === isLong) return { longToken: 0n, shortToken: 0n };
  const delta = (slot: (typeof SLOTS)[number]) => fundingPerSizeDelta(split.usdBySlot[slot], split.receiversTotal, prices[slot].max, false);
  return { longToken: delta("longToken"), shortToken: delta("shortToken") };
}

/**
 * The market state the contract's check sees at the answer's timestamp: the position's side's
 * cumulative borrowing factor (MarketUtils.getNextCumulativeBorrowingFactor: + seconds x rate) and its
 * collateral's funding fee per size advanced by the seconds since each was last updated. A state with
 * no pending clock, or no seconds elapsed, is returned as it is.
 */
export function accruedState(p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState, prices: AccrualPrices): GmxV2MarketState {
  const pending = s.pending;
  if (!pending || (pending.borrowingSeconds === 0n && pending.fundingSeconds === 0n)) return s;
  const borrowing = pending.borrowingSeconds === 0n ? 0n : pending.borrowingSeconds * borrowingFactorPerSecond(m, s, p.isLong, prices);
  const funding = fundingFeeAmountPerSizeDelta(p, m, s, pending, prices);
  return { ...s, cumulativeBorrowingFactor: s.cumulativeBorrowingFactor + borrowing, fundingFeeAmountPerSize: s.fundingFeeAmountPerSize + funding };
}
