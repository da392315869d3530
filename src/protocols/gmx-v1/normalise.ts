import type { PositionRow } from "../../core/adapter";
import type { GmxV1Position } from "./risk";

export const GMX_V1 = "gmx-v1";

/** Rows are keyed per deployment, as the Vault keys positions: keccak(account, collateral, index, isLong). */
export const gmxV1PositionId = (chainId: number, vault: string, key: string) =>
  `${chainId}:${GMX_V1}:${vault.toLowerCase()}:${key.toLowerCase()}`;

/**
 * The row's primary key: chain id, Vault and position key joined by ':', each as the event carries
 * it, so ponder's indexing cache can derive it from the next events and read a batch's rows in one
 * query. (It cannot derive `positionId`, with its protocol name: once its cache spilled, that cost
 * one database read per event, half the indexing time on PGlite.)
 */
export const gmxV1RowId = (chainId: number, vault: string, key: string) => `${chainId}:${vault.toLowerCase()}:${key.toLowerCase()}`;

/** GMX v1 has no size in tokens; it is size / averagePrice (USD 1e30 and USD-per-token 1e30). */
export const sizeInTokens = (sizeUsd: bigint, averagePrice: bigint, indexDecimals: number | undefined): bigint | null =>
  indexDecimals === undefined || averagePrice === 0n ? null : (sizeUsd * 10n ** BigInt(indexDecimals)) / averagePrice;

/** lastIncreasedTime: the block time of the last IncreasePosition (Vault.increasePosition sets it), for the min-profit rule. */
export type GmxV1State = { entryFundingRate: bigint; reserveAmount: bigint; lastIncreasedTime: bigint };

export const encodeState = (s: GmxV1State): Record<string, string> => ({
  entryFundingRate: s.entryFundingRate.toString(),
  reserveAmount: s.reserveAmount.toString(),
  lastIncreasedTime: s.lastIncreasedTime.toString(),
});

export const lastIncreasedTimeOf = (row: PositionRow): bigint => BigInt(row.protocolState.lastIncreasedTime ?? "0");

export const toGmxV1Position = (row: PositionRow): GmxV1Position => ({
  size: row.sizeUsd ?? 0n,
  collateral: row.collateralUsd ?? 0n,
  averagePrice: row.entryPrice ?? 0n,
  entryFundingRate: BigInt(row.protocolState.entryFundingRate ?? "0"),
  isLong: row.isLong,
});
