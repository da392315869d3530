import { withLazyFields } from "../../core/lazy";
import type { StandardManagerSettings, StandardMarketSettings } from "./contracts";
import { optionFromSubId } from "./encoding";
import { blackScholes, SECONDS_PER_YEAR } from "./greeks";
import { moveBoundaries, priceBoundaries, type Boundaries } from "./liquidation-search";
import type { DeriveState } from "./normalise";
import { mulD, standardMargin, WAD, type ExpiryHolding, type MarketHolding, type StandardPortfolio } from "./standard-margin";

// One subaccount's StandardManager margin from its indexed balances: the portfolio as
// SRMPortfolioViewer.arrangeSRMPortfolio arranges it, priced at given spots, and where MM turns
// negative as one underlying (or all together) moves.

/** A balance with the token its asset tracks (the row's market). */
export type Holding = { state: DeriveState; token: string };

export type MarginInputs = {
  holdings: Holding[];
  manager: StandardManagerSettings;
  /** Spot per underlying token (lowercase), 18 decimals; absent: no usable price. */
  spots: Map<string, bigint>;
  /** The cash token's price (the manager's stable feed), 18 decimals; absent: taken as 1. */
  stablePrice: bigint | undefined;
  timestamp: bigint;
  /** Implied volatility for live options; null when there is none usable. */
  volatility: number | null;
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

/** Black76 marks go to money at 1e-6 USD per contract (the float model's honest resolution). */
const MARK_STEP = 10n ** 12n;

/**
 * StandardManager._getMarkToMarket: Black76 on the forward, discount 1; at or past expiry (no time
 * left) the payoff on the forward, exactly. Strike 0 has no Black76 value but a plain one: a call is
 * worth the forward, a put nothing.
 */
export function optionMark(strike: bigint, isCall: boolean, expiry: bigint, forward: bigint, timestamp: bigint, volatility: number | null): bigint | null {
  if (expiry <= timestamp || strike === 0n) return isCall ? (forward > strike ? forward - strike : 0n) : strike > forward ? strike - forward : 0n;
  if (volatility === null) return null;
  const years = Number(expiry - timestamp) / SECONDS_PER_YEAR;
  const { price } = blackScholes({ spot: Number(forward) / 1e18, strike: Number(strike) / 1e18, years, volatility, isCall });
  if (!Number.isFinite(price)) return null;
  return BigInt(Math.round(Math.max(0, price) * 1e6)) * MARK_STEP;
}

const lower = (a: string) => a.toLowerCase();

/** The subaccount's margin at its current spots, and its liquidation boundaries; or why it cannot be computed. */
export function subaccountMargin(inputs: MarginInputs): SubaccountMargin {
  const { holdings, manager, timestamp, volatility } = inputs;
  const other = holdings.find((h) => manager.address !== null && h.state.manager !== "" && h.state.manager.toLowerCase() !== manager.address.toLowerCase());
  if (other) return { ok: false, reason: `managed by ${other.state.manager}, not the configured StandardManager: portfolio margin (PMRM) is not modelled` };
  const underlyings = [...new Set(holdings.filter((h) => h.state.kind !== "cash").map((h) => lower(h.token)))];
  const params = new Map<string, StandardMarketSettings>(manager.markets.map((m) => [lower(m.underlying), m]));
  for (const u of underlyings) {
    if (!params.has(u)) return { ok: false, reason: `no StandardManager parameters configured for underlying ${u}` };
    if (!inputs.spots.has(u)) return { ok: false, reason: `no usable price for underlying ${u}` };
  }
  const perpless = holdings.find((h) => h.state.kind === "perp" && h.state.perp === null);
  if (perpless) return { ok: false, reason: `perp ${perpless.state.asset}: its position detail (PerpAsset.positions) could not be read` };
  const liveOptions = holdings.some((h) => h.state.kind === "option" && optionFromSubId(h.state.subId).expiry > timestamp && optionFromSubId(h.state.subId).strike !== 0n);
  if (liveOptions && volatility === null) return { ok: false, reason: "no usable volatility for live options: margin not computed" };

  const cash = holdings.filter((h) => h.state.kind === "cash").reduce((s, h) => s + h.state.balance, 0n);
  const stable = inputs.stablePrice ?? WAD;
  const depeg = manager.depeg ? { ...manager.depeg, stablePrice: stable } : undefined;

  const portfolioAt = (spots: Map<string, bigint>): StandardPortfolio | null => {
    const markets: MarketHolding[] = [];
    for (const u of underlyings) {
      const spot = spots.get(u)!;
      const mine = holdings.filter((h) => lower(h.token) === u);
      const expiries = new Map<bigint, ExpiryHolding>();
      let perp: MarketHolding["perp"] = null;
      let basePosition = 0n;
      for (const { state } of mine) {
        if (state.kind === "option") {
          const { expiry, strike, isCall } = optionFromSubId(state.subId);
          // The forward feed is not indexed: forward = spot (docs/protocols/derive.md).
          const mark = optionMark(strike, isCall, expiry, spot, timestamp, volatility);
          if (mark === null) return null;
          const e = expiries.get(expiry) ?? { expiry, forward: spot, options: [] };
          e.options.push({ strike, isCall, balance: state.balance, mark });
          expiries.set(expiry, e);
        } else if (state.kind === "perp") {
          const d = state.perp!;
          // PerpAsset.getUnsettledAndUnrealizedCash: (perpPrice - lastMarkPrice) x size + pnl + funding (perp price = index).
          perp = { position: state.balance, perpPrice: spot, unsettledCash: mulD(spot - d.lastMarkPrice, state.balance) + d.pnl + d.funding };
        } else if (state.kind === "base") {
          basePosition += state.balance;
        }
      }
      markets.push({ params: params.get(u)!, spot, perp, basePosition, expiries: [...expiries.values()] });
    }
    return { cash, markets, depeg };
  };
  const failsAt = (spots: Map<string, bigint>) => {
    const p = portfolioAt(spots);
    return p === null || standardMargin(p, false).margin < 0n;
  };

  const now = portfolioAt(inputs.spots);
  if (now === null) return { ok: false, reason: "an option could not be marked: margin not computed" };
  const mm = standardMargin(now, false);

  // Boundaries are searches over many margin evaluations: run when first read (a stress point asking
  // for equity or liquidatable-now needs none). Already under maintenance, there is no boundary.
  const byUnderlying = (): Map<string, Boundaries> =>
    new Map(mm.margin < 0n ? [] : underlyings.map((u) => [u, priceBoundaries((P) => failsAt(new Map([...inputs.spots, [u, P]])), inputs.spots.get(u)!)]));
  const joint = (): Boundaries => {
    if (mm.margin < 0n || underlyings.length === 0) return { below: null, above: null };
    const moved = (m: bigint) => new Map(underlyings.map((u) => [u, (inputs.spots.get(u)! * (WAD + m)) / WAD]));
    return moveBoundaries((m) => failsAt(moved(m)), WAD);
  };

  const assumptions: string[] = [];
  const kinds = new Set(holdings.map((h) => h.state.kind));
  if (kinds.has("option")) {
    assumptions.push(
      volatility === null
        ? "options at expiry valued at intrinsic on spot (the settlement feed is not indexed)"
        : `options marked by Black76 at the configured volatility ${volatility} (assumed: the SVI vol feed is not indexed) on forward = spot (the forward feed is not indexed)`,
    );
  }
  if (kinds.has("perp")) assumptions.push("perp price taken as the index; funding since the perp's last update is not followed");
  if (kinds.has("perp") || kinds.has("option") || kinds.has("base")) assumptions.push("oracle-confidence contingencies (IM only) not applied");
  return withLazyFields(
    { ok: true as const, maintenance: mm.margin, markToMarket: mm.markToMarket, cash, assumptions },
    { initial: () => standardMargin(now, true).margin, byUnderlying, joint },
  );
}
