import { abs } from "./fixed";
import { exposureTotals, type ExposureItem, type ExposureTotals } from "./exposure";

/** Exposure items tagged with what a breakdown groups them by. */
export type TaggedItem = ExposureItem & { positionId: string; protocol: string; chainId: number; wallet: string };

export type Breakdown = { key: string; positionCount: number; totals: ExposureTotals };

export type Concentration = {
  /** Share of gross notional, 0..1; null when gross notional is unknown or zero. */
  largestPosition: { positionId: string; notionalUsd: bigint; share: number | null } | null;
  largestAsset: { asset: string; grossUsd: bigint; share: number | null } | null;
};

const share = (part: bigint, whole: bigint | null): number | null =>
  whole === null || whole === 0n ? null : Number((part * 10n ** 12n) / whole) / 1e12;

/** Totals per group (asset, protocol, chain, wallet), each computed as a wallet's totals are. */
export function breakdownBy(items: TaggedItem[], keyOf: (i: TaggedItem) => string): Breakdown[] {
  const groups = new Map<string, TaggedItem[]>();
  for (const i of items) groups.set(keyOf(i), [...(groups.get(keyOf(i)) ?? []), i]);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, group]) => ({ key, positionCount: group.length, totals: exposureTotals(group) }));
}

/** The single position and single asset that carry the most gross notional. */
export function concentration(items: TaggedItem[], grossNotionalUsd: bigint | null): Concentration {
  let largestPosition: Concentration["largestPosition"] = null;
  const perAsset = new Map<string, bigint>();
  for (const i of items) {
    if (i.notionalUsd === null) continue;
    const size = abs(i.notionalUsd);
    if (!largestPosition || size > largestPosition.notionalUsd) largestPosition = { positionId: i.positionId, notionalUsd: size, share: null };
    perAsset.set(i.asset, (perAsset.get(i.asset) ?? 0n) + size);
  }
  let largestAsset: Concentration["largestAsset"] = null;
  for (const [asset, grossUsd] of perAsset) if (!largestAsset || grossUsd > largestAsset.grossUsd) largestAsset = { asset, grossUsd, share: null };
  if (largestPosition) largestPosition.share = share(largestPosition.notionalUsd, grossNotionalUsd);
  if (largestAsset) largestAsset.share = share(largestAsset.grossUsd, grossNotionalUsd);
  return { largestPosition, largestAsset };
}
