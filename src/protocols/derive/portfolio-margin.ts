// Derive v2's portfolio margin (PMRM_2 / PMRM_2_1 with PMRMLib_2, derivexyz/v2-core @7736900) as
// 18-decimal integer math: the scenario grid of spot and vol shocks, the basis, perp, option and
// collateral contingencies, and static discounting. Operation order and truncation follow
// PMRMLib_2; the transcendental steps of lyra-utils (Black76 of a live option, exp of a nonzero
// rate, decPow, ln, sqrt) are taken from floats, so only they can differ from the contract
// (docs/protocols/derive.md says by how much).

import { abs, maxBig as max, minBig as min } from "../../core/fixed";
import { divD, mulD, WAD } from "./standard-margin";
import { normalCdf } from "./greeks";

const DAY = 86_400n;
/** lyra-utils Black76.SECONDS_PER_YEAR. */
const YEAR = 365n * DAY;

export type VolShockDirection = "none" | "up" | "down" | "linear" | "abs";
/** IPMRM_2.VolShockDirection, in its enum order. */
export const VOL_SHOCK_DIRECTIONS: readonly VolShockDirection[] = ["none", "up", "down", "linear", "abs"];

/** IPMRM_2.Scenario: spotShock 1.2e18 = spot up 20%. */
export type PmrmScenario = { spotShock: bigint; volShock: VolShockDirection; dampeningFactor: bigint };

/** IPMRMLib_2's parameter structs, named as the contract names them (18 decimals; dteFloor in seconds). */
export type PmrmLibParams = {
  basis: { scenarioSpotUp: bigint; scenarioSpotDown: bigint; basisContAddFactor: bigint; basisContMultFactor: bigint };
  other: {
    pegLossThreshold: bigint;
    pegLossFactor: bigint;
    confThreshold: bigint;
    confMargin: bigint;
    MMPerpPercent: bigint;
    IMPerpPercent: bigint;
    MMOptionPercent: bigint;
    IMOptionPercent: bigint;
  };
  margin: {
    imFactor: bigint;
    mmFactor: bigint;
    shortRateMultScale: bigint;
    longRateMultScale: bigint;
    shortRateAddScale: bigint;
    longRateAddScale: bigint;
    shortBaseStaticDiscount: bigint;
    longBaseStaticDiscount: bigint;
  };
  volShock: { volRangeUp: bigint; volRangeDown: bigint; shortTermPower: bigint; longTermPower: bigint; dteFloor: bigint; minVolUpShock: bigint };
  skewShock: {
    linearBaseCap: bigint;
    absBaseCap: bigint;
    linearCBase: bigint;
    absCBase: bigint;
    minKStar: bigint;
    widthScale: bigint;
    volParamStatic: bigint;
    volParamScale: bigint;
  };
};
/** IPMRMLib_2.CollateralParameters (isEnabled is implied: a disabled collateral is not configured). */
export type PmrmCollateralParams = { isRiskCancelling: boolean; MMHaircut: bigint; IMHaircut: bigint };

export type PmrmOption = { strike: bigint; isCall: boolean; amount: bigint; /** the vol feed's vol at this strike */ vol: bigint };
export type PmrmExpiry = {
  secToExpiry: bigint;
  forwardFixedPortion: bigint;
  forwardVariablePortion: bigint;
  /** The rate feed's rate, floored at 0 (PMRM_2._initialiseExpiries). */
  rate: bigint;
  minConfidence: bigint;
  options: PmrmOption[];
};
/** IPMRM_2.Portfolio as PMRM_2._arrangePortfolio fills it, before addPrecomputes. */
export type PmrmPortfolio = {
  spotPrice: bigint;
  perpPrice: bigint;
  stablePrice: bigint;
  minConfidence: bigint;
  cash: bigint;
  perpPosition: bigint;
  /** PerpAsset.getUnsettledAndUnrealizedCash. */
  perpValue: bigint;
  expiries: PmrmExpiry[];
  /** value = balance x price / stablePrice (PMRM_2._arrangeAssets). */
  collaterals: { value: bigint; minConfidence: bigint; params: PmrmCollateralParams }[];
};

