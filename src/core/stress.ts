import type { Address } from "viem";
import type { PriceBook } from "./adapter";

/** A price shock: a fractional move (1e18 = +100%) or an exact price (USD 1e30) for one asset symbol. */
export type Shock = { asset: string; move?: bigint; price?: bigint };

const ONE = 10n ** 18n;

/** The marks with the point's shocks applied (by the asset's symbol); a missing mark stays missing. */
export function shockedPrices(prices: PriceBook, shocks: Shock[], symbolOf: (chainId: number, asset: Address) => string): PriceBook {
  if (shocks.length === 0) return prices;
  return (chainId, asset) => {
    const mark = prices(chainId, asset);
    if (!mark) return mark;
    const shock = shocks.find((s) => s.asset === symbolOf(chainId, asset));
    if (!shock) return mark;
    const price = shock.price ?? (mark.price * (ONE + shock.move!)) / ONE;
    return { ...mark, price: price > 0n ? price : 0n, unshocked: mark.unshocked ?? mark.price };
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
