import { and, desc, eq, like, lte, or } from "ponder";
import type { AccountRisk, Assessment, AssessContext, OptionRisk, PositionRisk, PositionRow } from "../../core/adapter";
import { abs, ratio, USD_ONE } from "../../core/fixed";
import { markWarning, usableMark } from "../../core/marks";
import { withLazyFields } from "../../core/lazy";
import { lookupMany } from "../../core/memo";
import { deriveAssetDirectory, type DeriveDeployment } from "./contracts";
import { optionFromSubId } from "./encoding";
import { blackScholes, intrinsicValue, SECONDS_PER_YEAR } from "./greeks";
import { decodeState, DERIVE, subaccountPositionPrefix, type DeriveState } from "./normalise";
import { WAD } from "./standard-margin";
import { perpUnsettledCash, subaccountMargin, type SubaccountMargin } from "./subaccount-margin";
import { feedsOf, type DeriveFeeds } from "./feeds";

const BALANCE_ONE = 10n ** 18n;
/** 18-decimal Derive amounts to our 1e30 USD. */
const TO_USD = USD_ONE / WAD;
/** Float model outputs become money at these resolutions: micro-dollars per contract, 1e-12 of delta. */
const PRICE_SCALE = 1e6;
const DELTA_SCALE = 1e12;

const none = {
  collateralUsd: 0n,
  collateralAmount: null,
  unrealizedPnlUsd: null,
  pendingFeesUsd: null,
  leverage: null,
  liquidationPrice: null,
  liquidationDistance: null,
  liquidatableNow: null,
};

/** USD (1e30) of `balance` (18 decimals, signed) units worth `unitUsd` (float USD) each. */
const valueOf = (balance: bigint, unitUsd: number): bigint =>
  (balance * BigInt(Math.round(unitUsd * PRICE_SCALE)) * USD_ONE) / (BALANCE_ONE * BigInt(PRICE_SCALE));

const subaccountKey = (row: PositionRow) => subaccountPositionPrefix(row.chainId, row.venue, decodeState(row).accountId);

/**
 * Every open balance of the subaccounts at the answered block, whatever rows were asked for (the
 * margin is the whole subaccount's): the last history row per position, one statement per chain.
 */
async function holdingsOf(ctx: AssessContext, rows: PositionRow[]): Promise<Map<string, PositionRow[]>> {
  const E = ctx.schema.positionEvent;
  const byChain = new Map<number, Set<string>>();
  for (const row of rows) byChain.set(row.chainId, (byChain.get(row.chainId) ?? new Set()).add(subaccountKey(row)));
  const out = new Map<string, PositionRow[]>();
  for (const [chainId, prefixes] of byChain) {
    const block = ctx.blockByChain.get(chainId)!;
    const keyed = [...prefixes].map((p) => `derive:holdings:${block.number}:${p}`);
    const found = await lookupMany(ctx.lookups, keyed, async (missing) => {
      const wanted = missing.map((k) => k.slice(`derive:holdings:${block.number}:`.length));
      const latest: PositionRow[] = await ctx.db
        .selectDistinctOn([E.positionId])
        .from(E)
        .where(and(eq(E.chainId, chainId), eq(E.protocol, DERIVE), lte(E.blockNumber, block.number), or(...wanted.map((p) => like(E.positionId, `${p}%`)))))
        .orderBy(E.positionId, desc(E.blockNumber), desc(E.logIndex));
      const grouped = new Map<string, PositionRow[]>(missing.map((k) => [k, []]));
      for (const r of latest) if (r.status === "open") grouped.get(`derive:holdings:${block.number}:${subaccountKey(r)}`)?.push(r);
      return grouped;
    });
    for (const [k, v] of found) out.set(k.slice(`derive:holdings:${block.number}:`.length), v ?? []);
  }
  return out;
}

/** The subaccount's margin at the context's prices, or why it is not computed. */
function marginOf(ctx: AssessContext, deployment: DeriveDeployment | undefined, held: PositionRow[], feeds: DeriveFeeds): SubaccountMargin {
  if (!deployment) return { ok: false, reason: "no Derive deployment configured for this subaccount: margin not computed" };
  const { chainId } = held[0]!;
  const states = held.map((row) => ({ state: decodeState(row), token: row.market }));
  const spots = new Map<string, bigint>();
  for (const h of states) {
    const mark = usableMark(ctx.prices(chainId, h.token as `0x${string}`));
    if (mark !== undefined) spots.set(h.token.toLowerCase(), mark / TO_USD);
  }
  const cashToken = deployment.assets.find((a) => a.kind === "cash")?.token;
  const stable = cashToken ? usableMark(ctx.prices(chainId, cashToken)) : undefined;
  return subaccountMargin({
    holdings: states,
    manager: deployment.standardManager,
    portfolioManagers: deployment.portfolioManagers,
    spots,
    stablePrice: stable === undefined ? undefined : stable / TO_USD,
    timestamp: ctx.blockByChain.get(chainId)!.timestamp,
    ...feeds,
  });
}

