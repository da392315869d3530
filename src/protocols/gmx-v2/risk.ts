import { abs, ceilDiv, minBig } from "../../core/fixed";
import { accruedState } from "./accrual";
import { applyExponentFactor, applyFactor, FLOAT_PRECISION, FUNDING_PRECISION, midPrice, type MinMax } from "./precision";
import { gmxV2ReleaseRules, type GmxV2Release } from "./releases";

// Pure GMX v2 position math, units as gmx-synthetics: USD and factors 1e30, prices per smallest
// token unit x 10^(30 - decimals) ("unit prices"), funding per size 1e45, amounts in token units.

export { applyExponentFactor, applyFactor, FLOAT_PRECISION, midPrice, type MinMax };

/** DataStore parameters of one market (data/Keys.sol) as of the queried block, and the release whose rules apply. */
export type GmxV2MarketParams = {
  release: GmxV2Release;
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
  maxPnlFactorForTradersLong: bigint;
  maxPnlFactorForTradersShort: bigint;
  /** USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE (2025-11): impact balances open interest in index tokens at the mid price. */
  useOpenInterestInTokensForBalance: boolean;
  /** VIRTUAL_TOKEN_ID(indexToken): the virtual inventory the index token's positions share; null when it has none. */
  virtualTokenId: `0x${string}` | null;
} & GmxV2AccrualParams &
  GmxV2ImpactPoolParams;

/** How the position impact pool is distributed and may lend (./close-impact.ts); the lending keys are 0 before v2.2. */
export type GmxV2ImpactPoolParams = {
  positionImpactPoolDistributionRate: bigint;
  minPositionImpactPoolAmount: bigint;
  maxLendableImpactFactor: bigint;
  maxLendableImpactUsd: bigint;
};

/** Borrowing and funding rate parameters per side and market (MarketUtils.getBorrowingFactorPerSecond, getNextFundingFactorPerSecond; see ./accrual.ts). */
export type GmxV2AccrualParams = {
  borrowingFactorLong: bigint;
  borrowingFactorShort: bigint;
  borrowingExponentFactorLong: bigint;
  borrowingExponentFactorShort: bigint;
  optimalUsageFactorLong: bigint;
  optimalUsageFactorShort: bigint;
  baseBorrowingFactorLong: bigint;
  baseBorrowingFactorShort: bigint;
  aboveOptimalUsageBorrowingFactorLong: bigint;
  aboveOptimalUsageBorrowingFactorShort: bigint;
  openInterestReserveFactorLong: bigint;
  openInterestReserveFactorShort: bigint;
  maxOpenInterestLong: bigint;
  maxOpenInterestShort: bigint;
  /** SKIP_BORROWING_FEE_FOR_SMALLER_SIDE (global). */
  skipBorrowingFeeForSmallerSide: boolean;
  /** IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR (global; read where the release's kink usage counts open interest, else false). */
  ignoreOpenInterestForUsageFactor: boolean;
  /** STABLE_FUNDING_FACTOR(market) (v2.0; 0 elsewhere). */
  stableFundingFactor: bigint;
  fundingFactor: bigint;
  fundingExponentFactor: bigint;
  fundingIncreaseFactorPerSecond: bigint;
  fundingDecreaseFactorPerSecond: bigint;
  thresholdForStableFunding: bigint;
  thresholdForDecreaseFunding: bigint;
  minFundingFactorPerSecond: bigint;
  maxFundingFactorPerSecond: bigint;
};

/**
 * Market accumulators for the position's side and collateral, open interest per side in USD and in
 * index tokens, the pool amount of the position's PnL token (the long token for longs, the short token
 * for shorts), each halved per token when long and short token are the same (MarketUtils.getOpenInterest,
 * getOpenInterestInTokens, getPoolAmount), and the virtual inventory of the index token's virtual id
 * (USD, or index tokens when the market balances in tokens; 0 when params.virtualTokenId is null).
 */
