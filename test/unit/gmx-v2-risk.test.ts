import { describe, expect, it } from "vitest";
import { proportionalPendingImpact } from "../../src/protocols/gmx-v2/normalise";
import { exp2, log2, mul, pow } from "../../src/protocols/gmx-v2/prb-pow";
import {
  applyImpactFactor,
  closePriceImpactUsd,
  closingCosts,
  liquidationCheck,
  liquidationPrice,
  positionPnlUsd,
  type GmxV2MarketParams,
  type GmxV2MarketState,
  type GmxV2Position,
} from "../../src/protocols/gmx-v2/risk";
import { noAccrualParams, noImpactPoolParams } from "../support/gmx-v2-params";

const E30 = 10n ** 30n;
const E18 = 10n ** 18n;
const usd = (n: number | bigint) => BigInt(n) * E30;
const ETH = (whole: number) => (BigInt(Math.round(whole * 1e6)) * 10n ** 18n) / 10n ** 6n;
/** Unit prices: USD per smallest unit x 1e30. */
const ethPrice = (dollars: number) => BigInt(dollars) * 10n ** 12n;
const USDC_PRICE = 10n ** 24n;
const ceil = (a: bigint, b: bigint) => (a + b - 1n) / b;

const params: GmxV2MarketParams = {
  ...noAccrualParams,
  ...noImpactPoolParams,
  release: "2025-11",
  minCollateralUsd: usd(1),
  minCollateralFactorForLiquidation: (5n * E30) / 1000n, // 0.5%
  maxPositionImpactFactorForLiquidations: (25n * E30) / 10_000n,
  positionImpactFactorPositive: 0n,
  positionImpactFactorNegative: 0n,
  positionImpactExponentFactorPositive: 2n * E30,
  positionImpactExponentFactorNegative: 2n * E30,
  maxPositionImpactFactorPositive: (5n * E30) / 1000n,
  maxPositionImpactFactorNegative: (5n * E30) / 1000n,
  positionFeeFactorBalanceImproved: (4n * E30) / 10_000n,
  positionFeeFactorBalanceNotImproved: (6n * E30) / 10_000n,
  maxPnlFactorForTradersLong: (9n * E30) / 10n,
  maxPnlFactorForTradersShort: (9n * E30) / 10n,
  useOpenInterestInTokensForBalance: false,
  virtualTokenId: null,
};

const position = (over: Partial<GmxV2Position>): GmxV2Position => ({
  isLong: true,
  sizeInUsd: usd(30_000),
  sizeInTokens: ETH(10),
  collateralAmount: 3_000n * 10n ** 6n,
  pendingImpactAmount: 0n,
  borrowingFactor: 10n ** 27n,
  fundingFeeAmountPerSize: 0n,
  traderDiscountFactor: 0n,
  referralTotalRebateFactor: 0n,
  ...over,
});

const state = (over: Partial<GmxV2MarketState> = {}): GmxV2MarketState => ({
  longOpenInterestUsd: usd(30_000),
  shortOpenInterestUsd: usd(30_000),
  longOpenInterestInTokens: 0n, // no pool PnL: profits uncapped unless a test sets the pool
  shortOpenInterestInTokens: 0n,
  pnlPoolAmount: 0n,
  virtualInventory: 0n,
  cumulativeBorrowingFactor: 10n ** 27n + 10n ** 26n, // 0.01% of size accrued since the position's snapshot
  fundingFeeAmountPerSize: 5n * 10n ** 12n, // per 1e30 USD of size, 1e45 scale: 30,000e30 * 5e12 / 1e45 = 150 units
  ...over,
});

