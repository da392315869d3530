import { minBig } from "../../core/fixed";
import { lazyFields, once } from "../../core/lazy";
import type { PortfolioManagerSettings, StandardManagerSettings, StandardMarketSettings } from "./contracts";
import { optionFromSubId } from "./encoding";
import { moveBoundaries, priceBoundaries, type Boundaries } from "./liquidation-search";
import type { DeriveState } from "./normalise";
import { black76Prices, portfolioMargin, PmrmRevert, type PmrmExpiry, type PmrmPortfolio } from "./portfolio-margin";
import { mulD, standardMargin, WAD, type ExpiryHolding, type MarketHolding, type StandardPortfolio } from "./standard-margin";
import { spotForward, zeroRate, type ForwardOf, type FundingIndex, type FundingOf, type OptionVolatility, type RateOf, type VolatilityOf } from "./feeds";

// One subaccount's margin from its indexed balances, under the manager BalanceAdjusted names: the
// StandardManager's portfolio as SRMPortfolioViewer.arrangeSRMPortfolio arranges it, or a portfolio
// manager's as PMRM_2._arrangePortfolio does; priced at given spots, and where MM turns negative as
// one underlying (or all together) moves.

/** A balance with the token its asset tracks (the row's market). */
export type Holding = { state: DeriveState; token: string };

export type MarginInputs = {
  holdings: Holding[];
  manager: StandardManagerSettings | null;
  portfolioManagers: PortfolioManagerSettings[];
  /** Spot per underlying token (lowercase), 18 decimals; absent: no usable price. */
  spots: Map<string, bigint>;
  /** The cash token's price (the manager's stable feed), 18 decimals; absent: taken as 1. */
  stablePrice: bigint | undefined;
  timestamp: bigint;
  /** Implied vol for live options: one for all (null: none usable), or per option (the vol feed's, or assumed). */
  volatility: number | null | VolatilityOf;
  /** Each expiry's forward (the forward feed's, or spot, assumed); absent: forward = spot for every expiry. */
  forward?: ForwardOf;
  /** Each expiry's interest rate (portfolio margin only); absent: 0 for every expiry. */
  rate?: RateOf;
  /** Each perp's funding index; absent or unknown: no funding accrued since the account's last application. */
  funding?: FundingOf;
};

export type SubaccountMargin =
  | {
      ok: true;
      maintenance: bigint;
      initial: bigint;
      markToMarket: bigint;
      cash: bigint;
      /** Per underlying (lowercase token): the prices where MM < 0 first holds, that underlying alone moving. */
      byUnderlying: Map<string, Boundaries>;
      /** Joint moves (1e18 = 100%) of every underlying at once. */
      joint: Boundaries;
      /** What the figures assume (flags shown with them). */
      assumptions: string[];
    }
  | { ok: false; reason: string };

/**
 * StandardManager._getMarkToMarket: lyra-utils Black76 on the forward, discount 1, as
 * `black76Prices` computes it (a live option's standardised price from the float model; at or past
 * expiry, zero total vol: the payoff through the truncated moneyness K/F). Strike 0: a call is worth
 * the forward, a put nothing. Null for a live option without a usable vol.
 */
export function optionMark(strike: bigint, isCall: boolean, expiry: bigint, forward: bigint, timestamp: bigint, volatility: number | null): bigint | null {
  const live = expiry > timestamp && strike !== 0n;
  if (live && volatility === null) return null;
  const vol = live ? BigInt(Math.round(volatility! * 1e18)) : 0n;
  const { call, put } = black76Prices(live ? expiry - timestamp : 0n, vol, forward, strike, WAD);
  return isCall ? call : put;
}

const lower = (a: string) => a.toLowerCase();

