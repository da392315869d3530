import { index, onchainTable, type PgColumnsBuilders } from "ponder";

/**
 * What a diamond keeps outside its trades that a trade's figures need, one row per thing and block
 * (for atBlock): `kind` names the thing and `key` its index (src/protocols/gtrade/stored.ts):
 * pair (pairs(i): quote, spread, fee index; counter-trade multiplier), fee (fees(i)), collateral
 * (token, decimals, the USD price the diamond last reported) and market (per collateral and pair:
 * borrowing v2, funding params and data, v10 open interest in tokens). `state` holds decimal strings.
 */
const stateColumns = (t: PgColumnsBuilders) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  diamond: t.hex().notNull(),
  kind: t.text().notNull(),
  key: t.text().notNull(),
  blockNumber: t.bigint().notNull(),
  state: t.json().$type<Record<string, string>>().notNull(),
});

/** Each state as it stood at the end of each block that changed it: id chainId:diamond:kind:key:block. */
export const gtradeState = onchainTable("gtrade_state", stateColumns, (table) => ({
  lookup: index().on(table.chainId, table.diamond, table.kind, table.key, table.blockNumber),
}));

/** The latest row of gtrade_state per thing, for the handlers: id chainId:diamond:kind:key. */
export const gtradeStateCurrent = onchainTable("gtrade_state_current", stateColumns);
