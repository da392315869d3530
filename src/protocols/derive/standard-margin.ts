// Derive v2's StandardManager margin as pure 18-decimal integer math (derivexyz/v2-core @7736900,
// src/risk-managers/StandardManager.sol). Every amount is signed 18-decimal fixed point, as on chain:
// a margin below zero is what the account lacks. Operation order and truncation follow the contract,
// so the figures match `getMargin` to the wei for the same inputs.

import { abs, maxBig as max, minBig as min } from "../../core/fixed";

export const WAD = 10n ** 18n;

/** lyra-utils DecimalMath / SignedDecimalMath multiplyDecimal: x * y / 1e18, truncated toward zero. */
export const mulD = (x: bigint, y: bigint): bigint => (x * y) / WAD;
/** divideDecimal: x * 1e18 / y, truncated toward zero. */
export const divD = (x: bigint, y: bigint): bigint => (x * WAD) / y;

/** StandardManager.optionMarginParams[marketId] (IStandardManager.OptionMarginParams), 18 decimals. */
export type OptionMarginParams = {
  maxSpotReq: bigint;
  minSpotReq: bigint;
  mmCallSpotReq: bigint;
  mmPutSpotReq: bigint;
  MMPutMtMReq: bigint;
  unpairedMMScale: bigint;
  unpairedIMScale: bigint;
  mmOffsetScale: bigint;
};
/** StandardManager.perpMarginRequirements[marketId]. */
export type PerpMarginRequirements = { mmPerpReq: bigint; imPerpReq: bigint };
/** StandardManager.baseMarginParams[marketId]: a base asset counts as spot x marginFactor of cash (x IMScale for IM). */
export type BaseMarginParams = { marginFactor: bigint; IMScale: bigint };
/** StandardManager.oracleContingencyParams[marketId]: IM penalties when a feed's confidence is below threshold (0: off). */
export type OracleContingencyParams = { perpThreshold: bigint; optionThreshold: bigint; baseThreshold: bigint; OCFactor: bigint };
export type MarketMarginParams = {
  option: OptionMarginParams;
  perp: PerpMarginRequirements;
  base: BaseMarginParams;
  oracleContingency?: OracleContingencyParams;
};
/** StandardManager.depegParams and the stable feed's price: an IM-only penalty when the stablecoin trades below threshold. */
export type Depeg = { threshold: bigint; depegFactor: bigint; stablePrice: bigint };

export type OptionHolding = {
  strike: bigint;
  isCall: boolean;
  /** Signed contracts. */
  balance: bigint;
  /** Value of one contract (Black76 on the expiry's forward; at expiry, Black76 at zero vol). */
  mark: bigint;
};
export type ExpiryHolding = {
  expiry: bigint;
  forward: bigint;
  options: OptionHolding[];
  /** Lowest of the forward feed's and the vol feed's (getExpiryMinConfidence) confidence; absent: 1. */
  confidence?: bigint;
};
export type PerpHolding = {
  position: bigint;
  /** PerpAsset.getPerpPrice: the perp's mark, and its confidence (absent: 1). */
  perpPrice: bigint;
  perpConfidence?: bigint;
  /** PerpAsset.getUnsettledAndUnrealizedCash: PnL and funding not yet settled into cash. */
  unsettledCash: bigint;
};
export type MarketHolding = {
  params: MarketMarginParams;
  spot: bigint;
  /** The spot feed's confidence; absent: 1. */
  spotConfidence?: bigint;
  perp: PerpHolding | null;
  /** Wrapped base asset (WrappedERC20Asset balance, 18 decimals, never negative). */
  basePosition: bigint;
  expiries: ExpiryHolding[];
};
export type StandardPortfolio = { cash: bigint; markets: MarketHolding[]; depeg?: Depeg };
export type MarginAndMtM = { margin: bigint; markToMarket: bigint };

/** StandardManager._getIsolatedMarginForPut (a short put: amount < 0). */
export function isolatedPutMargin(p: OptionMarginParams, mtm: bigint, strike: bigint, amount: bigint, spot: bigint, isInitial: boolean): bigint {
  const maintenance = min(mulD(mulD(p.mmPutSpotReq, spot), amount), mulD(p.MMPutMtMReq, mtm)) + mtm;
  if (!isInitial) return maintenance;
  const otmRatio = spot > strike ? divD(spot - strike, spot) : 0n;
  const multiplier = mulD(imSpotMultiplier(p, otmRatio), spot);
  return min(mulD(multiplier, amount) + mtm, mulD(maintenance, p.mmOffsetScale));
}

