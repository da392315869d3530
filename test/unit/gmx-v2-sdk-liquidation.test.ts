import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  applyImpactFactor,
  closeFeeBalanceImproved,
  closePriceImpactUsd,
  closingCosts,
  liquidationPrice,
  positionPnlUsd,
  type GmxV2MarketParams,
  type GmxV2MarketState,
  type GmxV2Position,
} from "../../src/protocols/gmx-v2/risk";
import { GMX_V2_RELEASES, gmxV2ReleaseRules } from "../../src/protocols/gmx-v2/releases";
import { createRng, type Rng } from "../chain/rng";
import { noAccrualParams, noImpactPoolParams } from "../support/gmx-v2-params";

// Our liquidation price and capped PnL against GMX's own SDK formulas (@gmx-io/sdk utils/positions
// getLiquidationPrice and getPositionPnlUsd), on random markets and positions. Ours settles the price
// on the contract's check (PositionUtils.isPositionLiquidatable); the SDK solves a closed form. Where
// the two read the contract differently, the SDK is given the contract's input and the comment cites
// the line; what remains is rounding, bounded per vector.
const require = createRequire(import.meta.url);
const sdk: typeof import("@gmx-io/sdk/utils/positions") = require("@gmx-io/sdk/utils/positions");

const E30 = 10n ** 30n;
const VECTORS = 10_000;
const abs = (x: bigint) => (x < 0n ? -x : x);
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
/** A factor of 1e30 from a float with 9 significant digits. */
const factor = (x: number) => BigInt(Math.round(x * 1e9)) * 10n ** 21n;
const usd = (x: number) => BigInt(Math.round(x * 1e6)) * 10n ** 24n;
const INDEX = "0x00000000000000000000000000000000000000a1";
const STABLE = "0x00000000000000000000000000000000000000b2";

type Vector = {
  p: GmxV2Position;
  /** The SDK's UserReferralInfo for the trader's discount (totalRebateFactor x discountFactor), when there is one. */
  referral: { totalRebateFactor: bigint; discountFactor: bigint } | undefined;
  m: GmxV2MarketParams;
  s: GmxV2MarketState;
  decimals: number;
  /** Index unit price now (USD 1e30 per smallest unit). */
  indexUnit: bigint;
  sameToken: boolean;
  stableUnit: bigint;
};

