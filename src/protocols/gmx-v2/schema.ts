import { index, onchainTable } from "ponder";
import type { GmxV2Release } from "./releases";

export type GmxV2MarketValueKind =
  | "openInterest"
  | "openInterestInTokens"
  | "poolAmount"
  | "cumulativeBorrowingFactor"
  | "fundingFeeAmountPerSize"
  | "claimableFundingAmountPerSize"
  | "virtualPositionInventory"
  | "borrowingUpdatedAt"
  | "fundingUpdatedAt"
  | "savedFundingFactorPerSecond"
  | "positionImpactPoolAmount"
  | "lentPositionImpactPoolAmount"
  | "positionImpactPoolDistributedAt";

/** Market tokens (Reader.getMarket), read once per market. */
export const gmxV2Market = onchainTable("gmx_v2_market", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  eventEmitter: t.hex().notNull(),
  market: t.hex().notNull(),
  indexToken: t.hex().notNull(),
  longToken: t.hex().notNull(),
  shortToken: t.hex().notNull(),
}));

/**
 * Market accumulators from their update events, one row per value change: open interest (USD) and
 * open interest in index tokens (per collateral token and side), pool amount (per token in
 * collateralToken; isLong false), cumulative borrowing factor (per side; collateralToken is zero) and
 * funding fee amount per size and claimable funding amount per size (per collateral token and side:
 * for the latter, the token the side earns in). The virtual position inventory
 * (VirtualPositionInventoryUpdated, and the DataStore's value read with the parameters) is keyed by
 * its virtual token id in `market` (a bytes32; collateralToken zero, isLong false). The accrual clock
 * (when each side's borrowing and the market's funding were last advanced, and the saved adaptive
 * funding factor) has no events: it is read at the end of each block that advances it
 * (CumulativeBorrowingFactorUpdated) or reads the parameters (collateralToken zero; isLong per side
 * for borrowing, false otherwise). The position impact pool, what it has lent and when it was last
 * distributed are read with the clock and followed between by their events (collateralToken zero,
 * isLong false).
 */
export const gmxV2MarketValue = onchainTable(
  "gmx_v2_market_value",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    eventEmitter: t.hex().notNull(),
    market: t.hex().notNull(),
    kind: t.text().$type<GmxV2MarketValueKind>().notNull(),
    collateralToken: t.hex().notNull(),
    isLong: t.boolean().notNull(),
    value: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({
    lookup: index().on(table.chainId, table.eventEmitter, table.market, table.kind, table.collateralToken, table.isLong, table.blockNumber),
  }),
);

/** DataStore parameters of a market, read at each block with position activity in it, with the release whose keys read them. */
export const gmxV2MarketParams = onchainTable(
  "gmx_v2_market_params",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    eventEmitter: t.hex().notNull(),
    market: t.hex().notNull(),
    blockNumber: t.bigint().notNull(),
    release: t.text().$type<GmxV2Release>().notNull(),
    minCollateralUsd: t.bigint().notNull(),
    minCollateralFactorForLiquidation: t.bigint().notNull(),
    maxPositionImpactFactorForLiquidations: t.bigint().notNull(),
    positionImpactFactorPositive: t.bigint().notNull(),
    positionImpactFactorNegative: t.bigint().notNull(),
    positionImpactExponentFactorPositive: t.bigint().notNull(),
    positionImpactExponentFactorNegative: t.bigint().notNull(),
    maxPositionImpactFactorPositive: t.bigint().notNull(),
    maxPositionImpactFactorNegative: t.bigint().notNull(),
    positionFeeFactorBalanceImproved: t.bigint().notNull(),
    positionFeeFactorBalanceNotImproved: t.bigint().notNull(),
    maxPnlFactorForTradersLong: t.bigint().notNull(),
    maxPnlFactorForTradersShort: t.bigint().notNull(),
    useOpenInterestInTokensForBalance: t.boolean().notNull(),
    virtualTokenId: t.hex(),
    borrowingFactorLong: t.bigint().notNull(),
    borrowingFactorShort: t.bigint().notNull(),
    borrowingExponentFactorLong: t.bigint().notNull(),
    borrowingExponentFactorShort: t.bigint().notNull(),
    optimalUsageFactorLong: t.bigint().notNull(),
    optimalUsageFactorShort: t.bigint().notNull(),
    baseBorrowingFactorLong: t.bigint().notNull(),
    baseBorrowingFactorShort: t.bigint().notNull(),
    aboveOptimalUsageBorrowingFactorLong: t.bigint().notNull(),
    aboveOptimalUsageBorrowingFactorShort: t.bigint().notNull(),
    openInterestReserveFactorLong: t.bigint().notNull(),
    openInterestReserveFactorShort: t.bigint().notNull(),
    maxOpenInterestLong: t.bigint().notNull(),
    maxOpenInterestShort: t.bigint().notNull(),
    skipBorrowingFeeForSmallerSide: t.boolean().notNull(),
    ignoreOpenInterestForUsageFactor: t.boolean().notNull(),
    stableFundingFactor: t.bigint().notNull(),
    fundingFactor: t.bigint().notNull(),
    fundingExponentFactor: t.bigint().notNull(),
    fundingIncreaseFactorPerSecond: t.bigint().notNull(),
    fundingDecreaseFactorPerSecond: t.bigint().notNull(),
    thresholdForStableFunding: t.bigint().notNull(),
    thresholdForDecreaseFunding: t.bigint().notNull(),
    minFundingFactorPerSecond: t.bigint().notNull(),
    maxFundingFactorPerSecond: t.bigint().notNull(),
    positionImpactPoolDistributionRate: t.bigint().notNull(),
    minPositionImpactPoolAmount: t.bigint().notNull(),
    maxLendableImpactFactor: t.bigint().notNull(),
    maxLendableImpactUsd: t.bigint().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.eventEmitter, table.market, table.blockNumber) }),
);