/** A margin the contract itself cannot compute (it reverts), with why. */
export class PmrmRevert extends Error {}

// ---------------------------------------------------------------- lyra-utils math

/** Black76.annualise: seconds to an 18-decimal year fraction, truncated. */
export const annualise = (secs: bigint): bigint => (secs * WAD) / YEAR;

const toWad = (x: number): bigint => BigInt(Math.round(x * 1e18));
const fromWad = (x: bigint): number => Number(x) / 1e18;

/** FixedPointMathLib.exp; exp(0) is 1e18 - 1 there (its own test pins it), which every rate-0 discount carries. */
export function expWad(x: bigint): bigint {
  if (x === 0n) return WAD - 1n;
  if (x <= -42139678854452767551n) return 0n;
  return toWad(Math.exp(fromWad(x)));
}

/** FixedPointMathLib.decPow(a, b) = exp(ln(a) x b). */
const decPow = (a: bigint, b: bigint): bigint => {
  if (a <= 0n) throw new PmrmRevert("decPow of a non-positive base (FixedPointMathLib.ln reverts)");
  return expWad(toWad(Math.log(fromWad(a)) * fromWad(b)));
};

/**
 * Black76.pricesAndDelta (lyra-utils src/math/Black76.sol): prices with forward = discount = 1 from
 * moneyness K/F and total vol, then scaled by the discounted forward and capped. At zero total vol
 * (an expired option) the contract's CDFs saturate, so the prices are exactly (1 - m) or (m - 1) of
 * the discounted forward, m the truncated moneyness; a live option's standard price is the float model's.
 */
export function black76Prices(secToExpiry: bigint, vol: bigint, forward: bigint, strike: bigint, discount: bigint): { call: bigint; put: bigint } {
  const fwdDiscounted = (forward * discount) / WAD;
  if (strike === 0n) return { call: fwdDiscounted, put: 0n };
  const strikeDiscounted = (strike * discount) / WAD;
  if (forward === 0n) return { call: 0n, put: strikeDiscounted };
  const moneyness = max((strike * WAD) / forward, 1n);
  const totalVol = (vol * sqrtWad(annualise(secToExpiry))) / WAD;
  let stdCall: bigint;
  if (totalVol === 0n || moneyness === WAD) {
    // _standardCall with totalVol 1 wei: N(d1) = N(d2) = 1 in the money, 0 out of it; at the money ~0.
    stdCall = moneyness < WAD ? WAD - moneyness : 0n;
  } else if (totalVol >= 24n * WAD) {
    stdCall = WAD; // MAX_TOTAL_VOL
  } else {
    const m = fromWad(moneyness);
    const v = fromWad(totalVol);
    const d1 = v / 2 - Math.log(m) / v;
    const c = Math.max(0, normalCdf(d1) - m * normalCdf(d1 - v));
    // Kept at the float's own precision (~1e-16): Derive's vectors match to 1e-13 this way, and coarser
    // rounding moves near-zero scenario values by more than their 1e-8 tolerance.
    stdCall = BigInt(Math.round(c * 1e18));
  }
  // _standardPutFromCall: put = call + m - 1, floored at 0.
  const stdPut = stdCall + moneyness >= WAD ? stdCall + moneyness - WAD : 0n;
  return { call: min((stdCall * fwdDiscounted) / WAD, fwdDiscounted), put: min((stdPut * fwdDiscounted) / WAD, strikeDiscounted) };
}

/** FixedPointMathLib.sqrt of an 18-decimal value (floor of the exact root). */
export function sqrtWad(x: bigint): bigint {
  if (x <= 0n) return 0n;
  const n = x * WAD;
  let r = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (r * r > n) r--;
  while ((r + 1n) * (r + 1n) <= n) r++;
  return r;
}

// ---------------------------------------------------------------- precomputes

