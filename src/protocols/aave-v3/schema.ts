import { index, onchainTable, type PgColumnsBuilders } from "ponder";

const reserveColumns = (t: PgColumnsBuilders) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  pool: t.hex().notNull(),
  asset: t.hex().notNull(),
  blockNumber: t.bigint().notNull(),
  /** Block timestamp of the update: the reserve's lastUpdateTimestamp. */
  lastUpdateTimestamp: t.bigint().notNull(),
  liquidityIndex: t.bigint().notNull(),
  variableBorrowIndex: t.bigint().notNull(),
  liquidityRate: t.bigint().notNull(),
  variableBorrowRate: t.bigint().notNull(),
  /** Pool.getConfiguration at this block (ReserveConfigurationMap). */
  configuration: t.bigint().notNull(),
});

/** Reserve indexes and rates after each block's last ReserveDataUpdated, with the configuration read then. */
export const aaveV3Reserve = onchainTable("aave_v3_reserve", reserveColumns, (table) => ({
  lookup: index().on(table.chainId, table.pool, table.asset, table.blockNumber),
}));

/** The latest row of aave_v3_reserve per reserve, for the handlers (one keyed read per event). */
export const aaveV3ReserveCurrent = onchainTable("aave_v3_reserve_current", reserveColumns);

/** E-mode category parameters, read from the Pool when a user or reserve uses the category. */
export const aaveV3EModeCategory = onchainTable(
  "aave_v3_emode_category",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    category: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    ltv: t.bigint().notNull(),
    liquidationThreshold: t.bigint().notNull(),
    priceSource: t.hex().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.pool, table.category, table.blockNumber) }),
);

/** A user's e-mode category from UserEModeSet, per block. */
export const aaveV3UserEMode = onchainTable(
  "aave_v3_user_emode",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    pool: t.hex().notNull(),
    user: t.hex().notNull(),
    category: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.pool, table.user, table.blockNumber) }),
);

/** A reserve's AToken, VariableDebtToken and StableDebtToken proxies, from PoolConfigurator's ReserveInitialized. */
export const aaveV3Token = onchainTable("aave_v3_token", (t) => ({
  /** chainId:token address */
  id: t.text().primaryKey(),
  pool: t.hex().notNull(),
  asset: t.hex().notNull(),
  /** "aToken" | "variableDebt" | "stableDebt" */
  kind: t.text().notNull(),
}));
