import type { TaggedItem } from "../../src/core/breakdown";

const E30 = 10n ** 30n;

/** A 1,000 USD long ETH position with 100 USD of margin and equity, no liquidation price; override what a test needs. */
export const taggedItem = (over: Partial<TaggedItem>): TaggedItem => ({
  positionId: "p",
  protocol: "gmx-v1",
  chainId: 1,
  wallet: "0xa",
  asset: "ETH",
  isLong: true,
  notionalUsd: 1_000n * E30,
  collateralUsd: 100n * E30,
  unrealizedPnlUsd: 0n,
  pendingFeesUsd: 0n,
  equityUsd: 100n * E30,
  liquidationDistance: null,
  hasLiquidationPrice: false,
  ...over,
});
