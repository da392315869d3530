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
});

/** Vault risk parameters read from the contract at each block with position activity. */
export const gmxV1VaultParams = onchainTable("gmx_v1_vault_params", vaultParamsColumns, (table) => ({
  lookup: index().on(table.chainId, table.vault, table.blockNumber),
}));

/** The latest row of gmx_v1_vault_params per Vault, for the handlers (one keyed read per block, no SQL query). */
export const gmxV1VaultParamsCurrent = onchainTable("gmx_v1_vault_params_current", vaultParamsColumns);
