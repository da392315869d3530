import { LEVEL_ALWAYS_LONG } from "../../core/at-risk";
import { abs, ceilDiv, maxBig } from "../../core/fixed";

// Pure GMX v1 position math. Units as the Vault: USD and prices 1e30, funding rates 1e6, fees in bps.
// Source: gmx-io/gmx-contracts contracts/core/Vault.sol and contracts/core/VaultUtils.sol.

export const BASIS_POINTS_DIVISOR = 10_000n;
export const FUNDING_RATE_PRECISION = 1_000_000n;

export type GmxV1Position = {
  size: bigint;
  collateral: bigint;
  averagePrice: bigint;
  entryFundingRate: bigint;
  isLong: boolean;
};

export type GmxV1VaultParams = {
  maxLeverage: bigint;
  liquidationFeeUsd: bigint;
  marginFeeBasisPoints: bigint;
  /**
   * VaultUtils.validateLiquidation's release: true for the current one (gmx-contracts 2025-02-26),
   * which adds unrealised profit to the remaining collateral on liquidatePosition (`_raise` false).
   */
  addsProfitOnLiquidation: boolean;
};

/**
 * Vault.getDelta's min-profit rule for one position at one time: a profit of at most `basisPoints`
 * of size counts as zero while block.timestamp <= lastIncreasedTime + minProfitTime (`inForce`).
 */
export type MinProfit = { basisPoints: bigint; inForce: boolean };
export const NO_MIN_PROFIT: MinProfit = { basisPoints: 0n, inForce: false };

/** Whether the min-profit window of a position last increased at `lastIncreasedTime` is open at `timestamp` (Vault.getDelta). */
export const minProfitAt = (basisPoints: bigint, minProfitTime: bigint, lastIncreasedTime: bigint, timestamp: bigint): MinProfit => ({
  basisPoints,
  inForce: basisPoints > 0n && timestamp <= lastIncreasedTime + minProfitTime,
});

/** The largest profit the rule zeroes (delta * 10000 <= size * bps), or -1 when it zeroes none. */
const zeroedProfit = (size: bigint, minProfit: MinProfit) => (minProfit.inForce ? (size * minProfit.basisPoints) / BASIS_POINTS_DIVISOR : -1n);

/** VaultUtils.getPositionFee: sizeDelta - sizeDelta * (10000 - bps) / 10000 (rounds the fee up). */
export const positionFee = (sizeDelta: bigint, marginFeeBasisPoints: bigint): bigint =>
  sizeDelta === 0n ? 0n : sizeDelta - (sizeDelta * (BASIS_POINTS_DIVISOR - marginFeeBasisPoints)) / BASIS_POINTS_DIVISOR;

/** VaultUtils.getFundingFee: size * (cumulativeFundingRates[collateral] - entryFundingRate) / 1e6. */
export const fundingFee = (size: bigint, cumulativeFundingRate: bigint, entryFundingRate: bigint): bigint => {
  const rate = cumulativeFundingRate - entryFundingRate;
  return size === 0n || rate <= 0n ? 0n : (size * rate) / FUNDING_RATE_PRECISION;
};

/** The `marginFees` of VaultUtils.validateLiquidation: funding since entry plus the closing fee. */
export const marginFees = (p: GmxV1Position, params: GmxV1VaultParams, cumulativeFundingRate: bigint): bigint =>
  fundingFee(p.size, cumulativeFundingRate, p.entryFundingRate) + positionFee(p.size, params.marginFeeBasisPoints);

/** Vault.getDelta. `price` is the Vault's min price for longs, max price for shorts. */
export function priceDelta(p: GmxV1Position, price: bigint, minProfit: MinProfit = NO_MIN_PROFIT): { hasProfit: boolean; delta: bigint } {
  if (p.averagePrice <= 0n) throw new RangeError("GMX v1 position has no average price");
  const delta = (p.size * abs(p.averagePrice - price)) / p.averagePrice;
  const hasProfit = p.isLong ? price > p.averagePrice : p.averagePrice > price;
  return { hasProfit, delta: hasProfit && delta <= zeroedProfit(p.size, minProfit) ? 0n : delta };
}

/** Signed unrealised PnL in 1e30 USD, as Vault.getDelta reports it. */
export const unrealizedPnl = (p: GmxV1Position, price: bigint, minProfit: MinProfit = NO_MIN_PROFIT): bigint => signedDelta(priceDelta(p, price, minProfit));

/** A delta as signed PnL. */
export const signedDelta = ({ hasProfit, delta }: { hasProfit: boolean; delta: bigint }): bigint => (hasProfit ? delta : -delta);

