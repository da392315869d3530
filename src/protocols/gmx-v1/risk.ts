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
};

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

/**
 * Vault.getDelta without the min-profit rule (it only zeroes small profits, which never
 * matters for liquidation). `price` is the Vault's min price for longs, max price for shorts.
 */
export function priceDelta(p: GmxV1Position, price: bigint): { hasProfit: boolean; delta: bigint } {
  if (p.averagePrice <= 0n) throw new RangeError("GMX v1 position has no average price");
  const delta = (p.size * abs(p.averagePrice - price)) / p.averagePrice;
  const hasProfit = p.isLong ? price > p.averagePrice : p.averagePrice > price;
  return { hasProfit, delta };
}

/** Signed unrealised PnL in 1e30 USD, as Vault.getDelta reports it. */
export const unrealizedPnl = (p: GmxV1Position, price: bigint): bigint => {
  const { hasProfit, delta } = priceDelta(p, price);
  return hasProfit ? delta : -delta;
};

/** VaultUtils.validateLiquidation's state: 0 safe, 1 liquidate, 2 over max leverage (decrease). */
export function liquidationState(
  p: GmxV1Position,
  params: GmxV1VaultParams,
  cumulativeFundingRate: bigint,
  price: bigint,
): 0 | 1 | 2 {
  const { hasProfit, delta } = priceDelta(p, price);
  const fees = marginFees(p, params, cumulativeFundingRate);
  if (!hasProfit && p.collateral < delta) return 1;
  const remaining = hasProfit ? p.collateral : p.collateral - delta;
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
  /** Fees and the leverage cap already exceed the collateral: liquidatable at every price. */
  | { kind: "always" }
  /** No positive price liquidates it (a long whose collateral covers its whole size, say). */
  | { kind: "never" };

/**
 * Exact boundary of validateLiquidation in the Vault's price units. For a long, the highest price
 * at which the Vault's check returns non-zero; for a short, the lowest. Derivation: with
 * D = collateral - minRemaining + 1, the check trips once delta = floor(size*|avg-p|/avg) >= D,
 * i.e. |avg - p| >= ceil(D * avg / size).
 */
export function liquidationPrice(
  p: GmxV1Position,
  params: GmxV1VaultParams,
  cumulativeFundingRate: bigint,
): GmxV1LiquidationPrice {
  if (p.size <= 0n) return { kind: "never" };
  const minDelta = p.collateral - minRemainingCollateral(p, params, cumulativeFundingRate) + 1n;
  if (minDelta <= 0n) return { kind: "always" };
  const move = ceilDiv(minDelta * p.averagePrice, p.size);
  if (!p.isLong) return { kind: "price", price: p.averagePrice + move };
  const price = p.averagePrice - move;
  return price > 0n ? { kind: "price", price } : { kind: "never" };
}

/** The level `atRisk` files a position under: its liquidation price, or the far end when any price liquidates it. */
export function liquidationLevel(p: GmxV1Position, params: GmxV1VaultParams, cumulativeFundingRate: bigint): bigint | null {
  const liq = liquidationPrice(p, params, cumulativeFundingRate);
  if (liq.kind === "price") return liq.price;
  if (liq.kind === "always") return p.isLong ? LEVEL_ALWAYS_LONG : 0n;
  return null;
}

/** Vault.getPositionLeverage as a ratio: size / collateral. */
export const leverage = (p: GmxV1Position): { numerator: bigint; denominator: bigint } => ({
  numerator: p.size,
  denominator: p.collateral,
});