/** StandardManager._getIsolatedMarginForCall (a short call: amount < 0). */
export function isolatedCallMargin(p: OptionMarginParams, mtm: bigint, strike: bigint, amount: bigint, spot: bigint, isInitial: boolean): bigint {
  if (!isInitial) return mtm + mulD(mulD(p.mmCallSpotReq, spot), amount);
  const otmRatio = strike > spot ? divD(strike - spot, spot) : 0n;
  return mulD(mulD(imSpotMultiplier(p, otmRatio), spot), amount) + mtm;
}

/** The IM spot multiplier of both option sides: maxSpotReq - otmRatio, floored at minSpotReq. */
const imSpotMultiplier = (p: OptionMarginParams, otmRatio: bigint): bigint =>
  p.maxSpotReq > otmRatio && p.maxSpotReq - otmRatio > p.minSpotReq ? p.maxSpotReq - otmRatio : p.minSpotReq;

/** StandardManager._getIsolatedMargin: a long option needs no margin and offsets nothing; mtm = mark x balance (_getMarkToMarket). */
export function isolatedOptionMargin(p: OptionMarginParams, o: OptionHolding, spot: bigint, isInitial: boolean): MarginAndMtM {
  const markToMarket = mulD(o.mark, o.balance);
  if (o.balance > 0n) return { margin: 0n, markToMarket };
  const margin = (o.isCall ? isolatedCallMargin : isolatedPutMargin)(p, markToMarket, o.strike, o.balance, spot, isInitial);
  return { margin, markToMarket };
}

/** StandardManager._getSettlementValue: an option's payoff at a settlement price. */
export function settlementValue(strike: bigint, balance: bigint, price: bigint, isCall: boolean): bigint {
  const diff = price - strike;
  if (isCall && diff > 0n) return mulD(diff, balance);
  if (!isCall && diff < 0n) return -mulD(diff, balance);
  return 0n;
}

/** StandardManager._calcMaxLoss: the expiry's payoff at `price`, capped at zero. */
export const maxLossAt = (options: OptionHolding[], price: bigint): bigint =>
  min(
    options.reduce((sum, o) => sum + settlementValue(o.strike, o.balance, price, o.isCall), 0n),
    0n,
  );

/**
 * StandardManager._calcNetBasicMarginSingleExpiry: the better of the summed isolated margins and the
 * max-loss margin (payoff at 0 and at every strike, plus unpaired short calls at unpaired scale x forward).
 */
export function expiryMargin(p: OptionMarginParams, e: ExpiryHolding, spot: bigint, isInitial: boolean): MarginAndMtM {
  let maxLoss = maxLossAt(e.options, 0n);
  let isolated = 0n;
  let markToMarket = 0n;
  let netCalls = 0n;
  for (const o of e.options) {
    const r = isolatedOptionMargin(p, o, spot, isInitial);
    isolated += r.margin;
    markToMarket += r.markToMarket;
    maxLoss = min(maxLossAt(e.options, o.strike), maxLoss);
    if (o.isCall) netCalls += o.balance; // SRMPortfolioViewer.arrangeSRMPortfolio: netCalls
  }
  if (netCalls < 0n) maxLoss += mulD(mulD(isInitial ? p.unpairedIMScale : p.unpairedMMScale, e.forward), netCalls);
  return { margin: max(isolated, maxLoss), markToMarket };
}

/** The IM penalty of one oracle contingency: (1 - confidence) x OCFactor x each amount in turn, when confidence is below a set threshold. */
const contingency = (threshold: bigint, confidence: bigint, factor: bigint, ...amounts: bigint[]): bigint =>
  threshold !== 0n && confidence < threshold ? amounts.reduce(mulD, mulD(WAD - confidence, factor)) : 0n;