/** The position's figures with its liquidation figures from its subaccount's margin: the nearer boundary of its underlying. */
function withLiquidation(risk: PositionRisk, margin: SubaccountMargin, row: PositionRow, kind: DeriveState["kind"], mark: bigint | undefined): PositionRisk {
  if (!margin.ok) return { ...risk, liquidationPrice: null, liquidationDistance: null, liquidatableNow: null };
  if (margin.maintenance < 0n) return { ...risk, liquidationPrice: null, liquidationDistance: 0, liquidatableNow: true };
  // Where the price would have to go, only when asked: the boundaries are a search.
  return withLazyFields({ ...risk, liquidatableNow: false }, boundaryOf(margin, row, kind, mark));
}

/** The nearer boundary's price, distance and side, each read from one search of the margin's boundaries. */
function boundaryOf(margin: Extract<SubaccountMargin, { ok: true }>, row: PositionRow, kind: DeriveState["kind"], mark: bigint | undefined) {
  let found: { liquidationPrice: bigint | null; liquidationDistance: number | null; liquidationSide?: "below" | "above" } | undefined;
  const nearest = () => (found ??= nearestBoundary(margin, row, kind, mark));
  return { liquidationPrice: () => nearest().liquidationPrice, liquidationDistance: () => nearest().liquidationDistance, liquidationSide: () => nearest().liquidationSide };
}

function nearestBoundary(margin: Extract<SubaccountMargin, { ok: true }>, row: PositionRow, kind: DeriveState["kind"], mark: bigint | undefined) {
  const b = kind === "cash" ? undefined : margin.byUnderlying.get(row.market.toLowerCase());
  if (!b || mark === undefined) return { liquidationPrice: null, liquidationDistance: null };
  const spot = mark / TO_USD;
  const below = b.below === null ? null : spot - b.below;
  const above = b.above === null ? null : b.above - spot;
  if (below === null && above === null) return { liquidationPrice: null, liquidationDistance: null };
  const side = above === null || (below !== null && below <= above) ? "below" : "above";
  const price = (side === "below" ? b.below! : b.above!) * TO_USD;
  return { liquidationPrice: price, liquidationDistance: ratio(abs(mark - price), mark), liquidationSide: side as "below" | "above" };
}

/** Position figures without margin: cash at its mark, perps by their unsettled cash, base at spot, options by Black-Scholes. */
function valuePosition(ctx: AssessContext, row: PositionRow, feeds: DeriveFeeds): PositionRisk {
  const s = decodeState(row);
  const warnings: string[] = [];
  const block = ctx.blockByChain.get(row.chainId)!;
  const mark = ctx.prices(row.chainId, row.market);
  const issue = markWarning(mark, s.kind === "cash" ? "cash token" : "underlying");
  if (issue) warnings.push(issue);
  const price = usableMark(mark);
  // Contracts x spot: one contract is one whole underlying token.
  const notional = price === undefined ? null : (abs(s.balance) * price) / BALANCE_ONE;
  const base = { sizeInTokens: row.sizeInTokens, notionalUsd: notional, warnings, ...none };

  if (s.kind === "cash" || s.kind === "base") {
    const value = price === undefined ? null : (s.balance * price) / BALANCE_ONE;
    return { ...base, collateralUsd: value === null ? null : value > 0n ? value : 0n, equityUsd: value };
  }
  if (s.kind === "perp") {
    if (s.perp === null || price === undefined) {
      if (s.perp === null) warnings.push("perp position detail (PerpAsset.positions) not read: unsettled PnL and equity unknown");
      return { ...base, equityUsd: null };
    }
    const unsettled = perpUnsettledCash(s, price / TO_USD, feeds.funding(s.asset), block.timestamp) * TO_USD;
    return { ...base, unrealizedPnlUsd: unsettled, equityUsd: unsettled };
  }

  const { expiry, strike, isCall } = optionFromSubId(s.subId);
  const { volatility, assumed, warning } = feeds.volatility(row.market.toLowerCase(), expiry, strike);
  if (warning && expiry > block.timestamp) warnings.push(warning);
  const terms = { expiry, strike: strike * 10n ** 12n, isCall, volatility, volatilityAssumed: assumed };
  const spot = price === undefined ? undefined : Number(price) / Number(USD_ONE);
  const strikeUsd = Number(strike) / 1e18;
  if (expiry <= block.timestamp) {
    // Settles out of exposure at expiry; until the settlement balance change it is worth its intrinsic
    // value, at the forward feed's settlement price once final.
    const { settlement } = feeds.forward(row.market.toLowerCase(), expiry);
    warnings.push(`expired at ${expiry}: out of exposure; valued at intrinsic on ${settlement === null ? "the current mark" : "the settlement price"} until settled`);
    const option: OptionRisk = { ...terms, expired: true, delta: 0, gamma: 0, vega: 0, theta: 0 };
    const at = settlement === null ? spot : Number(settlement) / 1e18;
    const equityUsd = at === undefined ? null : valueOf(s.balance, intrinsicValue(at, strikeUsd, isCall));
    return { ...base, notionalUsd: 0n, netNotionalUsd: 0n, equityUsd, option };
  }
  const unpriced = { ...base, netNotionalUsd: null, equityUsd: null, option: { ...terms, expired: false, delta: null, gamma: null, vega: null, theta: null } };
  if (spot === undefined || volatility === null) return unpriced;
  if (!(strikeUsd > 0)) {
    warnings.push("the option's strike is zero: Black-Scholes does not apply");
    return unpriced;
  }
  const years = Number(expiry - block.timestamp) / SECONDS_PER_YEAR;
  const g = blackScholes({ spot, strike: strikeUsd, years, volatility, isCall });
  const contracts = Number(s.balance) / 1e18;
  const option: OptionRisk = {
    ...terms,
    expired: false,
    delta: g.delta * contracts,
    gamma: g.gamma * contracts,
    vega: g.vega * contracts,
    theta: g.theta * contracts,
  };
  return {
    ...base,
    // Delta-adjusted notional: contracts x delta x spot.
    netNotionalUsd: (s.balance * BigInt(Math.round(g.delta * DELTA_SCALE)) * price!) / (BALANCE_ONE * BigInt(DELTA_SCALE)),
    equityUsd: valueOf(s.balance, g.price),
    option,
  };
}