describe("PRBMathUD60x18.pow mirror", () => {
  it("is exact where the binary method is exact and close to x^y elsewhere", () => {
    expect(log2(8n * E18)).toBe(3n * E18);
    expect(exp2(3n * E18)).toBe(8n * E18);
    expect(mul(3n * E18, E18 / 2n)).toBe((3n * E18) / 2n);
    expect(mul(1n, E18 / 2n)).toBe(1n); // 0.5e-18 rounds half up
    expect(pow(0n, 0n)).toBe(E18);
    for (const [x, y] of [
      [12_345.678, 2],
      [2_000_000, 1.9],
      [1.5, 2.2],
      [987_654_321.123, 2],
    ] as const) {
      const got = Number(pow(BigInt(Math.round(x * 1e6)) * 10n ** 12n, BigInt(Math.round(y * 1e6)) * 10n ** 12n)) / 1e18;
      expect(Math.abs(got / x ** y - 1)).toBeLessThan(1e-12);
    }
  });

  it("applyImpactFactor: (diff^e) * factor with no halving, zero below $1, exact for an exponent of 1 (PricingUtils, Precision.applyExponentFactor)", () => {
    const factor = 2n * 10n ** 21n; // 2e-9 per USD^2
    const impact = applyImpactFactor(usd(100_000), factor, 2n * E30);
    expect(Number(impact) / 1e30).toBeCloseTo(100_000 ** 2 * 2e-9, 6); // $20
    expect(applyImpactFactor(E30 - 1n, factor, 2n * E30)).toBe(0n);
    // Exponent 1 skips the pow (which would round): diff * factor / 1e30 exactly.
    const linear = 3n * 10n ** 26n; // 0.03%
    expect(applyImpactFactor(usd(123_456) + 789n, linear, E30)).toBe(((usd(123_456) + 789n) * linear) / E30);
  });
});

describe("GMX v2 close price impact (PositionPricingUtils.getPriceImpactUsd, usdDelta = -size)", () => {
  const m = { ...params, positionImpactFactorPositive: 10n ** 21n, positionImpactFactorNegative: 2n * 10n ** 21n };
  it("same-side worsening is negative with the negative factor", () => {
    // longs 100k, shorts 50k; closing a 20k short widens the gap from 50k to 70k.
    const p = position({ isLong: false, sizeInUsd: usd(20_000) });
    const r = closePriceImpactUsd(p, m, state({ longOpenInterestUsd: usd(100_000), shortOpenInterestUsd: usd(50_000) }), ethPrice(3_000));
    const expected = applyImpactFactor(usd(50_000), m.positionImpactFactorNegative, 2n * E30) - applyImpactFactor(usd(70_000), m.positionImpactFactorNegative, 2n * E30);
    expect(r).toEqual({ impactUsd: expected, balanceWasImproved: false });
    expect(Number(expected) / 1e30).toBeCloseTo(-(70_000 ** 2 - 50_000 ** 2) * 2e-9, 4); // -$4,800
  });

  it("crossover uses the positive factor on the old gap and the negative factor on the new one", () => {
    // longs 100k, shorts 50k; closing an 80k long flips to shorts-heavy by 30k.
    const p = position({ isLong: true, sizeInUsd: usd(80_000) });
    const r = closePriceImpactUsd(p, m, state({ longOpenInterestUsd: usd(100_000), shortOpenInterestUsd: usd(50_000) }), ethPrice(3_000));
    const positive = applyImpactFactor(usd(50_000), m.positionImpactFactorPositive, 2n * E30);
    const negative = applyImpactFactor(usd(30_000), m.positionImpactFactorNegative, 2n * E30);
    expect(r.impactUsd).toBe(positive - negative);
    expect(r.balanceWasImproved).toBe(true);
  });

  it("never charges the positive side more than the negative (MarketUtils.getAdjustedPositionImpactFactors / ExponentFactors)", () => {
    // A misconfigured market: positive factor and exponent above the negative ones; both are capped.
    const inverted = { ...m, positionImpactFactorPositive: 5n * 10n ** 21n, positionImpactExponentFactorPositive: 3n * E30 };
    const p = position({ isLong: true, sizeInUsd: usd(20_000) }); // closing a long narrows 100k/50k to 80k/50k
    const r = closePriceImpactUsd(p, inverted, state({ longOpenInterestUsd: usd(100_000), shortOpenInterestUsd: usd(50_000) }), ethPrice(3_000));
    const f = m.positionImpactFactorNegative;
    expect(r).toEqual({ impactUsd: applyImpactFactor(usd(50_000), f, 2n * E30) - applyImpactFactor(usd(30_000), f, 2n * E30), balanceWasImproved: true });
  });
});

