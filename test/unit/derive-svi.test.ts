import { parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { sviVol, type SviCurve } from "../../src/protocols/derive/svi";

// lyra-utils src/math/SVI.sol getVol / getK, worked out here in floats from the formula.
const w = (s: string) => parseUnits(s, 18);
const curve: SviCurve = { a: w("0.01"), b: w("0.1"), rho: w("-0.3"), m: w("0.02"), sigma: w("0.2"), forward: w("2000"), refTau: w("0.1") };
const vol = (strike: bigint, c = curve) => Number(sviVol(strike, c)) / 1e18;

describe("sviVol (SVI.getVol)", () => {
  it("total variance a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2)) over refTau, square-rooted", () => {
    const k = Math.log(2200 / 2000) - 0.02;
    const variance = 0.01 + 0.1 * (-0.3 * k + Math.sqrt(k * k + 0.04));
    expect(vol(w("2200"))).toBeCloseTo(Math.sqrt(variance / 0.1), 12);
    // The skew: rho < 0 gives lower strikes the higher vol.
    expect(vol(w("1800"))).toBeGreaterThan(vol(w("2200")));
  });

  it("bounds ln(K/F) at +-4 x sqrt(a + b x sigma) (getK)", () => {
    const bound = 4 * Math.sqrt(0.01 + 0.1 * 0.2);
    const k = -bound - 0.02;
    const variance = 0.01 + 0.1 * (-0.3 * k + Math.sqrt(k * k + 0.04));
    expect(vol(w("1"))).toBeCloseTo(Math.sqrt(variance / 0.1), 12); // ln(1/2000) = -7.6, clamped
    expect(vol(w("1"))).toBe(vol(w("0.5")));
  });

  it("caps total variance at 144 and gives null where the library reverts", () => {
    expect(vol(w("2000"), { ...curve, a: w("500") })).toBeCloseTo(Math.sqrt(144 / 0.1), 9);
    expect(sviVol(w("2000"), { ...curve, a: w("-1") })).toBeNull(); // a + b sigma < 0: toUintSafe reverts
    // a + b sigma >= 0 but a + b sigma sqrt(1 - rho^2) < 0: w < 0 near k - m = 0.26 (SVI_InvalidParameters)
    expect(sviVol(w("2700"), { ...curve, a: w("-0.015"), rho: w("-0.9") })).toBeNull();
    expect(sviVol(w("2000"), { ...curve, forward: 0n })).toBeNull(); // SVI_NoForwardPrice
    expect(sviVol(w("2000"), { ...curve, refTau: 0n })).toBeNull();
    expect(sviVol(0n, curve)).toBe(0n);
  });
});
