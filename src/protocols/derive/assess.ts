import { and, desc, eq, like, lte, or } from "ponder";
import type { AccountRisk, Assessment, AssessContext, OptionRisk, PositionRisk, PositionRow, PreparedAssessment } from "../../core/adapter";
import { abs, ratio, USD_ONE } from "../../core/fixed";
import { markWarning, usableMark } from "../../core/marks";
import { lazyFields } from "../../core/lazy";
import { lookupMany } from "../../core/memo";
import { deriveAssetDirectory, type DeriveDeployment } from "./contracts";
import { optionFromSubId } from "./encoding";
import { blackScholes, intrinsicValue, SECONDS_PER_YEAR } from "./greeks";
import { decodeState, DERIVE, subaccountPositionPrefix, type DeriveState } from "./normalise";
import { WAD } from "./standard-margin";
import { perpUnsettledCash, subaccountMargin, type Holding, type SubaccountMargin } from "./subaccount-margin";
import { feedsOf, type DeriveFeeds } from "./feeds";

/** A position's figures; the liquidation point nearest the mark (a search over the subaccount's margin) is worked out when read. */
type LazyLiquidation = "liquidationPrice" | "liquidationDistance" | "liquidationSide";
const RiskWithLazyLiquidation = lazyFields<Omit<PositionRisk, LazyLiquidation>, Pick<PositionRisk, LazyLiquidation>>(["liquidationPrice", "liquidationDistance", "liquidationSide"]);
/** A subaccount's figures; its initial margin and the joint moves to liquidation are worked out when read. */
type LazyMargin = "initialMarginUsd" | "collateralDropToLiquidation" | "priceRiseToLiquidation";
const AccountWithLazyMargin = lazyFields<Omit<AccountRisk, LazyMargin>, Pick<AccountRisk, LazyMargin>>(["initialMarginUsd", "collateralDropToLiquidation", "priceRiseToLiquidation"]);

const BALANCE_ONE = 10n ** 18n;
/** 18-decimal Derive amounts to our 1e30 USD. */
const TO_USD = USD_ONE / WAD;
/** Float model outputs become money at these resolutions: micro-dollars per contract, 1e-12 of delta. */
const PRICE_SCALE = 1e6;
const DELTA_SCALE = 1e12;

/** USD (1e30) of `balance` (18 decimals, signed) units worth `unitUsd` (float USD) each. */
const valueOf = (balance: bigint, unitUsd: number): bigint =>
  (balance * BigInt(Math.round(unitUsd * PRICE_SCALE)) * USD_ONE) / (BALANCE_ONE * BigInt(PRICE_SCALE));

