import type { PgColumnsBuilders } from "ponder";

export type PositionStatus = "open" | "closed" | "liquidated";

/**
 * The common position model every adapter writes, shared by the current-state table and the
 * per-event history (which keeps the post-state, so any block can be answered).
 * USD amounts and prices are 1e30 fixed point; prices are USD per whole token.
 */
export const positionColumns = (t: PgColumnsBuilders) => ({
  positionId: t.text().notNull(),
  chainId: t.integer().notNull(),
  protocol: t.text().notNull(),
  /** The contract that holds the position (a GMX v1 Vault, ...). */
  venue: t.hex().notNull(),
  /** The protocol's own key for the position. */
  positionKey: t.hex().notNull(),
  account: t.hex().notNull(),
  /** Index asset (token address on this chain). */
  market: t.hex().notNull(),
  collateralToken: t.hex().notNull(),
  isLong: t.boolean().notNull(),
  /** Size in USD as the protocol records it; null where it keeps size in tokens (lending). */
  sizeUsd: t.bigint(),
  /** Size in the index token's smallest units, where the protocol defines it. */
  sizeInTokens: t.bigint(),
  /** Collateral in USD as the protocol records it; null where it is valued at query time. */
  collateralUsd: t.bigint(),
  /** Collateral in the collateral token's smallest units, where the protocol tracks it. */
  collateralAmount: t.bigint(),
  entryPrice: t.bigint(),
  realisedPnlUsd: t.bigint(),
  /** What the protocol's risk rule needs beyond the common fields, as decimal strings. */
  protocolState: t.json().$type<Record<string, string>>().notNull(),
  /**
   * Liquidation price as of the latest indexed state, for adapters that re-file it whenever an input of
   * their check changes (ProtocolAdapter.keepsLiquidationLevels): lets `atRisk` range-scan per market and
   * side. LEVEL_ALWAYS_LONG (or 0 for a short) when liquidatable at any price; null elsewhere.
   */
  liquidationLevel: t.bigint(),
  status: t.text().$type<PositionStatus>().notNull(),
  openedBlock: t.bigint().notNull(),
  openedAt: t.bigint().notNull(),
  updatedBlock: t.bigint().notNull(),
  updatedAt: t.bigint().notNull(),
});

/** Where an event is: what a position_event row keeps of it. */
export type EventPlace = { log: { logIndex: number }; block: { number: bigint; timestamp: bigint }; transaction: { hash: `0x${string}` } };

/** What an event changed, where the protocol's event says it (USD 1e30; price per whole token). */
export type PositionDeltas = { sizeDeltaUsd?: bigint | null; collateralDeltaUsd?: bigint | null; price?: bigint | null; feeUsd?: bigint | null };

/** A position_event row: the event's place, its deltas, and the position's state after it. */
export const positionEventRow = <Row extends object>(id: string, kind: string, event: EventPlace, row: Row, deltas: PositionDeltas = {}) => ({
  id,
  kind,
  blockNumber: event.block.number,
  logIndex: event.log.logIndex,
  transactionHash: event.transaction.hash,
  timestamp: event.block.timestamp,
  sizeDeltaUsd: deltas.sizeDeltaUsd ?? null,
  collateralDeltaUsd: deltas.collateralDeltaUsd ?? null,
  price: deltas.price ?? null,
  feeUsd: deltas.feeUsd ?? null,
  ...row,
});