export type GmxV2MarketState = {
  longOpenInterestUsd: bigint;
  shortOpenInterestUsd: bigint;
  longOpenInterestInTokens: bigint;
  shortOpenInterestInTokens: bigint;
  pnlPoolAmount: bigint;
  virtualInventory: bigint;
  cumulativeBorrowingFactor: bigint;
  fundingFeeAmountPerSize: bigint;
  /**
   * What accrues at the answer's timestamp, absent when nothing does (see ./accrual.ts): seconds since
   * the position's side's borrowing factor and since the market's funding were last updated (0 if
   * never: the contract's first update accrues nothing), the saved adaptive funding factor, open
   * interest in USD per side and collateral token (halved when long and short token are the same), and
   * whether the position's collateral is the market's long token, its short token (both in a
   * single-token market).
   */
  pending?: {
    borrowingSeconds: bigint;
    fundingSeconds: bigint;
    savedFundingFactorPerSecond: bigint;
    openInterestByCollateral: Record<"long" | "short", Record<"longToken" | "shortToken", bigint>>;
    collateralSlots: Record<"longToken" | "shortToken", boolean>;
  };
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
  /**
   * The trader's discount (1e30) as of its last order: on the position fee, the larger of referral and pro
   * tier (v2.2 on); the share of the referral rebate through v2.1 (releases.ts referralDiscount).
   */
  traderDiscountFactor: bigint;
  /** The referral's total rebate factor (1e30) of that order; the discount's base through v2.1. */
  referralTotalRebateFactor: bigint;
};

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

export type PriceImpact = { impactUsd: bigint; balanceWasImproved: boolean };

/**
 * PositionPricingUtils._getPriceImpactUsd with PricingUtils.getPriceImpactUsdForSameSideRebalance and
 * ...ForCrossoverRebalance: the impact of moving one side's open interest by usdDelta. A decrease
 * larger than its side's open interest leaves it at zero, as getNextOpenInterestParams does since
 * gmx-synthetics 4d91f9c9 (2025-10-26); v2.1 and v2.2 revert there (UsdDeltaExceeds...OpenInterest).
 */
export function priceImpactUsd(m: GmxV2MarketParams, change: OpenInterestChange): PriceImpact {
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
 * PositionPricingUtils.getPriceImpactUsd for a position order: the impact on the market's open interest
 * (getNextOpenInterest: USD, or index tokens at the mid price with usdDelta = tokenDelta x mid when the
 * market balances in tokens); a negative impact is the worse of that and the impact on the index
 * token's virtual inventory (getNextOpenInterestForVirtualInventory: the inventory as one side, both
 * sides offset by a decrease).
 */
export function positionPriceImpactUsd(
  m: GmxV2MarketParams,
  s: GmxV2MarketState,
  order: { isLong: boolean; usdDelta: bigint; tokenDelta: bigint },
  indexMid: bigint,
): PriceImpact {
  const inTokens = m.useOpenInterestInTokensForBalance;
  const usdDelta = inTokens ? order.tokenDelta * indexMid : order.usdDelta;
  const actual = priceImpactUsd(m, {
    longUsd: inTokens ? s.longOpenInterestInTokens * indexMid : s.longOpenInterestUsd,
    shortUsd: inTokens ? s.shortOpenInterestInTokens * indexMid : s.shortOpenInterestUsd,
    isLong: order.isLong,
    usdDelta,
  });
  if (actual.impactUsd >= 0n || m.virtualTokenId === null) return actual;
  const inventory = inTokens ? s.virtualInventory * indexMid : s.virtualInventory;
  const offset = usdDelta < 0n ? -usdDelta : 0n;
  const virtual = priceImpactUsd(m, {
    longUsd: (inventory < 0n ? -inventory : 0n) + offset,
    shortUsd: (inventory > 0n ? inventory : 0n) + offset,
    isLong: order.isLong,
    usdDelta,
  });
  return virtual.impactUsd < actual.impactUsd ? virtual : actual;
}

/** The impact of closing the whole position (usdDelta = -size, tokenDelta = -sizeInTokens) at an index mid price. */
export const closePriceImpactUsd = (p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState, indexMid: bigint): PriceImpact =>
  positionPriceImpactUsd(m, s, { isLong: p.isLong, usdDelta: -p.sizeInUsd, tokenDelta: -p.sizeInTokens }, indexMid);

/**
 * MarketUtils.capPositiveImpactUsdByMaxPositionImpact (getCappedPositionImpactUsd in v2.1): a gain is at
 * most size x min(max positive, max negative) factor (getMaxPositionImpactFactors).
 */
export const maxPositiveImpactUsd = (sizeUsd: bigint, m: GmxV2MarketParams): bigint =>
  applyFactor(sizeUsd, minBig(m.maxPositionImpactFactorPositive, m.maxPositionImpactFactorNegative));

