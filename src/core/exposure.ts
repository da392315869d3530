import { abs } from "./fixed";

/** One assessed position, reduced to what wallet totals need. */
export type ExposureItem = {
  asset: string;
  isLong: boolean;
  notionalUsd: bigint | null;
  collateralUsd: bigint | null;
  unrealizedPnlUsd: bigint | null;
  pendingFeesUsd: bigint | null;
  equityUsd: bigint | null;
  liquidationDistance: number | null;
  /** The position has a liquidation price, so a missing distance means "unknown", not "none". */
  hasLiquidationPrice: boolean;
};

export type AssetExposure = { asset: string; longUsd: bigint | null; shortUsd: bigint | null; netUsd: bigint | null };

export type ExposureTotals = {
  grossNotionalUsd: bigint | null;
  netNotional: AssetExposure[];
  totalCollateralUsd: bigint | null;
  unrealizedPnlUsd: bigint | null;
  pendingFeesUsd: bigint | null;
  /** Sum of each position's equity: what the wallet would keep if it closed everything now. */
  equityUsd: bigint | null;
  leverage: { numerator: bigint; denominator: bigint } | null;
  nearestLiquidationDistance: number | null;
  complete: boolean;
};

/** Sum that turns null when any part is unknown: a partial total would be a wrong number. */
export const sumKnown = (values: (bigint | null)[]): bigint | null =>
  values.reduce<bigint | null>((acc, v) => (acc === null || v === null ? null : acc + v), 0n);

export function exposureTotals(items: ExposureItem[]): ExposureTotals {
  const byAsset = new Map<string, { long: (bigint | null)[]; short: (bigint | null)[] }>();
  for (const item of items) {
    const entry = byAsset.get(item.asset) ?? { long: [], short: [] };
    (item.isLong ? entry.long : entry.short).push(item.notionalUsd);
    byAsset.set(item.asset, entry);
  }
  const netNotional = [...byAsset.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([asset, { long, short }]) => {
      const longUsd = sumKnown(long);
      const shortUsd = sumKnown(short);
      return { asset, longUsd, shortUsd, netUsd: longUsd === null || shortUsd === null ? null : longUsd - shortUsd };
    });

  const grossNotionalUsd = sumKnown(items.map((i) => (i.notionalUsd === null ? null : abs(i.notionalUsd))));
  const unrealizedPnlUsd = sumKnown(items.map((i) => i.unrealizedPnlUsd));
  const pendingFeesUsd = sumKnown(items.map((i) => i.pendingFeesUsd));
  const totalCollateralUsd = sumKnown(items.map((i) => i.collateralUsd));
  const equityUsd = sumKnown(items.map((i) => i.equityUsd));
  // Wallet leverage = gross notional / equity; undefined when equity is gone.
  const leverage =
    grossNotionalUsd !== null && equityUsd !== null && equityUsd > 0n
      ? { numerator: grossNotionalUsd, denominator: equityUsd }
      : null;

  const distances = items.filter((i) => i.hasLiquidationPrice || i.liquidationDistance !== null);
  // An unpriced position may be the nearest one: then the wallet's nearest distance is unknown.
  const unknownDistance = distances.some((i) => i.liquidationDistance === null) || items.some((i) => i.notionalUsd === null);
  const nearestLiquidationDistance =
    unknownDistance || distances.length === 0
      ? null
      : distances.reduce((m, i) => Math.min(m, i.liquidationDistance!), Number.POSITIVE_INFINITY);

  return {
    grossNotionalUsd,
    netNotional,
    totalCollateralUsd,
    unrealizedPnlUsd,
    pendingFeesUsd,
    equityUsd,
    leverage,
    nearestLiquidationDistance,
    complete: grossNotionalUsd !== null && equityUsd !== null && !unknownDistance,
  };
}

