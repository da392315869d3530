import type { MarkPrice } from "./adapter";

/** A price figures may be computed from: present, positive and within its heartbeat. */
export const usableMark = (mark: MarkPrice | undefined): bigint | undefined =>
  mark && !mark.stale && mark.price > 0n ? mark.price : undefined;

export function markWarning(mark: MarkPrice | undefined, what: string): string | undefined {
  if (!mark) return `no indexed price for the ${what} at this block: figures that need it are null`;
  if (mark.price <= 0n) return `the ${what} oracle answer is not positive (${mark.price}): figures that need it are null`;
  if (mark.stale) return `the ${what} price is stale (updated at ${mark.updatedAt}): figures that need it are null`;
  return undefined;
}

/** Chainlink heartbeat rule: an answer older than the heartbeat at the queried block's time is stale. */
export const isStale = (updatedAt: bigint, blockTimestamp: bigint, heartbeatSeconds: number): boolean =>
  blockTimestamp - updatedAt > BigInt(heartbeatSeconds);