/** The position's whole pending impact in USD: a gain at the index min price, a cost at the max (_getProportionalPendingImpactValues). */
export const pendingImpactUsd = (p: GmxV2Position, index: MinMax): bigint => p.pendingImpactAmount * (p.pendingImpactAmount > 0n ? index.min : index.max);

/**
 * The price impact PositionUtils.isPositionLiquidatable counts: close impact (positive part capped by
 * the max positive factor), plus the pending impact at the index price, then capped to
 * [-size * maxPositionImpactFactorForLiquidations, 0].
 */
export function liquidationImpactUsd(p: GmxV2Position, m: GmxV2MarketParams, closeImpactUsd: bigint, index: MinMax): bigint {
  const cap = maxPositiveImpactUsd(p.sizeInUsd, m);
  const impact = (closeImpactUsd > cap ? cap : closeImpactUsd) + pendingImpactUsd(p, index);
  if (impact >= 0n) return 0n;
  const floor = -applyFactor(p.sizeInUsd, m.maxPositionImpactFactorForLiquidations);
  return impact < floor ? floor : impact;
}

/**
 * Which POSITION_FEE_FACTOR the liquidation check closes with (PositionUtils.isPositionLiquidatable's
 * GetPositionFeesParams): the close's balanceWasImproved since v2.2, "forPositiveImpact" (close impact
 * above zero) in v2.0 and v2.1. The two differ on a crossover and on a rebalance too small to price.
 */
export const closeFeeBalanceImproved = (m: GmxV2MarketParams, close: PriceImpact): boolean =>
  gmxV2ReleaseRules(m.release).closeFeeFactor === "balanceWasImproved" ? close.balanceWasImproved : close.impactUsd > 0n;

/**
 * What closing costs, in collateral tokens as PositionPricingUtils.getPositionFees charges it: the
 * position fee less the trader's discount (traderDiscountAmount, by the release's rule), borrowing and
 * funding; no UI fee (the liquidation
 * check passes no UI fee receiver) and no liquidation fee (it passes isLiquidation = false).
 */
export function closingCosts(p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState, collateralMin: bigint, balanceWasImproved: boolean) {
  if (collateralMin <= 0n) throw new RangeError("collateral price must be positive");
  // MarketUtils.getBorrowingFees: size * (cumulative - position's factor) / 1e30.
  const borrowingFeeUsd = applyFactor(p.sizeInUsd, s.cumulativeBorrowingFactor - p.borrowingFactor);
  const fundingFeeAmount = fundingAmount(p.sizeInUsd, s.fundingFeeAmountPerSize, p.fundingFeeAmountPerSize, true);
  const positionFeeUsd = applyFactor(p.sizeInUsd, balanceWasImproved ? m.positionFeeFactorBalanceImproved : m.positionFeeFactorBalanceNotImproved);
  const positionFeeAmount = positionFeeUsd / collateralMin;
  const amount = borrowingFeeUsd / collateralMin + fundingFeeAmount + positionFeeAmount - traderDiscountAmount(p, m, positionFeeAmount);
  return { borrowingFeeUsd, fundingFeeAmount, positionFeeUsd, costAmount: amount, costUsd: amount * collateralMin };
}

/** PositionPricingUtils.getPositionFeesAfterReferral's traderDiscountAmount, as the release computes it. */
function traderDiscountAmount(p: GmxV2Position, m: GmxV2MarketParams, positionFeeAmount: bigint): bigint {
  if (gmxV2ReleaseRules(m.release).referralDiscount === "ofFee") return applyFactor(positionFeeAmount, p.traderDiscountFactor);
  return applyFactor(applyFactor(positionFeeAmount, p.referralTotalRebateFactor), p.traderDiscountFactor);
}

/** The whole position's PnL before the traders' cap (getPositionPnlUsd's uncapped figure): long at min price, short at max. */
export const uncappedPnlUsd = (p: GmxV2Position, index: MinMax): bigint => {
  const value = p.sizeInTokens * (p.isLong ? index.min : index.max);
  return p.isLong ? value - p.sizeInUsd : p.sizeInUsd - value;
};

/** Prices a position's figures need: index, collateral, and the side's PnL token (long token for longs, short token for shorts). */
export type PositionPrices = { index: MinMax; collateral: MinMax; pnlToken: MinMax };

