// What each gmx-synthetics release changes for the DataStore keys this adapter reads
// (data/Keys.sol and position/PositionUtils.isPositionLiquidatable at each tag; docs/protocols/gmx-v2.md).
// A key a release does not have reads as 0 on its DataStore, so reading with another release's keys
// would silently zero a parameter: each deployment names its release.

export const GMX_V2_RELEASES = ["2.0", "2.1", "2024-10", "2.2", "2025-11"] as const;
export type GmxV2Release = (typeof GMX_V2_RELEASES)[number];

export type GmxV2ReleaseRules = {
  /**
   * isPositionLiquidatable's collateral factor: MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION (v2.2 on), the
   * market's MIN_COLLATERAL_FACTOR before it (v2.0, v2.1).
   */
  liquidationCollateralFactor: "MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION" | "MIN_COLLATERAL_FACTOR";
  /**
   * POSITION_IMPACT_EXPONENT_FACTOR keyed by (market, isPositive) since gmx-synthetics 36e1309d
   * (2025-11-07, "add option to set positive and negative impact exponent factors"); by market alone
   * through v2.2, one exponent for both sides.
   */
  exponentPerSide: boolean;
  /**
   * The closing fee factor isPositionLiquidatable prices: POSITION_FEE_FACTOR(market, balanceWasImproved)
   * of the close since v2.2, (market, forPositiveImpact = close impact > 0) in v2.0 and v2.1.
   */
  closeFeeFactor: "balanceWasImproved" | "forPositiveImpact";
  /**
   * Whether USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE exists (gmx-synthetics 862c3524, 2025-10-03, after v2.2);
   * it also balances funding and the borrowing smaller-side skip (MarketUtils.getOpenInterestForBalance).
   */
  openInterestInTokensForBalance: boolean;
  /**
   * PositionPricingUtils.getPositionFeesAfterReferral: through v2.1 the referral's traderDiscountFactor is
   * the trader's share of the rebate, so the discount is applyFactor(applyFactor(fee, totalRebateFactor),
   * share) (ReferralUtils.getReferralInfo returns both in basis points as floats); since 9088ef33
   * (release 2024-10 on) it is a factor of the fee itself, and pro tiers (c55879b1) give the larger one.
   */
  referralDiscount: "shareOfRebate" | "ofFee";
  /**
   * The kink borrowing model's usage (MarketUtils.getKinkBorrowingFactor / getUsageFactor): none in v2.0
   * (no OPTIMAL_USAGE_FACTOR; every market uses the exponent model); the larger of reserve and
   * open-interest usage in v2.1 and 2024-10, unless the global IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR is
   * set (08c21f0b; on main from cb8cfd49 until v2.2, whose 7e820139 made reserve usage the rule; a v2.1
   * DataStore reads it as false); reserve usage only since v2.2.
   */
  kinkUsage: "none" | "reserveOrOpenInterest" | "reserve";
  /**
   * MarketUtils.getFundingFactorPerSecond in v2.0: STABLE_FUNDING_FACTOR(market) when set, else the skew
   * factor x FUNDING_FACTOR, uncapped (v2.0 has no MAX_FUNDING_FACTOR_PER_SECOND nor adaptive funding).
   */
  stableOrUncappedFunding: boolean;
  /** getNextFundingFactorPerSecond: balanced sides reset the funding factor in v2.1; since 2024-10 (cbe6306b) only without adaptive funding. */
  balancedFundingResets: boolean;
  /** getNextFundingAmountPerSize: funding on the paying side's size since v2.2 (79b4abff), on the larger side's through 2024-10. */
  fundingOnPayingSide: boolean;
  /**
   * A close settles the position's pending impact (stored at each increase since v2.2) with its own, and
   * floors and caps the total (DecreasePositionCollateralUtils.processCollateral); v2.1 settles increase
   * impact at the increase and floors and caps the close impact alone (PositionUtils.getExecutionPriceForDecrease).
   */
  closeSettlesPendingImpact: boolean;
  /**
   * A positive close impact beyond the impact pool is lent from the pool's tokens up to
   * MAX_LENDABLE_IMPACT_FACTOR / MAX_LENDABLE_IMPACT_USD (MarketUtils.capPositiveImpactUsdByPositionImpactPool, v2.2 on).
   */
  impactPoolLends: boolean;
};

const RULES: Record<GmxV2Release, GmxV2ReleaseRules> = {
  "2.0": {
    liquidationCollateralFactor: "MIN_COLLATERAL_FACTOR",
    referralDiscount: "shareOfRebate",
    exponentPerSide: false,
    closeFeeFactor: "forPositiveImpact",
    openInterestInTokensForBalance: false,
    kinkUsage: "none",
    stableOrUncappedFunding: true,
    balancedFundingResets: true,
    fundingOnPayingSide: false,
    closeSettlesPendingImpact: false,
    impactPoolLends: false,
  },
  "2.1": {
    liquidationCollateralFactor: "MIN_COLLATERAL_FACTOR",
    referralDiscount: "shareOfRebate",
    exponentPerSide: false,
    closeFeeFactor: "forPositiveImpact",
    openInterestInTokensForBalance: false,
    kinkUsage: "reserveOrOpenInterest",
    stableOrUncappedFunding: false,
    balancedFundingResets: true,
    fundingOnPayingSide: false,
    closeSettlesPendingImpact: false,
    impactPoolLends: false,
  },
  // main from the merge cb8cfd49 (2024-10-21) to v2.2's merge ee721b7e (2025-09-09): v2.1 plus pro tiers and
  // the fee-relative referral discount (9088ef33), the adaptive factor kept on balanced sides (cbe6306b),
  // IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR and a liquidation fee the check leaves out (isLiquidation = false).
  "2024-10": {
    liquidationCollateralFactor: "MIN_COLLATERAL_FACTOR",
    referralDiscount: "ofFee",
    exponentPerSide: false,
    closeFeeFactor: "forPositiveImpact",
    openInterestInTokensForBalance: false,
    kinkUsage: "reserveOrOpenInterest",
    stableOrUncappedFunding: false,
    balancedFundingResets: false,
    fundingOnPayingSide: false,
    closeSettlesPendingImpact: false,
    impactPoolLends: false,
  },
  "2.2": {
    liquidationCollateralFactor: "MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION",
    referralDiscount: "ofFee",
    exponentPerSide: false,
    closeFeeFactor: "balanceWasImproved",
    openInterestInTokensForBalance: false,
    kinkUsage: "reserve",
    stableOrUncappedFunding: false,
    balancedFundingResets: false,
    fundingOnPayingSide: true,
    closeSettlesPendingImpact: true,
    impactPoolLends: true,
  },
  "2025-11": {
    liquidationCollateralFactor: "MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION",
    referralDiscount: "ofFee",
    exponentPerSide: true,
    closeFeeFactor: "balanceWasImproved",
    openInterestInTokensForBalance: true,
    kinkUsage: "reserve",
    stableOrUncappedFunding: false,
    balancedFundingResets: false,
    fundingOnPayingSide: true,
    closeSettlesPendingImpact: true,
    impactPoolLends: true,
  },
};

export const gmxV2ReleaseRules = (release: GmxV2Release): GmxV2ReleaseRules => RULES[release];
