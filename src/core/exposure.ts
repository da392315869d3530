import { abs } from "./fixed";
import { once } from "./lazy";

/** One assessed position, reduced to what wallet totals need. */
export type ExposureItem = {
  asset: string;
  isLong: boolean;
  notionalUsd: bigint | null;
  /** Signed net-notional contribution when it differs from +/- notionalUsd (options: delta-adjusted). */
  netNotionalUsd?: bigint | null;
  /** Option greeks (x signed contracts), summed per underlying. */
  greeks?: { delta: number; gamma: number; vega: number; theta: number } | null;
  collateralUsd: bigint | null;
  unrealizedPnlUsd: bigint | null;
  pendingFeesUsd: bigint | null;
  equityUsd: bigint | null;
  liquidationDistance: number | null;
  /** The position has a liquidation price, so a missing distance means "unknown", not "none". */
  hasLiquidationPrice: boolean;
};

export type AssetExposure = { asset: string; longUsd: bigint | null; shortUsd: bigint | null; netUsd: bigint | null };

/** Option greeks summed per underlying (delta and gamma in underlying units, vega per 1.00 vol, theta per year). */
export type AssetGreeks = { asset: string; delta: number | null; gamma: number | null; vega: number | null; theta: number | null };

export type ExposureTotals = {
  grossNotionalUsd: bigint | null;
  netNotional: AssetExposure[];
  optionGreeks: AssetGreeks[];
  totalCollateralUsd: bigint | null;
  unrealizedPnlUsd: bigint | null;
  pendingFeesUsd: bigint | null;
  /** Sum of each position's equity: what the wallet would keep if it closed everything now. */
  equityUsd: bigint | null;
  leverage: { numerator: bigint; denominator: bigint } | null;
  nearestLiquidationDistance: number | null;
  complete: boolean;
};

/** a + b, null when either is unknown. */
const addKnown = (a: bigint | null, b: bigint | null): bigint | null => (a === null || b === null ? null : a + b);

/** Sum that turns null when any part is unknown: a partial total would be a wrong number. */
export const sumKnown = (values: (bigint | null)[]): bigint | null => values.reduce<bigint | null>(addKnown, 0n);

export function exposureTotals(items: ExposureItem[]): ExposureTotals {
  // One pass over the items: a stress query totals every point.
  const byAsset = new Map<string, { long: bigint | null; short: bigint | null }>();
  let grossNotionalUsd: bigint | null = 0n;
  let unrealizedPnlUsd: bigint | null = 0n;
  let pendingFeesUsd: bigint | null = 0n;
  let totalCollateralUsd: bigint | null = 0n;
  let equityUsd: bigint | null = 0n;
  for (const item of items) {
    let entry = byAsset.get(item.asset);
    if (!entry) byAsset.set(item.asset, (entry = { long: 0n, short: 0n }));
    if (item.netNotionalUsd === undefined) {
      if (item.isLong) entry.long = addKnown(entry.long, item.notionalUsd);
      else entry.short = addKnown(entry.short, item.notionalUsd);
    } else if (item.netNotionalUsd === null) entry.long = null;
    else if (item.netNotionalUsd >= 0n) entry.long = addKnown(entry.long, item.netNotionalUsd);
    else entry.short = addKnown(entry.short, -item.netNotionalUsd);
    grossNotionalUsd = addKnown(grossNotionalUsd, item.notionalUsd === null ? null : abs(item.notionalUsd));
    unrealizedPnlUsd = addKnown(unrealizedPnlUsd, item.unrealizedPnlUsd);
    pendingFeesUsd = addKnown(pendingFeesUsd, item.pendingFeesUsd);
    totalCollateralUsd = addKnown(totalCollateralUsd, item.collateralUsd);
    equityUsd = addKnown(equityUsd, item.equityUsd);
  }
  const optionGreeks = optionGreeksByAsset(items);
  const netNotional = [...byAsset.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([asset, { long: longUsd, short: shortUsd }]) => ({ asset, longUsd, shortUsd, netUsd: longUsd === null || shortUsd === null ? null : longUsd - shortUsd }));

  // Wallet leverage = gross notional / equity; undefined when equity is gone.
  const leverage =
    grossNotionalUsd !== null && equityUsd !== null && equityUsd > 0n
      ? { numerator: grossNotionalUsd, denominator: equityUsd }
      : null;

  // Distances are read on first use: a stress point or ladder step that asks for equity alone does not
  // run each margin account's liquidation search.
  const distances = once(() => items.filter((i) => i.hasLiquidationPrice || i.liquidationDistance !== null));
  // An unpriced position may be the nearest one: then the wallet's nearest distance is unknown.
  const unknownDistance = once(() => distances().some((i) => i.liquidationDistance === null) || items.some((i) => i.notionalUsd === null));
  return {
    grossNotionalUsd,
    netNotional,
    optionGreeks,
    totalCollateralUsd,
    unrealizedPnlUsd,
    pendingFeesUsd,
    equityUsd,
    leverage,
    get nearestLiquidationDistance() {
      const known = distances();
      return unknownDistance() || known.length === 0 ? null : known.reduce((m, i) => Math.min(m, i.liquidationDistance!), Number.POSITIVE_INFINITY);
    },
    get complete() {
      return grossNotionalUsd !== null && equityUsd !== null && !unknownDistance();
    },
  };
}

function optionGreeksByAsset(items: ExposureItem[]): AssetGreeks[] {
  const byAsset = new Map<string, AssetGreeks>();
  for (const item of items) {
    if (item.greeks === undefined) continue;
    const sum = byAsset.get(item.asset) ?? { asset: item.asset, delta: 0, gamma: 0, vega: 0, theta: 0 };
    const add = (a: number | null, b: number | undefined) => (a === null || b === undefined ? null : a + b);
    // One unpriced option makes the underlying's sums unknown, not smaller.
    byAsset.set(item.asset, {
      asset: item.asset,
      delta: add(sum.delta, item.greeks?.delta),
      gamma: add(sum.gamma, item.greeks?.gamma),
      vega: add(sum.vega, item.greeks?.vega),
      theta: add(sum.theta, item.greeks?.theta),
    });
  }
  return [...byAsset.values()].sort((a, b) => a.asset.localeCompare(b.asset));
}