/** StandardManager._getNetPerpMargin, with its IM oracle contingency on min(perp, spot) confidence. */
export function perpMargin(m: MarketHolding, perp: PerpHolding, isInitial: boolean): bigint {
  if (perp.position === 0n) return 0n;
  const notional = mulD(abs(perp.position), perp.perpPrice);
  const margin = -mulD(notional, isInitial ? m.params.perp.imPerpReq : m.params.perp.mmPerpReq);
  const oc = m.params.oracleContingency;
  if (!isInitial || !oc) return margin;
  const conf = min(perp.perpConfidence ?? WAD, m.spotConfidence ?? WAD);
  return margin - contingency(oc.perpThreshold, conf, oc.OCFactor, m.spot, abs(perp.position));
}

/** StandardManager._getBaseMarginAndMtM (stable price 1 unless given), with its IM oracle contingency on spot confidence. */
export function baseMargin(m: MarketHolding, isInitial: boolean, stablePrice = WAD): MarginAndMtM {
  if (m.basePosition === 0n) return { margin: 0n, markToMarket: 0n };
  const notional = mulD(m.basePosition, m.spot);
  const markToMarket = divD(notional, stablePrice);
  const margin = mulD(notional, m.params.base.marginFactor);
  if (!isInitial) return { margin, markToMarket };
  const scaled = mulD(margin, m.params.base.IMScale);
  const oc = m.params.oracleContingency;
  if (scaled === 0n || !oc) return { margin: scaled, markToMarket };
  return { margin: scaled - contingency(oc.baseThreshold, m.spotConfidence ?? WAD, oc.OCFactor, notional), markToMarket };
}

/** StandardManager._getDepegMultiplier: zero for maintenance margin or a stable at or above threshold. */
export function depegMultiplier(depeg: Depeg | undefined, isInitial: boolean): bigint {
  if (!isInitial || !depeg || depeg.stablePrice >= depeg.threshold) return 0n;
  return mulD(depeg.threshold - depeg.stablePrice, depeg.depegFactor);
}

/** StandardManager._getMarketMargin: perp, options per expiry, depeg penalty, base and unsettled perp cash. */
export function marketMargin(m: MarketHolding, isInitial: boolean, depeg: bigint, stablePrice = WAD): MarginAndMtM {
  let margin = 0n;
  if (depeg !== 0n) {
    // SRMPortfolioViewer: depegPenaltyPos = |perp| + every short option.
    const shorts = m.expiries.flatMap((e) => e.options).reduce((s, o) => (o.balance < 0n ? s - o.balance : s), 0n);
    margin = -mulD(mulD(abs(m.perp?.position ?? 0n) + shorts, depeg), m.spot);
  }
  let optionMargin = 0n;
  let optionMtm = 0n;
  const oc = m.params.oracleContingency;
  for (const e of m.expiries) {
    const r = expiryMargin(m.params.option, e, m.spot, isInitial);
    optionMargin += r.margin;
    optionMtm += r.markToMarket;
    // _getNetOptionMarginAndMtM: IM contingency on min(spot, forward, vol) confidence x spot x the expiry's shorts.
    if (isInitial && oc) {
      const conf = min(m.spotConfidence ?? WAD, e.confidence ?? WAD);
      const shorts = e.options.reduce((s, o) => (o.balance < 0n ? s - o.balance : s), 0n);
      optionMargin -= contingency(oc.optionThreshold, conf, oc.OCFactor, m.spot, shorts);
    }
  }
  const perp = m.perp ? perpMargin(m, m.perp, isInitial) : 0n;
  const unsettled = m.perp && m.perp.position !== 0n ? m.perp.unsettledCash : 0n;
  const base = baseMargin(m, isInitial, stablePrice);
  margin += perp + optionMargin + base.margin + unsettled;
  return { margin, markToMarket: optionMtm + unsettled + base.markToMarket };
}

/**
 * StandardManager._getMarginAndMarkToMarket (getMargin(accountId, isInitial)): every market's margin
 * plus cash (negative cash, a borrow, counts in full). The account is liquidatable when the
 * maintenance figure is below zero (DutchAuction._startAuction: DA_AccountIsAboveMaintenanceMargin).
 */
export function standardMargin(portfolio: StandardPortfolio, isInitial: boolean): MarginAndMtM {
  const depeg = depegMultiplier(portfolio.depeg, isInitial);
  let margin = portfolio.cash;
  let markToMarket = portfolio.cash;
  for (const m of portfolio.markets) {
    const r = marketMargin(m, isInitial, depeg, portfolio.depeg?.stablePrice);
    margin += r.margin;
    markToMarket += r.markToMarket;
  }
  return { margin, markToMarket };
}