/** VaultUtils.validateLiquidation as liquidatePosition calls it (`_raise` false): 0 safe, 1 liquidate, 2 over max leverage (decrease). */
export function liquidationState(
  p: GmxV1Position,
  params: GmxV1VaultParams,
  cumulativeFundingRate: bigint,
  price: bigint,
  minProfit: MinProfit = NO_MIN_PROFIT,
): 0 | 1 | 2 {
  const fees = marginFees(p, params, cumulativeFundingRate);
  const { hasProfit, delta } = priceDelta(p, price, minProfit);
  if (!hasProfit && p.collateral < delta) return 1;
  let remaining = hasProfit ? p.collateral : p.collateral - delta;
  if (hasProfit && params.addsProfitOnLiquidation) remaining += delta;
  if (remaining < fees) return 1;
  if (remaining < fees + params.liquidationFeeUsd) return 1;
  if (remaining * params.maxLeverage < p.size * BASIS_POINTS_DIVISOR) return 2;
  return 0;
}

/**
 * The smallest collateral left after losses that validateLiquidation accepts: it liquidates when
 * remaining < marginFees + liquidationFeeUsd, or remaining * maxLeverage < size * 10000,
 * i.e. remaining < ceil(size * 10000 / maxLeverage).
 */
export const minRemainingCollateral = (p: GmxV1Position, params: GmxV1VaultParams, cumulativeFundingRate: bigint): bigint =>
  maxBig(
    marginFees(p, params, cumulativeFundingRate) + params.liquidationFeeUsd,
    ceilDiv(p.size * BASIS_POINTS_DIVISOR, params.maxLeverage),
  );

export type GmxV1LiquidationPrice =
  | { kind: "price"; price: bigint }
  /** Fees and the leverage cap already exceed the collateral (and no profit counts): liquidatable at every price. */
  | { kind: "always" }
  /** No positive price liquidates it (a long whose collateral covers its whole size, say). */
  | { kind: "never" };

/**
 * Exact boundary of validateLiquidation in the Vault's price units (min price for a long, max price
 * for a short): for a long the highest price at which the check returns non-zero, for a short the
 * lowest. delta = floor(size * |avg - p| / avg) reaches D exactly when |avg - p| >= ceil(D * avg / size).
 * - Collateral above the minimum: the check trips on the loss side once delta >= collateral - minRemaining + 1.
 * - Otherwise it fails at every loss; under the current rule a profit of at least minRemaining - collateral
 *   (and above the min-profit threshold while that is in force) saves it, so the boundary is on the
 *   profit side; under the earlier rule profit never counts and it is liquidatable at every price.
 */
export function liquidationPrice(
  p: GmxV1Position,
  params: GmxV1VaultParams,
  cumulativeFundingRate: bigint,
  minProfit: MinProfit = NO_MIN_PROFIT,
): GmxV1LiquidationPrice {
  if (p.size <= 0n) return { kind: "never" };
  const shortfall = minRemainingCollateral(p, params, cumulativeFundingRate) - p.collateral;
  if (shortfall <= 0n) {
    const move = ceilDiv((1n - shortfall) * p.averagePrice, p.size);
    if (!p.isLong) return { kind: "price", price: p.averagePrice + move };
    const price = p.averagePrice - move;
    return price > 0n ? { kind: "price", price } : { kind: "never" };
  }
  if (!params.addsProfitOnLiquidation) return { kind: "always" };
  const move = ceilDiv(maxBig(shortfall, zeroedProfit(p.size, minProfit) + 1n) * p.averagePrice, p.size);
  if (p.isLong) return { kind: "price", price: p.averagePrice + move - 1n };
  // A short is safe from avg - move down; with no positive price there, every price liquidates it.
  return p.averagePrice - move > 0n ? { kind: "price", price: p.averagePrice - move + 1n } : { kind: "always" };
}

/** The level `atRisk` files a position under: its liquidation price, or the far end when any price liquidates it. */
export function liquidationLevel(p: GmxV1Position, params: GmxV1VaultParams, cumulativeFundingRate: bigint, minProfit: MinProfit = NO_MIN_PROFIT): bigint | null {
  const liq = liquidationPrice(p, params, cumulativeFundingRate, minProfit);
  if (liq.kind === "price") return liq.price;
  if (liq.kind === "always") return p.isLong ? LEVEL_ALWAYS_LONG : 0n;
  return null;
}

/** Vault.getPositionLeverage as a ratio: size / collateral. */
export const leverage = (p: GmxV1Position): { numerator: bigint; denominator: bigint } => ({
  numerator: p.size,
  denominator: p.collateral,
});
