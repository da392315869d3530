// What a position row needs from a gTrade trade: its id and key, side, size in collateral and in USD,
// and its prices in our units (USD per whole token, 1e30: src/core/fixed.ts).
import { encodePacked, keccak256, type Address, type Hex } from "viem";
import { USD_DECIMALS } from "../../core/fixed";
import { positionSizeCollateral } from "./math";
import { TradeType, type GTradeTrade } from "./structs";
import { P_10, USD_PRICE_PRECISION, assertUnsigned } from "./units";

export const GTRADE = "gtrade";

/** Rows are keyed per deployment (the chain's diamond) and the trade's (trader, index). */
export const gTradePositionId = (chainId: number, diamond: Address, user: Address, index: number) =>
  `${chainId}:${GTRADE}:${diamond.toLowerCase()}:${user.toLowerCase()}:${index}`;

/** The trade's key: keccak256 of its ITradingStorage.Id (user, index), packed. */
export const gTradePositionKey = (user: Address, index: number): Hex => keccak256(encodePacked(["address", "uint32"], [user, index]));

/** A stored trade is a position only while open and a market trade (limit and stop entries are orders). */
export const isOpenPosition = (trade: Pick<GTradeTrade, "isOpen" | "tradeType">): boolean => trade.isOpen && trade.tradeType === TradeType.TRADE;

const USD_SCALE = 10n ** BigInt(USD_DECIMALS);

/**
 * Collateral units at the collateral's USD price (1e8) in USD 1e30, exact: amount / 10^decimals ×
 * price / 1e8 (the diamond's getUsdNormalizedValue gives the same at 1e18; SDK converters: collateralPriceUsd / 1e8).
 */
export function collateralToUsd(amount: bigint, collateral: { decimals: number; priceUsd: bigint }): bigint {
  if (!Number.isInteger(collateral.decimals) || collateral.decimals < 0 || collateral.decimals > 18) {
    throw new RangeError(`gTrade: collateral decimals must be an integer in [0, 18], got ${collateral.decimals}`);
  }
  assertUnsigned("amount", amount);
  assertUnsigned("collateral priceUsd", collateral.priceUsd);
  return (amount * collateral.priceUsd * USD_SCALE) / (USD_PRICE_PRECISION * 10n ** BigInt(collateral.decimals));
}

/**
 * A pair price (1e10, quote per base: IPairsStorage.Pair from/to) in USD per whole base token, 1e30. Only a
 * USD-quoted pair's price is a USD price: any other quote is an error, not a number in the wrong unit.
 */
export function pairPriceToUsd(price: bigint, pair: { to: string }): bigint {
  assertQuotedInUsd(pair);
  assertUnsigned("price", price);
  return price * (USD_SCALE / P_10);
}

/** USD per whole base token (1e30) as the pair's 1e10 price, rounded down (exact at 1e10 precision). */
export function usdToPairPrice(usdPrice: bigint, pair: { to: string }): bigint {
  assertQuotedInUsd(pair);
  assertUnsigned("usdPrice", usdPrice);
  return usdPrice / (USD_SCALE / P_10);
}

function assertQuotedInUsd(pair: { to: string }): void {
  if (pair.to !== "USD") throw new RangeError(`gTrade: pair quoted in ${JSON.stringify(pair.to)}, not USD: its price is not a USD price`);
}

/** The position a trade holds: side, size in collateral (TradingCommonUtils.getPositionSizeCollateral) and in USD, entry price. */
export type GTradePositionFigures = {
  isLong: boolean;
  /** Collateral units. */
  sizeCollateral: bigint;
  /** USD 1e30: the size at the collateral's USD price. */
  sizeUsd: bigint;
  /** USD 1e30. */
  collateralUsd: bigint;
  /** USD per whole base token, 1e30. */
  entryPrice: bigint;
};

export function positionFigures(trade: GTradeTrade, collateral: { decimals: number; priceUsd: bigint }, pair: { to: string }): GTradePositionFigures {
  const sizeCollateral = positionSizeCollateral(trade);
  return {
    isLong: trade.long,
    sizeCollateral,
    sizeUsd: collateralToUsd(sizeCollateral, collateral),
    collateralUsd: collateralToUsd(trade.collateralAmount, collateral),
    entryPrice: pairPriceToUsd(trade.openPrice, pair),
  };
}
