import { formatUnits, parseUnits, type Address } from "viem";
import { assetDirectory } from "../src/core/assets";
import { formatUsd, ratio } from "../src/core/fixed";
import type { AccountRisk } from "../src/core/adapter";
import { parseWallet } from "../src/core/errors";
import { breakdownBy, concentration, type TaggedItem } from "../src/core/breakdown";
import type { ExposureTotals } from "../src/core/exposure";
import { gmxV1VaultAt } from "../src/protocols/gmx-v1/vault-query";
import {
  chainHeads,
  portfolioExposure,
  resolveBlocks,
  userError,
  walletExposure,
  type AssessedPosition,
  type At,
  type BlockRef,
  type ExposureDeps,
  type PortfolioExposure,
} from "../src/exposure/service";
import { checkStressQuery, ladderSteps, stressBooks, stressPoints, MAX_STRESS_POINTS, type Shock, type StressPoint } from "../src/exposure/stress";
import { atRiskPositions } from "../src/exposure/at-risk";
import { pageSize } from "../src/exposure/paging";
import { listPositions, type ListArgs } from "../src/exposure/position-list";
import { decodeCursor, encodeCursor } from "../src/core/at-risk";
import { riskStatistics } from "../src/exposure/risk-statistics";
import { BigIntScalar } from "./scalars";

const usd = (value: bigint | null | undefined) => (value === null || value === undefined ? null : formatUsd(value));

/**
 * Each figure resolved only when asked for (the default resolver calls a function field): distances
 * may run liquidation searches, greeks and warnings read every position, and a stress query has
 * totals at every point.
 */
const totals = (t: ExposureTotals, warnings: () => string[]) => ({
  grossNotionalUsd: () => usd(t.grossNotionalUsd),
  netNotional: () => t.netNotional.map((n) => ({ asset: n.asset, longUsd: usd(n.longUsd), shortUsd: usd(n.shortUsd), netUsd: usd(n.netUsd) })),
  optionGreeks: () => t.optionGreeks,
  totalCollateralUsd: () => usd(t.totalCollateralUsd),
  unrealizedPnlUsd: () => usd(t.unrealizedPnlUsd),
  pendingFeesUsd: () => usd(t.pendingFeesUsd),
  equityUsd: () => usd(t.equityUsd),
  leverage: () => t.leverage && ratio(t.leverage.numerator, t.leverage.denominator),
  nearestLiquidationDistance: () => t.nearestLiquidationDistance,
  complete: () => t.complete,
  positionCount: () => t.positionCount,
  warnings,
});
const noWarnings = () => [];

const account = (a: AccountRisk & { account?: string }) => ({
  account: a.account ?? null,
  protocol: a.protocol,
  chainId: a.chainId,
  venue: a.venue,
  healthFactor: a.healthFactor === null ? null : formatUnits(a.healthFactor, 18),
  collateralUsd: usd(a.collateralUsd),
  debtUsd: usd(a.debtUsd),
  liquidationThreshold: a.liquidationThresholdBps === null ? null : Number(a.liquidationThresholdBps) / 10_000,
  collateralDropToLiquidation: a.collateralDropToLiquidation,
  liquidatableNow: a.liquidatableNow,
  subaccountId: a.subaccountId?.toString() ?? null,
  maintenanceMarginUsd: usd(a.maintenanceMarginUsd),
  initialMarginUsd: usd(a.initialMarginUsd),
  priceRiseToLiquidation: a.priceRiseToLiquidation ?? null,
  warnings: a.warnings,
  eModeCategory: a.lendingMode?.eModeCategory ?? null,
  isolationModeCollateral: a.lendingMode?.isolationModeCollateral ?? null,
  marketId: a.isolatedMarket?.id ?? null,
  oraclePrice: a.isolatedMarket?.oraclePrice?.toString() ?? null,
  liquidationOraclePrice: a.isolatedMarket?.liquidationOraclePrice?.toString() ?? null,
  liquidationIncentiveFactor: a.isolatedMarket ? formatUnits(a.isolatedMarket.liquidationIncentiveFactor, 18) : null,
});

