// The implied vol of a strike from an expiry's SVI curve as Derive's vol feed computes it
// (LyraVolFeed.getVol -> lyra-utils src/math/SVI.sol getVol): 18-decimal integer steps in the
// library's order, with its ln and sqrt from floats (sqrt floored exactly).

import { sqrtWad } from "./portfolio-margin";
import { divD, mulD, WAD } from "./standard-margin";

/** ILyraVolFeed.VolDetails' curve: 18 decimals (refTau: an 18-decimal year fraction). */
export type SviCurve = { a: bigint; b: bigint; rho: bigint; m: bigint; sigma: bigint; forward: bigint; refTau: bigint };

/** SVI.MAX_TOTAL_VAR and TOTAL_VOL_SCALAR. */
const MAX_TOTAL_VAR = 144n * WAD;
const TOTAL_VOL_SCALAR = 4n * WAD;

/** SVI.getK: ln(strike / forward), bounded by +-4 x sqrt(a + b x sigma). Null where the library reverts. */
function boundedLogMoneyness(strike: bigint, c: SviCurve): bigint | null {
  const level = c.a + mulD(c.b, c.sigma);
  if (level < 0n) return null; // toUintSafe
  const bound = mulD(sqrtWad(level), TOTAL_VOL_SCALAR);
  const sk = divD(strike, c.forward);
  if (sk === 0n) return -bound;
  const k = BigInt(Math.round(Math.log(Number(sk) / 1e18) * 1e18));
  return k > bound ? bound : k < -bound ? -bound : k;
}

/**
 * SVI.getVol: total variance w = a + b x (rho x (k - m) + sqrt((k - m)^2 + sigma^2)), capped at 144,
 * vol = sqrt(w / refTau). Null where the library reverts (no forward, negative variance, refTau 0).
 */
export function sviVol(strike: bigint, c: SviCurve): bigint | null {
  if (strike === 0n) return 0n;
  if (c.forward === 0n || c.refTau === 0n) return null;
  const k = boundedLogMoneyness(strike, c);
  if (k === null) return null;
  const kSubM = k - c.m;
  const bPortion = mulD(c.b, sqrtWad(mulD(kSubM, kSubM) + mulD(c.sigma, c.sigma)) + mulD(c.rho, kSubM));
  let w = c.a + bPortion;
  if (w < 0n) return null;
  if (w > MAX_TOTAL_VAR) w = MAX_TOTAL_VAR;
  return sqrtWad(divD(w, c.refTau));
}
