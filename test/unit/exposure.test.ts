import { describe, expect, it } from "vitest";
import { exposureTotals, type ExposureItem } from "../../src/core/exposure";

const E30 = 10n ** 30n;
const item = (over: Partial<ExposureItem>): ExposureItem => ({
  asset: "ETH",
  isLong: true,
  notionalUsd: 1_000n * E30,
  collateralUsd: 100n * E30,
  unrealizedPnlUsd: 0n,
  pendingFeesUsd: 1n * E30,
  equityUsd: null,
  liquidationDistance: 0.1,
  hasLiquidationPrice: true,
  ...over,
});
/** Perp equity: collateral + PnL - fees. */
const perp = (over: Partial<ExposureItem>): ExposureItem => {
  const i = item(over);
  return { ...i, equityUsd: i.unrealizedPnlUsd === null ? null : i.collateralUsd! + i.unrealizedPnlUsd - i.pendingFeesUsd! };
};

describe("exposureTotals", () => {
  it("nets options by delta-adjusted notional, counts their full notional in gross, and sums greeks per underlying", () => {
    // A 2 ETH short perp against 4 long calls at delta 0.5 (spot 3,000): net zero; gross 6,000 + 12,000.
    const option = (over: Partial<ExposureItem>) =>
      item({ hasLiquidationPrice: false, liquidationDistance: null, collateralUsd: 0n, pendingFeesUsd: null, unrealizedPnlUsd: null, ...over });
    const t = exposureTotals([
      perp({ isLong: false, notionalUsd: 6_000n * E30, unrealizedPnlUsd: 0n, pendingFeesUsd: 0n }),
      option({ notionalUsd: 12_000n * E30, netNotionalUsd: 6_000n * E30, equityUsd: 800n * E30, greeks: { delta: 2, gamma: 0.004, vega: 900, theta: -1_500 } }),
      option({ isLong: false, notionalUsd: 3_000n * E30, netNotionalUsd: 450n * E30, equityUsd: -90n * E30, greeks: { delta: 0.15, gamma: -0.001, vega: -200, theta: 400 } }),
    ]);
    expect(t.netNotional).toEqual([{ asset: "ETH", longUsd: 6_450n * E30, shortUsd: 6_000n * E30, netUsd: 450n * E30 }]);
    expect(t.grossNotionalUsd).toBe(21_000n * E30);
    expect(t.optionGreeks).toHaveLength(1);
    expect(t.optionGreeks[0]!.delta).toBeCloseTo(2.15, 12);
    expect(t.optionGreeks[0]!.gamma).toBeCloseTo(0.003, 12);
    expect(t.optionGreeks[0]!.vega).toBeCloseTo(700, 9);
    expect(t.optionGreeks[0]!.theta).toBeCloseTo(-1_100, 9);
    // One option without a price makes its underlying's greeks and net unknown, never smaller.
    const unknown = exposureTotals([option({ netNotionalUsd: null, notionalUsd: null, greeks: null }), option({ netNotionalUsd: 1n, greeks: { delta: 1, gamma: 1, vega: 1, theta: 1 } })]);
    expect(unknown.optionGreeks).toEqual([{ asset: "ETH", delta: null, gamma: null, vega: null, theta: null }]);
    expect(unknown.netNotional[0]!.netUsd).toBeNull();
  });

  it("nets long against short per asset and sums gross, equity and leverage", () => {
    const t = exposureTotals([
      perp({ notionalUsd: 3_000n * E30, unrealizedPnlUsd: 50n * E30, liquidationDistance: 0.2 }),
      perp({ isLong: false, notionalUsd: 1_000n * E30, unrealizedPnlUsd: -20n * E30, liquidationDistance: 0.05 }),
      perp({ asset: "BTC", notionalUsd: 500n * E30, collateralUsd: 250n * E30, pendingFeesUsd: 0n, liquidationDistance: null, hasLiquidationPrice: false }),
    ]);
    expect(t.netNotional).toEqual([
      { asset: "BTC", longUsd: 500n * E30, shortUsd: 0n, netUsd: 500n * E30 },
      { asset: "ETH", longUsd: 3_000n * E30, shortUsd: 1_000n * E30, netUsd: 2_000n * E30 },
    ]);
    expect(t.grossNotionalUsd).toBe(4_500n * E30);
    expect(t.totalCollateralUsd).toBe(450n * E30);
    expect(t.equityUsd).toBe(450n * E30 + 30n * E30 - 2n * E30);
    expect(t.leverage).toEqual({ numerator: 4_500n * E30, denominator: 478n * E30 });
    expect(t.nearestLiquidationDistance).toBe(0.05);
    expect(t.complete).toBe(true);
  });

  it("turns totals that need a missing price into null instead of a partial sum", () => {
    const t = exposureTotals([perp({}), perp({ asset: "BTC", notionalUsd: null, unrealizedPnlUsd: null, liquidationDistance: null })]);
    expect(t.grossNotionalUsd).toBeNull();
    expect(t.equityUsd).toBeNull();
    expect(t.leverage).toBeNull();
    expect(t.nearestLiquidationDistance).toBeNull();
    expect(t.netNotional.find((n) => n.asset === "ETH")!.netUsd).toBe(1_000n * E30);
    expect(t.netNotional.find((n) => n.asset === "BTC")!.netUsd).toBeNull();
    expect(t.complete).toBe(false);
  });

  it("gives no leverage once equity is gone", () => {
    const t = exposureTotals([perp({ unrealizedPnlUsd: -200n * E30 })]);
    expect(t.equityUsd).toBe(-101n * E30);
    expect(t.leverage).toBeNull();
  });

  it("is empty and complete for a wallet with nothing open", () => {
    expect(exposureTotals([])).toMatchObject({ grossNotionalUsd: 0n, equityUsd: 0n, totalCollateralUsd: 0n, netNotional: [], nearestLiquidationDistance: null, complete: true });
  });
});