/** remaining collateral as the notes' formula states it, written out here independently of risk.ts. */
function remainingByHand(
  p: GmxV2Position,
  s: GmxV2MarketState,
  indexPrice: bigint,
  collateralPrice: bigint,
  impactUsd: bigint,
  feeFactor = params.positionFeeFactorBalanceNotImproved,
) {
  const borrowingUsd = (p.sizeInUsd * (s.cumulativeBorrowingFactor - p.borrowingFactor)) / E30;
  const fundingAmount = ceil(p.sizeInUsd * (s.fundingFeeAmountPerSize - p.fundingFeeAmountPerSize), 10n ** 45n);
  const closingFeeUsd = (p.sizeInUsd * feeFactor) / E30;
  // Fees are charged in collateral tokens, each USD fee floored to token units first.
  const costAmount = borrowingUsd / collateralPrice + fundingAmount + closingFeeUsd / collateralPrice;
  const pnl = p.isLong ? p.sizeInTokens * indexPrice - p.sizeInUsd : p.sizeInUsd - p.sizeInTokens * indexPrice;
  return p.collateralAmount * collateralPrice + pnl + impactUsd - costAmount * collateralPrice;
}

const INDEX = { isIndexToken: true as const };
const USDC = { isIndexToken: false as const, price: { min: USDC_PRICE, max: USDC_PRICE } };
/** ETH/USD market: ETH is the index and long token, USDC the short token; a side's PnL token is its pool token. */
const pricing = (p: GmxV2Position, collateral: typeof INDEX | typeof USDC) => ({ collateral, pnlToken: p.isLong ? INDEX : USDC });

