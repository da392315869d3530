import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";
import { gmxV2ReleaseRules, type GmxV2Release } from "./releases";

// DataStore keys as gmx-synthetics data/Keys.sol builds them: a base key is keccak256(abi.encode(name)),
// a parameterised key is keccak256(abi.encode(baseKey, args...)).

export type KeyArg = { type: "address"; value: Address } | { type: "bool"; value: boolean } | { type: "bytes32"; value: Hex };

const hashString = (name: string): Hex => keccak256(encodeAbiParameters([{ type: "string" }], [name]));

/** keccak256(abi.encode(keccak256(abi.encode(name)), args...)); the bare base key without args. */
export const dataStoreKey = (name: string, ...args: KeyArg[]): Hex =>
  args.length === 0
    ? hashString(name)
    : keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, ...args.map((a) => ({ type: a.type }))],
          [hashString(name), ...args.map((a) => a.value)],
        ),
      );

const address = (value: Address): KeyArg => ({ type: "address", value });
const flag = (value: boolean): KeyArg => ({ type: "bool", value });

export const MIN_COLLATERAL_USD = dataStoreKey("MIN_COLLATERAL_USD");
export const minCollateralFactorForLiquidationKey = (market: Address) => dataStoreKey("MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION", address(market));
/** Before v2.2 the liquidation check used the market's MIN_COLLATERAL_FACTOR (Keys.minCollateralFactorKey). */
export const minCollateralFactorKey = (market: Address) => dataStoreKey("MIN_COLLATERAL_FACTOR", address(market));
export const maxPositionImpactFactorForLiquidationsKey = (market: Address) =>
  dataStoreKey("MAX_POSITION_IMPACT_FACTOR_FOR_LIQUIDATIONS", address(market));
export const positionImpactFactorKey = (market: Address, isPositive: boolean) => dataStoreKey("POSITION_IMPACT_FACTOR", address(market), flag(isPositive));
/** Keys.positionImpactExponentFactorKey: (market, isPositive) since 2025-11; (market) alone through v2.2. */
export const positionImpactExponentFactorKey = (market: Address, isPositive?: boolean) =>
  isPositive === undefined
    ? dataStoreKey("POSITION_IMPACT_EXPONENT_FACTOR", address(market))
    : dataStoreKey("POSITION_IMPACT_EXPONENT_FACTOR", address(market), flag(isPositive));
export const maxPositionImpactFactorKey = (market: Address, isPositive: boolean) =>
  dataStoreKey("MAX_POSITION_IMPACT_FACTOR", address(market), flag(isPositive));
export const positionFeeFactorKey = (market: Address, balanceWasImproved: boolean) =>
  dataStoreKey("POSITION_FEE_FACTOR", address(market), flag(balanceWasImproved));
/** Keys.maxPnlFactorKey(MAX_PNL_FACTOR_FOR_TRADERS, market, isLong): the PnL cap getPositionPnlUsd applies. */
export const maxPnlFactorForTradersKey = (market: Address, isLong: boolean) =>
  dataStoreKey("MAX_PNL_FACTOR", { type: "bytes32", value: dataStoreKey("MAX_PNL_FACTOR_FOR_TRADERS") }, address(market), flag(isLong));

/** A (market, isLong) key (Keys.borrowingFactorKey, openInterestReserveFactorKey, cumulativeBorrowingFactorUpdatedAtKey, ...). */
const sideKey = (name: string, market: Address, isLong: boolean) => dataStoreKey(name, address(market), flag(isLong));
/** Keys.SKIP_BORROWING_FEE_FOR_SMALLER_SIDE (global). */
export const SKIP_BORROWING_FEE_FOR_SMALLER_SIDE = dataStoreKey("SKIP_BORROWING_FEE_FOR_SMALLER_SIDE");
/** When the market's funding and each side's borrowing factor were last advanced (block.timestamp; no event), and the adaptive funding factor (an int). */
export const accrualClockKeys = (market: Address) => ({
  borrowingUpdatedAtLong: sideKey("CUMULATIVE_BORROWING_FACTOR_UPDATED_AT", market, true),
  borrowingUpdatedAtShort: sideKey("CUMULATIVE_BORROWING_FACTOR_UPDATED_AT", market, false),
  fundingUpdatedAt: dataStoreKey("FUNDING_UPDATED_AT", address(market)),
  savedFundingFactorPerSecond: dataStoreKey("SAVED_FUNDING_FACTOR_PER_SECOND", address(market)),
});