/**
 * Derive subaccounts: each position valued on its own (greeks, notional), and each subaccount margined
 * as its StandardManager does (getMargin, maintenance and initial), with the nearest price of each
 * underlying (and the joint move) at which maintenance margin turns negative: DutchAuction's start
 * condition. Subaccounts under a configured portfolio manager are margined by PMRM's rule; under an
 * unknown manager, flagged.
 */
export async function assessDerive(ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> {
  const directory = deriveAssetDirectory(ctx.config);
  const held = await holdingsOf(ctx, rows);
  const groups = new Map<string, PositionRow[]>();
  for (const row of rows) groups.set(subaccountKey(row), [...(groups.get(subaccountKey(row)) ?? []), row]);

  const risks = new Map<PositionRow, PositionRisk>();
  const accounts: AccountRisk[] = [];
  for (const [key, group] of groups) {
    const first = group[0]!;
    const deployment = directory(first.chainId, first.venue, decodeState(first).asset)?.deployment;
    const holdings = held.get(key)?.length ? held.get(key)! : group;
    const feeds = await feedsOf(ctx, deployment, holdings);
    const margin = marginOf(ctx, deployment, holdings, feeds);
    for (const row of group) {
      const risk = valuePosition(ctx, row, feeds);
      if (!margin.ok) risk.warnings.push(`subaccount margin: ${margin.reason}`);
      risks.set(row, withLiquidation(risk, margin, row, decodeState(row).kind, usableMark(ctx.prices(row.chainId, row.market))));
    }
    const move = (m: bigint | null) => (m === null ? null : ratio(abs(m), WAD));
    const account = {
      protocol: DERIVE,
      chainId: first.chainId,
      venue: first.venue,
      subaccountId: decodeState(first).accountId,
      healthFactor: null,
      collateralUsd: margin.ok ? margin.markToMarket * TO_USD : null,
      debtUsd: margin.ok ? (margin.cash < 0n ? -margin.cash * TO_USD : 0n) : null,
      liquidationThresholdBps: null,
      maintenanceMarginUsd: margin.ok ? margin.maintenance * TO_USD : null,
      liquidatableNow: margin.ok ? margin.maintenance < 0n : null,
      warnings: margin.ok ? margin.assumptions : [margin.reason],
    };
    // Initial margin and the joint moves are computed when read (the latter is a search).
    accounts.push(
      withLazyFields(account, {
        initialMarginUsd: () => (margin.ok ? margin.initial * TO_USD : null),
        collateralDropToLiquidation: () => (margin.ok ? (margin.maintenance < 0n ? 0 : move(margin.joint.below)) : null),
        priceRiseToLiquidation: () => (margin.ok ? (margin.maintenance < 0n ? 0 : move(margin.joint.above)) : null),
      }),
    );
  }
  return { positions: rows.map((r) => risks.get(r)!), accounts };
}