/** GMX's own oracle prices (OraclePriceUpdate), per token unit x 1e30 as the protocol uses them. */
export const gmxV2OraclePrice = onchainTable(
  "gmx_v2_oracle_price",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    eventEmitter: t.hex().notNull(),
    token: t.hex().notNull(),
    minPrice: t.bigint().notNull(),
    maxPrice: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.eventEmitter, table.token, table.blockNumber) }),
);

/**
 * Funding a wallet has earned and not claimed, per market and pool token: ClaimableFundingUpdated's
 * nextValue, zero after FundingFeesClaimed (MarketUtils.incrementClaimableFundingAmount, claimFundingFees).
 */
export const gmxV2ClaimableFunding = onchainTable(
  "gmx_v2_claimable_funding",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    eventEmitter: t.hex().notNull(),
    account: t.hex().notNull(),
    market: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ byAccount: index().on(table.account) }),
);

/**
 * Liquidations and ADLs the position's collateral could not pay for (InsolventClose), by order; the
 * position they closed is filled in from the order's PositionDecrease, which follows in the same
 * transaction.
 */
export const gmxV2InsolventClose = onchainTable(
  "gmx_v2_insolvent_close",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    eventEmitter: t.hex().notNull(),
    orderKey: t.hex().notNull(),
    collateralAmount: t.bigint().notNull(),
    remainingCostUsd: t.bigint().notNull(),
    basePnlUsd: t.bigint().notNull(),
    step: t.text(),
    blockNumber: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    positionEventId: t.text(),
    account: t.hex(),
    positionKey: t.hex(),
    market: t.hex(),
    collateralToken: t.hex(),
    isLong: t.boolean(),
  }),
  (table) => ({ byAccount: index().on(table.account) }),
);

/** Which position event an order produced, so OrderExecuted (ADL) can label it. */
export const gmxV2Order = onchainTable("gmx_v2_order", (t) => ({
  id: t.text().primaryKey(),
  positionEventId: t.text().notNull(),
}));

/** What ReferralStorage holds, by `kind` and `key`; each row the value from a block on (events, and reads at orders). */
export type GmxV2ReferralKind = "traderCode" | "codeOwner" | "referrerTier" | "referrerDiscountShare" | "tier";

/**
 * GMX ReferralStorage's state as the discount reads it (ReferralUtils.getReferralInfo): a trader's code
 * (bytes32), a code's owner (address), an affiliate's tier and discount share, a tier's
 * "totalRebate:discountShare" (basis points). One row per key and block, so figures at a past block
 * see the state of that block.
 */
export const gmxV2Referral = onchainTable(
  "gmx_v2_referral",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    referralStorage: t.hex().notNull(),
    kind: t.text().$type<GmxV2ReferralKind>().notNull(),
    key: t.text().notNull(),
    value: t.text().notNull(),
    blockNumber: t.bigint().notNull(),
  }),
  (table) => ({ byKey: index().on(table.chainId, table.referralStorage, table.kind, table.key, table.blockNumber) }),
);