const blockRefs = (blocks: BlockRef[]) => blocks.map((b) => ({ chainId: b.chainId, number: b.number, timestamp: b.timestamp }));


/** The `atBlock` / `atTimestamp` arguments as one point in time (null: the indexed head). */
function when(args: { atBlock?: bigint | null; atTimestamp?: bigint | null }): At {
  const block = args.atBlock ?? null;
  const timestamp = args.atTimestamp ?? null;
  if (block !== null && timestamp !== null) throw userError("give atBlock or atTimestamp, not both");
  return block !== null ? { block } : timestamp !== null ? { timestamp } : null;
}

/** A distance bound as the decimal the client wrote (0.05 stays exactly 5%), at 1e18 scale. */
function parseDistance(value: number): bigint {
  if (!Number.isFinite(value) || value < 0 || value > 1_000) throw userError("maxDistance must be a number from 0 to 1000 (0.05 = 5%)");
  const text = String(value);
  return parseUnits(/e/i.test(text) ? value.toFixed(18) : text, 18);
}

/** A fractional move as a decimal string ("-0.25" = -25%), exact to 18 places, above -100%. */
function parseMove(text: string): bigint {
  if (!/^-?\d{1,6}(\.\d{1,18})?$/.test(text)) throw userError(`move '${text.slice(0, 40)}' is not a decimal fraction like "-0.25"`);
  const move = parseUnits(text, 18);
  if (move <= -(10n ** 18n)) throw userError(`move ${text} would take the price to zero or below`);
  return move;
}

function parsePrice(text: string): bigint {
  if (!/^\d{1,30}(\.\d{1,30})?$/.test(text)) throw userError(`price '${text.slice(0, 40)}' is not a positive USD decimal`);
  const price = parseUnits(text, 30);
  if (price === 0n) throw userError("a shocked price must be positive");
  return price;
}

type ShockSeries = { asset: string; moves?: string[] | null; prices?: string[] | null };

/**
 * The points of a stress query. By default one per move or price of each series (that asset alone);
 * with `joint`, the i-th moves of all series together as well; with `grid`, instead, every
 * combination of one shock from each series (7 ETH moves x 7 BTC moves: 49 points).
 */
export function stressScenarios(series: ShockSeries[], { joint = false, grid = false }: { joint?: boolean; grid?: boolean } = {}): Shock[][] {
  if (joint && grid) throw userError("give joint or grid, not both");
  const shocksOf = (s: ShockSeries): Shock[] => [
    ...(s.moves ?? []).map((m) => ({ asset: s.asset, move: parseMove(m) })),
    ...(s.prices ?? []).map((p) => ({ asset: s.asset, price: parsePrice(p) })),
  ];
  if (grid) {
    // Counted before it is built: a few long series would otherwise multiply into millions of points.
    const count = series.reduce((n, s) => n * ((s.moves?.length ?? 0) + (s.prices?.length ?? 0)), 1);
    if (count > MAX_STRESS_POINTS) throw userError(`a grid of ${count} points; at most ${MAX_STRESS_POINTS} stress points per query`);
    if (count === 0) return [];
    return series.reduce<Shock[][]>((points, s) => points.flatMap((point) => shocksOf(s).map((shock) => [...point, shock])), [[]]);
  }
  const points: Shock[][] = series.flatMap((s) => shocksOf(s).map((shock) => [shock]));
  if (joint) {
    const length = series[0]?.moves?.length ?? 0;
    if (series.some((s) => (s.moves?.length ?? 0) !== length)) throw userError("joint shocks need the same number of moves in every series");
    for (let i = 0; i < length; i++) points.push(series.map((s) => ({ asset: s.asset, move: parseMove(s.moves![i]!) })));
  }
  return points;
}