describe("GMX v2 liquidation price (gmx-interface getLiquidationPrice, settled on the contract's check)", () => {
  const liqCollateral = (p: GmxV2Position) => {
    const byFactor = (p.sizeInUsd * params.minCollateralFactorForLiquidation) / E30;
    return byFactor > params.minCollateralUsd ? byFactor : params.minCollateralUsd;
  };

  it("long with USDC collateral: P < (liqColl - rem + size) / sizeInTokens, so the last liquidatable unit is ceil(X/s) - 1", () => {
    const p = position({});
    const s = state();
    const rem = remainingByHand(p, s, 0n, USDC_PRICE, 0n) + p.sizeInUsd; // collateral + impact - costs (no pnl term)
    const X = liqCollateral(p) - rem + p.sizeInUsd;
    const expected = ceil(X, p.sizeInTokens) - 1n;
    const got = liquidationPrice(p, params, s, pricing(p, USDC));
    expect(got).toEqual({ kind: "price", price: expected });
    // Around $2,715: 10 ETH, $3,000 collateral less fees, 0.5% maintenance.
    expect(Number(expected) / 1e12).toBeGreaterThan(2_700);
    expect(Number(expected) / 1e12).toBeLessThan(2_730);
    expect(remainingByHand(p, s, expected, USDC_PRICE, 0n) < liqCollateral(p)).toBe(true);
    expect(remainingByHand(p, s, expected + 1n, USDC_PRICE, 0n) < liqCollateral(p)).toBe(false);
  });

  it("short with USDC collateral: P > (size + rem - liqColl) / sizeInTokens, the first liquidatable unit is floor(Y/s) + 1", () => {
    const p = position({ isLong: false });
    const s = state();
    const rem = remainingByHand(p, s, 0n, USDC_PRICE, 0n) - p.sizeInUsd;
    const Y = p.sizeInUsd + rem - liqCollateral(p);
    const expected = Y / p.sizeInTokens + 1n;
    expect(liquidationPrice(p, params, s, pricing(p, USDC))).toEqual({
      kind: "price",
      price: expected,
    });
    expect(Number(expected) / 1e12).toBeGreaterThan(3_270);
    expect(Number(expected) / 1e12).toBeLessThan(3_300);
  });

  it("long with ETH collateral: the boundary where ETH prices both the position and its collateral", () => {
    const p = position({ collateralAmount: ETH(1) });
    const s = state();
    const got = liquidationPrice(p, params, s, pricing(p, INDEX));
    if (got.kind !== "price") throw new Error(`expected a price, got ${got.kind}`);
    const liquidatable = (P: bigint) => remainingByHand(p, s, P, P, 0n) < liqCollateral(p);
    expect(liquidatable(got.price)).toBe(true);
    expect(liquidatable(got.price + 1n)).toBe(false);
    // Notes' closed form: (size + liqColl - impact + fees) / (sizeInTokens + collateralAmount), fees in USD.
    const feesUsd = (p.sizeInUsd * (s.cumulativeBorrowingFactor - p.borrowingFactor)) / E30 + (p.sizeInUsd * 6n) / 10_000n;
    const fundingAmount = ceil(p.sizeInUsd * s.fundingFeeAmountPerSize, 10n ** 45n);
    const closedForm = (p.sizeInUsd + liqCollateral(p) + feesUsd) / (p.sizeInTokens + p.collateralAmount - fundingAmount);
    // They differ only by the token rounding of the fees (at most a unit per fee).
    expect(got.price - closedForm).toBeGreaterThanOrEqual(-2n);
    expect(got.price - closedForm).toBeLessThanOrEqual(2n);
  });

  it("short with ETH collateral, pending negative impact, and a capped close impact", () => {
    const m = { ...params, positionImpactFactorNegative: 4n * 10n ** 21n };
    const p = position({ isLong: false, collateralAmount: ETH(1), pendingImpactAmount: -ETH(0.002) });
    // Shorts dominate: closing the short improves balance (positive impact, zeroed by the check), so
    // the close is charged the balance-improved fee factor (isPositionLiquidatable, v2.2 on).
    const s = state({ longOpenInterestUsd: usd(10_000), shortOpenInterestUsd: usd(100_000) });
    const got = liquidationPrice(p, m, s, pricing(p, INDEX));
    if (got.kind !== "price") throw new Error(`expected a price, got ${got.kind}`);
    const cap = -(p.sizeInUsd * m.maxPositionImpactFactorForLiquidations) / E30;
    const impactAt = (P: bigint) => {
      const v = p.pendingImpactAmount * P; // positive close impact is capped to 0 with the sum
      return v < cap ? cap : v;
    };
    const liquidatable = (P: bigint) => remainingByHand(p, s, P, P, impactAt(P), params.positionFeeFactorBalanceImproved) < liqCollateral(p);
    expect(liquidatable(got.price)).toBe(true);
    expect(liquidatable(got.price - 1n)).toBe(false);
    const at = { min: got.price, max: got.price };
    expect(liquidationCheck(p, m, s, { index: at, collateral: at, pnlToken: USDC.price }).liquidatable).toBe(true);
  });

  it("flags positions that no price can save or no price can liquidate", () => {
    const s = state();
    // A short's best case is the price at zero (PnL = size); borrowing of twice the size exceeds that plus the collateral.
    const owing = state({ cumulativeBorrowingFactor: 10n ** 27n + 2n * E30 });
    const short = position({ isLong: false });
    expect(liquidationPrice(short, params, owing, pricing(short, USDC))).toEqual({ kind: "always" });
    const overCollateralised = position({ collateralAmount: 40_000n * 10n ** 6n });
    expect(liquidationPrice(overCollateralised, params, s, pricing(overCollateralised, USDC))).toEqual({
      kind: "never",
    });
  });
});

describe("GMX v2 closing fee factor by release (PositionUtils.isPositionLiquidatable, GetPositionFeesParams)", () => {
  // Longs 100k, shorts 50k; closing an 80k long crosses over to shorts-heavy by 30k: the balance improves
  // (50k -> 30k) but the impact is negative, 50k^2 x 1e-9 - 30k^2 x 4e-9 = -$1.10.
  const m = { ...params, positionImpactFactorPositive: 10n ** 21n, positionImpactFactorNegative: 4n * 10n ** 21n };
  const p = position({ sizeInUsd: usd(80_000), sizeInTokens: ETH(80 / 3), collateralAmount: 20_000n * 10n ** 6n });
  const s = state({ longOpenInterestUsd: usd(100_000), shortOpenInterestUsd: usd(50_000) });
  const prices = { index: { min: ethPrice(3_000), max: ethPrice(3_000) }, collateral: USDC.price, pnlToken: { min: ethPrice(3_000), max: ethPrice(3_000) } };

  it("v2.2 on charges the balance-improved factor, v2.0/v2.1 the not-improved one when the impact is not positive", () => {
    const close = closePriceImpactUsd(p, m, s, ethPrice(3_000));
    expect(close.balanceWasImproved).toBe(true);
    expect(Number(close.impactUsd) / 1e30).toBeCloseTo(-1.1, 9);
    const current = liquidationCheck(p, m, s, prices).remainingCollateralUsd;
    const v21 = liquidationCheck(p, { ...m, release: "2.1" }, s, prices).remainingCollateralUsd;
    // 80k x (6 - 4) bps = $16, both fees whole USDC units.
    expect(current - v21).toBe(usd(16));
    expect(liquidationCheck(p, { ...m, release: "2.2" }, s, prices).remainingCollateralUsd).toBe(current);
  });
});

