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