function randomVector(rng: Rng): Vector {
  const decimals = rng.pick([18, 8]);
  const indexWhole = usd(decimals === 18 ? 500 + rng.next() * 9_500 : 10_000 + rng.next() * 90_000);
  const indexUnit = indexWhole / 10n ** BigInt(decimals);
  const stableUnit = usd(0.98 + rng.next() * 0.04) / 10n ** 6n;
  const isLong = rng.chance(0.5);
  const sameToken = rng.chance(0.5);
  const sizeInUsd = usd(10 ** (2 + rng.next() * 5));
  const leverage = 1.5 + rng.next() * 60;
  const entryUnit = (indexUnit * BigInt(900 + rng.int(0, 200))) / 1000n;
  const sizeInTokens = isLong ? sizeInUsd / entryUnit : ceilDiv(sizeInUsd, entryUnit);
  const collateralUnit = sameToken ? indexUnit : stableUnit;
  const collateralAmount = BigInt(Math.round(Number(sizeInUsd / collateralUnit) / leverage));
  const exponent = rng.pick([E30, 2n * E30, factor(1 + rng.next() * 1.5)]);
  const negativeFactor = factor(10 ** (-4 - 5 * rng.next())) / 10n ** BigInt(Math.round((Number(exponent) / 1e30 - 1) * 6));
  const m: GmxV2MarketParams = {
    ...noAccrualParams,
  ...noImpactPoolParams,
    release: rng.pick(GMX_V2_RELEASES),
    minCollateralUsd: usd(1 + rng.next() * 9),
    minCollateralFactorForLiquidation: factor(0.002 + rng.next() * 0.008),
    maxPositionImpactFactorForLiquidations: rng.chance(0.2) ? 0n : factor(rng.next() * 0.01),
    positionImpactFactorPositive: negativeFactor / BigInt(rng.int(1, 3)),
    positionImpactFactorNegative: negativeFactor,
    positionImpactExponentFactorPositive: exponent,
    positionImpactExponentFactorNegative: exponent,
    maxPositionImpactFactorPositive: factor(0.002 + rng.next() * 0.008),
    maxPositionImpactFactorNegative: factor(0.002 + rng.next() * 0.008),
    positionFeeFactorBalanceImproved: factor(0.0002 + rng.next() * 0.0003),
    positionFeeFactorBalanceNotImproved: factor(0.0005 + rng.next() * 0.0005),
    maxPnlFactorForTradersLong: factor(0.5 + rng.next() * 0.5),
    maxPnlFactorForTradersShort: factor(0.5 + rng.next() * 0.5),
    // Balanced in USD: the SDK prices a close in tokens at -sizeInUsd, the contract at -sizeInTokens x mid
    // (PositionPricingUtils.getNextOpenInterest); the fixture tests cover balancing in tokens.
    useOpenInterestInTokensForBalance: false,
    virtualTokenId: rng.chance(0.4) ? "0x00000000000000000000000000000000000000000000000000000000000000e1" : null,
  };
  const other = usd(10 ** (3 + rng.next() * 4.5));
  const ownSide = sizeInUsd + (rng.chance(0.3) ? 0n : usd(10 ** (3 + rng.next() * 4.5)));
  const borrowed = factor(rng.next() * 0.05);
  // Funding owed: up to 1% of the size, as collateral-token amount per USD of size (1e45 scale).
  const fundingPerSize = ((factor(rng.next() * 0.01) * 10n ** 15n) / collateralUnit) * (rng.chance(0.3) ? 0n : 1n);
  // ReferralUtils.getReferralInfo: traderDiscountFactor = totalRebate x discountShare (tiers in basis points).
  const referral = rng.chance(0.3) ? { totalRebateFactor: factor(rng.int(5, 15) / 100), discountFactor: factor(rng.int(10, 60) / 100) } : undefined;
  const p: GmxV2Position = {
    isLong,
    sizeInUsd,
    sizeInTokens,
    collateralAmount,
    pendingImpactAmount: rng.chance(0.3) ? 0n : ((sizeInUsd / indexUnit) * BigInt(rng.int(-50, 10))) / 10_000n,
    borrowingFactor: E30,
    fundingFeeAmountPerSize: 0n,
    // The event's referral.traderDiscountFactor: the share of the rebate through v2.1, of the fee since v2.2.
    traderDiscountFactor: !referral ? 0n : gmxV2ReleaseRules(m.release).referralDiscount === "shareOfRebate" ? referral.discountFactor : (referral.totalRebateFactor * referral.discountFactor) / E30,
    referralTotalRebateFactor: referral?.totalRebateFactor ?? 0n,
  };
  const s: GmxV2MarketState = {
    longOpenInterestUsd: isLong ? ownSide : other,
    shortOpenInterestUsd: isLong ? other : ownSide,
    // No pool PnL: the SDK's getLiquidationPrice does not cap, and neither does the contract below zero PnL (tested apart).
    longOpenInterestInTokens: 0n,
    shortOpenInterestInTokens: 0n,
    pnlPoolAmount: 0n,
    // The SDK skips an inventory of exactly 0; the contract still prices it when the token has a virtual id
    // (PositionPricingUtils.getPriceImpactUsd checks hasVirtualInventory, not the value): never 0 here.
    // Mostly on the side a close worsens (sold to the pool for a long: positive), where it can bind.
    virtualInventory: m.virtualTokenId === null ? 0n : usd(10 ** (4 + rng.next() * 4)) * ((isLong ? 1n : -1n) * (rng.chance(0.75) ? 1n : -1n)),
    cumulativeBorrowingFactor: E30 + borrowed,
    fundingFeeAmountPerSize: fundingPerSize,
  };
  return { p, referral, m, s, decimals, indexUnit, sameToken, stableUnit };
}

