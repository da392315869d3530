import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  closeOrderFeeBalanceImproved,
  closePayout,
  impactPoolAfterDistribution,
  lendableImpactUsd,
  settledCloseImpact,
  type ImpactPoolCap,
} from "../../src/protocols/gmx-v2/close-impact";
import type { GmxV2Release } from "../../src/protocols/gmx-v2/releases";
import type { GmxV2MarketParams, GmxV2Position } from "../../src/protocols/gmx-v2/risk";
import { createRng } from "../chain/rng";
import { gmxV2Position, noAccrualParams, noImpactPoolParams } from "../support/gmx-v2-params";

// The impact a full close settles, per release, by hand and against GMX's SDK (@gmx-io/sdk utils/positions
// getNetPriceImpactDeltaUsdForDecrease, the impact in getPositionNetValue).
const sdk: typeof import("@gmx-io/sdk/utils/positions") = createRequire(import.meta.url)("@gmx-io/sdk/utils/positions");

const E30 = 10n ** 30n;
const usd = (n: number) => BigInt(Math.round(n * 1e6)) * 10n ** 24n;
const pct = (n: number) => BigInt(Math.round(n * 1e6)) * 10n ** 22n;
const WEI = 10n ** 18n;
/** ETH at $3000: 3000e30 / 1e18 per wei. */
const ETH_3000 = { min: 3_000n * 10n ** 12n, max: 3_000n * 10n ** 12n };

const params = (release: GmxV2Release, over: Partial<GmxV2MarketParams> = {}): GmxV2MarketParams =>
  ({ ...noAccrualParams, ...noImpactPoolParams, release, maxPositionImpactFactorPositive: pct(1), maxPositionImpactFactorNegative: pct(0.5), ...over }) as GmxV2MarketParams;
const position = (pendingImpactAmount: bigint): GmxV2Position => gmxV2Position({ isLong: true, sizeInUsd: usd(100_000), pendingImpactAmount });
const closeOf = (impactUsd: bigint) => ({ impactUsd, balanceWasImproved: impactUsd > 0n });
const noPoolCap = null;

