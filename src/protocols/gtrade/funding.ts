// gTrade v10 funding fees in on-chain units: a skew-driven rate that moves at a velocity, capped, accrued
// into per-side accumulators weighted by the pair price. Formulas from @gainsnetwork/sdk 1.8.7,
// lib/trade/fees/fundingFees/index.js. The v10 contract is not public, so its intermediate rounding is
// unknown: here every step is exact (rationals) and only what the contract stores is rounded, toward
// zero as Solidity's signed division does: the accumulators (int128, 1e20) and the rate (int56, 1e18).
import { ACC_FEE_PRECISION, FUNDING_RATE_PRECISION, P_10, PERCENT_P_10, assertUnsigned } from "./units";

/** IFundingFees.FundingFeeParams (per collateral and pair). */
export type FundingParams = {
  /** 1e26: rate velocity per year per token of net exposure. */
  skewCoefficientPerYear: bigint;
  /** 1e7: cap on |velocity| (rate per second, per year). */
  absoluteVelocityPerYearCap: bigint;
  /** 1e10: cap on |rate| (% per second). */
  absoluteRatePerSecondCap: bigint;
  /** Whole USD: below this |net exposure| the rate does not move. */
  thetaThresholdUsd: bigint;
  fundingFeesEnabled: boolean;
  aprMultiplierEnabled: boolean;
};
/** IFundingFees.PairFundingFeeData. */
export type FundingData = {
  /** 1e20, % × pair price; signed. */
  accFundingFeeLongP: bigint;
  accFundingFeeShortP: bigint;
  /** 1e18, % per second; positive: longs pay. */
  lastFundingRatePerSecondP: bigint;
  lastFundingUpdateTs: bigint;
};
/** getPairOiAfterV10Token: v10 open interest in index tokens (1e18). */
export type PairOiToken = { oiLongToken: bigint; oiShortToken: bigint };
export type PendingFunding = { accFundingFeeLongP: bigint; accFundingFeeShortP: bigint; currentFundingRatePerSecondP: bigint };

const ONE_YEAR = 31_536_000n;
/** The SDK's FUNDING_APR_MULTIPLIER_CAP: the earning side earns at most 100× the paying side's rate. */
const APR_MULTIPLIER_CAP = 100n;
/** Velocity is carried as a numerator over this (1e18 rate units × 1e26 skew precision). */
const VELOCITY_DENOMINATOR = 10n ** 26n;

/** n / d with d > 0. */
type Ratio = { n: bigint; d: bigint };
const ratio = (n: bigint, d: bigint): Ratio => (d < 0n ? { n: -n, d: -d } : { n, d });
const add = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.d + b.n * a.d, a.d * b.d);
const mul = (a: Ratio, b: Ratio): Ratio => ratio(a.n * b.n, a.d * b.d);
const sign = (x: bigint) => (x > 0n ? 1n : x < 0n ? -1n : 0n);
const ONE: Ratio = { n: 1n, d: 1n };

/**
 * Signed velocity of the rate per year, over VELOCITY_DENOMINATOR, in 1e18 rate units: |net tokens| ×
 * skew coefficient, capped, signed like the net exposure; 0 while |net exposure in USD| is under theta.
 * SDK: getCurrentFundingVelocityPerYear (net exposure in USD there is net tokens × pair price).
 */
function velocityPerYear(p: FundingParams, oi: PairOiToken, currentPairPrice: bigint): bigint {
  const net = oi.oiLongToken - oi.oiShortToken;
  if (net === 0n || p.skewCoefficientPerYear === 0n || p.absoluteVelocityPerYearCap === 0n) return 0n;
  const absNet = net < 0n ? -net : net;
  // |net| (1e18) × price (1e10) against whole USD.
  if (absNet * currentPairPrice < p.thetaThresholdUsd * 10n ** 28n) return 0n;
  const uncapped = absNet * p.skewCoefficientPerYear;
  const cap = p.absoluteVelocityPerYearCap * 10n ** 11n * VELOCITY_DENOMINATOR;
  return sign(net) * (uncapped < cap ? uncapped : cap);
}

/**
 * The SDK's getLongShortAprMultiplier: when enabled, the earning side's accrual is scaled by the paying
 * side's open interest over its own, capped at 100×.
 */
function aprMultipliers(avgRateSign: bigint, oi: PairOiToken, enabled: boolean): { long: Ratio; short: Ratio } {
  if (!enabled || avgRateSign === 0n) return { long: ONE, short: ONE };
  const cap = (r: Ratio) => (r.n > APR_MULTIPLIER_CAP * r.d ? { n: APR_MULTIPLIER_CAP, d: 1n } : r);
  if (avgRateSign < 0n) return { long: oi.oiLongToken > 0n ? cap(ratio(oi.oiShortToken, oi.oiLongToken)) : ONE, short: ONE };
  return { long: ONE, short: oi.oiShortToken > 0n ? cap(ratio(oi.oiLongToken, oi.oiShortToken)) : ONE };
}

/**
 * The pair's funding accumulators and rate at `timestamp`. The rate moves linearly at the velocity until
 * the cap; the accumulators grow by ∫rate dt × price (both sides, opposite signs, the earning side scaled
 * by the APR multiplier). When the multiplier is on and the rate crossed zero, the two legs are scaled
 * separately, and the leg after zero is taken as linear from 0 to the current rate, as the SDK does.
 * SDK: getPairPendingAccFundingFees, getAvgFundingRatePerSecondP, getSecondsToReachZeroRate.
 */