/** The SDK's MarketInfo fields its liquidation and PnL formulas read (types/markets MarketInfo). */
function marketInfo(v: Vector, indexWhole: bigint, feeFactorForClose: bigint) {
  const { m, s } = v;
  return {
    indexToken: { address: INDEX, decimals: v.decimals, prices: { minPrice: indexWhole, maxPrice: indexWhole } },
    longInterestUsd: s.longOpenInterestUsd,
    shortInterestUsd: s.shortOpenInterestUsd,
    useOpenInterestInTokensForBalance: false,
    virtualInventoryForPositions: s.virtualInventory,
    positionImpactFactorPositive: m.positionImpactFactorPositive,
    positionImpactFactorNegative: m.positionImpactFactorNegative,
    positionImpactExponentFactorPositive: m.positionImpactExponentFactorPositive,
    positionImpactExponentFactorNegative: m.positionImpactExponentFactorNegative,
    maxPositionImpactFactorPositive: m.maxPositionImpactFactorPositive,
    maxPositionImpactFactorNegative: m.maxPositionImpactFactorNegative,
    maxPositionImpactFactorForLiquidations: m.maxPositionImpactFactorForLiquidations,
    // getLiquidationPrice always prices the close as "balance not improved"; the contract's check uses
    // the close's balanceWasImproved since v2.2 and forPositiveImpact before (PositionUtils.isPositionLiquidatable,
    // GetPositionFeesParams): the SDK gets the factor the contract applies.
    positionFeeFactorForBalanceWasImproved: feeFactorForClose,
    positionFeeFactorForBalanceWasNotImproved: feeFactorForClose,
    minCollateralFactorForLiquidation: m.minCollateralFactorForLiquidation,
  };
}