/** Keys.IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR (a global flag on main from 08c21f0b, 2024-09-30, to 7e820139, 2025-01-13). */
export const IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR = dataStoreKey("IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR");
/** Keys.stableFundingFactorKey(market) (v2.0): a fixed funding factor per second that replaces the skew rate when set. */
export const stableFundingFactorKey = (market: Address) => dataStoreKey("STABLE_FUNDING_FACTOR", address(market));
/** Keys.USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE (a global flag since gmx-synthetics 862c3524, 2025-10-03). */
export const USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE = dataStoreKey("USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE");
/** Keys.virtualTokenIdKey(token): the virtual inventory an index token's positions share (zero: none). */
export const virtualTokenIdKey = (token: Address) => dataStoreKey("VIRTUAL_TOKEN_ID", address(token));
/** Keys.virtualInventoryForPositionsKey / ...InTokensKey(virtualTokenId): the inventory in USD, or in index tokens. */
export const virtualInventoryForPositionsKey = (virtualTokenId: Hex, inTokens: boolean) =>
  dataStoreKey(inTokens ? "VIRTUAL_INVENTORY_FOR_POSITIONS_IN_TOKENS" : "VIRTUAL_INVENTORY_FOR_POSITIONS", { type: "bytes32", value: virtualTokenId });

/**
 * The DataStore key of every market parameter the liquidation check uses, by its name in
 * GmxV2MarketParams, as the deployment's release keys them (./releases.ts).
 */
export const marketParamKeys = (market: Address, release: GmxV2Release) => {
  const rules = gmxV2ReleaseRules(release);
  return {
    minCollateralUsd: MIN_COLLATERAL_USD,
    minCollateralFactorForLiquidation:
      rules.liquidationCollateralFactor === "MIN_COLLATERAL_FACTOR" ? minCollateralFactorKey(market) : minCollateralFactorForLiquidationKey(market),
    maxPositionImpactFactorForLiquidations: maxPositionImpactFactorForLiquidationsKey(market),
    positionImpactFactorPositive: positionImpactFactorKey(market, true),
    positionImpactFactorNegative: positionImpactFactorKey(market, false),
    positionImpactExponentFactorPositive: positionImpactExponentFactorKey(market, rules.exponentPerSide ? true : undefined),
    positionImpactExponentFactorNegative: positionImpactExponentFactorKey(market, rules.exponentPerSide ? false : undefined),
    maxPositionImpactFactorPositive: maxPositionImpactFactorKey(market, true),
    maxPositionImpactFactorNegative: maxPositionImpactFactorKey(market, false),
    positionFeeFactorBalanceImproved: positionFeeFactorKey(market, true),
    positionFeeFactorBalanceNotImproved: positionFeeFactorKey(market, false),
    maxPnlFactorForTradersLong: maxPnlFactorForTradersKey(market, true),
    maxPnlFactorForTradersShort: maxPnlFactorForTradersKey(market, false),
    ...accrualParamKeys(market),
    positionImpactPoolDistributionRate: dataStoreKey("POSITION_IMPACT_POOL_DISTRIBUTION_RATE", address(market)),
    minPositionImpactPoolAmount: dataStoreKey("MIN_POSITION_IMPACT_POOL_AMOUNT", address(market)),
    // v2.2 on; a v2.1 DataStore reads 0 and nothing is lent.
    maxLendableImpactFactor: dataStoreKey("MAX_LENDABLE_IMPACT_FACTOR", address(market)),
    maxLendableImpactUsd: dataStoreKey("MAX_LENDABLE_IMPACT_USD", address(market)),
  };
};