type Precomputed = {
  portfolio: PmrmPortfolio;
  totalMtM: bigint;
  basisContingency: bigint;
  MMContingency: bigint;
  IMContingency: bigint;
  expiries: (PmrmExpiry & {
    discount: bigint;
    mtm: bigint;
    basisScenarioUpMtM: bigint;
    basisScenarioDownMtM: bigint;
    volShockUp: bigint;
    volShockDown: bigint;
    staticDiscountPos: bigint;
    staticDiscountNeg: bigint;
  })[];
};

/** PMRMLib_2._getConfidenceContingency. */
const confidenceContingency = (lib: PmrmLibParams, minConfidence: bigint, notional: bigint) =>
  minConfidence < lib.other.confThreshold ? mulD(mulD(WAD - minConfidence, lib.other.confMargin), notional) : 0n;

/** PMRMLib_2._getExpiryShockedMTM: options repriced on the shocked forward with the direction's vol multiplier. */
function shockedExpiryMtm(lib: PmrmLibParams, e: Precomputed["expiries"][number], spotShock: bigint, direction: VolShockDirection): bigint {
  const volShock = direction === "up" ? e.volShockUp : direction === "down" ? e.volShockDown : WAD;
  const minVol = direction === "up" ? lib.volShock.minVolUpShock : 0n;
  const forward = mulD(e.forwardVariablePortion, spotShock) + e.forwardFixedPortion;
  let total = 0n;
  for (const o of e.options) {
    const { call, put } = black76Prices(e.secToExpiry, max(minVol, mulD(o.vol, volShock)), forward, o.strike, e.discount);
    total += mulD(o.isCall ? call : put, o.amount);
  }
  return total;
}

/** PMRMLib_2._getKStar: where the vol surface is taken to flatten. */
function kStar(lib: PmrmLibParams, sqrtTau: bigint): bigint {
  const s = lib.skewShock;
  return max(s.minKStar, mulD(mulD(sqrtTau, s.widthScale), s.volParamStatic + mulD(sqrtTau, s.volParamScale)));
}

/** PMRMLib_2._getExpirySkewedShockedMTM: the wings' vols raised by a log-moneyness multiplier, capped. */
function skewedExpiryMtm(lib: PmrmLibParams, e: Precomputed["expiries"][number], direction: "linear" | "abs"): bigint {
  const s = lib.skewShock;
  const forward = e.forwardVariablePortion + e.forwardFixedPortion;
  const sqrtTau = sqrtWad(annualise(e.secToExpiry));
  const multCap = direction === "linear" ? mulD(s.linearCBase, sqrtTau) + s.linearBaseCap : mulD(s.absCBase, sqrtTau) + s.absBaseCap;
  const kS = kStar(lib, sqrtTau);
  if (kS === 0n) throw new PmrmRevert("kStar is zero (minKStar 0 at this expiry): PMRMLib_2 divides by it and reverts");
  let total = 0n;
  for (const o of e.options) {
    if (o.strike === 0n || forward === 0n) throw new PmrmRevert("ln of a zero moneyness in a skew scenario: FixedPointMathLib.ln reverts");
    let k = toWad(Math.log(fromWad(divD(o.strike, forward))));
    if (direction === "abs") k = abs(k);
    const step = (k * multCap) / kS;
    const multiplier = WAD + (k >= 0n ? min(multCap, step) : max(-multCap, step));
    const { call, put } = black76Prices(e.secToExpiry, mulD(o.vol, max(multiplier, 0n)), forward, o.strike, e.discount);
    total += mulD(o.isCall ? call : put, o.amount);
  }
  return total;
}

/** PMRMLib_2._addOptionContingency: naked shorts per strike (a call and a put at one strike offset each other). */
function nakedShorts(options: PmrmOption[]): bigint {
  const byStrike = new Map<bigint, { shorts: bigint; longs: bigint }>();
  for (const o of options) {
    const s = byStrike.get(o.strike) ?? { shorts: 0n, longs: 0n };
    if (o.amount < 0n) s.shorts -= o.amount;
    else s.longs += o.amount;
    byStrike.set(o.strike, s);
  }
  // The contract's pairwise filter, for the at most two holdings (call, put) at a strike: max(0, shorts - longs).
  let naked = 0n;
  for (const { shorts, longs } of byStrike.values()) naked += max(0n, shorts - longs);
  return naked;
}