describe("GMX v2 liquidation price against @gmx-io/sdk (getLiquidationPrice)", () => {
  it(`agrees on ${VECTORS} random markets and positions to the rounding the contract adds`, () => {
    const rng = createRng(1919);
    const seen = { compared: 0, long: 0, short: 0, sameToken: 0, improvedClose: 0, negativeImpact: 0, virtualWorse: 0, pendingImpact: 0, funding: 0, referral: 0 };
    for (let i = 0; i < VECTORS; i++) {
      const v = randomVector(rng);
      const { p, m, s } = v;
      const stable = { isIndexToken: false as const, price: { min: v.stableUnit, max: v.stableUnit } };
      const collateral = v.sameToken ? { isIndexToken: true as const } : stable;
      const ours = liquidationPrice(p, m, s, { collateral, pnlToken: p.isLong ? { isIndexToken: true } : stable });
      if (ours.kind !== "price") continue;
      const L = ours.price;
      const scale = 10n ** BigInt(v.decimals);
      const close = closePriceImpactUsd(p, m, s, L);
      const improved = closeFeeBalanceImproved(m, close);
      const collateralUnit = v.sameToken ? L : v.stableUnit;
      const costs = closingCosts(p, m, s, collateralUnit, improved);
      const theirs = sdk.getLiquidationPrice({
        sizeInUsd: p.sizeInUsd,
        sizeInTokens: p.sizeInTokens,
        collateralAmount: p.collateralAmount,
        collateralUsd: p.collateralAmount * collateralUnit,
        collateralToken: { address: v.sameToken ? INDEX : STABLE } as never,
        // The contract values the pending impact at the index price of the check (isPositionLiquidatable:
        // pendingImpactAmount x indexTokenPrice.min/max); the SDK at marketInfo's index price: we give it L.
        marketInfo: marketInfo(v, L * scale, improved ? m.positionFeeFactorBalanceImproved : m.positionFeeFactorBalanceNotImproved) as never,
        pendingBorrowingFeesUsd: costs.borrowingFeeUsd,
        // Funding is owed in collateral tokens (MarketUtils.getFundingAmount, rounded up): at the check's price.
        pendingFundingFeesUsd: costs.fundingFeeAmount * collateralUnit,
        pendingImpactAmount: p.pendingImpactAmount,
        minCollateralUsd: m.minCollateralUsd,
        isLong: p.isLong,
        useMaxPriceImpact: false,
        userReferralInfo: v.referral as never,
      });
      const vector = `vector ${i}: ${JSON.stringify({ ...p, ...m, ...s, decimals: v.decimals, indexUnit: v.indexUnit, sameToken: v.sameToken, L }, (_, x) => (typeof x === "bigint" ? x.toString() : x))}`;
      expect(theirs, vector).toBeDefined();
      const theirsUnit = theirs! / scale;
      // What the contract rounds and the closed form does not, in USD: the position fee, its referral
      // discount and the borrowing fee are each floored to collateral-token units
      // (PositionPricingUtils.getPositionFeesAfterReferral, getBorrowingFees), the boundary is strict (remaining < min collateral) and the SDK floors the
      // quotient; the SDK's impact is a float pow (within 1e-12 of it, test/unit/gmx-v2-sdk.test.ts) and
      // prices a diff under $1 the contract takes as 0 (Precision.applyExponentFactor).
      const denominator = v.sameToken ? (p.isLong ? p.sizeInTokens + p.collateralAmount : p.sizeInTokens - p.collateralAmount) : p.sizeInTokens;
      const longAfter = p.isLong ? s.longOpenInterestUsd - p.sizeInUsd : s.longOpenInterestUsd;
      const shortAfter = p.isLong ? s.shortOpenInterestUsd : s.shortOpenInterestUsd - p.sizeInUsd;
      const inventory = abs(s.virtualInventory);
      const term = [abs(s.longOpenInterestUsd - s.shortOpenInterestUsd), abs(longAfter - shortAfter), inventory, inventory + p.sizeInUsd]
        .map((diff) => applyImpactFactor(diff, m.positionImpactFactorNegative, m.positionImpactExponentFactorNegative))
        .reduce((a, b) => (a > b ? a : b));
      const floatImpactUsd = term / 10n ** 12n + 2n * m.positionImpactFactorNegative;
      const boundUnits = 2n + (3n * collateralUnit + floatImpactUsd) / abs(denominator);
      const gap = abs(theirsUnit - L);
      expect(gap, `${vector} gap ${gap} bound ${boundUnits}`).toBeLessThanOrEqual(boundUnits);
      seen.compared++;
      seen[p.isLong ? "long" : "short"]++;
      if (v.sameToken) seen.sameToken++;
      if (improved) seen.improvedClose++;
      if (close.impactUsd < 0n) seen.negativeImpact++;
      if (close.impactUsd < closePriceImpactUsd(p, { ...m, virtualTokenId: null }, s, L).impactUsd) seen.virtualWorse++;
      if (p.pendingImpactAmount !== 0n) seen.pendingImpact++;
      if (costs.fundingFeeAmount > 0n) seen.funding++;
      if (v.referral) seen.referral++;
    }
    console.log(`gmx-v2 liquidation price vs @gmx-io/sdk: ${VECTORS} vectors, ${JSON.stringify(seen)}`);
    // The comparison covers both sides, both collateral kinds, both fee factors, impacts and funding.
    expect(seen.compared).toBeGreaterThan(VECTORS * 0.75);
    for (const key of ["long", "short", "sameToken", "improvedClose", "negativeImpact", "pendingImpact", "funding", "referral"] as const) {
      expect(seen[key], key).toBeGreaterThan(VECTORS / 10);
    }
    // The virtual inventory applies only to a negative impact it makes worse.
    expect(seen.virtualWorse).toBeGreaterThan(VECTORS / 50);
  });

  it("fails when the closing fee is priced as the SDK prices it (always balance not improved) on an improving close", () => {
    // A vector where the close improves the balance: the contract's fee factor is the improved one, so
    // the SDK's own fee choice would move the price by the factors' gap (what the first test corrects for).
    const rng = createRng(7);
    for (;;) {
      const v = randomVector(rng);
      const close = closePriceImpactUsd(v.p, v.m, v.s, v.indexUnit);
      // USDC collateral, no pending impact and no discount: the price then moves by exactly the fee gap over the size in tokens.
      if (!close.balanceWasImproved || gmxV2ReleaseRules(v.m.release).closeFeeFactor === "forPositiveImpact" || v.sameToken || v.p.pendingImpactAmount !== 0n || v.referral) continue;
      const stable = { isIndexToken: false as const, price: { min: v.stableUnit, max: v.stableUnit } };
      const ours = liquidationPrice(v.p, v.m, v.s, { collateral: stable, pnlToken: stable });
      const asSdk = liquidationPrice(v.p, { ...v.m, positionFeeFactorBalanceImproved: v.m.positionFeeFactorBalanceNotImproved }, v.s, {
        collateral: stable,
        pnlToken: stable,
      });
      if (ours.kind !== "price" || asSdk.kind !== "price") continue;
      // The not-improved factor charges more: a long liquidates higher, a short lower.
      const feeGapUsd = ((v.m.positionFeeFactorBalanceNotImproved - v.m.positionFeeFactorBalanceImproved) * v.p.sizeInUsd) / E30;
      // Each fee is floored to a USDC unit (PositionPricingUtils.getPositionFees): up to one unit over the size of slack.
      expect(abs(asSdk.price - ours.price)).toBeGreaterThanOrEqual(feeGapUsd / v.p.sizeInTokens - (2n * v.stableUnit) / v.p.sizeInTokens - 2n);
      expect(v.p.isLong ? asSdk.price > ours.price : asSdk.price < ours.price).toBe(true);
      return;
    }
  });
});