describe("GMX v2 close impact (DecreasePositionCollateralUtils.processCollateral)", () => {
  it("v2.2 on: settles the pending impact with the close, floors the total at the max negative factor, the excess claimable later", () => {
    // $100k at 0.5% max negative: floor -$500. Close -$300, pending -0.1 ETH at the max price $3000 = -$300: total -$600.
    for (const release of ["2.2", "2025-11"] as const) {
      expect(settledCloseImpact(position(-WEI / 10n), params(release), closeOf(-usd(300)), ETH_3000, noPoolCap)).toEqual({ impactUsd: -usd(500), claimableLaterUsd: usd(100) });
    }
    // v2.1 has no pending impact to settle (increase impact was settled at the increase): the close's -$300 alone.
    expect(settledCloseImpact(position(-WEI / 10n), params("2.1"), closeOf(-usd(300)), ETH_3000, noPoolCap)).toEqual({ impactUsd: -usd(300), claimableLaterUsd: 0n });
  });

  it("caps a gain at size x min(max positive, max negative), then at the pool plus what it may lend", () => {
    // Close +$400 (under the $500 cap: 0.5% is the smaller factor), pending +0.05 ETH at the min price = +$150: total $550, capped to $500.
    const p = position(WEI / 20n);
    const m = params("2.2");
    expect(settledCloseImpact(p, m, closeOf(usd(400)), ETH_3000, noPoolCap).impactUsd).toBe(usd(500));
    // Pool 0.1 ETH = $300: $200 more is needed; $100 lendable is not enough, so $300 + $100.
    expect(settledCloseImpact(p, m, closeOf(usd(400)), ETH_3000, { amount: WEI / 10n, lendableUsd: usd(100) }).impactUsd).toBe(usd(400));
    // $250 lendable covers it: the whole $500.
    expect(settledCloseImpact(p, m, closeOf(usd(400)), ETH_3000, { amount: WEI / 10n, lendableUsd: usd(250) }).impactUsd).toBe(usd(500));
    // The close's own gain is capped before the pending cost is added: +$900 -> $500, less 0.1 ETH at $3000 = $200.
    expect(settledCloseImpact(position(-WEI / 10n), m, closeOf(usd(900)), ETH_3000, noPoolCap).impactUsd).toBe(usd(200));
  });

  it("prices a pending gain at the index min price and a pending cost at the max", () => {
    const index = { min: 2_990n * 10n ** 12n, max: 3_010n * 10n ** 12n };
    const m = params("2025-11", { maxPositionImpactFactorPositive: pct(5), maxPositionImpactFactorNegative: pct(5) });
    expect(settledCloseImpact(position(WEI / 10n), m, closeOf(0n), index, noPoolCap).impactUsd).toBe(usd(299));
    expect(settledCloseImpact(position(-WEI / 10n), m, closeOf(0n), index, noPoolCap).impactUsd).toBe(-usd(301));
  });

  it("distributes the pool by rate x seconds, never below its minimum (getPendingPositionImpactPoolDistributionAmount)", () => {
    // 1e12 wei per second (rate 1e12 x 1e30): an hour takes 3.6e15 wei of 10 ETH; the minimum 9.99 ETH stops it at 1e16.
    const m = params("2.2", { positionImpactPoolDistributionRate: 10n ** 42n, minPositionImpactPoolAmount: 999n * 10n ** 16n });
    const pool = { amount: 10n * WEI, distributedAt: 1_000n, lentAmount: 0n };
    expect(impactPoolAfterDistribution(m, pool, 4_600n)).toBe(10n * WEI - 36n * 10n ** 14n);
    expect(impactPoolAfterDistribution(m, pool, 101_000n)).toBe(999n * 10n ** 16n);
    // Never distributed (DISTRIBUTED_AT 0) or no rate: nothing pending.
    expect(impactPoolAfterDistribution(m, { ...pool, distributedAt: 0n }, 4_600n)).toBe(10n * WEI);
    expect(impactPoolAfterDistribution(params("2.2"), pool, 4_600n)).toBe(10n * WEI);
  });

  it("lends up to the smaller of the factor of the pool's value and the USD cap, less what is lent at the index max (v2.2 on)", () => {
    // $10M pool at 1% = $100k, capped at $50k; 10 ETH lent at $3000 = $30k: $20k left. 20 ETH lent = $60k: none.
    const m = (release: GmxV2Release) => params(release, { maxLendableImpactFactor: pct(1), maxLendableImpactUsd: usd(50_000) });
    expect(lendableImpactUsd(m("2.2"), 10n * WEI, ETH_3000, usd(10_000_000))).toBe(usd(20_000));
    expect(lendableImpactUsd(m("2025-11"), 20n * WEI, ETH_3000, usd(10_000_000))).toBe(0n);
    expect(lendableImpactUsd(m("2.1"), 0n, ETH_3000, usd(10_000_000))).toBe(0n);
  });

  it("v2.1 charges the close fee for a positive impact only when the capped impact is still positive", () => {
    const close = { impactUsd: usd(400), balanceWasImproved: true };
    const emptyPool: ImpactPoolCap = { amount: 0n, lendableUsd: 0n };
    const settled21 = settledCloseImpact(position(0n), params("2.1"), close, ETH_3000, emptyPool);
    expect(settled21.impactUsd).toBe(0n);
    expect(closeOrderFeeBalanceImproved(params("2.1"), close, settled21)).toBe(false);
    expect(closeOrderFeeBalanceImproved(params("2.2"), close, settledCloseImpact(position(0n), params("2.2"), close, ETH_3000, emptyPool))).toBe(true);
  });

  it("agrees with @gmx-io/sdk getNetPriceImpactDeltaUsdForDecrease on 10,000 random closes", () => {
    const rng = createRng(2112);
    const seen = { floored: 0, factorCapped: 0, poolCapped: 0 };
    for (let i = 0; i < 10_000; i++) {
      const release = rng.pick(["2.1", "2.2", "2025-11"] as const);
      const decimals = rng.pick([18, 8, 6]);
      const whole = usd(10 ** (rng.next() * 5)); // $1 to $100k per token
      const unit = whole / 10n ** BigInt(decimals);
      const index = { min: unit, max: (unit * BigInt(1000 + rng.int(0, 5))) / 1000n };
      const sizeInUsd = usd(10 ** (1 + rng.next() * 7));
      const m = params(release, { maxPositionImpactFactorPositive: pct(rng.next() * 2), maxPositionImpactFactorNegative: pct(rng.next() * 2) });
      // A close impact of up to 3% either way, positive part capped by factor as the SDK's getAcceptablePriceInfo (and the contract) does first.
      const raw = (sizeInUsd * BigInt(rng.int(-300, 300))) / 10_000n;
      const positiveCap = (sizeInUsd * (m.maxPositionImpactFactorPositive < m.maxPositionImpactFactorNegative ? m.maxPositionImpactFactorPositive : m.maxPositionImpactFactorNegative)) / E30;
      const closeImpact = raw > positiveCap ? positiveCap : raw;
      const pendingTokens = release === "2.1" || rng.chance(0.2) ? 0n : (sizeInUsd * BigInt(rng.int(-300, 300))) / 10_000n / index.min;
      const poolAmount = rng.chance(0.1) ? 0n : (sizeInUsd * BigInt(rng.int(0, 400))) / 10_000n / index.min;
      const p = gmxV2Position({ isLong: rng.chance(0.5), sizeInUsd, pendingImpactAmount: pendingTokens });
      const ours = settledCloseImpact(p, m, { impactUsd: closeImpact, balanceWasImproved: closeImpact > 0n }, index, { amount: poolAmount, lendableUsd: 0n });
      const theirs = sdk.getNetPriceImpactDeltaUsdForDecrease({
        marketInfo: {
          maxPositionImpactFactorPositive: m.maxPositionImpactFactorPositive,
          maxPositionImpactFactorNegative: m.maxPositionImpactFactorNegative,
          positionImpactPoolAmount: poolAmount,
          indexToken: { decimals, prices: { minPrice: index.min * 10n ** BigInt(decimals), maxPrice: index.max * 10n ** BigInt(decimals) } },
        } as never,
        sizeInUsd,
        sizeDeltaUsd: sizeInUsd,
        pendingImpactAmount: pendingTokens,
        priceImpactDeltaUsd: closeImpact,
      });
      const vector = `vector ${i}: ${JSON.stringify({ release, sizeInUsd, closeImpact, pendingTokens, poolAmount, index, m: [m.maxPositionImpactFactorPositive, m.maxPositionImpactFactorNegative] }, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`;
      // The SDK leaves a negative total unfloored and adds priceImpactDiffUsd back (utils/positions.js getPositionNetValue):
      // its total + diff is the floor we settle, and its diff is what we report as claimable later.
      expect(ours.claimableLaterUsd, vector).toBe(theirs.priceImpactDiffUsd);
      expect(ours.impactUsd, vector).toBe(theirs.totalImpactDeltaUsd + theirs.priceImpactDiffUsd);
      if (ours.claimableLaterUsd > 0n) seen.floored++;
      if (ours.impactUsd > 0n && ours.impactUsd === positiveCap && closeImpact + pendingTokens * index.min > positiveCap) seen.factorCapped++;
      if (ours.impactUsd > 0n && ours.impactUsd === poolAmount * index.min) seen.poolCapped++;
    }
    // Every branch is met many times.
    expect(Math.min(seen.floored, seen.factorCapped, seen.poolCapped)).toBeGreaterThan(200);
  });
});

