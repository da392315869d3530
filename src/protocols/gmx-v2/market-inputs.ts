import { eq } from "ponder";
import { zeroAddress, type Address } from "viem";
import type { AssessContext, PositionRow } from "../../core/adapter";
import { latestAtOrBefore } from "../../core/history";
import type { ImpactPoolState } from "./close-impact";
import { decodeState, marketId } from "./normalise";
import type { GmxV2MarketParams, GmxV2MarketState } from "./risk";
import type { GmxV2MarketValueKind } from "./schema";

type MarketTokens = { indexToken: Address; longToken: Address; shortToken: Address };

/** MarketUtils.getPoolAmount / getOpenInterest: a single-token market counts each amount half per side. */
const perTokenDivisor = (t: MarketTokens) => (t.longToken.toLowerCase() === t.shortToken.toLowerCase() ? 2n : 1n);

/**
 * Market tokens, parameters and accumulators as of the queried block, through the context's lookups
 * (shared while the indexed data is unchanged; a stress query assesses the same markets at many prices).
 */
export function marketInputsAt(ctx: AssessContext) {
  const { gmxV2Market: M, gmxV2MarketParams: P, gmxV2MarketValue: V } = ctx.schema;
  const once = <T>(key: string, row: PositionRow, load: () => Promise<T>) =>
    ctx.lookups(`gmx-v2:${row.chainId}:${ctx.blockByChain.get(row.chainId)!.number}:${key}`, load);

  const tokens = (row: PositionRow, market: Address) =>
    once(`m:${market}`, row, async () => {
      const rows = await ctx.db.select().from(M).where(eq(M.id, marketId(row.chainId, row.venue, market))).limit(1);
      return rows[0] as MarketTokens | undefined;
    });

  const params = (row: PositionRow, market: Address, block: bigint) =>
    once(`p:${row.venue}:${market}`, row, () =>
      latestAtOrBefore<GmxV2MarketParams>(ctx.db, P, [eq(P.chainId, row.chainId), eq(P.eventEmitter, row.venue), eq(P.market, market)], block),
    );

  const value = (row: PositionRow, market: Address, kind: GmxV2MarketValueKind, collateralToken: Address, isLong: boolean, block: bigint) =>
    once(`v:${row.venue}:${market}:${kind}:${collateralToken}:${isLong}`, row, async () => {
      const conditions = [
        eq(V.chainId, row.chainId),
        eq(V.eventEmitter, row.venue),
        eq(V.market, market),
        eq(V.kind, kind),
        eq(V.collateralToken, collateralToken.toLowerCase() as Address),
        eq(V.isLong, isLong),
      ];
      return (await latestAtOrBefore<{ value: bigint }>(ctx.db, V, conditions, block))?.value;
    });

  /**
   * MarketUtils.getOpenInterest / getOpenInterestInTokens per side and getPoolAmount (each halved per
   * token when long and short token are the same), the virtual inventory and the accumulators. A value
   * with no event since indexing began reads 0, which leaves a profit uncapped (getPositionPnlUsd caps
   * only a positive pool PnL); the virtual inventory is also read with the parameters, so it is known.
   */
  const state = async (row: PositionRow, market: Address, t: MarketTokens, params: GmxV2MarketParams, block: { number: bigint; timestamp: bigint }): Promise<GmxV2MarketState> => {
    const at = block.number;
    const divisor = perTokenDivisor(t);
    const byCollateral = async (kind: "openInterest" | "openInterestInTokens", isLong: boolean) => {
      const [a, b] = await Promise.all([value(row, market, kind, t.longToken, isLong, at), value(row, market, kind, t.shortToken, isLong, at)]);
      return { longToken: (a ?? 0n) / divisor, shortToken: (b ?? 0n) / divisor };
    };
    const clock = (kind: "borrowingUpdatedAt" | "fundingUpdatedAt" | "savedFundingFactorPerSecond", isLong: boolean) => value(row, market, kind, zeroAddress, isLong, at);
    const pnlToken = row.isLong ? t.longToken : t.shortToken;
    const virtualInventory = async () =>
      params.virtualTokenId === null ? 0n : ((await value(row, params.virtualTokenId as Address, "virtualPositionInventory", zeroAddress, false, at)) ?? 0n);
    const [longOi, shortOi, longOiInTokens, shortOiInTokens, pool, inventory, borrowing, funding, borrowingUpdatedAt, fundingUpdatedAt, saved] = await Promise.all([
      byCollateral("openInterest", true),
      byCollateral("openInterest", false),
      byCollateral("openInterestInTokens", true),
      byCollateral("openInterestInTokens", false),
      value(row, market, "poolAmount", pnlToken, false, at),
      virtualInventory(),
      value(row, market, "cumulativeBorrowingFactor", zeroAddress, row.isLong, at),
      value(row, market, "fundingFeeAmountPerSize", row.collateralToken, row.isLong, at),
      clock("borrowingUpdatedAt", row.isLong),
      clock("fundingUpdatedAt", false),
      clock("savedFundingFactorPerSecond", false),
    ]);
    const s = decodeState(row.protocolState);
    // MarketUtils.getSecondsSinceCumulativeBorrowingFactorUpdated / getSecondsSinceFundingUpdated: 0 when never updated.
    const since = (updatedAt: bigint) => (updatedAt === 0n || block.timestamp < updatedAt ? 0n : block.timestamp - updatedAt);
    const collateral = row.collateralToken.toLowerCase();
    return {
      longOpenInterestUsd: longOi.longToken + longOi.shortToken,
      shortOpenInterestUsd: shortOi.longToken + shortOi.shortToken,
      longOpenInterestInTokens: longOiInTokens.longToken + longOiInTokens.shortToken,
      shortOpenInterestInTokens: shortOiInTokens.longToken + shortOiInTokens.shortToken,
      pnlPoolAmount: (pool ?? 0n) / divisor,
      virtualInventory: inventory,
      // An accumulator not updated since indexing began is the position's own snapshot (no pending fee).
      cumulativeBorrowingFactor: borrowing ?? s.borrowingFactor,
      fundingFeeAmountPerSize: funding ?? s.fundingFeeAmountPerSize,
      pending:
        borrowingUpdatedAt === undefined || fundingUpdatedAt === undefined
          ? undefined
          : {
              borrowingSeconds: since(borrowingUpdatedAt),
              fundingSeconds: since(fundingUpdatedAt),
              savedFundingFactorPerSecond: saved ?? 0n,
              openInterestByCollateral: { long: longOi, short: shortOi },
              collateralSlots: { longToken: t.longToken.toLowerCase() === collateral, shortToken: t.shortToken.toLowerCase() === collateral },
            },
    };
  };
  /** The position impact pool as of the block (./close-impact.ts); undefined when neither its events nor the clock read have been indexed. */
  const impactPool = async (row: PositionRow, market: Address, block: bigint): Promise<ImpactPoolState | undefined> => {
    const [amount, distributedAt, lentAmount] = await Promise.all(
      (["positionImpactPoolAmount", "positionImpactPoolDistributedAt", "lentPositionImpactPoolAmount"] as const).map((kind) => value(row, market, kind, zeroAddress, false, block)),
    );
    return amount === undefined ? undefined : { amount, distributedAt: distributedAt ?? 0n, lentAmount: lentAmount ?? 0n };
  };

  /** Both pool tokens' value at their min prices (MarketUtils.getPoolAmount each, halved when long and short token are the same); undefined when a price is unknown. */
  const poolValueUsd = async (row: PositionRow, market: Address, t: MarketTokens, block: bigint, unitPrice: (token: Address) => bigint | undefined) => {
    const divisor = perTokenDivisor(t);
    const [longPool, shortPool] = await Promise.all([value(row, market, "poolAmount", t.longToken, false, block), value(row, market, "poolAmount", t.shortToken, false, block)]);
    const [longPrice, shortPrice] = [unitPrice(t.longToken), unitPrice(t.shortToken)];
    if (longPrice === undefined || shortPrice === undefined) return undefined;
    return ((longPool ?? 0n) / divisor) * longPrice + ((shortPool ?? 0n) / divisor) * shortPrice;
  };
  return { tokens, params, value, state, impactPool, poolValueUsd };
}