const breakdowns = (items: TaggedItem[], keyOf: (i: TaggedItem) => string) =>
  breakdownBy(items, keyOf).map((b) => ({ key: b.key, positionCount: b.positionCount, totals: totals(b.totals, noWarnings) }));

export function createResolvers(deps: ExposureDeps) {
  // Per request (its context): a stress and a ladder of the same wallets in one query load them once.
  const books = new WeakMap<object, ReturnType<typeof stressBooks>>();
  const booksOf = (context: object) => books.get(context) ?? books.set(context, stressBooks(deps)).get(context)!;
  const assets = assetDirectory(deps.config);
  const asset = (chainId: number, address: Address) => {
    const known = assets.get(chainId, address);
    return { chainId, address, symbol: known?.symbol ?? null, decimals: known?.decimals ?? null };
  };
  const tokens = (amount: bigint | null, chainId: number, address: Address) => {
    const decimals = assets.get(chainId, address)?.decimals;
    return amount === null || decimals === undefined ? null : formatUnits(amount, decimals);
  };

  // Fields that take work (formatting, lookups) are functions, which GraphQL calls only when asked for.
  const position = ({ row, risk, mark }: AssessedPosition) => ({
    id: row.positionId,
    chainId: row.chainId,
    protocol: row.protocol,
    venue: row.venue,
    positionKey: row.positionKey,
    account: row.account,
    market: () => asset(row.chainId, row.market),
    side: row.isLong ? "LONG" : "SHORT",
    status: row.status,
    sizeUsd: () => usd(row.sizeUsd),
    sizeInTokens: () => tokens(risk.sizeInTokens, row.chainId, row.market),
    notionalUsd: () => usd(risk.notionalUsd),
    collateral: () => ({
      token: asset(row.chainId, row.collateralToken),
      amount: tokens(risk.collateralAmount, row.chainId, row.collateralToken),
      usd: usd(risk.collateralUsd),
    }),
    entryPrice: () => usd(row.entryPrice),
    markPrice: () => mark && { usd: formatUsd(mark.price), updatedAt: mark.updatedAt, feed: mark.feed, stale: mark.stale },
    leverage: risk.leverage,
    unrealizedPnlUsd: () => usd(risk.unrealizedPnlUsd),
    realisedPnlUsd: () => usd(row.realisedPnlUsd),
    equityUsd: () => usd(risk.equityUsd),
    pendingFeesUsd: () => usd(risk.pendingFeesUsd),
    liquidationPrice: () => usd(risk.liquidationPrice),
    liquidationDistance: risk.liquidationDistance,
    liquidatableNow: risk.liquidatableNow,
    netNotionalUsd: () =>
      risk.netNotionalUsd === undefined ? usd(risk.notionalUsd === null ? null : row.isLong ? risk.notionalUsd : -risk.notionalUsd) : usd(risk.netNotionalUsd),
    option: () => risk.option && { ...risk.option, strike: formatUsd(risk.option.strike), type: risk.option.isCall ? "CALL" : "PUT" },
    openedBlock: row.openedBlock,
    openedAt: row.openedAt,
    updatedBlock: row.updatedBlock,
    updatedAt: row.updatedAt,
    warnings: risk.warnings,
  });

  /** A positions field with where / orderBy / first / after, as a list and as a page. */
  const positionFields = (positions: AssessedPosition[]) => {
    const page = (args: ListArgs) => {
      const list = listPositions(positions, ({ row }) => assets.symbol(row.chainId, row.market), args);
      return { ...list, items: list.items.map(position) };
    };
    return { positions: (args: ListArgs) => page(args).items, positionPage: page };
  };

  const stressPoint = ({ shocks, exposure: p, liquidatable }: StressPoint, base: PortfolioExposure) => ({
    shocks: shocks.map((s) => ({ asset: s.asset, move: s.move === undefined ? null : formatUnits(s.move, 18), priceUsd: usd(s.price) })),
    totals: () => totals(p.totals, () => p.warnings),
    pnlUsd: () => (p.totals.equityUsd === null || base.totals.equityUsd === null ? null : formatUsd(p.totals.equityUsd - base.totals.equityUsd)),
    // The positions a protocol would liquidate at the point, largest first, and their notional and margin.
    liquidatable: () => p.positions.filter((x) => x.risk.liquidatableNow === true).map(position),
    liquidatableNotionalUsd: () => usd(liquidatable.notionalUsd),
    liquidatableCollateralUsd: () => usd(liquidatable.collateralUsd),
    accounts: () => p.accounts.map(account),
  });

  return {
    BigInt: BigIntScalar,
    Query: {
      chains: async () =>
        (await chainHeads(deps)).map((h) => ({ chainId: h.chainId, name: h.name, blockNumber: h.number, blockTimestamp: h.timestamp })),
      wallet: async (_: unknown, args: { address: string; atBlock?: bigint | null; atTimestamp?: bigint | null; chainId?: number | null }) => {
        const w = await walletExposure(deps, args.address, when(args), args.chainId ?? null);
        return {
          address: w.address,
          blocks: blockRefs(w.blocks),
          ...positionFields(w.positions),
          accounts: w.accounts.map(account),
          totals: totals(w.totals, () => w.warnings),
        };
      },
      stress: async (
        _: unknown,
        args: {
          portfolio?: string | null;
          wallets?: string[] | null;
          shocks: ShockSeries[];
          joint?: boolean | null;
          grid?: boolean | null;
          volatilityShift?: number | null;
          atBlock?: bigint | null;
          atTimestamp?: bigint | null;
          chainId?: number | null;
        },
        context: object,
      ) => {
        const scenarios = stressScenarios(args.shocks, { joint: args.joint ?? false, grid: args.grid ?? false });
        const volatilityShift = args.volatilityShift ?? 0;
        if (!Number.isFinite(volatilityShift) || Math.abs(volatilityShift) > 5) throw userError("volatilityShift must be between -5 and 5 (0.1 = +10 vol points)");
        const selector = { name: args.portfolio, wallets: args.wallets };
        checkStressQuery(deps, selector, scenarios);
        const { base, points } = await stressPoints(await booksOf(context)(selector, when(args), args.chainId ?? null), scenarios, volatilityShift);
        return {
          blocks: blockRefs(base.exposure.blocks),
          base: stressPoint(base, base.exposure),
          points: points.map((p) => stressPoint(p, base.exposure)),
        };
      },
      risk: async (
        _: unknown,
        args: { portfolio?: string | null; wallets?: string[] | null; window: number; interval: number; atBlock?: bigint | null; atTimestamp?: bigint | null; chainId?: number | null },
      ) => {
        const r = await riskStatistics(deps, { name: args.portfolio, wallets: args.wallets }, args.window, args.interval, when(args), args.chainId ?? null);
        const cents = (x: number | null) => (x === null ? null : x.toFixed(2));
        return {
          ...r,
          blocks: blockRefs(r.blocks),
          from: BigInt(r.from),
          to: BigInt(r.to),
          assets: r.assets.map((a) => ({ ...a, exposureUsd: usd(a.exposureUsd) })),
          oneDayVolatilityUsd: cents(r.oneDayVolatilityUsd),
          valueAtRisk99Usd: cents(r.valueAtRisk99Usd),
        };
      },
      ladder: async (
        _: unknown,
        args: { portfolio?: string | null; wallets?: string[] | null; asset: string; steps?: number | null; atBlock?: bigint | null; atTimestamp?: bigint | null; chainId?: number | null },
        context: object,
      ) => {
        const steps = args.steps ?? 50;
        if (!Number.isInteger(steps) || steps < 1 || steps > 100) throw userError("steps must be a whole number from 1 to 100");
        const moves = Array.from({ length: steps }, (_, i) => i + 1).flatMap((pct) => [-pct, pct]).sort((x, y) => x - y);
        const scenarios = moves.map((pct) => [{ asset: args.asset, move: (BigInt(pct) * 10n ** 18n) / 100n }]);
        const selector = { name: args.portfolio, wallets: args.wallets };
        checkStressQuery(deps, selector, scenarios);
        const ladder = await ladderSteps(await booksOf(context)(selector, when(args), args.chainId ?? null), scenarios);
        return ladder.map((l, i) => ({
          move: moves[i]! / 100,
          liquidatableCount: l.count,
          liquidatableNotionalUsd: usd(l.notionalUsd),
          liquidatableCollateralUsd: usd(l.collateralUsd),
        }));
      },
      gmxV1Vault: async (_: unknown, args: { vault: string; chainId?: number | null; atBlock?: bigint | null; atTimestamp?: bigint | null }) => {
        const [block] = await resolveBlocks(deps, when(args), args.chainId ?? null);
        const v = await gmxV1VaultAt(deps.db, deps.schema, deps.config, block!.chainId, parseWallet(args.vault), block!.number);
        if (!v) return null;
        const tokens = v.tokens.map((t) => ({ ...t, minPriceUsd: usd(t.minPrice), maxPriceUsd: usd(t.maxPrice) }));
        return { ...v, block: blockRefs([block!])[0], liquidationFeeUsd: usd(v.liquidationFeeUsd), tokens };
      },
      atRisk: async (
        _: unknown,
        args: {
          maxDistance: number;
          protocol?: string | null;
          asset?: string | null;
          chainId?: number | null;
          first?: number | null;
          after?: string | null;
          atBlock?: bigint | null;
          atTimestamp?: bigint | null;
        },
      ) => {
        const first = pageSize(args.first ?? 50);
        const after = args.after === undefined || args.after === null ? null : decodeCursor(args.after);
        if (args.after && after === null) throw userError("after is not a cursor this feed gave (pageInfo.endCursor)");
        const page = await atRiskPositions(deps, {
          maxDistance: parseDistance(args.maxDistance),
          protocol: args.protocol ?? null,
          asset: args.asset ?? null,
          chainId: args.chainId ?? null,
          first,
          after,
          at: when(args),
        });
        const last = page.items.at(-1);
        return {
          blocks: blockRefs(page.blocks),
          items: page.items.map(position),
          pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? encodeCursor(last.key) : null },
          warnings: page.warnings,
        };
      },
      portfolios: () => Object.entries(deps.config.portfolios).map(([name, wallets]) => ({ name, wallets })),
      portfolio: async (
        _: unknown,
        args: { name?: string | null; wallets?: string[] | null; atBlock?: bigint | null; atTimestamp?: bigint | null; chainId?: number | null },
      ) => {
        const p = await portfolioExposure(deps, { name: args.name, wallets: args.wallets }, when(args), args.chainId ?? null);
        return {
          name: p.name,
          wallets: p.wallets.map((w) => w.address),
          blocks: blockRefs(p.blocks),
          totals: () => totals(p.totals, () => p.warnings),
          byAsset: () => breakdowns(p.items, (i) => i.asset),
          byProtocol: () => breakdowns(p.items, (i) => i.protocol),
          byChain: () => breakdowns(p.items, (i) => String(i.chainId)),
          byWallet: () => p.wallets.map((w) => ({ key: w.address, positionCount: w.positions.length, totals: totals(w.totals, noWarnings) })),
          concentration: () => {
            const c = concentration(p.items, p.totals.grossNotionalUsd);
            return {
              largestPosition: c.largestPosition && { ...c.largestPosition, notionalUsd: formatUsd(c.largestPosition.notionalUsd) },
              largestAsset: c.largestAsset && { ...c.largestAsset, grossUsd: formatUsd(c.largestAsset.grossUsd) },
            };
          },
          ...positionFields(p.positions),
          accounts: () => p.accounts.map(account),
        };
      },
    },
  };
}