/** A margin rule bound to one subaccount's holdings: its IM or MM at given spots, or why it cannot be computed there. */
type MarginRule = {
  /** Tokens whose price moves the margin (lowercase). */
  underlyings: string[];
  /** A string: why the margin cannot be computed at these spots. */
  marginAt: (spots: Map<string, bigint>, isInitial: boolean) => { margin: bigint; markToMarket: bigint } | string;
  assumptions: string[];
};

/** The subaccount's margin at its current spots, and its liquidation boundaries; or why it cannot be computed. */
export function subaccountMargin(inputs: MarginInputs): SubaccountMargin {
  const named = inputs.holdings.find((h) => h.state.manager !== "")?.state.manager.toLowerCase();
  const pm = named === undefined ? undefined : inputs.portfolioManagers.find((p) => lower(p.address) === named);
  const rule = pm ? portfolioRule(inputs, pm) : standardRule(inputs);
  if ("reason" in rule) return { ok: false, reason: rule.reason };
  const { underlyings, marginAt, assumptions } = rule;
  for (const u of underlyings) if (!inputs.spots.has(u)) return { ok: false, reason: `no usable price for underlying ${u}` };
  const now = marginAt(inputs.spots, false);
  if (typeof now === "string") return { ok: false, reason: now };
  const failsAt = (spots: Map<string, bigint>) => {
    const m = marginAt(spots, false);
    return typeof m === "string" || m.margin < 0n;
  };

  // Boundaries are searches over many margin evaluations: run when first read (a stress point asking
  // for equity or liquidatable-now needs none). Already under maintenance, there is no boundary.
  const byUnderlying = (): Map<string, Boundaries> =>
    new Map(now.margin < 0n ? [] : underlyings.map((u) => [u, priceBoundaries((P) => failsAt(new Map([...inputs.spots, [u, P]])), inputs.spots.get(u)!)]));
  const joint = (): Boundaries => {
    if (now.margin < 0n || underlyings.length === 0) return { below: null, above: null };
    const moved = (m: bigint) => new Map(underlyings.map((u) => [u, (inputs.spots.get(u)! * (WAD + m)) / WAD]));
    return moveBoundaries((m) => failsAt(moved(m)), WAD);
  };
  const cash = inputs.holdings.filter((h) => h.state.kind === "cash").reduce((s, h) => s + h.state.balance, 0n);
  const initial = once(() => (marginAt(inputs.spots, true) as { margin: bigint }).margin);
  const boundaries = once(byUnderlying);
  const jointBoundaries = once(joint);
  return new MarginWithLazySearches(
    { ok: true as const, maintenance: now.margin, markToMarket: now.markToMarket, cash, assumptions },
    { initial, byUnderlying: boundaries, joint: jointBoundaries },
  );
}

type FoundMargin = Extract<SubaccountMargin, { ok: true }>;
type LazyMargin = "initial" | "byUnderlying" | "joint";
/** A margin whose initial margin and boundaries (searches) are worked out when read. */
const MarginWithLazySearches = lazyFields<Omit<FoundMargin, LazyMargin>, Pick<FoundMargin, LazyMargin>>(["initial", "byUnderlying", "joint"]);

/** Each live option's vol, through one function whether the inputs give one vol or a vol per option. */
function volatilities({ volatility, holdings, timestamp }: MarginInputs): Map<Holding, OptionVolatility> {
  const of: VolatilityOf = typeof volatility === "function" ? volatility : () => ({ volatility, assumed: true, warning: null, confidence: WAD });
  const out = new Map<Holding, OptionVolatility>();
  for (const h of holdings) {
    if (h.state.kind !== "option") continue;
    const { expiry, strike } = optionFromSubId(h.state.subId);
    if (expiry > timestamp && strike !== 0n) out.set(h, of(lower(h.token), expiry, strike));
  }
  return out;
}

/** Each option holding's quote for its token and expiry (a forward, or a rate). */
function perExpiry<Q>(holdings: Holding[], of: (token: string, expiry: bigint) => Q): Map<Holding, Q> {
  return new Map(holdings.filter((h) => h.state.kind === "option").map((h) => [h, of(lower(h.token), optionFromSubId(h.state.subId).expiry)]));
}

