import { index, onchainTable } from "ponder";
import { positionColumns } from "./src/core/position-columns";

/** Current state of every position, one row per protocol position key. */
export const position = onchainTable(
  "position",
  (t) => ({ id: t.text().primaryKey(), ...positionColumns(t) }),
  (table) => ({
    byAccount: index().on(table.account, table.status),
    // atRisk: a range scan of stored levels per market and side.
    byLiquidationLevel: index().on(table.chainId, table.protocol, table.market, table.isLong, table.status, table.liquidationLevel, table.positionId),
    // Re-filing levels when a venue's funding or parameters change.
    byVenueCollateral: index().on(table.venue, table.collateralToken, table.status),
  }),
);

/** One row per position event, holding the deltas and the position's state after the event. */
export const positionEvent = onchainTable(
  "position_event",
  (t) => ({
    id: t.text().primaryKey(),
    kind: t.text().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    transactionHash: t.hex().notNull(),
    timestamp: t.bigint().notNull(),
    sizeDeltaUsd: t.bigint(),
    collateralDeltaUsd: t.bigint(),
    price: t.bigint(),
    feeUsd: t.bigint(),
    ...positionColumns(t),
  }),
  (table) => ({
    byAccountBlock: index().on(table.account, table.blockNumber),
    byPositionBlock: index().on(table.positionId, table.blockNumber, table.logIndex),
    // The alert engine: what changed at a block.
    byChainBlock: index().on(table.chainId, table.blockNumber),
  }),
);

/** Oracle answers, last one per feed and block. `price` is USD per whole token, 1e30. */
export const priceUpdate = onchainTable(
  "price_update",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    asset: t.hex().notNull(),
    feed: t.hex().notNull(),
    answer: t.bigint().notNull(),
    price: t.bigint().notNull(),
    roundId: t.bigint().notNull(),
    updatedAt: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({
    byAsset: index().on(table.chainId, table.asset, table.blockNumber),
    // The alert engine: the prices that moved at a block.
    byChainBlock: index().on(table.chainId, table.blockNumber),
  }),
);

// Every protocol's own tables.
// generated:protocols (npm run generate:schema, from src/protocols/index.ts)
export * from "./src/protocols/gmx-v1/schema";
export * from "./src/protocols/gmx-v2/schema";
export * from "./src/protocols/aave-v3/schema";
export * from "./src/protocols/derive/schema";
export * from "./src/protocols/morpho-blue/schema";
export * from "./src/protocols/gtrade/schema";
// end generated:protocols