describe("GMX v2 PnL cap (PositionUtils.getPositionPnlUsd, MarketUtils.getPnl / getCappedPnl, MAX_PNL_FACTOR_FOR_TRADERS)", () => {
  // 100 ETH of longs opened for $300k in total; this position is 10 of them, opened for $30k.
  const p = position({});
  const pool = (ethInPool: number) => state({ longOpenInterestUsd: usd(300_000), longOpenInterestInTokens: ETH(100), pnlPoolAmount: ETH(ethInPool) });
  const at = (dollars: number) => ({ index: { min: ethPrice(dollars), max: ethPrice(dollars) }, pnlToken: { min: ethPrice(dollars), max: ethPrice(dollars) } });

  /** The cap written out from the contract: pool pnl at the max price against factor x pool value at the min; pnl x capped / poolPnl, floored. */
  const cappedByHand = (s: GmxV2MarketState, dollars: number) => {
    const price = ethPrice(dollars);
    const pnl = p.sizeInTokens * price - p.sizeInUsd;
    if (pnl <= 0n) return pnl;
    const poolPnl = s.longOpenInterestInTokens * price - s.longOpenInterestUsd;
    const maxPnl = (s.pnlPoolAmount * price * params.maxPnlFactorForTradersLong) / E30;
    return poolPnl > maxPnl && maxPnl > 0n ? (pnl * maxPnl) / poolPnl : pnl;
  };

  it("leaves a profit whole while the pool covers 90% of the side's PnL, scales it down past that", () => {
    // At $4,000: pool PnL $100k; 50 ETH cover $180k of it (uncapped), 20 ETH only $72k (capped to 72%).
    expect(positionPnlUsd(p, params, pool(50), at(4_000))).toBe(usd(10_000));
    expect(positionPnlUsd(p, params, pool(20), at(4_000))).toBe(usd(7_200));
    expect(positionPnlUsd(p, params, pool(20), at(4_000))).toBe(cappedByHand(pool(20), 4_000));
    // An odd price: the floor of Precision.mulDiv.
    expect(positionPnlUsd(p, params, pool(20), at(4_321))).toBe(cappedByHand(pool(20), 4_321));
  });

  it("never touches a loss, and a cap of zero (no pool indexed) leaves the profit uncapped as the contract does", () => {
    expect(positionPnlUsd(p, params, pool(1), at(2_500))).toBe(usd(-5_000));
    expect(positionPnlUsd(p, params, pool(0), at(4_000))).toBe(usd(10_000));
  });

  it("moves the liquidation price of a position that is liquidatable in profit, and the boundary is exact", () => {
    // $500 of USDC against $3,000 of accrued borrowing: only a profit keeps this long open.
    const owing = (s: GmxV2MarketState) => ({ ...s, cumulativeBorrowingFactor: 10n ** 27n + E30 / 10n, fundingFeeAmountPerSize: 0n });
    const thin = position({ collateralAmount: 500n * 10n ** 6n });
    const uncapped = liquidationPrice(thin, params, owing(pool(50)), pricing(thin, USDC));
    const capped = liquidationPrice(thin, params, owing(pool(5)), pricing(thin, USDC));
    if (uncapped.kind !== "price" || capped.kind !== "price") throw new Error("expected prices");
    // Closing a long on a long-heavy market improves the balance: a 4 bps fee, $12. Uncapped:
    // 10P - 30k = 3,000 + 12 + 150 - 500, P ~ $3,266.2. Capped by a 5 ETH pool the position keeps
    // 0.45 P (4.5P of pool value over the pool's 10x share), so P ~ $5,915.6.
    expect(Number(uncapped.price) / 1e12).toBeCloseTo(3_266.2, 0);
    expect(Number(capped.price) / 1e12).toBeCloseTo(5_915.6, 0);
    const s = owing(pool(5));
    const liquidatable = (price: bigint) => {
      const dollars = Number(price) / 1e12;
      const borrowingAmount = (thin.sizeInUsd / 10n) / USDC_PRICE;
      const feeAmount = ((thin.sizeInUsd * 4n) / 10_000n) / USDC_PRICE;
      const pnl = p.sizeInTokens * price - p.sizeInUsd;
      const poolPnl = s.longOpenInterestInTokens * price - s.longOpenInterestUsd;
      const maxPnl = (s.pnlPoolAmount * price * params.maxPnlFactorForTradersLong) / E30;
      const cappedPnl = pnl > 0n && poolPnl > maxPnl && maxPnl > 0n ? (pnl * maxPnl) / poolPnl : pnl;
      const remaining = thin.collateralAmount * USDC_PRICE + cappedPnl - (borrowingAmount + feeAmount) * USDC_PRICE;
      return dollars > 0 && remaining < (thin.sizeInUsd * params.minCollateralFactorForLiquidation) / E30;
    };
    expect(liquidatable(capped.price)).toBe(true);
    expect(liquidatable(capped.price + 1n)).toBe(false);
  });
});

