import { zeroAddress, type Address } from "viem";
import type { PositionRow } from "../../core/adapter";
import type { GmxV2Position } from "./risk";

export const GMX_V2 = "gmx-v2";

/** Rows are keyed per deployment (EventEmitter) and GMX's positionKey. */
export const gmxV2PositionId = (chainId: number, eventEmitter: string, key: string) =>
  `${chainId}:${GMX_V2}:${eventEmitter.toLowerCase()}:${key.toLowerCase()}`;

export const marketId = (chainId: number, eventEmitter: string, market: string) =>
  `${chainId}:${eventEmitter.toLowerCase()}:${market.toLowerCase()}`;

/** What the common row does not hold: the GMX market token and the position's accumulator snapshots. */
export type GmxV2State = {
  marketToken: Address;
  borrowingFactor: bigint;
  fundingFeeAmountPerSize: bigint;
  pendingImpactAmount: bigint;
  /** The trader's discount factor and the referral's total rebate factor of its last order (PositionFeesCollected), 1e30. */
  traderDiscountFactor: bigint;
  referralTotalRebateFactor: bigint;
  /** The pro tier's discount factor of that order (2024-10 on), which a referral discount must beat. */
  proDiscountFactor: bigint;
  /** Claimable funding per size the position was last credited to, in the long and short token. */
  longTokenClaimableFundingAmountPerSize: bigint;
  shortTokenClaimableFundingAmountPerSize: bigint;
};

export const encodeState = (s: GmxV2State): Record<string, string> => ({
  marketToken: s.marketToken,
  borrowingFactor: s.borrowingFactor.toString(),
  fundingFeeAmountPerSize: s.fundingFeeAmountPerSize.toString(),
  pendingImpactAmount: s.pendingImpactAmount.toString(),
  traderDiscountFactor: s.traderDiscountFactor.toString(),
  referralTotalRebateFactor: s.referralTotalRebateFactor.toString(),
  proDiscountFactor: s.proDiscountFactor.toString(),
  longTokenClaimableFundingAmountPerSize: s.longTokenClaimableFundingAmountPerSize.toString(),
  shortTokenClaimableFundingAmountPerSize: s.shortTokenClaimableFundingAmountPerSize.toString(),
});

export const decodeState = (state: Record<string, string>): GmxV2State => ({
  marketToken: (state.marketToken ?? zeroAddress) as Address,
  borrowingFactor: BigInt(state.borrowingFactor ?? "0"),
  fundingFeeAmountPerSize: BigInt(state.fundingFeeAmountPerSize ?? "0"),
  pendingImpactAmount: BigInt(state.pendingImpactAmount ?? "0"),
  traderDiscountFactor: BigInt(state.traderDiscountFactor ?? "0"),
  referralTotalRebateFactor: BigInt(state.referralTotalRebateFactor ?? "0"),
  proDiscountFactor: BigInt(state.proDiscountFactor ?? "0"),
  longTokenClaimableFundingAmountPerSize: BigInt(state.longTokenClaimableFundingAmountPerSize ?? "0"),
  shortTokenClaimableFundingAmountPerSize: BigInt(state.shortTokenClaimableFundingAmountPerSize ?? "0"),
});

export const toGmxV2Position = (row: PositionRow): GmxV2Position => {
  const s = decodeState(row.protocolState);
  return {
    isLong: row.isLong,
    sizeInUsd: row.sizeUsd ?? 0n,
    sizeInTokens: row.sizeInTokens ?? 0n,
    collateralAmount: row.collateralAmount ?? 0n,
    pendingImpactAmount: s.pendingImpactAmount,
    borrowingFactor: s.borrowingFactor,
    fundingFeeAmountPerSize: s.fundingFeeAmountPerSize,
    traderDiscountFactor: s.traderDiscountFactor,
    referralTotalRebateFactor: s.referralTotalRebateFactor,
  };
};

/**
 * The pending impact a decrease releases: pending * sizeDelta / sizeBefore, magnitude rounded up when
 * negative (DecreasePositionCollateralUtils._getProportionalPendingImpactValues).
 */
export function proportionalPendingImpact(pending: bigint, sizeDeltaUsd: bigint, sizeBeforeUsd: bigint): bigint {
  if (sizeBeforeUsd === 0n || sizeDeltaUsd === 0n) return 0n;
  const product = pending * sizeDeltaUsd;
  if (product >= 0n) return product / sizeBeforeUsd;
  return -((-product + sizeBeforeUsd - 1n) / sizeBeforeUsd);
}

/** Entry price as gmx-interface getEntryPrice: sizeInUsd / sizeInTokens, here per whole token (USD 1e30). */
export const entryPrice = (sizeInUsd: bigint, sizeInTokens: bigint, indexDecimals: number | undefined): bigint | null =>
  indexDecimals === undefined || sizeInTokens === 0n ? null : (sizeInUsd * 10n ** BigInt(indexDecimals)) / sizeInTokens;

/** Whole-token USD price (1e30) to GMX's unit price and back; exact when the price has the precision. */
export const toUnitPrice = (wholeTokenPrice: bigint, decimals: number): bigint => wholeTokenPrice / 10n ** BigInt(decimals);
export const toWholeTokenPrice = (unitPrice: bigint, decimals: number): bigint => unitPrice * 10n ** BigInt(decimals);
