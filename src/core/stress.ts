import type { Address } from "viem";
import type { MarkPrice, PriceBook } from "./adapter";

/** A price shock: a fractional move (1e18 = +100%) or an exact price (USD 1e30) for one asset symbol. */
export type Shock = { asset: string; move?: bigint; price?: bigint };

const ONE = 10n ** 18n;

/** The marks with the point's shocks applied (by the asset's symbol), each worked out once; a missing mark stays missing. */
export function shockedPrices(prices: PriceBook, shocks: Shock[], symbolOf: (chainId: number, asset: Address) => string): PriceBook {
  if (shocks.length === 0) return prices;
  // By chain, then by the asset as asked (a key string built per read would cost more than the shock).
  const made = new Map<number, Map<Address, MarkPrice | undefined>>();
  const shocked = (chainId: number, asset: Address) => {
    const mark = prices(chainId, asset);
    if (!mark) return mark;
    const shock = shocks.find((s) => s.asset === symbolOf(chainId, asset));
    if (!shock) return mark;
    const price = shock.price ?? (mark.price * (ONE + shock.move!)) / ONE;
    return { ...mark, price: price > 0n ? price : 0n, unshocked: mark.unshocked ?? mark.price };
  };
  return (chainId, asset) => {
    let onChain = made.get(chainId);
    if (!onChain) made.set(chainId, (onChain = new Map()));
    if (onChain.has(asset)) return onChain.get(asset);
    const mark = shocked(chainId, asset);
    onChain.set(asset, mark);
    return mark;
  };
}

/**
 * The inputs one assessment read that a stress point can change: the marks (as symbols) and whether
 * it read the volatility shift. Every other input (positions, protocol parameters at the block) is
 * the same at every point.
 */
export type Readings = { symbols: Set<string>; volatility: boolean };

export const noReadings = (): Readings => ({ symbols: new Set(), volatility: false });

/** `prices` that notes in `readings` the symbol of every mark asked for. */
export function recordingPrices(prices: PriceBook, readings: Readings, symbolOf: (chainId: number, asset: Address) => string): PriceBook {
  return (chainId, asset) => {
    readings.symbols.add(symbolOf(chainId, asset));
    return prices(chainId, asset);
  };
}

/**
 * Whether a point can change an assessment that read `readings` at the base (no shock, volatility
 * shift `baseShift`). An assessment is a function of what it read: when the point changes none of it
 * (no shocked symbol was read, and the shift is the base's or was never read), its answer is the
 * base's, exactly; only the others need their protocol's rule run again.
 */
export function pointChanges(readings: Readings, shocks: Shock[], shift: number, baseShift: number): boolean {
  if (readings.volatility && shift !== baseShift) return true;
  return shocks.some((s) => readings.symbols.has(s.asset));
}

/**
 * The part of a point an assessment that read `readings` sees: the shocks of the symbols it read, and
 * the shift if it read it. Two points with the same key give it the same inputs, so the same answer
 * (in a joint ETH x BTC grid, an ETH-only position has one answer per ETH move, not per grid point).
 */
export function pointKey(readings: Readings, shocks: Shock[], shift: number): string {
  let key = readings.volatility ? `v${shift}` : "";
  for (const symbol of readings.symbols) {
    const shock = shocks.find((s) => s.asset === symbol);
    if (shock) key += `|${symbol}:${shock.move ?? ""}:${shock.price ?? ""}`;
  }
  return key;
}
