import { onchainTable } from "ponder";

/** Owner of each subaccount NFT, from its Transfer events (or ownerOf when first seen after startBlock). */
export const deriveSubaccount = onchainTable("derive_subaccount", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  subAccounts: t.hex().notNull(),
  accountId: t.bigint().notNull(),
  owner: t.hex().notNull(),
}));
