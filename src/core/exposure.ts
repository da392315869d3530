import { abs } from "./fixed";
import { lazyFields, once } from "./lazy";

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
  positionCount: number;
};

/** a + b, null when either is unknown. */
const addKnown = (a: bigint | null, b: bigint | null): bigint | null => (a === null || b === null ? null : a + b);

/** Sum that turns null when any part is unknown: a partial total would be a wrong number. */
export const sumKnown = (values: (bigint | null)[]): bigint | null => values.reduce<bigint | null>(addKnown, 0n);

/** A sum and how many of its parts were unknown: sums of parts add up to the sum of the whole in any grouping. */
class KnownSum {
  value = 0n;
  unknown = 0;
  add(part: bigint | null) {
    if (part === null) this.unknown++;
    else this.value += part;
  }
  merge(other: KnownSum) {
    this.value += other.value;
    this.unknown += other.unknown;
  }
  /** The sum, or null when a part was unknown. */
  get known(): bigint | null {
    return this.unknown > 0 ? null : this.value;
  }
}

/** The figures a tally adds up, per position: an exposure item's, and whether the protocol would liquidate it now. */
export type TalliedFigures = Pick<ExposureItem, "notionalUsd" | "netNotionalUsd" | "collateralUsd" | "unrealizedPnlUsd" | "pendingFeesUsd" | "equityUsd"> & {
  liquidatableNow?: boolean | null;
};

/** The positions a protocol would liquidate now, and their notional and collateral. */
export type LiquidatableSum = { count: number; notionalUsd: bigint | null; collateralUsd: bigint | null };

/** LiquidatableSum as it is added up: by position, or by part (a ladder step adds each unit's). */
export class LiquidatableTally {
  count = 0;
  readonly notional = new KnownSum();
  readonly collateral = new KnownSum();
  /** A liquidatable position: its notional counts whatever its side. */
  add(notionalUsd: bigint | null, collateralUsd: bigint | null) {
    this.count++;
    this.notional.add(notionalUsd === null ? null : abs(notionalUsd));
    this.collateral.add(collateralUsd);
  }
  /** Those of `positions` marked liquidatable now. */
  addMarked(positions: readonly TalliedFigures[]) {
    for (const f of positions) if (f.liquidatableNow === true) this.add(f.notionalUsd, f.collateralUsd);
  }
  merge(other: LiquidatableTally) {
    this.count += other.count;
    this.notional.merge(other.notional);
    this.collateral.merge(other.collateral);
  }
  get sum(): LiquidatableSum {
    return { count: this.count, notionalUsd: this.notional.known, collateralUsd: this.collateral.known };
  }
}

/**
 * What totals add up, exactly and in any grouping: a stress point adds the tallies of the parts it
 * moved to those of the parts it kept, instead of adding every position again.
 */
export class ExposureTally {
  positionCount = 0;
  readonly gross = new KnownSum();
  readonly pnl = new KnownSum();
  readonly fees = new KnownSum();
  readonly collateral = new KnownSum();
  readonly equity = new KnownSum();
  readonly assets = new Map<string, { long: KnownSum; short: KnownSum }>();
  readonly liquidatable = new LiquidatableTally();

