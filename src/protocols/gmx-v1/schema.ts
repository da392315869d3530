import { index, onchainTable, type PgColumnsBuilders } from "ponder";

/** Cumulative funding rate per collateral token, from UpdateFundingRate and each position's entry rate. */
export const gmxV1FundingRate = onchainTable(
  "gmx_v1_funding_rate",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    vault: t.hex().notNull(),
    token: t.hex().notNull(),
    cumulativeRate: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.vault, table.token, table.blockNumber) }),
);

const vaultParamsColumns = (t: PgColumnsBuilders) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  vault: t.hex().notNull(),
  blockNumber: t.bigint().notNull(),
  maxLeverage: t.bigint().notNull(),
  liquidationFeeUsd: t.bigint().notNull(),
  marginFeeBasisPoints: t.bigint().notNull(),
  /** VaultUtils.validateLiquidation's release in force: true for the current one (see ./risk.ts). */
  addsProfitOnLiquidation: t.boolean().notNull().default(false),
  minProfitTime: t.bigint().notNull().default(0n),
  vaultUtils: t.hex(),
  priceFeed: t.hex(),
  secondaryPriceFeed: t.hex(),
  /** Per token (lowercase): the Vault's min and max price, minProfitBasisPoints, price-feed inputs (./vault-state.ts encodeTokens). */
  tokens: t.json(),
});

/**
 * The Vault's parameters and prices that change without an event (./vault-state.ts), one row per
 * reading that differed from the one before: the values in force at a block are the last row at or
 * before it, read again at every refresh since.
 */
export const gmxV1VaultParams = onchainTable("gmx_v1_vault_params", vaultParamsColumns, (table) => ({
  lookup: index().on(table.chainId, table.vault, table.blockNumber),
}));

/** The latest reading per Vault (blockNumber: the block it was read at), for the handlers (a keyed read, no SQL query). */
export const gmxV1VaultParamsCurrent = onchainTable("gmx_v1_vault_params_current", vaultParamsColumns);

/**
 * Open positions whose stored level counts the min-profit rule (current VaultUtils rule): re-filed
 * at the first block after `expiresAt` (lastIncreasedTime + minProfitTime), when the rule lapses.
 */
export const gmxV1MinProfitLevel = onchainTable(
  "gmx_v1_min_profit_level",
  (t) => ({ id: t.text().primaryKey(), chainId: t.integer().notNull(), vault: t.hex().notNull(), expiresAt: t.bigint().notNull() }),
  (table) => ({ lookup: index().on(table.chainId, table.vault, table.expiresAt) }),
);