export function pendingAccFundingFees(p: FundingParams, data: FundingData, oi: PairOiToken, currentPairPrice: bigint, timestamp: bigint): PendingFunding {
  assertUnsigned("currentPairPrice", currentPairPrice);
  assertUnsigned("oiLongToken", oi.oiLongToken);
  assertUnsigned("oiShortToken", oi.oiShortToken);
  const stored = { accFundingFeeLongP: data.accFundingFeeLongP, accFundingFeeShortP: data.accFundingFeeShortP };
  if (!p.fundingFeesEnabled) return { ...stored, currentFundingRatePerSecondP: data.lastFundingRatePerSecondP };

  const dt = timestamp > data.lastFundingUpdateTs ? timestamp - data.lastFundingUpdateTs : 0n;
  const r0 = data.lastFundingRatePerSecondP;
  const v = velocityPerYear(p, oi, currentPairPrice);
  const yearV = ONE_YEAR * VELOCITY_DENOMINATOR;
  const rateCap = p.absoluteRatePerSecondCap * (FUNDING_RATE_PRECISION / P_10);

  // ∫rate dt over the period (1e18 × seconds) and the rate at its end.
  let integral: Ratio;
  let current: Ratio;
  if (rateCap === 0n) {
    integral = { n: 0n, d: 1n };
    current = { n: 0n, d: 1n };
  } else if (v === 0n || dt === 0n) {
    integral = { n: r0 * dt, d: 1n };
    current = { n: r0, d: 1n };
  } else {
    const capS = v < 0n ? -rateCap : rateCap;
    // Seconds to reach the cap: (capS − r0) × year / v; reached when dt exceeds it.
    const reached = sign(dt * v - (capS - r0) * yearV) * sign(v) > 0n;
    if (capS === r0 || reached) {
      // (r0 + cap)/2 over the ramp, then the cap: cap × dt − (cap − r0)² × year / (2v).
      integral = ratio(2n * capS * dt * v - (capS - r0) ** 2n * yearV, 2n * v);
      current = { n: capS, d: 1n };
    } else {
      integral = ratio(2n * r0 * dt * yearV + dt * dt * v, 2n * yearV);
      current = ratio(r0 * yearV + dt * v, yearV);
    }
  }

  // Accumulator growth per unit of ∫rate dt: × price (1e10) → 1e20.
  const perIntegral: Ratio = { n: currentPairPrice * ACC_FEE_PRECISION, d: FUNDING_RATE_PRECISION * P_10 };
  const legs: { integral: Ratio; avgSign: bigint }[] = [];
  const crossedZero = p.aprMultiplierEnabled && sign(r0) !== 0n && sign(current.n) !== 0n && sign(r0) !== sign(current.n);
  if (crossedZero) {
    // Seconds to zero: −r0 × year / v; leg 1 averages r0/2 over it, leg 2 current/2 over the rest.
    legs.push({ integral: ratio(-(r0 * r0) * yearV, 2n * v), avgSign: sign(r0) });
    legs.push({ integral: mul(current, ratio(dt * v + r0 * yearV, 2n * v)), avgSign: sign(current.n) });
  } else {
    // The SDK's average rate when no time passed is the last rate (the integral is 0 anyway).
    legs.push({ integral, avgSign: dt === 0n ? sign(r0) : sign(integral.n) });
  }
  let longDelta: Ratio = { n: 0n, d: 1n };
  let shortDelta: Ratio = { n: 0n, d: 1n };
  for (const leg of legs) {
    const m = aprMultipliers(leg.avgSign, oi, p.aprMultiplierEnabled);
    const delta = mul(leg.integral, perIntegral);
    longDelta = add(longDelta, mul(delta, m.long));
    shortDelta = add(shortDelta, mul(delta, m.short));
  }
  return {
    accFundingFeeLongP: data.accFundingFeeLongP + longDelta.n / longDelta.d,
    accFundingFeeShortP: data.accFundingFeeShortP - shortDelta.n / shortDelta.d,
    currentFundingRatePerSecondP: current.n / current.d,
  };
}

/**
 * A trade's funding fee in collateral (positive: paid; negative: earned): positionSize × (acc of its
 * side − initial) / openPrice / 100, toward zero; 0 while funding is disabled on the pair.
 * SDK: getTradeFundingFeesCollateral.
 */
export function fundingFeeCollateral(input: {
  long: boolean;
  positionSizeCollateral: bigint;
  openPrice: bigint;
  initialAccFundingFeeP: bigint;
  params: FundingParams;
  pending: PendingFunding;
}): bigint {
  if (input.openPrice <= 0n) throw new RangeError(`gTrade: openPrice must be > 0, got ${input.openPrice}`);
  if (!input.params.fundingFeesEnabled) return 0n;
  const acc = input.long ? input.pending.accFundingFeeLongP : input.pending.accFundingFeeShortP;
  return (input.positionSizeCollateral * (acc - input.initialAccFundingFeeP)) / (input.openPrice * PERCENT_P_10);
}
