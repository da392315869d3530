// Where a margin rule first fails along a path of integer inputs (a price, or a joint move). Margin
// need not be monotonic in price (a short straddle fails both ways), so the path is walked on a grid
// from the current value outward and the first failing grid cell is bisected to the exact integer.

/**
 * The first integer along `grid` (ordered outward from a passing start, `grid[0]`) at which `fails`
 * holds, next to a passing integer: bisection between the last passing and the first failing grid
 * point. Null when no grid point fails.
 */
export function firstFailure(fails: (x: bigint) => boolean, grid: bigint[]): bigint | null {
  for (let i = 1; i < grid.length; i++) {
    if (!fails(grid[i]!)) continue;
    let ok = grid[i - 1]!;
    let bad = grid[i]!;
    while (ok - bad > 1n || bad - ok > 1n) {
      const mid = (ok + bad) / 2n;
      if (fails(mid)) bad = mid;
      else ok = mid;
    }
    return bad;
  }
  return null;
}

const BPS = 10_000n;

/** Fractions (1e4 = 100%) walked downward: 0.5% steps to -99.5%. */
const DOWN_STEPS = Array.from({ length: 199 }, (_, i) => BigInt(i + 1) * 50n);
/** Upward: 1% steps to +100%, then 10% steps to +1000% (a 11x price). */
const UP_STEPS = [...Array.from({ length: 100 }, (_, i) => BigInt(i + 1) * 100n), ...Array.from({ length: 90 }, (_, i) => 10_000n + BigInt(i + 1) * 1_000n)];

export type Boundaries = { below: bigint | null; above: bigint | null };

/**
 * The highest price below `spot` and the lowest above it at which `fails` (margin < 0) holds, on
 * integer prices; the search covers prices down to 1 unit and up to 11x spot. `fails(spot)` must be false.
 */
export function priceBoundaries(fails: (price: bigint) => boolean, spot: bigint): Boundaries {
  const down = [spot, ...DOWN_STEPS.map((s) => (spot * (BPS - s)) / BPS).filter((p) => p > 0n), 1n];
  const up = [spot, ...UP_STEPS.map((s) => (spot * (BPS + s)) / BPS)];
  return { below: firstFailure(fails, down), above: firstFailure(fails, up) };
}

/**
 * The smallest joint moves (1e18 = 100%, every price times 1 + move) down and up at which `fails`
 * holds; the same grid as priceBoundaries. `fails(0)` must be false.
 */
export function moveBoundaries(fails: (move: bigint) => boolean, one: bigint): Boundaries {
  const down = [0n, ...DOWN_STEPS.map((s) => -(one * s) / BPS), -(one - 1n)];
  const up = [0n, ...UP_STEPS.map((s) => (one * s) / BPS)];
  return { below: firstFailure(fails, down), above: firstFailure(fails, up) };
}