type FeedRead = { assumed: boolean; warning: string | null };
/** Each distinct reason a feed's value was assumed. */
const distinctWarnings = (reads: FeedRead[]) => [...new Set(reads.map((r) => r.warning).filter((w): w is string => w !== null))];
/** What a set of feed reads rests on: a note per kind of source (assumed, then the feed's), then each reason. */
const sourceNotes = (reads: FeedRead[], assumedNote: string, feedNote: string) => [
  ...(reads.some((r) => r.assumed) ? [assumedNote] : []),
  ...(reads.some((r) => !r.assumed) ? [feedNote] : []),
  ...distinctWarnings(reads),
];

/** What every rule assumes of the feeds it does not read, by the kinds of balance held. */
function feedAssumptions(holdings: Holding[], vols: Map<Holding, OptionVolatility>, fwds: Map<Holding, FeedRead>): string[] {
  const kinds = new Set(holdings.map((h) => h.state.kind));
  const quotes = [...vols.values()];
  const assumptions = sourceNotes(
    [...fwds.values()],
    "forward = spot (assumed) where the forward feed gives none: expired options valued at intrinsic on it",
    "forwards and settlement prices from the forward feed",
  );
  if (quotes.length > 0) {
    const assumed = [...new Set(quotes.filter((q) => q.assumed).map((q) => q.volatility))];
    const sources = [
      ...(quotes.some((q) => !q.assumed) ? ["the vol feed's SVI curves"] : []),
      ...(assumed.length > 0 ? [`the configured volatility ${assumed.join(", ")} (assumed)`] : []),
    ];
    assumptions.push(`live options marked by Black76 at ${sources.join(" and ")}`, ...distinctWarnings(quotes));
  }
  if (kinds.has("perp")) assumptions.push("perp price taken as the index; funding accrues at the perp's last hourly rate (its impact-price feeds are not indexed)");
  return assumptions;
}

/**
 * PerpAsset.getUnsettledAndUnrealizedCash: funding since the account's last application
 * (_getUnrealizedFunding: the index accrued to now at the last hourly rate, x -size) + (perpPrice -
 * lastMarkPrice) x size + pnl + funding, the perp price taken as the index. Unaccrued (0) where the
 * perp's funding index or the account's last one is unknown.
 */
export function perpUnsettledCash(state: Holding["state"], perpPrice: bigint, index: FundingIndex | undefined, now: bigint): bigint {
  const p = state.perp!;
  let unrealizedFunding = 0n;
  if (index && p.lastAggregatedFunding !== null) {
    const latest = index.aggregatedFunding + mulD((index.fundingRate * (now - index.lastFundingPaidAt)) / 3_600n, perpPrice);
    unrealizedFunding = -mulD(state.balance, latest - p.lastAggregatedFunding);
  }
  return unrealizedFunding + mulD(perpPrice - p.lastMarkPrice, state.balance) + p.pnl + p.funding;
}

/** Checks shared by both managers: readable perps, and a volatility for every live option held. */
function unusableInputs(holdings: Holding[], vols: Map<Holding, OptionVolatility>): string | null {
  const perpless = holdings.find((h) => h.state.kind === "perp" && h.state.perp === null);
  if (perpless) return `perp ${perpless.state.asset}: its position detail (PerpAsset.positions) could not be read`;
  const unpriced = [...vols.values()].find((q) => q.volatility === null);
  if (unpriced) return `no usable volatility for live options: margin not computed${unpriced.warning ? ` (${unpriced.warning})` : ""}`;
  return null;
}