  #asset(asset: string) {
    let entry = this.assets.get(asset);
    if (!entry) this.assets.set(asset, (entry = { long: new KnownSum(), short: new KnownSum() }));
    return entry;
  }

  add(asset: string, isLong: boolean, f: TalliedFigures) {
    this.positionCount++;
    const entry = this.#asset(asset);
    // Options net by their delta-adjusted notional; an unknown one makes the asset's net unknown.
    if (f.netNotionalUsd === undefined) (isLong ? entry.long : entry.short).add(f.notionalUsd);
    else if (f.netNotionalUsd === null) entry.long.add(null);
    else if (f.netNotionalUsd >= 0n) entry.long.add(f.netNotionalUsd);
    else entry.short.add(-f.netNotionalUsd);
    this.gross.add(f.notionalUsd === null ? null : abs(f.notionalUsd));
    this.pnl.add(f.unrealizedPnlUsd);
    this.fees.add(f.pendingFeesUsd);
    this.collateral.add(f.collateralUsd);
    this.equity.add(f.equityUsd);
    if (f.liquidatableNow === true) this.liquidatable.add(f.notionalUsd, f.collateralUsd);
  }

  /** Positions side by side: each one's asset, side (`isLong`) and figures. */
  addEach(assets: readonly string[], sides: readonly { isLong: boolean }[], figures: readonly TalliedFigures[]) {
    for (let i = 0; i < sides.length; i++) this.add(assets[i]!, sides[i]!.isLong, figures[i]!);
  }

  merge(other: ExposureTally) {
    for (const [asset, { long, short }] of other.assets) {
      const entry = this.#asset(asset);
      entry.long.merge(long);
      entry.short.merge(short);
    }
    this.positionCount += other.positionCount;
    this.gross.merge(other.gross);
    this.pnl.merge(other.pnl);
    this.fees.merge(other.fees);
    this.collateral.merge(other.collateral);
    this.equity.merge(other.equity);
    this.liquidatable.merge(other.liquidatable);
  }
}

export function exposureTotals(items: ExposureItem[]): ExposureTotals {
  const tally = new ExposureTally();
  for (const item of items) tally.add(item.asset, item.isLong, item);
  return totalsOf(tally, () => items);
}

/**
 * The totals of `items` from their tally. Greeks (floats, whose sums depend on their order) and
 * liquidation distances (a margin account's may be a search) are read from the items on first use:
 * a stress point or ladder step that asks for equity alone does neither.
 */
export function totalsOf(tally: ExposureTally, itemsOf: () => ExposureItem[]): ExposureTotals {
  const netNotional = once(() =>
    [...tally.assets.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([asset, { long, short }]) => {
        const [longUsd, shortUsd] = [long.known, short.known];
        return { asset, longUsd, shortUsd, netUsd: longUsd === null || shortUsd === null ? null : longUsd - shortUsd };
      }),
  );
  const grossNotionalUsd = tally.gross.known;
  const equityUsd = tally.equity.known;
  // Wallet leverage = gross notional / equity; undefined when equity is gone.
  const leverage = grossNotionalUsd !== null && equityUsd !== null && equityUsd > 0n ? { numerator: grossNotionalUsd, denominator: equityUsd } : null;

  const optionGreeks = once(() => optionGreeksByAsset(itemsOf()));
  const distances = once(() => itemsOf().filter((i) => i.hasLiquidationPrice || i.liquidationDistance !== null));
  // An unpriced position may be the nearest one: then the wallet's nearest distance is unknown.
  const unknownDistance = once(() => distances().some((i) => i.liquidationDistance === null) || tally.gross.unknown > 0);
  return new Totals(
    {
      grossNotionalUsd,
      totalCollateralUsd: tally.collateral.known,
      unrealizedPnlUsd: tally.pnl.known,
      pendingFeesUsd: tally.fees.known,
      equityUsd,
      leverage,
      positionCount: tally.positionCount,
    },
    {
      netNotional,
      optionGreeks,
      nearestLiquidationDistance: () => {
        const known = distances();
        return unknownDistance() || known.length === 0 ? null : known.reduce((m, i) => Math.min(m, i.liquidationDistance!), Number.POSITIVE_INFINITY);
      },
      complete: () => grossNotionalUsd !== null && equityUsd !== null && !unknownDistance(),
    },
  );
}

type LazyTotals = "netNotional" | "optionGreeks" | "nearestLiquidationDistance" | "complete";
const Totals = lazyFields<Omit<ExposureTotals, LazyTotals>, Pick<ExposureTotals, LazyTotals>>(["netNotional", "optionGreeks", "nearestLiquidationDistance", "complete"]);

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
