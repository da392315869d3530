import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or } from "ponder";
import type { Address } from "viem";
import type { PositionRow, PriceBook, ProtocolAdapter } from "../src/core/adapter";
import {
  alwaysKey,
  compareDistance,
  distanceKey,
  isWithin,
  LEVEL_ALWAYS_LONG,
  levelBound,
  resumeLevel,
  type DistanceKey,
} from "../src/core/at-risk";
import { assetDirectory } from "../src/core/assets";
import { usableMark } from "../src/core/marks";
import { protocolAdapters } from "../src/protocols";
import {
  assessPositions,
  priceBook,
  resolveBlocks,
  userError,
  type AssessedPosition,
  type At,
  type BlockRef,
  type ExposureDeps,
} from "./exposure-service";

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

export const MAX_AT_RISK_PAGE = 1_000;

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
 * first, after the cursor, at most `limit`. Levels are exact at the head, so this order is the feed's.
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
  if (q.after?.always) {
    conditions.push(or(isLong ? lt(level, always) : gt(level, always), and(eq(level, always), gt(P.positionId, q.after.positionId)))!);
  } else if (q.after) {
    const resume = resumeLevel(isLong, mark, q.after);
    const past = isLong ? and(lt(level, resume.level), lt(level, always)) : and(gt(level, resume.level), gt(level, always));
    conditions.push(resume.inclusive ? or(past, and(eq(level, resume.level), gt(P.positionId, q.after.positionId)))! : past!);
  }
  return deps.db
    .select()
    .from(P)
    .where(and(...conditions))
    .orderBy(isLong ? desc(level) : asc(level), asc(P.positionId))
    .limit(limit) as Promise<PositionRow[]>;
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
  if (risk.liquidationPrice === null) return alwaysKey(row.positionId);
  const price = usableMark(mark);
  return price === undefined ? null : distanceKey(row.positionId, row.isLong, risk.liquidationPrice, price);
}

/**
 * Every open position within `maxDistance` of liquidation, nearest first, one page after the cursor.
 * At the head, adapters that keep levels are range-scanned per market and side (first + 1 rows each);
 * the others, and every adapter at a past block, are assessed in full. Each candidate is then assessed
 * by its protocol's own rule, and the page is cut on that exact answer.
 */
export async function atRiskPositions(deps: ExposureDeps, q: AtRiskQuery): Promise<AtRiskPage> {
  const blocks = await resolveBlocks(deps, q.at, q.chainId);
  const atHead = q.at === null;
  const adapters = adaptersFor(deps, q.protocol);
  const warnings: string[] = [];
  const marketsByChain = new Map(blocks.map((b) => [b.chainId, marketsOn(deps, b.chainId, q.asset)]));
  if (q.asset !== null && [...marketsByChain.values()].every((m) => m.length === 0)) {
    throw userError(`unknown asset '${q.asset.slice(0, 40)}' on the answered chains`);
  }
  const allMarkets = [...marketsByChain].flatMap(([chainId, markets]) => markets.map((asset) => ({ chainId, asset })));
  const configured = blocks.flatMap((b) => assetDirectory(deps.config).onChain(b.chainId).map((a) => ({ chainId: b.chainId, asset: a.address as Address })));
  const prices: PriceBook = await priceBook(deps, configured, blocks);

  const limit = q.first + 1;
  const leveled = atHead ? adapters.filter((a) => a.keepsLiquidationLevels) : [];
  const scanned = adapters.filter((a) => !leveled.includes(a)).map((a) => a.id);
  const candidates = await Promise.all([
    ...leveled.flatMap((adapter) =>
      allMarkets.flatMap(({ chainId, asset }) => {
        const mark = usableMark(prices(chainId, asset));
        if (mark === undefined) {
          warnings.push(`${assetDirectory(deps.config).symbol(chainId, asset)} on chain ${chainId} has no usable price: its ${adapter.id} positions are not ranked`);
          return [];
        }
        return [true, false].map((isLong) => scanLevels(deps, adapter.id, chainId, asset, isLong, mark, q, limit));
      }),
    ),
    ...blocks.map((b) => openPositions(deps, scanned, b, atHead, marketsByChain.get(b.chainId)!)),
  ]);

  const { assessed, warnings: assessWarnings } = await assessPositions(deps, candidates.flat(), prices, blocks);
  warnings.push(...assessWarnings);
  let unranked = 0;
  const within: AtRiskItem[] = [];
  for (const item of assessed) {
    const key = keyOf(item);
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
