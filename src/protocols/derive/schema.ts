import { index, onchainTable, type PgColumnsBuilders } from "ponder";

/** Owner of each subaccount NFT, from its Transfer events (or ownerOf when first seen after startBlock). */
export const deriveSubaccount = onchainTable("derive_subaccount", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  subAccounts: t.hex().notNull(),
  accountId: t.bigint().notNull(),
  owner: t.hex().notNull(),
}));

/** The key of a Lyra feed's per-expiry rows, one per feed, expiry and block (for atBlock): id chainId:feed:expiry:block. */
const feedKey = (t: PgColumnsBuilders) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  feed: t.hex().notNull(),
  expiry: t.bigint().notNull(),
  blockNumber: t.bigint().notNull(),
});

/**
 * Each expiry's SVI curve from a LyraVolFeed's VolDataUpdated, one row per feed, expiry and block
 * (for atBlock): id chainId:feed:expiry:block. Numbers are 18 decimals; `timestamp` is the data's.
 */
export const deriveVolCurve = onchainTable(
  "derive_vol_curve",
  (t) => ({
    ...feedKey(t),
    a: t.bigint().notNull(),
    b: t.bigint().notNull(),
    rho: t.bigint().notNull(),
    m: t.bigint().notNull(),
    sigma: t.bigint().notNull(),
    forward: t.bigint().notNull(),
    refTau: t.bigint().notNull(),
    confidence: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.feed, table.expiry, table.blockNumber) }),
);

/**
 * Each expiry's forward data from a LyraForwardFeed's ForwardDataUpdated, one row per feed, expiry and
 * block (for atBlock): id chainId:feed:expiry:block. `timestamp` equal to the expiry marks final
 * (settlement) data.
 */
export const deriveForwardData = onchainTable(
  "derive_forward_data",
  (t) => ({
    ...feedKey(t),
    fwdSpotDifference: t.bigint().notNull(),
    confidence: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    settlementStartAggregate: t.bigint().notNull(),
    currentSpotAggregate: t.bigint().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.feed, table.expiry, table.blockNumber) }),
);

/** Each expiry's interest rate from a LyraRateFeed's RateUpdated, one row per feed, expiry and block: id chainId:feed:expiry:block. */
export const deriveRateData = onchainTable(
  "derive_rate_data",
  (t) => ({
    ...feedKey(t),
    rate: t.bigint().notNull(),
    confidence: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.feed, table.expiry, table.blockNumber) }),
);

/** A perp asset's funding index after each AggregatedFundingUpdated, one row per perp and block: id chainId:perp:block. */
export const derivePerpFunding = onchainTable(
  "derive_perp_funding",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    perp: t.hex().notNull(),
    blockNumber: t.bigint().notNull(),
    aggregatedFunding: t.bigint().notNull(),
    fundingRate: t.bigint().notNull(),
    lastFundingPaidAt: t.bigint().notNull(),
  }),
  (table) => ({ lookup: index().on(table.chainId, table.perp, table.blockNumber) }),
);
