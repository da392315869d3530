import { describe, expect, it } from "vitest";
import { blackScholes, normalCdf } from "../../src/protocols/derive/greeks";
import { reference, referenceCdf } from "../support/black-scholes-reference";

const relative = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

describe("Black-Scholes greeks against an independent reference", () => {
  const spot = 3_000;
  const cases = [
    { label: "ATM call, 1 day", strike: 3_000, days: 1, isCall: true },
    { label: "ATM put, 1 day", strike: 3_000, days: 1, isCall: false },
    { label: "ITM call, 30 days", strike: 2_600, days: 30, isCall: true },
    { label: "OTM put, 30 days", strike: 2_600, days: 30, isCall: false },
    { label: "OTM call, 2 days", strike: 3_150, days: 2, isCall: true },
    { label: "ITM put, 2 days", strike: 3_150, days: 2, isCall: false },
    { label: "OTM call, 1 year", strike: 4_500, days: 365, isCall: true },
    { label: "ITM put, 1 year", strike: 4_500, days: 365, isCall: false },
    { label: "deep ITM call, 90 days", strike: 1_500, days: 90, isCall: true },
  ];
  for (const vol of [0.3, 0.8]) {
    for (const c of cases) {
      it(`${c.label} at ${vol * 100}% vol: price, delta, gamma, vega, theta to 1e-9 relative`, () => {
        const years = c.days / 365;
        const got = blackScholes({ spot, strike: c.strike, years, volatility: vol, isCall: c.isCall });
        const want = reference(spot, c.strike, years, vol, c.isCall);
        for (const k of ["price", "delta", "gamma", "vega", "theta"] as const) {
          expect(relative(got[k], want[k]), `${k}: ${got[k]} vs ${want[k]}`).toBeLessThan(1e-9);
        }
        // The closed forms are the price's derivatives: central differences agree to their own accuracy
        // (relative, with a floor where the greek itself is near zero).
        const at = (s: number, v = vol, y = years) => blackScholes({ spot: s, strike: c.strike, years: y, volatility: v, isCall: c.isCall }).price;
        const close = (fd: number, closed: number, tol: number, floor: number) =>
          expect(Math.abs(fd - closed)).toBeLessThan(tol * Math.max(Math.abs(closed), floor));
        const h = spot * 1e-5;
        close((at(spot + h) - at(spot - h)) / (2 * h), got.delta, 1e-6, 1e-2);
        close((at(spot + h) - 2 * got.price + at(spot - h)) / (h * h), got.gamma, 1e-3, 1e-4);
        close((at(spot, vol + 1e-5) - at(spot, vol - 1e-5)) / 2e-5, got.vega, 1e-6, 1);
        close(-(at(spot, vol, years + 1e-7) - at(spot, vol, years - 1e-7)) / 2e-7, got.theta, 1e-5, 1);
      });
    }
  }

  it("satisfies put-call parity C - P = S - K and delta_C - delta_P = 1 (no carry)", () => {
    for (const strike of [2_000, 3_000, 4_200]) {
      for (const days of [1, 30, 365]) {
        const args = { spot, strike, years: days / 365, volatility: 0.65 };
        const call = blackScholes({ ...args, isCall: true });
        const put = blackScholes({ ...args, isCall: false });
        expect(Math.abs(call.price - put.price - (spot - strike))).toBeLessThan(1e-9 * spot);
        expect(Math.abs(call.delta - put.delta - 1)).toBeLessThan(1e-12);
        expect(call.gamma).toBe(put.gamma);
      }
    }
  });

  it("keeps tail probabilities' relative precision", () => {
    expect(relative(normalCdf(-8), 6.22096057427178e-16)).toBeLessThan(1e-9);
    expect(relative(normalCdf(-3), referenceCdf(-3))).toBeLessThan(1e-10);
    expect(normalCdf(0)).toBe(0.5);
  });

  it("refuses expired options and non-positive inputs instead of returning NaN", () => {
    expect(() => blackScholes({ spot, strike: 3_000, years: 0, volatility: 0.5, isCall: true })).toThrow("expiry");
    expect(() => blackScholes({ spot: 0, strike: 3_000, years: 1, volatility: 0.5, isCall: true })).toThrow(RangeError);
  });
});
