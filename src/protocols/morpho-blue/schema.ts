import { index, onchainTable, type PgColumnsBuilders } from "ponder";

/** A market's parameters from CreateMarket (MarketParams), and how many open positions it has. */
export const morphoBlueMarket = onchainTable("morpho_blue_market", (t) => ({
  /** chainId:morpho:marketId */
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  morpho: t.hex().notNull(),
  marketId: t.hex().notNull(),
  loanToken: t.hex().notNull(),
  collateralToken: t.hex().notNull(),
  oracle: t.hex().notNull(),
  irm: t.hex().notNull(),
  lltv: t.bigint().notNull(),
  /** Open position rows (any side): the oracle and rate are sampled only while there are some. */
  openPositions: t.integer().notNull(),
}));

const stateColumns = (t: PgColumnsBuilders) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  morpho: t.hex().notNull(),
  marketId: t.hex().notNull(),
  blockNumber: t.bigint().notNull(),
  totalSupplyAssets: t.bigint().notNull(),
  totalSupplyShares: t.bigint().notNull(),
  totalBorrowAssets: t.bigint().notNull(),
  totalBorrowShares: t.bigint().notNull(),
  /** Timestamp of the market's last accrual (Morpho's market.lastUpdate). */
  lastUpdate: t.bigint().notNull(),
  fee: t.bigint().notNull(),
});

/** Morpho's `market(id)` at the end of each block that changed it (for atBlock). */
export const morphoBlueMarketState = onchainTable("morpho_blue_market_state", stateColumns, (table) => ({
  lookup: index().on(table.chainId, table.marketId, table.blockNumber),
}));

/** The latest row of morpho_blue_market_state per market, for the handlers. */
export const morphoBlueMarketStateCurrent = onchainTable("morpho_blue_market_state_current", stateColumns);

const sampleColumns = (t: PgColumnsBuilders) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  morpho: t.hex().notNull(),
  marketId: t.hex().notNull(),
  blockNumber: t.bigint().notNull(),
  /** The market oracle's price() (1e36 scale); null when the call failed. */
  oraclePrice: t.bigint(),
  /** The IRM's borrowRateView for the market as it stood (per second, WAD); null when the call failed. */
  borrowRate: t.bigint(),
  /** market.lastUpdate of the state the rate was read for: a later accrual makes the rate stale. */
  rateForUpdate: t.bigint().notNull(),
});

/** Oracle price and borrow rate read at sampled blocks (they have no events), recorded when they change. */
export const morphoBlueSample = onchainTable("morpho_blue_sample", sampleColumns, (table) => ({
  lookup: index().on(table.chainId, table.marketId, table.blockNumber),
}));

export const morphoBlueSampleCurrent = onchainTable("morpho_blue_sample_current", sampleColumns);

/** A Morpho deployment's fee recipient (credited the fee shares of every accrual) and its markets. */
export const morphoBlueVenue = onchainTable("morpho_blue_venue", (t) => ({
  /** chainId:morpho */
  id: t.text().primaryKey(),
  feeRecipient: t.hex().notNull(),
  marketIds: t.hex().array().notNull(),
}));

/** SetAuthorization: who may manage a wallet's Morpho positions (withdraw, borrow, move collateral). */
export const morphoBlueAuthorization = onchainTable(
  "morpho_blue_authorization",
  (t) => ({
    /** chainId:morpho:authorizer:authorized */
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    morpho: t.hex().notNull(),
    authorizer: t.hex().notNull(),
    authorized: t.hex().notNull(),
    isAuthorized: t.boolean().notNull(),
    blockNumber: t.bigint().notNull(),
  }),
  (table) => ({ byAuthorizer: index().on(table.authorizer) }),
);