/** StandardManager.getMargin over the subaccount's markets. */
function standardRule(inputs: MarginInputs): MarginRule | { reason: string } {
  const { holdings, manager, timestamp } = inputs;
  if (!manager) return { reason: "no StandardManager parameters configured for this deployment: margin not computed" };
  const other = holdings.find((h) => manager.address !== null && h.state.manager !== "" && lower(h.state.manager) !== lower(manager.address));
  if (other) return { reason: `managed by ${other.state.manager}, neither the configured StandardManager nor a configured portfolio manager: margin not computed` };
  const underlyings = [...new Set(holdings.filter((h) => h.state.kind !== "cash").map((h) => lower(h.token)))];
  const params = new Map<string, StandardMarketSettings>(manager.markets.map((m) => [lower(m.underlying), m]));
  for (const u of underlyings) if (!params.has(u)) return { reason: `no StandardManager parameters configured for underlying ${u}` };
  const vols = volatilities(inputs);
  const fwds = perExpiry(holdings, inputs.forward ?? (() => spotForward(null)));
  const unusable = unusableInputs(holdings, vols);
  if (unusable) return { reason: unusable };

  const cash = holdings.filter((h) => h.state.kind === "cash").reduce((s, h) => s + h.state.balance, 0n);
  const depeg = manager.depeg ? { ...manager.depeg, stablePrice: inputs.stablePrice ?? WAD } : undefined;
  const portfolioAt = (spots: Map<string, bigint>): StandardPortfolio | null => {
    const markets: MarketHolding[] = [];
    for (const u of underlyings) {
      const spot = spots.get(u)!;
      const expiries = new Map<bigint, ExpiryHolding>();
      let perp: MarketHolding["perp"] = null;
      let basePosition = 0n;
      for (const h of holdings.filter((h) => lower(h.token) === u)) {
        const { state } = h;
        if (state.kind === "option") {
          const { expiry, strike, isCall } = optionFromSubId(state.subId);
          // StandardManager._getForwardPrice: fixed + variable portions (SRM_NoForwardPrice when zero).
          const portions = fwds.get(h)!.at(spot);
          const forward = portions === null ? 0n : portions.fixed + portions.variable;
          if (forward === 0n) return null;
          const mark = optionMark(strike, isCall, expiry, forward, timestamp, vols.get(h)?.volatility ?? null);
          if (mark === null) return null;
          const e = expiries.get(expiry) ?? { expiry, forward, options: [] };
          e.options.push({ strike, isCall, balance: state.balance, mark });
          expiries.set(expiry, e);
        } else if (state.kind === "perp") {
          perp = { position: state.balance, perpPrice: spot, unsettledCash: perpUnsettledCash(state, spot, inputs.funding?.(state.asset), timestamp) };
        } else if (state.kind === "base") {
          basePosition += state.balance;
        }
      }
      markets.push({ params: params.get(u)!, spot, perp, basePosition, expiries: [...expiries.values()] });
    }
    return { cash, markets, depeg };
  };
  const assumptions = feedAssumptions(holdings, vols, fwds);
  if (holdings.some((h) => h.state.kind !== "cash")) assumptions.push("oracle-confidence contingencies (IM only) not applied");
  return {
    underlyings,
    assumptions,
    marginAt: (spots, isInitial) => {
      const p = portfolioAt(spots);
      return p === null ? "an option could not be marked: margin not computed" : standardMargin(p, isInitial);
    },
  };
}

/**
 * PMRM_2_1.getMargin: the portfolio as PMRM_2._arrangePortfolio builds it from the feeds (vols,
 * forward portions and rates as `feeds.ts` gives them); the spot and perp feeds' confidences, not
 * indexed, are taken as 1.
 */
