import { describe, expect, it } from "vitest";
import { correlationMatrix, covariance, logReturns, portfolioVolatility, sampleAt, Z_99 } from "../../src/core/correlation";
import { referenceCdf } from "../support/black-scholes-reference";

describe("realised correlation and portfolio volatility", () => {
  it("samples the last price at or before each grid time", () => {
    const points = [
      { time: 10, price: 100 },
      { time: 25, price: 110 },
      { time: 25, price: 111 },
      { time: 40, price: 90 },
    ];
    expect(sampleAt(points, [5, 10, 20, 25, 39, 100])).toEqual([undefined, 100, 100, 111, 111, 90]);
  });

  it("gives +1 for proportional returns, -1 for opposite ones, null for a flat price", () => {
    const a = logReturns([100, 110, 99, 120, 118]);
    const up = a.map((r) => 2 * r);
    const down = a.map((r) => -0.5 * r);
    const flat = a.map(() => 0);
    const m = correlationMatrix([a, up, down, flat]);
    expect(m[0]![1]).toBeCloseTo(1, 12);
    expect(m[0]![2]).toBeCloseTo(-1, 12);
    expect(m[0]![3]).toBeNull();
    expect(m[3]![3]).toBe(1);
    expect(m[1]![2]).toBeCloseTo(m[2]![1]!, 15);
  });

  it("portfolio volatility equals the standard deviation of the portfolio's own return series", () => {
    // Three assets with made-up but irregular returns; weights long, short and long.
    const r = [
      [0.01, -0.02, 0.015, 0.003, -0.007, 0.02, -0.011],
      [0.004, -0.01, 0.02, -0.001, -0.004, 0.012, -0.02],
      [-0.02, 0.005, 0.001, 0.009, 0.012, -0.018, 0.003],
    ];
    const w = [150_000, -80_000, 40_000];
    const sd = r.map((x) => Math.sqrt(covariance(x, x)));
    const got = portfolioVolatility(w, sd, correlationMatrix(r));
    // Independent path: the P&L series sum_i w_i r_i(t), and its sample standard deviation.
    const pnl = r[0]!.map((_, t) => w.reduce((acc, wi, i) => acc + wi * r[i]![t]!, 0));
    const mean = pnl.reduce((a, b) => a + b, 0) / pnl.length;
    const want = Math.sqrt(pnl.reduce((a, b) => a + (b - mean) ** 2, 0) / (pnl.length - 1));
    expect(Math.abs(got - want) / want).toBeLessThan(1e-12);
  });

  it("uses the 99% normal quantile", () => {
    expect(Math.abs(referenceCdf(Z_99) - 0.99)).toBeLessThan(1e-12);
  });
});
