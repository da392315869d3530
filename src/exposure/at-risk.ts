import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or, sql } from "ponder";
import type { Address } from "viem";
import type { PositionRow, PriceBook, ProtocolAdapter } from "../core/adapter";
import {
  alwaysKey,
  compareDistance,
  distanceKey,
  isWithin,
  LEVEL_ALWAYS_LONG,
  levelBound,
  resumeLevel,
  type DistanceKey,
} from "../core/at-risk";
import { assetDirectory } from "../core/assets";
import { rowsOf } from "../core/db";
import { usableMark } from "../core/marks";
import { protocolAdapters } from "../protocols";
import {
  assessPositions,
  priceBook,
  resolveBlocks,
  userError,
  type AssessedPosition,
  type At,
  type BlockRef,
  type ExposureDeps,
} from "./service";

export type AtRiskQuery = {
  /** 1e18 = 100%. */
  maxDistance: bigint;
  protocol: string | null;
  asset: string | null;
  chainId: number | null;
  first: number;
  after: DistanceKey | null;
  at: At;
};

export type AtRiskItem = AssessedPosition & { key: DistanceKey };
export type AtRiskPage = { blocks: BlockRef[]; items: AtRiskItem[]; hasNextPage: boolean; warnings: string[] };

/** The adapters a query covers: one by id, or all that the config deploys. */
function adaptersFor(deps: ExposureDeps, protocol: string | null): ProtocolAdapter[] {
  if (protocol === null) return protocolAdapters.filter((a) => deps.config.protocols[a.id] !== undefined);
  const adapter = protocolAdapters.find((a) => a.id === protocol);
  if (!adapter) throw userError(`unknown protocol '${protocol.slice(0, 40)}' (known: ${protocolAdapters.map((a) => a.id).join(", ")})`);
  return [adapter];
}

/** The configured markets of a chain, or those with the given symbol. */
function marketsOn(deps: ExposureDeps, chainId: number, symbol: string | null): Address[] {
  const assets = assetDirectory(deps.config).onChain(chainId);
  return assets.filter((a) => symbol === null || a.symbol === symbol).map((a) => a.address.toLowerCase() as Address);
}

/**
 * One (market, side) of an adapter that keeps levels: the open positions within the bound, nearest
 * first, after the cursor, at most `limit` (id and level only). Levels are exact at the head, so this
 * order is the feed's.
 */
function scanLevels(deps: ExposureDeps, adapterId: string, chainId: number, market: Address, isLong: boolean, mark: bigint, q: AtRiskQuery, limit: number) {
  const P = deps.schema.position;
  const level = P.liquidationLevel;
  const conditions = [
    eq(P.chainId, chainId),
    eq(P.protocol, adapterId),
    eq(P.market, market),
    eq(P.isLong, isLong),
    eq(P.status, "open"),
    isLong ? gte(level, levelBound(true, mark, q.maxDistance)) : lte(level, levelBound(false, mark, q.maxDistance)),
  ];
  const always = isLong ? LEVEL_ALWAYS_LONG : 0n;
  const priced = isLong ? lt(level, always) : gt(level, always);
  const after = q.after;
  if (after) {
    // Rows at exactly the cursor's distance come after it as compareTie says.
    const atCursorLevel = (at: bigint) => {
      const sameLevel = eq(level, at);
      if (isLong !== after.isLong) return isLong ? undefined : sameLevel;
      return and(sameLevel, isLong ? lt(P.positionId, after.positionId) : gt(P.positionId, after.positionId));
    };
    if (after.always) {
      conditions.push(or(priced, atCursorLevel(always))!);
    } else {
      const resume = resumeLevel(isLong, mark, after);
      const past = and(priced, isLong ? lt(level, resume.level) : gt(level, resume.level))!;
      conditions.push(resume.inclusive ? or(past, atCursorLevel(resume.level))! : past);
    }
  }
  // The index (market, side, status, level, id) read backward for longs, forward for shorts: no sort.
  return deps.db
    .select({ id: P.id, positionId: P.positionId, level, isLong: P.isLong, market: P.market, chainId: P.chainId })
    .from(P)
    .where(and(...conditions))
    .orderBy(...(isLong ? [desc(level), desc(P.positionId)] : [asc(level), asc(P.positionId)]))
    .limit(limit);
}

type LevelScan = { query: unknown; chainId: number; market: Address; mark: bigint };

/**
 * Every (market, side) scan of the adapters that keep levels in one statement, ranked here on the
 * stored levels; then only the page's rows (first + 1) are read in full. Returns them and their keys.
 */
async function rankLevels(deps: ExposureDeps, scans: LevelScan[], first: number): Promise<{ rows: PositionRow[]; keys: Map<string, DistanceKey> }> {
  if (scans.length === 0) return { rows: [], keys: new Map() };
  const markOf = new Map(scans.map((s) => [`${s.chainId}:${s.market}`, s.mark]));
  const result = await deps.db.execute(sql.join(scans.map((s) => sql`(${s.query})`), sql` UNION ALL `));
  const found = rowsOf<{ id: string; position_id: string; liquidation_level: unknown; is_long: boolean; market: string; chain_id: number }>(result);
  const ranked = found.map((r) => {
    const level = BigInt(String(r.liquidation_level));
    const always = r.is_long ? level === LEVEL_ALWAYS_LONG : level === 0n;
    const mark = markOf.get(`${r.chain_id}:${r.market}`)!;
    return { id: r.id, key: always ? alwaysKey(r.position_id, r.is_long) : distanceKey(r.position_id, r.is_long, level, mark) };
  });
  ranked.sort((a, b) => compareDistance(a.key, b.key));
  const page = ranked.slice(0, first + 1);
  if (page.length === 0) return { rows: [], keys: new Map() };
  const P = deps.schema.position;
  const rows: PositionRow[] = await deps.db.select().from(P).where(inArray(P.id, page.map((r) => r.id)));
  return { rows, keys: new Map(page.map((r) => [r.key.positionId, r.key])) };
}

