import { describe, expect, it } from "vitest";
import { breakdownBy, concentration } from "../../src/core/breakdown";
import { taggedItem } from "../support/items";

const E30 = 10n ** 30n;
const item = taggedItem;

describe("portfolio breakdowns", () => {
  const items = [
    item({ positionId: "a", notionalUsd: 3_000n * E30 }),
    item({ positionId: "b", protocol: "aave-v3", isLong: false, notionalUsd: 2_000n * E30, collateralUsd: 0n, equityUsd: -2_000n * E30 }),
    item({ positionId: "c", asset: "BTC", wallet: "0xb", notionalUsd: 4_000n * E30 }),
  ];

  it("totals each group the way wallet totals are computed", () => {
    const byProtocol = breakdownBy(items, (i) => i.protocol);
    expect(byProtocol.map((b) => [b.key, b.positionCount, b.totals.grossNotionalUsd])).toEqual([
      ["aave-v3", 1, 2_000n * E30],
      ["gmx-v1", 2, 7_000n * E30],
    ]);
    const byAsset = breakdownBy(items, (i) => i.asset);
    expect(byAsset.find((b) => b.key === "ETH")!.totals.netNotional).toEqual([{ asset: "ETH", longUsd: 3_000n * E30, shortUsd: 2_000n * E30, netUsd: 1_000n * E30 }]);
    expect(breakdownBy(items, (i) => i.wallet).map((b) => b.totals.equityUsd)).toEqual([-1_900n * E30, 100n * E30]);
  });

  it("names the largest position and asset with their share of gross notional", () => {
    const c = concentration(items, 9_000n * E30);
    expect(c.largestPosition).toEqual({ positionId: "c", notionalUsd: 4_000n * E30, share: 0.444444444444 });
    expect(c.largestAsset).toEqual({ asset: "ETH", grossUsd: 5_000n * E30, share: 0.555555555555 });
    expect(concentration([], 0n)).toEqual({ largestPosition: null, largestAsset: null });
    expect(concentration(items, null).largestAsset!.share).toBeNull();
  });
});
