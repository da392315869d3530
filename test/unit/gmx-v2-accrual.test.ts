import { describe, expect, it } from "vitest";
import { accruedState, borrowingFactorPerSecond, claimableFundingPerSizeDelta, fundingFactorPerSecond, fundingFeeAmountPerSizeDelta } from "../../src/protocols/gmx-v2/accrual";
import type { GmxV2Release } from "../../src/protocols/gmx-v2/releases";
import type { GmxV2MarketParams, GmxV2MarketState } from "../../src/protocols/gmx-v2/risk";
import { gmxV2Position, noAccrualParams, noImpactPoolParams } from "../support/gmx-v2-params";

// Expected values are worked by hand from gmx-synthetics MarketUtils (v2.1, v2.2, main) in the comments.

const E30 = 10n ** 30n;
const usd = (n: bigint) => n * E30;
const pct = (n: bigint) => (n * E30) / 100n;
const ETH = { min: 3_000n * 10n ** 12n, max: 3_000n * 10n ** 12n }; // $3000 per 1e18 wei
const DOLLAR_UNIT = { min: E30, max: E30 }; // a token of $1 per unit
const USDC = { min: 10n ** 24n, max: 10n ** 24n };

const params = (release: GmxV2Release, over: Partial<GmxV2MarketParams> = {}): GmxV2MarketParams => ({
  ...noAccrualParams,
  ...noImpactPoolParams,
  release,
  minCollateralUsd: 0n,
  minCollateralFactorForLiquidation: 0n,
  maxPositionImpactFactorForLiquidations: 0n,
  positionImpactFactorPositive: 0n,
  positionImpactFactorNegative: 0n,
  positionImpactExponentFactorPositive: E30,
  positionImpactExponentFactorNegative: E30,
  maxPositionImpactFactorPositive: 0n,
  maxPositionImpactFactorNegative: 0n,
  positionFeeFactorBalanceImproved: 0n,
  positionFeeFactorBalanceNotImproved: 0n,
  maxPnlFactorForTradersLong: 0n,
  maxPnlFactorForTradersShort: 0n,
  useOpenInterestInTokensForBalance: false,
  virtualTokenId: null,
  ...over,
});

/** Longs $40k (10 ETH), shorts $50k, a $100k pool of a $1 token. */
const state = (over: Partial<GmxV2MarketState> = {}): GmxV2MarketState => ({
  longOpenInterestUsd: usd(40_000n),
  shortOpenInterestUsd: usd(50_000n),
  longOpenInterestInTokens: 10n * 10n ** 18n,
  shortOpenInterestInTokens: 0n,
  pnlPoolAmount: 100_000n,
  virtualInventory: 0n,
  cumulativeBorrowingFactor: 0n,
  fundingFeeAmountPerSize: 0n,
  ...over,
});

const prices = { index: ETH, pnlToken: DOLLAR_UNIT };