describe("GMX v2 capped PnL against @gmx-io/sdk (getPositionPnlUsd)", () => {
  it(`agrees on ${VECTORS} random pools, within the SDK's 1e18 truncation of the cap ratio`, () => {
    const rng = createRng(2020);
    let capped = 0;
    for (let i = 0; i < VECTORS; i++) {
      const v = randomVector(rng);
      const { p, m } = v;
      // The side's open interest: this position plus others opened within 20% of the price.
      const othersUsd = usd(10 ** (3 + rng.next() * 4));
      const othersEntry = (v.indexUnit * BigInt(800 + rng.int(0, 400))) / 1000n;
      const openInterestUsd = p.sizeInUsd + othersUsd;
      const openInterestInTokens = p.sizeInTokens + othersUsd / othersEntry;
      const pnlTokenUnit = p.isLong ? v.indexUnit : v.stableUnit;
      const poolUsd = usd(10 ** (2 + rng.next() * 6));
      const s = { ...v.s, pnlPoolAmount: poolUsd / pnlTokenUnit };
      if (p.isLong) s.longOpenInterestInTokens = openInterestInTokens;
      else s.shortOpenInterestInTokens = openInterestInTokens;
      if (p.isLong) s.longOpenInterestUsd = openInterestUsd;
      else s.shortOpenInterestUsd = openInterestUsd;
      const mark = (v.indexUnit * BigInt(900 + rng.int(0, 200))) / 1000n;
      const index = { min: mark, max: mark };
      const ours = positionPnlUsd(p, m, s, { index, pnlToken: { min: pnlTokenUnit, max: pnlTokenUnit } });
      const scale = 10n ** BigInt(v.decimals);
      const pnlDecimals = p.isLong ? v.decimals : 6;
      const pnlWhole = pnlTokenUnit * 10n ** BigInt(pnlDecimals);
      const pnlToken = { decimals: pnlDecimals, prices: { minPrice: pnlWhole, maxPrice: pnlWhole } };
      const theirs = sdk.getPositionPnlUsd({
        // With min = max prices the SDK's minimizing pool-PnL price (getMarketPnl(forMaxPoolValue)) and
        // the contract's maximizing one (MarketUtils.getPnl(maximize = true)) are the same.
        marketInfo: {
          indexToken: { decimals: v.decimals, prices: { minPrice: mark * scale, maxPrice: mark * scale } },
          longToken: pnlToken,
          shortToken: pnlToken,
          longPoolAmount: s.pnlPoolAmount,
          shortPoolAmount: s.pnlPoolAmount,
          longInterestUsd: s.longOpenInterestUsd,
          shortInterestUsd: s.shortOpenInterestUsd,
          longInterestInTokens: openInterestInTokens,
          shortInterestInTokens: openInterestInTokens,
          maxPnlFactorForTradersLong: m.maxPnlFactorForTradersLong,
          maxPnlFactorForTradersShort: m.maxPnlFactorForTradersShort,
        } as never,
        sizeInUsd: p.sizeInUsd,
        sizeInTokens: p.sizeInTokens,
        markPrice: mark * scale,
        isLong: p.isLong,
      });
      const uncapped = p.isLong ? p.sizeInTokens * mark - p.sizeInUsd : p.sizeInUsd - p.sizeInTokens * mark;
      const vector = `vector ${i}: ${JSON.stringify({ ...p, ...s, mark }, (_, x) => (typeof x === "bigint" ? x.toString() : x))}`;
      if (ours !== uncapped) capped++;
      // The SDK divides the capped and the pool PnL by 1e18 before mulDiv (utils/positions getPositionPnlUsd);
      // Precision.mulDiv in PositionUtils.getPositionPnlUsd does not: a relative gap of ~1e18 / capped PnL.
      const poolValue = s.pnlPoolAmount * pnlTokenUnit;
      const cap = (poolValue * (p.isLong ? m.maxPnlFactorForTradersLong : m.maxPnlFactorForTradersShort)) / E30;
      const bound = cap > 0n ? (abs(uncapped) * 2n * 10n ** 18n) / cap + 2n : 0n;
      expect(abs(ours - theirs), vector).toBeLessThanOrEqual(bound);
      expect(ours <= uncapped, vector).toBe(true);
    }
    console.log(`gmx-v2 capped pnl vs @gmx-io/sdk: ${VECTORS} vectors, ${capped} capped`);
    expect(capped).toBeGreaterThan(VECTORS / 10);
  });
});
