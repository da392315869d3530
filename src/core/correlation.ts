// Realised co-movement of held assets from indexed price history, and the portfolio's
// correlation-aware volatility and value at risk. Pure math on floats: these are statistics shown
// to people, computed from exact prices.

/** One-sided 99% quantile of the standard normal distribution. */
export const Z_99 = 2.3263478740408408;

/** Last price at or before each grid time; undefined where the series has not started yet. */
export function sampleAt(points: { time: number; price: number }[], grid: number[]): (number | undefined)[] {
  const sorted = [...points].sort((a, b) => a.time - b.time);
  let i = -1;
  return grid.map((t) => {
    while (i + 1 < sorted.length && sorted[i + 1]!.time <= t) i++;
    return i >= 0 ? sorted[i]!.price : undefined;
  });
}

/** Log returns ln(p[i] / p[i-1]) of a series of positive prices. */
export function logReturns(prices: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < prices.length; i++) out.push(Math.log(prices[i]! / prices[i - 1]!));
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample covariance (n - 1) of two equally long return series. */
export function covariance(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length < 2) throw new RangeError("covariance needs two series of the same length, at least 2");
  const ma = mean(a);
  const mb = mean(b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - ma) * (b[i]! - mb);
  return sum / (a.length - 1);
}

/**
 * Pearson correlation matrix of return series. An asset whose price never moved has no defined
 * correlation: its row and column are null except the diagonal (1).
 */
export function correlationMatrix(returns: number[][]): (number | null)[][] {
  const sd = returns.map((r) => Math.sqrt(covariance(r, r)));
  return returns.map((a, i) =>
    returns.map((b, j) => {
      if (i === j) return 1;
      if (sd[i] === 0 || sd[j] === 0) return null;
      return Math.max(-1, Math.min(1, covariance(a, b) / (sd[i]! * sd[j]!)));
    }),
  );
}

/**
 * Portfolio volatility of exposures (USD per asset, signed): sqrt(sum_ij w_i w_j rho_ij s_i s_j),
 * with s the assets' return volatilities over the horizon. A null correlation counts as 0 (its
 * asset has no variance, so the term is 0 whatever rho is).
 */
export function portfolioVolatility(exposures: number[], volatilities: number[], correlation: (number | null)[][]): number {
  let variance = 0;
  for (let i = 0; i < exposures.length; i++) {
    for (let j = 0; j < exposures.length; j++) {
      variance += exposures[i]! * exposures[j]! * (correlation[i]![j] ?? 0) * volatilities[i]! * volatilities[j]!;
    }
  }
  return Math.sqrt(Math.max(0, variance));
}