/** The position impact pool (index tokens), when it was last distributed (no event when nothing is), and what it has lent (v2.2 on). */
export const impactPoolKeys = (market: Address) => ({
  amount: dataStoreKey("POSITION_IMPACT_POOL_AMOUNT", address(market)),
  distributedAt: dataStoreKey("POSITION_IMPACT_POOL_DISTRIBUTED_AT", address(market)),
  lentAmount: dataStoreKey("LENT_POSITION_IMPACT_POOL_AMOUNT", address(market)),
});

/** Borrowing and funding rate keys (v2.1 on; v2.0 has no kink or adaptive-funding keys). */
const accrualParamKeys = (market: Address) => {
  const perSide = (name: string) => [sideKey(name, market, true), sideKey(name, market, false)] as const;
  const [borrowingFactorLong, borrowingFactorShort] = perSide("BORROWING_FACTOR");
  const [borrowingExponentFactorLong, borrowingExponentFactorShort] = perSide("BORROWING_EXPONENT_FACTOR");
  const [optimalUsageFactorLong, optimalUsageFactorShort] = perSide("OPTIMAL_USAGE_FACTOR");
  const [baseBorrowingFactorLong, baseBorrowingFactorShort] = perSide("BASE_BORROWING_FACTOR");
  const [aboveOptimalUsageBorrowingFactorLong, aboveOptimalUsageBorrowingFactorShort] = perSide("ABOVE_OPTIMAL_USAGE_BORROWING_FACTOR");
  const [openInterestReserveFactorLong, openInterestReserveFactorShort] = perSide("OPEN_INTEREST_RESERVE_FACTOR");
  const [maxOpenInterestLong, maxOpenInterestShort] = perSide("MAX_OPEN_INTEREST");
  const perMarket = (name: string) => dataStoreKey(name, address(market));
  return {
    borrowingFactorLong,
    borrowingFactorShort,
    borrowingExponentFactorLong,
    borrowingExponentFactorShort,
    optimalUsageFactorLong,
    optimalUsageFactorShort,
    baseBorrowingFactorLong,
    baseBorrowingFactorShort,
    aboveOptimalUsageBorrowingFactorLong,
    aboveOptimalUsageBorrowingFactorShort,
    openInterestReserveFactorLong,
    openInterestReserveFactorShort,
    maxOpenInterestLong,
    maxOpenInterestShort,
    fundingFactor: perMarket("FUNDING_FACTOR"),
    fundingExponentFactor: perMarket("FUNDING_EXPONENT_FACTOR"),
    fundingIncreaseFactorPerSecond: perMarket("FUNDING_INCREASE_FACTOR_PER_SECOND"),
    fundingDecreaseFactorPerSecond: perMarket("FUNDING_DECREASE_FACTOR_PER_SECOND"),
    thresholdForStableFunding: perMarket("THRESHOLD_FOR_STABLE_FUNDING"),
    thresholdForDecreaseFunding: perMarket("THRESHOLD_FOR_DECREASE_FUNDING"),
    minFundingFactorPerSecond: perMarket("MIN_FUNDING_FACTOR_PER_SECOND"),
    maxFundingFactorPerSecond: perMarket("MAX_FUNDING_FACTOR_PER_SECOND"),
  };
};

/** Position key: keccak256(abi.encode(account, market, collateralToken, isLong)) (position/Position.sol getPositionKey). */
export const positionKey = (account: Address, market: Address, collateralToken: Address, isLong: boolean): Hex =>
  keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "address" }, { type: "bool" }],
      [account, market, collateralToken, isLong],
    ),
  );