function portfolioRule(inputs: MarginInputs, pm: PortfolioManagerSettings): MarginRule | { reason: string } {
  const { holdings, timestamp } = inputs;
  const underlying = lower(pm.underlying);
  for (const { state, token } of holdings) {
    if ((state.kind === "option" || state.kind === "perp") && lower(token) !== underlying) {
      return { reason: `${state.kind} ${state.asset} tracks ${token}, not this portfolio manager's underlying ${pm.underlying} (PMRM_2 rejects it)` };
    }
    if (state.kind === "base" && !pm.collaterals.has(lower(state.asset))) return { reason: `${state.asset} is not a collateral configured for portfolio manager ${pm.address}` };
  }
  const vols = volatilities(inputs);
  const fwds = perExpiry(holdings, inputs.forward ?? (() => spotForward(null)));
  const rates = perExpiry(holdings, inputs.rate ?? (() => zeroRate(null)));
  const unusable = unusableInputs(holdings, vols);
  if (unusable) return { reason: unusable };
  const underlyings = [...new Set([underlying, ...holdings.filter((h) => h.state.kind === "base").map((h) => lower(h.token))])];
  const stablePrice = inputs.stablePrice ?? WAD;

  const portfolioAt = (spots: Map<string, bigint>): PmrmPortfolio | null => {
    const spot = spots.get(underlying)!;
    const expiries = new Map<bigint, PmrmExpiry>();
    const portfolio: PmrmPortfolio = { spotPrice: spot, perpPrice: 0n, stablePrice, minConfidence: WAD, cash: 0n, perpPosition: 0n, perpValue: 0n, expiries: [], collaterals: [] };
    for (const h of holdings) {
      const { state, token } = h;
      if (state.kind === "option") {
        const { expiry, strike, isCall } = optionFromSubId(state.subId);
        const forward = fwds.get(h)!;
        const portions = forward.at(spot);
        if (portions === null) return null;
        // PMRM_2._initialiseExpiries: the expiry's confidence is the lower of the forward's and the rate's.
        const { rate, confidence: rateConfidence } = rates.get(h)!;
        const e = expiries.get(expiry) ?? {
          secToExpiry: expiry > timestamp ? expiry - timestamp : 0n,
          forwardFixedPortion: portions.fixed,
          forwardVariablePortion: portions.variable,
          rate,
          minConfidence: minBig(forward.confidence, rateConfidence),
          options: [],
        };
        // The vol feed's vol for this strike (LyraVolFeed.getVol) and its confidence, as PMRM_2._arrangeAssets reads them; an expired option's vol is unused.
        const quote = vols.get(h);
        if (quote && quote.confidence < e.minConfidence) e.minConfidence = quote.confidence;
        e.options.push({ strike, isCall, amount: state.balance, vol: BigInt(Math.round((quote?.volatility ?? 0) * 1e18)) });
        expiries.set(expiry, e);
      } else if (state.kind === "cash") portfolio.cash += state.balance;
      else if (state.kind === "perp") {
        portfolio.perpPosition = state.balance;
        portfolio.perpPrice = spot;
        portfolio.perpValue = perpUnsettledCash(state, spot, inputs.funding?.(state.asset), timestamp);
      } else {
        const value = (state.balance * spots.get(lower(token))!) / stablePrice;
        portfolio.collaterals.push({ value, minConfidence: WAD, params: pm.collaterals.get(lower(state.asset))! });
      }
    }
    portfolio.expiries = [...expiries.values()];
    return portfolio;
  };
  const assumptions = [
    ...feedAssumptions(holdings, vols, fwds),
    "portfolio margin with the default PMRMLib_2 parameters configured (a per-account lib override is not followed); the spot and perp feeds' confidences taken as 1",
    ...sourceNotes([...rates.values()], "rate 0 (assumed) where the rate feed gives none", "rates from the rate feed"),
  ];
  return {
    underlyings,
    assumptions,
    marginAt: (spots, isInitial) => {
      const portfolio = portfolioAt(spots);
      if (portfolio === null) return "the forward feed's forward is negative at this spot (LyraForwardFeed reverts): margin not computed";
      try {
        return portfolioMargin(portfolio, pm.lib, pm.scenarios, isInitial);
      } catch (e) {
        if (e instanceof PmrmRevert) return `PMRM_2 cannot compute this margin: ${e.message}`;
        throw e;
      }
    },
  };
}