/** PMRMLib_2.addPrecomputes: current marks, basis contingency, vol shocks, static discounts, contingencies. */
export function addPrecomputes(portfolio: PmrmPortfolio, lib: PmrmLibParams): Precomputed {
  const { margin: mp, volShock: vs, other } = lib;
  let totalMtM = portfolio.perpValue;
  const perpNotional = mulD(abs(portfolio.perpPosition), portfolio.spotPrice);
  let MMContingency = mulD(perpNotional, other.MMPerpPercent);
  let IMContingency = mulD(perpNotional, other.IMPerpPercent) + confidenceContingency(lib, portfolio.minConfidence, perpNotional);
  let basisContingency = 0n;
  const expiries: Precomputed["expiries"] = [];
  for (const raw of portfolio.expiries) {
    const rate = max(raw.rate, 0n);
    // PMRM_2._initialiseExpiries: discount = exp(-rate x secToExpiry / 365 days).
    const discount = expWad((-rate * raw.secToExpiry) / YEAR);
    const tau = annualise(raw.secToExpiry);
    // _addVolShocks
    const floor = max(raw.secToExpiry, vs.dteFloor);
    if (floor === 0n) throw new PmrmRevert("an expired option with dteFloor 0: PMRMLib_2._addVolShocks divides by zero and reverts");
    const multShock = decPow((30n * DAY * WAD) / floor, raw.secToExpiry <= 30n * DAY ? vs.shortTermPower : vs.longTermPower);
    const volShockUp = WAD + mulD(vs.volRangeUp, multShock);
    const volShockDown = max(0n, WAD - mulD(vs.volRangeDown, multShock));
    // _addStaticDiscount
    const staticDiscountPos = mulD(mp.longBaseStaticDiscount, expWad(-mulD(tau, mulD(rate, mp.longRateMultScale) + mp.longRateAddScale)));
    const negExp = expWad(-mulD(tau, mulD(rate, mp.shortRateMultScale) + mp.shortRateAddScale));
    if (negExp === 0n || discount === 0n) throw new PmrmRevert("a static discount's exponential underflows to zero: PMRMLib_2 divides by it and reverts");
    const staticDiscountNeg = min(divD(WAD, discount), divD(mp.shortBaseStaticDiscount, negExp));
    const e = {
      ...raw,
      rate,
      minConfidence: min(portfolio.minConfidence, raw.minConfidence),
      discount,
      mtm: 0n,
      basisScenarioUpMtM: 0n,
      basisScenarioDownMtM: 0n,
      volShockUp,
      volShockDown,
      staticDiscountPos,
      staticDiscountNeg,
    };
    e.mtm = shockedExpiryMtm(lib, e, WAD, "none");
    totalMtM += e.mtm;
    // _addBasisContingency
    e.basisScenarioUpMtM = shockedExpiryMtm(lib, e, lib.basis.scenarioSpotUp, "none");
    e.basisScenarioDownMtM = shockedExpiryMtm(lib, e, lib.basis.scenarioSpotDown, "none");
    const worstBasis = min(min(e.basisScenarioUpMtM - e.mtm, e.basisScenarioDownMtM - e.mtm), 0n);
    basisContingency += mulD(worstBasis, lib.basis.basisContAddFactor + mulD(lib.basis.basisContMultFactor, tau));
    // _addOptionContingency
    const notionalShorts = mulD(nakedShorts(e.options), portfolio.spotPrice);
    MMContingency += mulD(notionalShorts, other.MMOptionPercent);
    IMContingency += mulD(notionalShorts, other.IMOptionPercent);
    const netOptions = e.options.reduce((s, o) => s + abs(o.amount), 0n);
    IMContingency += confidenceContingency(lib, e.minConfidence, mulD(netOptions, portfolio.spotPrice));
    expiries.push(e);
  }
  for (const c of portfolio.collaterals) {
    totalMtM += c.value;
    MMContingency += mulD(c.value, c.params.MMHaircut);
    IMContingency += mulD(c.value, c.params.IMHaircut) + confidenceContingency(lib, c.minConfidence, c.value);
  }
  return { portfolio, totalMtM, basisContingency, MMContingency, IMContingency, expiries };
}