/**
 * PositionUtils.getPositionPnlUsd for the whole size. A profit is scaled by cappedPoolPnl / poolPnl
 * when the side's pool PnL (MarketUtils.getPnl, maximized) exceeds MAX_PNL_FACTOR_FOR_TRADERS of the
 * pool's PnL-token value at its min price (MarketUtils.getCappedPnl); Precision.mulDiv rounds down.
 */
export function positionPnlUsd(p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState, prices: Pick<PositionPrices, "index" | "pnlToken">): bigint {
  const pnl = uncappedPnlUsd(p, prices.index);
  if (pnl <= 0n) return pnl;
  const poolPnl = sidePoolPnlUsd(p.isLong, s, prices.index);
  const maxPnl = applyFactor(s.pnlPoolAmount * prices.pnlToken.min, p.isLong ? m.maxPnlFactorForTradersLong : m.maxPnlFactorForTradersShort);
  const cappedPoolPnl = poolPnl > maxPnl ? maxPnl : poolPnl;
  return cappedPoolPnl !== poolPnl && cappedPoolPnl > 0n && poolPnl > 0n ? (pnl * cappedPoolPnl) / poolPnl : pnl;
}

/** MarketUtils.getPnl(maximize = true): the side's open interest valued at the price that maximizes its PnL; 0 with no interest. */
function sidePoolPnlUsd(isLong: boolean, s: GmxV2MarketState, index: MinMax): bigint {
  const openInterest = isLong ? s.longOpenInterestUsd : s.shortOpenInterestUsd;
  const inTokens = isLong ? s.longOpenInterestInTokens : s.shortOpenInterestInTokens;
  if (openInterest === 0n || inTokens === 0n) return 0n;
  const value = inTokens * (isLong ? index.max : index.min);
  return isLong ? value - openInterest : openInterest - value;
}

export type LiquidationCheck = { liquidatable: boolean; remainingCollateralUsd: bigint; minCollateralUsdForLeverage: bigint };

/**
 * PositionUtils.isPositionLiquidatable with shouldValidateMinCollateralUsd = true, forLiquidation = true,
 * after the order's updateFundingAndBorrowingState: borrowing and funding pending since the market's
 * last update accrue at these prices first (./accrual.ts).
 */
export function liquidationCheck(
  p: GmxV2Position,
  m: GmxV2MarketParams,
  before: GmxV2MarketState,
  prices: PositionPrices,
  // Balanced in USD, the close impact does not depend on the price; a price search passes it in once.
  close: PriceImpact = closePriceImpactUsd(p, m, before, midPrice(prices.index)),
): LiquidationCheck {
  const s = accruedState(p, m, before, prices);
  const remainingCollateralUsd =
    p.collateralAmount * prices.collateral.min +
    positionPnlUsd(p, m, s, prices) +
    liquidationImpactUsd(p, m, close.impactUsd, prices.index) -
    closingCosts(p, m, s, prices.collateral.min, closeFeeBalanceImproved(m, close)).costUsd;
  const minCollateralUsdForLeverage = applyFactor(p.sizeInUsd, m.minCollateralFactorForLiquidation);
  const liquidatable =
    remainingCollateralUsd < m.minCollateralUsd || remainingCollateralUsd <= 0n || remainingCollateralUsd < minCollateralUsdForLeverage;
  return { liquidatable, remainingCollateralUsd, minCollateralUsdForLeverage };
}

export type LiquidationPrice = { kind: "price"; price: bigint } | { kind: "always" } | { kind: "never" };

/** How a token other than the index is priced while the index price moves: with it (it is the index token) or fixed. */
export type TokenPricing = { isIndexToken: true } | { isIndexToken: false; price: MinMax };
export type PositionPricing = { collateral: TokenPricing; pnlToken: TokenPricing };

const priced = (t: TokenPricing, index: MinMax): MinMax => (t.isIndexToken ? index : t.price);

/**
 * The index unit price at which the contract's check flips, with min = max = that price (and the
 * collateral and PnL tokens priced with it when they are the index token). Long: the highest
 * liquidatable price; short: the lowest. Starts from the gmx-interface closed form (sdk utils/positions
 * getLiquidationPrice) and settles the last unit on liquidationCheck itself, since fees are charged in
 * rounded token amounts and a profit may be capped.
 */