describe("borrowing factor per second (MarketUtils.getBorrowingFactorPerSecond)", () => {
  // Longs reserve 10 ETH at the max price, $30k, against a $100k pool.
  const kink = { optimalUsageFactorLong: pct(50n), baseBorrowingFactorLong: 10n ** 22n, aboveOptimalUsageBorrowingFactorLong: 3n * 10n ** 22n, openInterestReserveFactorLong: pct(50n) };

  it("kink model: usage 30k / (100k x 50%) = 0.6, base 0.6e22 plus (3e22 - 1e22) x 0.1 / 0.5 above the kink", () => {
    expect(borrowingFactorPerSecond(params("2.2", kink), state(), true, prices)).toBe(10n ** 22n);
    expect(borrowingFactorPerSecond(params("2025-11", kink), state(), true, prices)).toBe(10n ** 22n);
  });

  it("v2.1 also counts open interest against MAX_OPEN_INTEREST: 40k / 50k = 0.8 > 0.6, so 0.8e22 + 2e22 x 0.3 / 0.5", () => {
    const m = params("2.1", { ...kink, maxOpenInterestLong: usd(50_000n) });
    expect(borrowingFactorPerSecond(m, state(), true, prices)).toBe(2n * 10n ** 22n);
    // v2.2 dropped that term: the same market charges by reserve usage only.
    expect(borrowingFactorPerSecond({ ...m, release: "2.2" }, state(), true, prices)).toBe(10n ** 22n);
    expect(() => borrowingFactorPerSecond({ ...m, maxOpenInterestLong: 0n }, state(), true, prices)).toThrow(/MAX_OPEN_INTEREST is zero/);
  });

  it("IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR (main 2024-09-30 to 2025-01-13) drops the open-interest term from v2.1's usage", () => {
    const m = params("2.1", { ...kink, maxOpenInterestLong: usd(50_000n), ignoreOpenInterestForUsageFactor: true });
    expect(borrowingFactorPerSecond(m, state(), true, prices)).toBe(10n ** 22n); // reserve usage 0.6 alone
    expect(borrowingFactorPerSecond({ ...m, ignoreOpenInterestForUsageFactor: false }, state(), true, prices)).toBe(2n * 10n ** 22n);
  });

  it("v2.0 has no kink model: OPTIMAL_USAGE_FACTOR is not a v2.0 key, so the exponent model applies", () => {
    const m = params("2.0", { ...kink, borrowingFactorLong: 10n ** 22n, borrowingExponentFactorLong: E30 });
    expect(borrowingFactorPerSecond(m, state(), true, prices)).toBe(3n * 10n ** 21n); // 30k / 100k x 1e22
    expect(borrowingFactorPerSecond({ ...m, release: "2.2" }, state(), true, prices)).toBe(10n ** 22n); // the kink, as above
  });

  it("exponent model: (reserved ^ exponent) / pool x BORROWING_FACTOR; shorts reserve their USD open interest", () => {
    // An exponent other than 1 goes through PRBMath's pow, checked bit for bit on the fixture.
    const m = params("2.2", { borrowingFactorLong: 10n ** 22n, borrowingExponentFactorLong: E30, borrowingFactorShort: 2n * 10n ** 22n, borrowingExponentFactorShort: E30 });
    expect(borrowingFactorPerSecond(m, state(), true, prices)).toBe(3n * 10n ** 21n); // 30k / 100k x 1e22
    expect(borrowingFactorPerSecond(m, state(), false, prices)).toBe(10n ** 22n); // 50k / 100k x 2e22
    // the long reserve follows the index's max price
    expect(borrowingFactorPerSecond(m, state(), true, { ...prices, index: { min: ETH.min, max: 2n * ETH.max } })).toBe(6n * 10n ** 21n);
  });

  it("skips the smaller side with SKIP_BORROWING_FEE_FOR_SMALLER_SIDE, and refuses an empty pool as the contract reverts", () => {
    const m = params("2.2", { borrowingFactorLong: 10n ** 22n, borrowingExponentFactorLong: E30, borrowingFactorShort: 10n ** 22n, borrowingExponentFactorShort: E30, skipBorrowingFeeForSmallerSide: true });
    expect(borrowingFactorPerSecond(m, state(), true, prices)).toBe(0n); // 40k < 50k
    expect(borrowingFactorPerSecond(m, state(), false, prices)).toBe(5n * 10n ** 21n);
    // main compares open interest in tokens at the mid price when the market balances in tokens: 10 ETH x 3000 = 30k < 50k... and
    // with 20 ETH, 60k > 50k, so the longs pay and the shorts are skipped.
    const inTokens = { ...m, release: "2025-11" as const, useOpenInterestInTokensForBalance: true };
    const s = state({ longOpenInterestInTokens: 20n * 10n ** 18n, shortOpenInterestInTokens: 50_000n * 10n ** 18n / 3_000n });
    expect(borrowingFactorPerSecond(inTokens, s, false, prices)).toBe(0n);
    expect(borrowingFactorPerSecond({ ...inTokens, release: "2.2" }, s, false, prices)).toBe(5n * 10n ** 21n); // v2.2: USD 40k < 50k
    expect(() => borrowingFactorPerSecond(m, state({ pnlPoolAmount: 0n }), false, prices)).toThrow(/pool is empty/);
    expect(borrowingFactorPerSecond(m, state({ shortOpenInterestUsd: 0n, pnlPoolAmount: 0n }), false, prices)).toBe(0n); // nothing reserved
  });
});