// ---------------------------------------------------------------- scenarios and margin

/** PMRMLib_2.getScenarioPnL: the scenario's value less the current mark-to-market, dampened. */
export function scenarioPnL(pre: Precomputed, lib: PmrmLibParams, scenario: PmrmScenario): bigint {
  const { spotShock, volShock, dampeningFactor } = scenario;
  const p = pre.portfolio;
  // _getShockedPerpPnL
  let pnl = p.perpPosition === 0n ? 0n : mulD(mulD(p.perpPosition, mulD(spotShock - WAD, p.perpPrice)), dampeningFactor);
  const skew = volShock === "linear" || volShock === "abs";
  for (const e of pre.expiries) {
    let shocked: bigint;
    if (volShock === "none" && spotShock === WAD) shocked = e.mtm;
    else if (volShock === "none" && spotShock === lib.basis.scenarioSpotUp) shocked = e.basisScenarioUpMtM;
    else if (volShock === "none" && spotShock === lib.basis.scenarioSpotDown) shocked = e.basisScenarioDownMtM;
    else if (skew) shocked = skewedExpiryMtm(lib, e, volShock);
    else shocked = shockedExpiryMtm(lib, e, spotShock, volShock);
    shocked = mulD(shocked, shocked >= 0n ? e.staticDiscountPos : e.staticDiscountNeg);
    const expiryPnL = mulD(shocked - e.mtm, dampeningFactor);
    // A skew scenario takes each expiry's loss either way the skew could rotate.
    pnl += skew && expiryPnL > 0n ? -expiryPnL : expiryPnL;
  }
  for (const c of p.collaterals) {
    if (c.params.isRiskCancelling) pnl += mulD(mulD(c.value, spotShock - WAD), dampeningFactor);
  }
  return pnl;
}

export type PortfolioMarginResult = { margin: bigint; markToMarket: bigint; /** index into the scenarios; scenarios.length: the basis contingency */ worstScenario: number };

/** PMRMLib_2.getMarginAndMarkToMarket on a precomputed portfolio (MM: isInitial false). */
export function marginOfPrecomputed(pre: Precomputed, lib: PmrmLibParams, scenarios: PmrmScenario[], isInitial: boolean): PortfolioMarginResult {
  if (scenarios.length === 0) throw new PmrmRevert("no margin scenarios (PMRML2_InvalidGetMarginState)");
  let minSpan = pre.basisContingency;
  let worstScenario = scenarios.length;
  scenarios.forEach((s, i) => {
    const pnl = scenarioPnL(pre, lib, s);
    if (pnl < minSpan) [minSpan, worstScenario] = [pnl, i];
  });
  let mFactor = isInitial ? lib.margin.imFactor : lib.margin.mmFactor;
  const stable = pre.portfolio.stablePrice;
  if (isInitial && stable < lib.other.pegLossThreshold) mFactor += mulD(lib.other.pegLossThreshold - stable, lib.other.pegLossFactor);
  minSpan = mulD(minSpan, mFactor);
  if (isInitial) minSpan -= pre.IMContingency;
  minSpan -= pre.MMContingency;
  const markToMarket = pre.totalMtM + pre.portfolio.cash;
  return { margin: minSpan + markToMarket, markToMarket, worstScenario };
}

/** PMRM_2_1.getMargin / getMarginAndMtM: the portfolio's IM or MM over the manager's scenarios. */
export const portfolioMargin = (portfolio: PmrmPortfolio, lib: PmrmLibParams, scenarios: PmrmScenario[], isInitial: boolean): PortfolioMarginResult =>
  marginOfPrecomputed(addPrecomputes(portfolio, lib), lib, scenarios, isInitial);