export function liquidationPrice(p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState, pricing: PositionPricing): LiquidationPrice {
  if (p.sizeInUsd === 0n || p.sizeInTokens === 0n) return { kind: "never" };
  const fixedClose = m.useOpenInterestInTokensForBalance ? undefined : closePriceImpactUsd(p, m, s, 0n);
  const at = (price: bigint) => {
    const index = { min: price, max: price };
    const prices = { index, collateral: priced(pricing.collateral, index), pnlToken: priced(pricing.pnlToken, index) };
    return liquidationCheck(p, m, s, prices, fixedClose).liquidatable;
  };
  // Safe side of the boundary: long safe above it, short safe below it.
  const safe = (price: bigint) => !at(price);
  const inTokens = s.longOpenInterestInTokens + s.shortOpenInterestInTokens + abs(s.virtualInventory);
  // Keeps every product far below 2^256; balanced in tokens, also keeps the open interest under $1e15,
  // where PRBMath's pow stays in its domain (past it the contract's own check reverts).
  const ceiling = minBig(
    (1n << 200n) / (p.sizeInTokens + p.collateralAmount + inTokens + s.pnlPoolAmount + 1n),
    m.useOpenInterestInTokensForBalance ? (10n ** 15n * FLOAT_PRECISION) / (p.sizeInTokens + inTokens + 1n) : 1n << 200n,
  );
  const guess = fixedClose ? estimate(p, m, s, pricing.collateral, fixedClose) : null;
  if (p.isLong) {
    if (!safe(ceiling)) return { kind: "always" };
    if (safe(1n)) return { kind: "never" };
    return { kind: "price", price: boundary(1n, ceiling, at, guess) };
  }
  if (!safe(1n)) return { kind: "always" };
  if (safe(ceiling)) return { kind: "never" };
  // For shorts the liquidatable side is above: search on the mirrored predicate, answer the first liquidatable.
  return { kind: "price", price: boundary(1n, ceiling, safe, guess) + 1n };
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
function estimate(p: GmxV2Position, m: GmxV2MarketParams, s: GmxV2MarketState, collateral: TokenPricing, close: PriceImpact): bigint | null {
  let liqCollateralUsd = applyFactor(p.sizeInUsd, m.minCollateralFactorForLiquidation);
  if (liqCollateralUsd < m.minCollateralUsd) liqCollateralUsd = m.minCollateralUsd;
  const cappedImpact = close.impactUsd > 0n ? 0n : close.impactUsd;
  const improved = closeFeeBalanceImproved(m, close);
  if (collateral.isIndexToken) {
    const costs = closingCosts(p, m, s, 1n, improved);
    const feesUsd = costs.borrowingFeeUsd + costs.positionFeeUsd;
    const denominator = p.isLong ? p.sizeInTokens + p.collateralAmount : p.sizeInTokens - p.collateralAmount;
    if (denominator <= 0n) return null;
    const numerator = p.isLong
      ? p.sizeInUsd + liqCollateralUsd - cappedImpact + feesUsd
      : p.sizeInUsd - liqCollateralUsd + cappedImpact - feesUsd;
    return numerator > 0n ? numerator / denominator : null;
  }
  const remaining = p.collateralAmount * collateral.price.min + cappedImpact - closingCosts(p, m, s, collateral.price.min, improved).costUsd;
  const numerator = p.isLong ? liqCollateralUsd - remaining + p.sizeInUsd : -(liqCollateralUsd - remaining - p.sizeInUsd);
  return numerator > 0n ? numerator / p.sizeInTokens : null;
}

/**
 * MarketUtils.getFundingAmount: sizeInUsd x (latest - snapshot) amount per size (1e45), rounded up for
 * the funding a position pays, down for what it earns in claimable funding.
 */
export function fundingAmount(sizeInUsd: bigint, latestPerSize: bigint, snapshotPerSize: bigint, roundUp: boolean): bigint {
  const product = sizeInUsd * (latestPerSize - snapshotPerSize);
  return roundUp ? ceilDiv(product, FUNDING_PRECISION) : product / FUNDING_PRECISION;
}

/** PositionUtils/gmx-interface getLeverage: size / (collateral + pnl - pending fees), null when equity <= 0. */
export function leverage(sizeInUsd: bigint, equityUsd: bigint): number | null {
  if (equityUsd <= 0n) return null;
  return Number((sizeInUsd * 10_000n) / equityUsd) / 10_000;
}