/** The marks of a scenario at the answer's blocks: what a subaccount's figures are computed from. */
type Priced = Pick<AssessContext, "prices" | "blockByChain">;

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
function marginOf(ctx: Priced, deployment: DeriveDeployment | undefined, chainId: number, states: Holding[], feeds: DeriveFeeds): SubaccountMargin {
  if (!deployment) return { ok: false, reason: "no Derive deployment configured for this subaccount: margin not computed" };
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

/** A position's liquidation figures from its subaccount's margin: the nearer boundary of its underlying, searched for when first read. */
type Liquidation = { now: boolean | null; nearest: () => ReturnType<typeof nearestBoundary> };

const unknownLiquidation: Liquidation = { now: null, nearest: () => ({ liquidationPrice: null, liquidationDistance: null }) };
const underMaintenance: Liquidation = { now: true, nearest: () => ({ liquidationPrice: null, liquidationDistance: 0 }) };

function liquidationOf(margin: SubaccountMargin, row: PositionRow, kind: DeriveState["kind"], mark: bigint | undefined): Liquidation {
  if (!margin.ok) return unknownLiquidation;
  if (margin.maintenance < 0n) return underMaintenance;
  let found: ReturnType<typeof nearestBoundary> | undefined;
  return { now: false, nearest: () => (found ??= nearestBoundary(margin, row, kind, mark)) };
}

function nearestBoundary(
  margin: Extract<SubaccountMargin, { ok: true }>,
  row: PositionRow,
  kind: DeriveState["kind"],
  mark: bigint | undefined,
): { liquidationPrice: bigint | null; liquidationDistance: number | null; liquidationSide?: "below" | "above" } {
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

/** Position figures (liquidation ones from its subaccount's margin): cash at its mark, perps by their unsettled cash, base at spot, options by Black-Scholes. */
function valuePosition(ctx: Priced, row: PositionRow, s: DeriveState, feeds: DeriveFeeds, liquidation: Liquidation): PositionRisk {
  const warnings: string[] = [];
  const block = ctx.blockByChain.get(row.chainId)!;
  const mark = ctx.prices(row.chainId, row.market);
  const issue = markWarning(mark, s.kind === "cash" ? "cash token" : "underlying");
  if (issue) warnings.push(issue);
  const price = usableMark(mark);
  // Contracts x spot: one contract is one whole underlying token.
  const notional = price === undefined ? null : (abs(s.balance) * price) / BALANCE_ONE;
  // Every figure in one object, without spreads: they cost more than the model here, and a stress point values each position at every point.
  type Figures = Pick<PositionRisk, "collateralUsd" | "unrealizedPnlUsd" | "equityUsd" | "netNotionalUsd" | "option"> & { notionalUsd?: bigint };
  const nearest = {
    liquidationPrice: () => liquidation.nearest().liquidationPrice,
    liquidationDistance: () => liquidation.nearest().liquidationDistance,
    liquidationSide: () => liquidation.nearest().liquidationSide,
  };
  const figures = (f: Figures): PositionRisk =>
    new RiskWithLazyLiquidation(
      {
        sizeInTokens: row.sizeInTokens,
        notionalUsd: f.notionalUsd ?? notional,
        collateralUsd: f.collateralUsd,
        collateralAmount: null,
        unrealizedPnlUsd: f.unrealizedPnlUsd,
        pendingFeesUsd: null,
        leverage: null,
        liquidatableNow: liquidation.now,
        equityUsd: f.equityUsd,
        netNotionalUsd: f.netNotionalUsd,
        option: f.option,
        warnings,
      },
      nearest,
    );

  if (s.kind === "cash" || s.kind === "base") {
    const value = price === undefined ? null : (s.balance * price) / BALANCE_ONE;
    return figures({ collateralUsd: value === null ? null : value > 0n ? value : 0n, unrealizedPnlUsd: null, equityUsd: value });
  }
  if (s.kind === "perp") {
    if (s.perp === null || price === undefined) {
      if (s.perp === null) warnings.push("perp position detail (PerpAsset.positions) not read: unsettled PnL and equity unknown");
      return figures({ collateralUsd: 0n, unrealizedPnlUsd: null, equityUsd: null });
    }
    const unsettled = perpUnsettledCash(s, price / TO_USD, feeds.funding(s.asset), block.timestamp) * TO_USD;
    return figures({ collateralUsd: 0n, unrealizedPnlUsd: unsettled, equityUsd: unsettled });
  }

  const { expiry, strike, isCall } = optionFromSubId(s.subId);
  const { volatility, assumed, warning } = feeds.volatility(row.market.toLowerCase(), expiry, strike);
  if (warning && expiry > block.timestamp) warnings.push(warning);
  const option = (expired: boolean, delta: number | null, gamma: number | null, vega: number | null, theta: number | null): OptionRisk => ({
    expiry,
    strike: strike * 10n ** 12n,
    isCall,
    volatility,
    volatilityAssumed: assumed,
    expired,
    delta,
    gamma,
    vega,
    theta,
  });
  const optionFigures = (f: Pick<PositionRisk, "equityUsd" | "netNotionalUsd"> & { notionalUsd?: bigint; option: OptionRisk }) =>
    figures({ notionalUsd: f.notionalUsd, netNotionalUsd: f.netNotionalUsd, equityUsd: f.equityUsd, option: f.option, collateralUsd: 0n, unrealizedPnlUsd: null });
  const spot = price === undefined ? undefined : Number(price) / Number(USD_ONE);
  const strikeUsd = Number(strike) / 1e18;
  if (expiry <= block.timestamp) {
    // Settles out of exposure at expiry; until the settlement balance change it is worth its intrinsic
    // value, at the forward feed's settlement price once final.
    const { settlement } = feeds.forward(row.market.toLowerCase(), expiry);
    warnings.push(`expired at ${expiry}: out of exposure; valued at intrinsic on ${settlement === null ? "the current mark" : "the settlement price"} until settled`);
    const at = settlement === null ? spot : Number(settlement) / 1e18;
    const equityUsd = at === undefined ? null : valueOf(s.balance, intrinsicValue(at, strikeUsd, isCall));
    return optionFigures({ notionalUsd: 0n, netNotionalUsd: 0n, equityUsd, option: option(true, 0, 0, 0, 0) });
  }
  const unpriced = () => optionFigures({ netNotionalUsd: null, equityUsd: null, option: option(false, null, null, null, null) });
  if (spot === undefined || volatility === null) return unpriced();
  if (!(strikeUsd > 0)) {
    warnings.push("the option's strike is zero: Black-Scholes does not apply");
    return unpriced();
  }
  const years = Number(expiry - block.timestamp) / SECONDS_PER_YEAR;
  const g = blackScholes({ spot, strike: strikeUsd, years, volatility, isCall });
  const contracts = Number(s.balance) / 1e18;
  return optionFigures({
    // Delta-adjusted notional: contracts x delta x spot.
    netNotionalUsd: (s.balance * BigInt(Math.round(g.delta * DELTA_SCALE)) * price!) / (BALANCE_ONE * BigInt(DELTA_SCALE)),
    equityUsd: valueOf(s.balance, g.price),
    option: option(false, g.delta * contracts, g.gamma * contracts, g.vega * contracts, g.theta * contracts),
  });
}

/**
 * Derive subaccounts: each position valued on its own (greeks, notional), and each subaccount margined
 * as its StandardManager does (getMargin, maintenance and initial), with the nearest price of each
 * underlying (and the joint move) at which maintenance margin turns negative: DutchAuction's start
 * condition. Subaccounts under a configured portfolio manager are margined by PMRM's rule; under an
 * unknown manager, flagged.
 */
export const assessDerive = async (ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> => (await prepareDerive(ctx, rows))(ctx);

/** assessDerive with the subaccounts' holdings and feeds at the block loaded: their figures at any scenario. */
export async function prepareDerive(ctx: AssessContext, rows: PositionRow[]): Promise<PreparedAssessment> {
  const directory = deriveAssetDirectory(ctx.config);
  const held = await holdingsOf(ctx, rows);
  const groups = new Map<string, PositionRow[]>();
  for (const row of rows) groups.set(subaccountKey(row), [...(groups.get(subaccountKey(row)) ?? []), row]);
  const subaccounts = await Promise.all(
    [...groups].map(async ([key, group]) => {
      const first = group[0]!;
      const deployment = directory(first.chainId, first.venue, decodeState(first).asset)?.deployment;
      const holdings = held.get(key)?.length ? held.get(key)! : group;
      // Decoded once: the rule runs at every point of a stress query.
      const states = holdings.map((row) => ({ state: decodeState(row), token: row.market }));
      const positions = group.map((row) => ({ row, state: decodeState(row) }));
      return { first, positions, deployment, states, feedsAt: await feedsOf(ctx, deployment, holdings) };
    }),
  );

  // A subaccount's margin at a scenario, and each of its positions' liquidation state under it.
  const marginAt = (at: Priced, shift: number, { first, deployment, states, feedsAt }: (typeof subaccounts)[number]) => {
    const feeds = feedsAt(shift);
    return { feeds, margin: marginOf(at, deployment, first.chainId, states, feeds) };
  };
  const liquidationAt = (at: Priced, margin: SubaccountMargin, { row, state }: { row: PositionRow; state: DeriveState }) =>
    liquidationOf(margin, row, state.kind, usableMark(at.prices(row.chainId, row.market)));
  const riskOf = (at: Priced, feeds: DeriveFeeds, margin: SubaccountMargin, { row, state }: { row: PositionRow; state: DeriveState }, liquidation: Liquidation) => {
    const risk = valuePosition(at, row, state, feeds, liquidation);
    if (!margin.ok) risk.warnings.push(`subaccount margin: ${margin.reason}`);
    return risk;
  };

  const prepared: PreparedAssessment = (scenario) => {
    const at: Priced = { prices: scenario.prices, blockByChain: ctx.blockByChain };
    const risks = new Map<PositionRow, PositionRisk>();
    const accounts: AccountRisk[] = [];
    for (const subaccount of subaccounts) {
      const { first, positions } = subaccount;
      const { feeds, margin } = marginAt(at, scenario.volatilityShift ?? 0, subaccount);
      for (const position of positions) risks.set(position.row, riskOf(at, feeds, margin, position, liquidationAt(at, margin, position)));
      const move = (m: bigint | null) => (m === null ? null : ratio(abs(m), WAD));
      // Initial margin and the joint moves are worked out when read (the latter is a search; the margin keeps both).
      accounts.push(
        new AccountWithLazyMargin(
          {
            protocol: DERIVE,
            chainId: first.chainId,
            venue: first.venue,
            subaccountId: positions[0]!.state.accountId,
            healthFactor: null,
            collateralUsd: margin.ok ? margin.markToMarket * TO_USD : null,
            debtUsd: margin.ok ? (margin.cash < 0n ? -margin.cash * TO_USD : 0n) : null,
            liquidationThresholdBps: null,
            maintenanceMarginUsd: margin.ok ? margin.maintenance * TO_USD : null,
            liquidatableNow: margin.ok ? margin.maintenance < 0n : null,
            warnings: margin.ok ? margin.assumptions : [margin.reason],
          },
          {
            initialMarginUsd: () => (margin.ok ? margin.initial * TO_USD : null),
            collateralDropToLiquidation: () => (margin.ok ? (margin.maintenance < 0n ? 0 : move(margin.joint.below)) : null),
            priceRiseToLiquidation: () => (margin.ok ? (margin.maintenance < 0n ? 0 : move(margin.joint.above)) : null),
          },
        ),
      );
    }
    return { positions: rows.map((r) => risks.get(r)!), accounts };
  };
  // Only a position its subaccount's margin liquidates needs its figures.
  prepared.liquidatable = (scenario, into) => {
    const at: Priced = { prices: scenario.prices, blockByChain: ctx.blockByChain };
    for (const subaccount of subaccounts) {
      const { feeds, margin } = marginAt(at, scenario.volatilityShift ?? 0, subaccount);
      for (const position of subaccount.positions) {
        const liquidation = liquidationAt(at, margin, position);
        if (liquidation.now === true) into.addMarked([riskOf(at, feeds, margin, position, liquidation)]);
      }
    }
  };
  return prepared;
}