describe("funding factor per second (MarketUtils.getNextFundingFactorPerSecond)", () => {
  // Longs 60k, shorts 40k: skew (60k - 40k) / 100k = 0.2
  const s = state({ longOpenInterestUsd: usd(60_000n), shortOpenInterestUsd: usd(40_000n) });
  const adaptive = { fundingExponentFactor: E30, fundingIncreaseFactorPerSecond: 10n ** 17n, minFundingFactorPerSecond: 10n ** 20n, maxFundingFactorPerSecond: 10n ** 22n };

  it("fixed: skew x FUNDING_FACTOR, capped at MAX_FUNDING_FACTOR_PER_SECOND, the larger side pays", () => {
    const m = params("2.2", { fundingExponentFactor: E30, fundingFactor: 5n * 10n ** 22n, maxFundingFactorPerSecond: 2n * 10n ** 22n });
    expect(fundingFactorPerSecond(m, s, 1_000n, 0n, ETH)).toEqual({ factorPerSecond: 10n ** 22n, longsPayShorts: true });
    expect(fundingFactorPerSecond({ ...m, maxFundingFactorPerSecond: 5n * 10n ** 21n }, s, 1_000n, 0n, ETH).factorPerSecond).toBe(5n * 10n ** 21n);
  });

  it("adaptive: grows by skew x increase factor per second, decays below the decrease threshold, bounded by MIN and MAX", () => {
    const m = params("2.2", adaptive);
    // from nothing: 0.2 x 1e17 x 1000 s = 2e19, raised to the 1e20 minimum
    expect(fundingFactorPerSecond(m, s, 1_000n, 0n, ETH)).toEqual({ factorPerSecond: 10n ** 20n, longsPayShorts: true });
    // same direction, skew above the stable threshold: 5e21 + 2e19
    expect(fundingFactorPerSecond({ ...m, thresholdForStableFunding: pct(10n) }, s, 1_000n, 5n * 10n ** 21n, ETH).factorPerSecond).toBe(5_020n * 10n ** 18n);
    // between the thresholds: unchanged
    const band = { ...m, thresholdForStableFunding: pct(30n), thresholdForDecreaseFunding: pct(10n) };
    expect(fundingFactorPerSecond(band, s, 1_000n, 5n * 10n ** 21n, ETH).factorPerSecond).toBe(5n * 10n ** 21n);
    // below the decrease threshold: 5e21 - 1e18 x 1000 s; decayed past zero it keeps its sign at 1, then the minimum
    const decaying = { ...m, thresholdForStableFunding: pct(30n), thresholdForDecreaseFunding: pct(25n), fundingDecreaseFactorPerSecond: 10n ** 18n };
    expect(fundingFactorPerSecond(decaying, s, 1_000n, 5n * 10n ** 21n, ETH).factorPerSecond).toBe(4n * 10n ** 21n);
    expect(fundingFactorPerSecond(decaying, s, 10_000n, 5n * 10n ** 21n, ETH)).toEqual({ factorPerSecond: 10n ** 20n, longsPayShorts: true });
    // shorts were paying: the longs' skew pulls the factor back, but shorts still pay this interval
    expect(fundingFactorPerSecond(m, s, 1_000n, -5n * 10n ** 21n, ETH)).toEqual({ factorPerSecond: 4_980n * 10n ** 18n, longsPayShorts: false });
    // capped at MAX
    expect(fundingFactorPerSecond(m, s, 10n ** 9n, 0n, ETH).factorPerSecond).toBe(10n ** 22n);
  });

  it("v2.0: STABLE_FUNDING_FACTOR when set, even on balanced sides (then shorts pay); else skew x FUNDING_FACTOR uncapped", () => {
    const m = params("2.0", { ...adaptive, fundingFactor: 5n * 10n ** 22n, maxFundingFactorPerSecond: 2n * 10n ** 21n });
    // 0.2 x 5e22, past MAX_FUNDING_FACTOR_PER_SECOND (not a v2.0 key) and with no adaptive rule
    expect(fundingFactorPerSecond(m, s, 1_000n, 5n * 10n ** 21n, ETH)).toEqual({ factorPerSecond: 10n ** 22n, longsPayShorts: true });
    expect(fundingFactorPerSecond({ ...m, maxFundingFactorPerSecond: 0n }, s, 1_000n, 0n, ETH).factorPerSecond).toBe(10n ** 22n);
    const stable = { ...m, stableFundingFactor: 7n * 10n ** 20n };
    expect(fundingFactorPerSecond(stable, s, 1_000n, 0n, ETH)).toEqual({ factorPerSecond: 7n * 10n ** 20n, longsPayShorts: true });
    const even = state({ longOpenInterestUsd: usd(50_000n), shortOpenInterestUsd: usd(50_000n) });
    expect(fundingFactorPerSecond(stable, even, 1_000n, 0n, ETH)).toEqual({ factorPerSecond: 7n * 10n ** 20n, longsPayShorts: false });
    expect(fundingFactorPerSecond(m, even, 1_000n, 0n, ETH).factorPerSecond).toBe(0n);
    // v2.1 ignores it and runs the adaptive rule: 0.2 x 1e17 x 1000 s, raised to the 1e20 minimum
    expect(fundingFactorPerSecond({ ...stable, release: "2.1" }, s, 1_000n, 0n, ETH).factorPerSecond).toBe(10n ** 20n);
  });

  it("balanced sides: v2.1 resets to zero, v2.2 on keeps the saved adaptive factor", () => {
    const even = state({ longOpenInterestUsd: usd(50_000n), shortOpenInterestUsd: usd(50_000n) });
    expect(fundingFactorPerSecond(params("2.1", adaptive), even, 1_000n, 5n * 10n ** 21n, ETH)).toEqual({ factorPerSecond: 0n, longsPayShorts: true });
    expect(fundingFactorPerSecond(params("2.2", adaptive), even, 1_000n, 5n * 10n ** 21n, ETH)).toEqual({ factorPerSecond: 5n * 10n ** 21n, longsPayShorts: true });
  });
});