/** Every open position of the adapters at the head, or (history) at the block. */
async function openPositions(deps: ExposureDeps, adapterIds: string[], block: BlockRef, atHead: boolean, markets: Address[]): Promise<PositionRow[]> {
  if (adapterIds.length === 0 || markets.length === 0) return [];
  if (atHead) {
    const P = deps.schema.position;
    return deps.db
      .select()
      .from(P)
      .where(and(eq(P.chainId, block.chainId), inArray(P.protocol, adapterIds), eq(P.status, "open"), inArray(P.market, markets)));
  }
  const E = deps.schema.positionEvent;
  const latest: PositionRow[] = await deps.db
    .selectDistinctOn([E.positionId])
    .from(E)
    .where(and(eq(E.chainId, block.chainId), inArray(E.protocol, adapterIds), lte(E.blockNumber, block.number), inArray(E.market, markets)))
    .orderBy(E.positionId, desc(E.blockNumber), desc(E.logIndex));
  return latest.filter((r) => r.status === "open");
}

/** The feed's key of an assessed position, or null when it has no known distance. */
function keyOf({ row, risk, mark }: AssessedPosition): DistanceKey | null {
  if (risk.liquidationDistance === null) return null;
  // A cross-margined position says on which side of the mark its liquidation lies.
  const below = risk.liquidationSide === undefined ? row.isLong : risk.liquidationSide === "below";
  if (risk.liquidationPrice === null) return alwaysKey(row.positionId, below);
  const price = usableMark(mark);
  return price === undefined ? null : distanceKey(row.positionId, below, risk.liquidationPrice, price);
}

/**
 * Every open position within `maxDistance` of liquidation, nearest first, one page after the cursor.
 * At the head, adapters that keep levels are range-scanned per market and side (first + 1 rows each,
 * ranked together on the stored levels; only the page is read in full); the others, and every adapter
 * at a past block, are assessed in full. Each candidate is then assessed by its protocol's own rule,
 * and the page is cut on that exact answer.
 */
export async function atRiskPositions(deps: ExposureDeps, q: AtRiskQuery): Promise<AtRiskPage> {
  const blocks = await resolveBlocks(deps, q.at, q.chainId);
  const atHead = q.at === null;
  const warnings: string[] = [];
  const adapters = adaptersFor(deps, q.protocol).filter((a) => {
    if (a.withoutLiquidationPrices) warnings.push(`${a.id} positions have no liquidation price (margin not modelled) and are not listed`);
    return !a.withoutLiquidationPrices;
  });
  const marketsByChain = new Map(blocks.map((b) => [b.chainId, marketsOn(deps, b.chainId, q.asset)]));
  if (q.asset !== null && [...marketsByChain.values()].every((m) => m.length === 0)) {
    throw userError(`unknown asset '${q.asset.slice(0, 40)}' on the answered chains`);
  }
  const allMarkets = [...marketsByChain].flatMap(([chainId, markets]) => markets.map((asset) => ({ chainId, asset })));
  const configured = blocks.flatMap((b) => assetDirectory(deps.config).onChain(b.chainId).map((a) => ({ chainId: b.chainId, asset: a.address as Address })));
  const prices: PriceBook = await priceBook(deps, configured, blocks);

  const leveled = atHead ? adapters.filter((a) => a.keepsLiquidationLevels) : [];
  const scanned = adapters.filter((a) => !leveled.includes(a)).map((a) => a.id);
  const scans: LevelScan[] = leveled.flatMap((adapter) =>
    allMarkets.flatMap(({ chainId, asset }) => {
      const mark = usableMark(prices(chainId, asset));
      if (mark === undefined) {
        warnings.push(`${assetDirectory(deps.config).symbol(chainId, asset)} on chain ${chainId} has no usable price: its ${adapter.id} positions are not ranked`);
        return [];
      }
      return [true, false].map((isLong) => ({ query: scanLevels(deps, adapter.id, chainId, asset, isLong, mark, q, q.first + 1), chainId, market: asset, mark }));
    }),
  );
  const [byLevel, ...full] = await Promise.all([
    rankLevels(deps, scans, q.first),
    ...blocks.map((b) => openPositions(deps, scanned, b, atHead, marketsByChain.get(b.chainId)!)),
  ]);

  const { assessed, warnings: assessWarnings } = await assessPositions(deps, [...byLevel.rows, ...full.flat()], prices, blocks);
  warnings.push(...assessWarnings);
  let unranked = 0;
  const within: AtRiskItem[] = [];
  for (const item of assessed) {
    const key = keyOf(item);
    const stored = byLevel.keys.get(item.row.positionId);
    // The stored level is kept equal to the rule's answer; a difference is an indexing fault to see.
    if (stored && (key === null || compareDistance(key, stored) !== 0)) warnings.push(`${item.row.positionId}: stored liquidation level differs from the protocol rule's answer`);
    if (key === null) {
      if (item.risk.warnings.length > 0) unranked++;
      continue;
    }
    if (isWithin(key, q.maxDistance) && (q.after === null || compareDistance(key, q.after) > 0)) within.push({ ...item, key });
  }
  if (unranked > 0) warnings.push(`${unranked} open position(s) have no known liquidation distance (see their warnings in wallet queries) and are not listed`);
  within.sort((a, b) => compareDistance(a.key, b.key));
  return { blocks, items: within.slice(0, q.first), hasNextPage: within.length > q.first, warnings };
}