describe("pending impact carried through decreases", () => {
  it("releases pending * sizeDelta / size, rounding a negative share away from zero", () => {
    expect(proportionalPendingImpact(-1000n, 1n, 3n)).toBe(-334n);
    expect(proportionalPendingImpact(1000n, 1n, 3n)).toBe(333n);
    expect(proportionalPendingImpact(-1000n, 3n, 3n)).toBe(-1000n);
    expect(proportionalPendingImpact(5n, 0n, 3n)).toBe(0n);
  });
});

describe("the trader's discount on the closing fee (PositionPricingUtils.getPositionFeesAfterReferral)", () => {
  // $30k at 0.07%: a $21 fee, 21,000,000 USDC units. A tier of 10% total rebate, 30% of it to the trader.
  const fee = { ...params, positionFeeFactorBalanceNotImproved: (7n * E30) / 10_000n };
  const costs = (release: GmxV2MarketParams["release"], over: Partial<GmxV2Position>) =>
    closingCosts(position({ borrowingFactor: 0n, ...over }), { ...fee, release }, state({ cumulativeBorrowingFactor: 0n, fundingFeeAmountPerSize: 0n }), USDC_PRICE, false).costAmount;

  it("through v2.1 the event's traderDiscountFactor is the share of the rebate: fee x 10% x 30% off", () => {
    const referred = { traderDiscountFactor: (3n * E30) / 10n, referralTotalRebateFactor: E30 / 10n };
    expect(costs("2.0", referred)).toBe(21_000_000n - 630_000n);
    expect(costs("2.1", referred)).toBe(21_000_000n - 630_000n);
    // each factor applied in turn, each floored: $30,000.01's fee 21,000,007 units, x 10% = 2,100,000, x 30% = 630,000
    expect(costs("2.1", { ...referred, sizeInUsd: usd(30_000) + E30 / 100n })).toBe(21_000_007n - 630_000n);
  });

  it("since 2024-10 it is a factor of the fee (totalRebate x share = 3%), the larger of referral and pro", () => {
    expect(costs("2024-10", { traderDiscountFactor: (3n * E30) / 100n, referralTotalRebateFactor: E30 / 10n })).toBe(21_000_000n - 630_000n);
    expect(costs("2.2", { traderDiscountFactor: (3n * E30) / 10n, referralTotalRebateFactor: E30 / 10n })).toBe(21_000_000n - 6_300_000n);
    expect(costs("2025-11", { traderDiscountFactor: 0n, referralTotalRebateFactor: 0n })).toBe(21_000_000n);
  });
});
