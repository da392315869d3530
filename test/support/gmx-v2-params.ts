import type { GmxV2AccrualParams, GmxV2ImpactPoolParams, GmxV2Position } from "../../src/protocols/gmx-v2/risk";

/** A market that charges no borrowing and no funding rate: for tests of everything else. */
export const noAccrualParams: GmxV2AccrualParams = {
  borrowingFactorLong: 0n,
  borrowingFactorShort: 0n,
  borrowingExponentFactorLong: 0n,
  borrowingExponentFactorShort: 0n,
  optimalUsageFactorLong: 0n,
  optimalUsageFactorShort: 0n,
  baseBorrowingFactorLong: 0n,
  baseBorrowingFactorShort: 0n,
  aboveOptimalUsageBorrowingFactorLong: 0n,
  aboveOptimalUsageBorrowingFactorShort: 0n,
  openInterestReserveFactorLong: 0n,
  openInterestReserveFactorShort: 0n,
  maxOpenInterestLong: 0n,
  maxOpenInterestShort: 0n,
  skipBorrowingFeeForSmallerSide: false,
  ignoreOpenInterestForUsageFactor: false,
  stableFundingFactor: 0n,
  fundingFactor: 0n,
  fundingExponentFactor: 0n,
  fundingIncreaseFactorPerSecond: 0n,
  fundingDecreaseFactorPerSecond: 0n,
  thresholdForStableFunding: 0n,
  thresholdForDecreaseFunding: 0n,
  minFundingFactorPerSecond: 0n,
  maxFundingFactorPerSecond: 0n,
};

/** An impact pool that is never distributed and lends nothing. */
export const noImpactPoolParams: GmxV2ImpactPoolParams = {
  positionImpactPoolDistributionRate: 0n,
  minPositionImpactPoolAmount: 0n,
  maxLendableImpactFactor: 0n,
  maxLendableImpactUsd: 0n,
};

/** A position of nothing but what a test sets. */
export const gmxV2Position = (over: Partial<GmxV2Position> & Pick<GmxV2Position, "isLong" | "sizeInUsd">): GmxV2Position => ({
  sizeInTokens: 0n,
  collateralAmount: 0n,
  pendingImpactAmount: 0n,
  borrowingFactor: 0n,
  fundingFeeAmountPerSize: 0n,
  traderDiscountFactor: 0n,
  referralTotalRebateFactor: 0n,
  ...over,
});
