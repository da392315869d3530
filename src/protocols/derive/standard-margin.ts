// Derive v2's StandardManager margin as pure 18-decimal integer math (derivexyz/v2-core @7736900,
// src/risk-managers/StandardManager.sol). Every amount is signed 18-decimal fixed point, as on chain:
// a margin below zero is what the account lacks. Operation order and truncation follow the contract,
// so the figures match `getMargin` to the wei for the same inputs.

export const WAD = 10n ** 18n;

/** lyra-utils DecimalMath / SignedDecimalMath multiplyDecimal: x * y / 1e18, truncated toward zero. */
export const mulD = (x: bigint, y: bigint): bigint => (x * y) / WAD;
/** divideDecimal: x * 1e18 / y, truncated toward zero. */
export const divD = (x: bigint, y: bigint): bigint => (x * WAD) / y;

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const abs = (a: bigint) => (a < 0n ? -a : a);

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
export type MarketMarginParams = { option: OptionMarginParams; perp: PerpMarginRequirements; base: BaseMarginParams };
/** StandardManager.depegParams and the stable feed's price: an IM-only penalty when the stablecoin trades below threshold. */
export type Depeg = { threshold: bigint; depegFactor: bigint; stablePrice: bigint };

export type OptionHolding = {
  strike: bigint;
  isCall: boolean;
  /** Signed contracts. */
  balance: bigint;
  /** Value of one contract (Black76 on the expiry's forward, or intrinsic at expiry). */
  mark: bigint;
};
export type ExpiryHolding = { expiry: bigint; forward: bigint; options: OptionHolding[] };
export type PerpHolding = {
  position: bigint;
  /** PerpAsset.getPerpPrice: the perp's mark. */
  perpPrice: bigint;
  /** PerpAsset.getUnsettledAndUnrealizedCash: PnL and funding not yet settled into cash. */
  unsettledCash: bigint;
};
export type MarketHolding = {
  params: MarketMarginParams;
  spot: bigint;
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

/** StandardManager._getNetPerpMargin (oracle contingency not applied: see docs/protocols/derive.md). */
export function perpMargin(r: PerpMarginRequirements, perp: PerpHolding, isInitial: boolean): bigint {
  if (perp.position === 0n) return 0n;
  const notional = mulD(abs(perp.position), perp.perpPrice);
  return -mulD(notional, isInitial ? r.imPerpReq : r.mmPerpReq);
}

/** StandardManager._getBaseMarginAndMtM (stable price 1 unless given; oracle contingency not applied). */
export function baseMargin(b: BaseMarginParams, position: bigint, spot: bigint, isInitial: boolean, stablePrice = WAD): MarginAndMtM {
  if (position === 0n) return { margin: 0n, markToMarket: 0n };
  const notional = mulD(position, spot);
  const margin = mulD(notional, b.marginFactor);
  return { margin: isInitial ? mulD(margin, b.IMScale) : margin, markToMarket: divD(notional, stablePrice) };
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
  for (const e of m.expiries) {
    const r = expiryMargin(m.params.option, e, m.spot, isInitial);
    optionMargin += r.margin;
    optionMtm += r.markToMarket;
  }
  const perp = m.perp ? perpMargin(m.params.perp, m.perp, isInitial) : 0n;
  const unsettled = m.perp && m.perp.position !== 0n ? m.perp.unsettledCash : 0n;
  const base = baseMargin(m.params.base, m.basePosition, m.spot, isInitial, stablePrice);
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