describe("what a full close pays (DecreasePositionCollateralUtils.processCollateral, payForCost)", () => {
  const USDC = { min: 10n ** 24n, max: 10n ** 24n }; // $1 per 1e6 units
  const usdcLong = { collateral: USDC, pnlToken: ETH_3000, pnlTokenIsCollateral: false };
  const fees = { fundingFeeAmount: 1_000_000n, otherFeesAmount: 2_000_000n }; // $1 and $2 in USDC units

  it("pays a gain as floor(usd / pnlToken.max) PnL tokens and takes the fees from the collateral", () => {
    // $100 of profit in WETH at $3000: 33,333,333,333,333,333 wei (a third of a wei short of $100)
    const paid = closePayout(1_000_000_000n, { pnlUsd: usd(100), impactUsd: 0n, impactPastFloorUsd: 0n }, fees, usdcLong);
    expect(paid).toEqual({ collateralAmount: 997_000_000n, pnlTokenAmount: 33_333_333_333_333_333n, uncoveredUsd: 0n });
    // a positive impact is a second gain, floored on its own
    const withImpact = closePayout(1_000_000_000n, { pnlUsd: usd(100), impactUsd: usd(1), impactPastFloorUsd: 0n }, fees, usdcLong);
    expect(withImpact.pnlTokenAmount).toBe(33_333_333_333_333_333n + 333_333_333_333_333n);
  });

  it("rounds each cost up to a collateral unit, the impact past the floor included", () => {
    const loss = -(usd(10) + 5n * 10n ** 23n); // $10.0000005: 10,000,000.5 units, 10,000,001 taken
    const paid = closePayout(1_000_000_000n, { pnlUsd: loss, impactUsd: -(10n ** 23n), impactPastFloorUsd: 10n ** 23n }, fees, usdcLong);
    expect(paid).toEqual({ collateralAmount: 1_000_000_000n - 3_000_000n - 10_000_001n - 1n - 1n, pnlTokenAmount: 0n, uncoveredUsd: 0n });
  });

  it("pays costs from the output first when the PnL token is the collateral, then the collateral", () => {
    const ethLong = { collateral: ETH_3000, pnlToken: ETH_3000, pnlTokenIsCollateral: true };
    // 1 ETH of collateral, $300 of profit = 0.1 ETH into the output; $30 of fees (0.01 ETH) come out of it
    const paid = closePayout(WEI, { pnlUsd: usd(300), impactUsd: 0n, impactPastFloorUsd: 0n }, { fundingFeeAmount: 0n, otherFeesAmount: WEI / 100n }, ethLong);
    expect(paid).toEqual({ collateralAmount: WEI + WEI / 10n - WEI / 100n, pnlTokenAmount: 0n, uncoveredUsd: 0n });
  });

  it("takes what the collateral cannot pay from the PnL tokens, and reports what is left unpaid", () => {
    // 5 USDC of collateral, a $3 impact gain (1e15 wei), a $10 loss: 5 USDC, then $5 in WETH at $3000
    // (1,666,666,666,666,666 wei) of which 1e15 is there: 666,666,666,666,666 wei x $3000 unpaid
    const paid = closePayout(5_000_000n, { pnlUsd: -usd(10), impactUsd: usd(3), impactPastFloorUsd: 0n }, { fundingFeeAmount: 0n, otherFeesAmount: 0n }, usdcLong);
    expect(paid).toEqual({ collateralAmount: 0n, pnlTokenAmount: 0n, uncoveredUsd: 666_666_666_666_666n * ETH_3000.min });
  });
});