describe("funding fee per size added before the check (MarketUtils.getNextFundingAmountPerSize)", () => {
  const position = (isLong: boolean) => gmxV2Position({ isLong, sizeInUsd: usd(1_000n) });
  const pending = (over: Partial<NonNullable<GmxV2MarketState["pending"]>> = {}): NonNullable<GmxV2MarketState["pending"]> => ({
    borrowingSeconds: 0n,
    fundingSeconds: 100_000n,
    savedFundingFactorPerSecond: 0n,
    openInterestByCollateral: { long: { longToken: usd(20_000n), shortToken: usd(40_000n) }, short: { longToken: 0n, shortToken: usd(40_000n) } },
    collateralSlots: { longToken: false, shortToken: true },
    ...over,
  });
  const s = state({ longOpenInterestUsd: usd(60_000n), shortOpenInterestUsd: usd(40_000n) });
  const fixed = { fundingExponentFactor: E30, fundingFactor: 5n * 10n ** 22n, maxFundingFactorPerSecond: 2n * 10n ** 22n };

  it("charges the payers' share per collateral token at its max price, rounded up; receivers owe nothing", () => {
    // 60k x 1e22 x 100,000 s = $60; the USDC-backed longs (40k of 60k) owe $40 over 40k: 1e-3 per USD of size
    const m = params("2.2", fixed);
    expect(fundingFeeAmountPerSizeDelta(position(true), m, s, pending(), { index: ETH, collateral: USDC })).toBe(10n ** 18n);
    expect(fundingFeeAmountPerSizeDelta(position(false), m, s, pending(), { index: ETH, collateral: USDC })).toBe(0n);
    expect(fundingFeeAmountPerSizeDelta(position(true), m, s, pending({ fundingSeconds: 0n }), { index: ETH, collateral: USDC })).toBe(0n);
  });

  it("credits the receivers each token's share over the whole side's open interest, at its max price, rounded down", () => {
    // The $60 above: $20 paid in WETH by WETH-backed longs, $40 in USDC; shorts (40k) receive both.
    const m = params("2.2", fixed);
    const tokens = { index: ETH, longToken: ETH, shortToken: USDC };
    expect(claimableFundingPerSizeDelta(false, m, s, pending(), tokens)).toEqual({
      longToken: 166_666_666_666_666_666_666_666_666n, // 20e30 x 1e45 / 40,000e30 / 3e15, floored
      shortToken: 10n ** 18n, // 40e30 x 1e45 / 40,000e30 / 1e24
    });
    expect(claimableFundingPerSizeDelta(true, m, s, pending(), tokens)).toEqual({ longToken: 0n, shortToken: 0n });
    expect(claimableFundingPerSizeDelta(false, m, s, pending({ fundingSeconds: 0n }), tokens)).toEqual({ longToken: 0n, shortToken: 0n });
  });

  it("charges the paying side's size since v2.2, the larger side's in v2.1", () => {
    // Shorts pay (saved -1e22, pulled back by 0.2 x 1e17 x 1e5 s = 2e21): 8e21 per second for 100,000 s
    const m = { ...fixed, fundingIncreaseFactorPerSecond: 10n ** 17n, minFundingFactorPerSecond: 0n };
    const p = pending({ savedFundingFactorPerSecond: -(10n ** 22n) });
    // v2.2: on the shorts' 40k, $32 over the shorts' 40k of USDC collateral; v2.1: on the longs' 60k, $48
    expect(fundingFeeAmountPerSizeDelta(position(false), params("2.2", m), s, p, { index: ETH, collateral: USDC })).toBe(8n * 10n ** 17n);
    expect(fundingFeeAmountPerSizeDelta(position(false), params("2.1", m), s, p, { index: ETH, collateral: USDC })).toBe(12n * 10n ** 17n);
  });

  it("adds both halves to the one key of a single-token market", () => {
    // open interest halved per key: $60 / 2 = $30 of funding, $15 per key over 30k each at $3000 per ETH:
    // ceil(15e30 x 1e45 / 3e34 / 3e15) = ceil(1.666...e26) twice
    const single = pending({
      openInterestByCollateral: { long: { longToken: usd(30_000n), shortToken: usd(30_000n) }, short: { longToken: usd(20_000n), shortToken: usd(20_000n) } },
      collateralSlots: { longToken: true, shortToken: true },
    });
    expect(fundingFeeAmountPerSizeDelta(position(true), params("2.2", fixed), s, single, { index: ETH, collateral: ETH })).toBe(2n * 166_666_666_666_666_666_666_666_667n);
  });

  it("accruedState advances only the position's accumulators, and leaves a state with nothing pending as it is", () => {
    const m = params("2.2", { ...fixed, borrowingFactorLong: 10n ** 22n, borrowingExponentFactorLong: E30 });
    const before = state({ longOpenInterestUsd: usd(60_000n), shortOpenInterestUsd: usd(40_000n), cumulativeBorrowingFactor: 7n, fundingFeeAmountPerSize: 9n, pending: pending({ borrowingSeconds: 10n }) });
    const after = accruedState(position(true), m, before, { index: ETH, pnlToken: DOLLAR_UNIT, collateral: USDC });
    expect(after.cumulativeBorrowingFactor).toBe(7n + 10n * 3n * 10n ** 21n); // 10 s at 30k / 100k x 1e22
    expect(after.fundingFeeAmountPerSize).toBe(9n + 10n ** 18n);
    const idle = { ...before, pending: pending({ fundingSeconds: 0n }) };
    expect(accruedState(position(true), m, idle, { index: ETH, pnlToken: DOLLAR_UNIT, collateral: USDC })).toBe(idle);
    const unknown = { ...before, pending: undefined };
    expect(accruedState(position(true), m, unknown, { index: ETH, pnlToken: DOLLAR_UNIT, collateral: USDC })).toBe(unknown);
  });
});
