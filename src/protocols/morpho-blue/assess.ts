import { eq } from "ponder";
import { zeroAddress, type Address } from "viem";
import type { AccountRisk, Assessment, AssessContext, MarkPrice, PositionRisk, PositionRow } from "../../core/adapter";
import { assetDirectory } from "../../core/assets";
import { ceilDiv, ratio } from "../../core/fixed";
import { latestAtOrBefore } from "../../core/history";
import { markWarning, usableMark } from "../../core/marks";
import {
  accrueInterest,
  borrowCapacity,
  liquidationIncentiveFactor,
  liquidationOraclePrice,
  positionAssets,
  WAD,
  type MarketState,
} from "./math";
import { decodeState, morphoBlueMarketKey, sideOf } from "./normalise";

type Sample = { oraclePrice: bigint | null; borrowRate: bigint | null; rateForUpdate: bigint };
type Params = { loanToken: Address; collateralToken: Address; oracle: Address; irm: Address; lltv: bigint };

/**
 * Balances, health and liquidation prices of Morpho Blue positions: one account per wallet and
 * market (Morpho isolates markets), with interest accrued to the block's timestamp
 * (Morpho._accrueInterest at the sampled IRM rate) and health as Morpho._isHealthy decides it on the
 * market's oracle.
 */
export async function assessMorphoBlue(ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> {
  const { morphoBlueMarket: M, morphoBlueMarketState: S, morphoBlueSample: P, morphoBlueVenue: V } = ctx.schema;
  const assets = assetDirectory(ctx.config);
  const risks = new Map<PositionRow, PositionRisk>();
  const accounts: AccountRisk[] = [];

  const groups = new Map<string, PositionRow[]>();
  for (const row of rows) {
    const key = `${row.chainId}:${row.venue}:${decodeState(row).marketId}:${row.account}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }

  for (const group of groups.values()) {
    const { chainId, venue: morpho, account } = group[0]!;
    const id = decodeState(group[0]!).marketId;
    const block = ctx.blockByChain.get(chainId)!;
    const key = morphoBlueMarketKey(chainId, morpho, id);
    const at = `morpho-blue:${key}:${block.number}`;
    const where = [eq(S.chainId, chainId), eq(S.morpho, morpho), eq(S.marketId, id)];
    const [params, stored, sample, venue] = await Promise.all([
      ctx.lookups(`morpho-blue:${key}:params`, async () => (await ctx.db.select().from(M).where(eq(M.id, key)).limit(1))[0] as Params | undefined),
      ctx.lookups(`${at}:state`, () => latestAtOrBefore<MarketState>(ctx.db, S, where, block.number)),
      ctx.lookups(`${at}:sample`, () =>
        latestAtOrBefore<Sample>(ctx.db, P, [eq(P.chainId, chainId), eq(P.morpho, morpho), eq(P.marketId, id)], block.number),
      ),
      ctx.lookups(`morpho-blue:${chainId}:${morpho.toLowerCase()}:venue`, async () => (await ctx.db.select().from(V).where(eq(V.id, `${chainId}:${morpho.toLowerCase()}`)).limit(1))[0]),
    ]);
    const warnings: string[] = [];
    if (!params || !stored) {
      warnings.push(`market ${id}: not indexed at this block`);
      for (const row of group) risks.set(row, unknownRisk([...warnings]));
      continue;
    }

    // Morpho._accrueInterest to the block's time, at the IRM's rate for the market as it stood.
    let market = stored;
    let pendingFeeShares = 0n;
    if (block.timestamp > stored.lastUpdate && params.irm !== zeroAddress) {
      if (!sample || sample.borrowRate === null) {
        warnings.push(`market ${id}: no borrow rate read from the IRM: interest since the last update is not included`);
      } else {
        if (sample.rateForUpdate !== stored.lastUpdate) warnings.push(`market ${id}: borrow rate read before the market's last update: pending interest is approximate`);
        const next = accrueInterest(stored, sample.borrowRate, block.timestamp, true);
        market = next.market;
        pendingFeeShares = next.feeShares;
      }
    }

    const loanMark = ctx.prices(chainId, params.loanToken);
    const collateralMark = ctx.prices(chainId, params.collateralToken);
    const oraclePrice = sample?.oraclePrice === null || sample === undefined ? null : stressedOraclePrice(sample.oraclePrice, collateralMark, loanMark);
    if (oraclePrice === null) warnings.push(`market ${id}: no oracle price read: health and liquidation price are unknown`);

    let collateral = 0n;
    let borrowed = 0n;
    const amounts = new Map<PositionRow, bigint>();
    for (const row of group) {
      const side = sideOf(row);
      const { amount } = decodeState(row);
      const isFeeRecipient = side === "supply" && venue?.feeRecipient.toLowerCase() === account.toLowerCase();
      const tokens = positionAssets(side, amount + (isFeeRecipient ? pendingFeeShares : 0n), market);
      amounts.set(row, tokens);
      if (side === "collateral") collateral = tokens;
      if (side === "borrow") borrowed = tokens;
    }

    const level = liquidationOraclePrice(collateral, borrowed, params.lltv);
    const liquidatable = oraclePrice === null ? null : borrowed > 0n && borrowCapacity(collateral, oraclePrice, params.lltv) < borrowed;
    const value = (token: Address, amount: bigint, mark: MarkPrice | undefined) => {
      const price = usableMark(mark);
      const decimals = assets.get(chainId, token)?.decimals;
      return price === undefined || decimals === undefined ? null : (amount * price) / 10n ** BigInt(decimals);
    };
    for (const [token, mark] of [
      [params.loanToken, loanMark],
      [params.collateralToken, collateralMark],
    ] as const) {
      const issue = assets.get(chainId, token) ? markWarning(mark, "token") : "token is not configured: its value is null";
      if (issue) warnings.push(`${token}: ${issue}`);
    }

    for (const row of group) {
      const side = sideOf(row);
      const amount = amounts.get(row)!;
      const mark = side === "collateral" ? collateralMark : loanMark;
      const usd = value(row.market, amount, mark);
      const price = usableMark(mark);
      let liquidationPrice: bigint | null = null;
      // The USD marks at which the oracle, moved by the same factor (stressedOraclePrice, rounded down as
      // it is), reaches the liquidation level: the highest collateral price at which floor(P x c / mark)
      // <= level, and the lowest loan price at which floor(P x mark / l) <= level.
      if (typeof level === "bigint" && oraclePrice !== null && oraclePrice > 0n && price !== undefined) {
        if (side === "collateral") liquidationPrice = ceilDiv((level + 1n) * price, oraclePrice) - 1n;
        if (side === "borrow") liquidationPrice = (oraclePrice * price) / (level + 1n) + 1n;
      }
      risks.set(row, {
        sizeInTokens: amount,
        notionalUsd: usd,
        collateralUsd: usd === null ? null : side === "collateral" ? usd : 0n,
        collateralAmount: side === "collateral" ? amount : null,
        unrealizedPnlUsd: usd === null ? null : 0n,
        pendingFeesUsd: usd === null ? null : 0n,
        leverage: null,
        liquidationPrice,
        liquidationDistance:
          liquidationPrice !== null && price !== undefined ? ratio(side === "collateral" ? price - liquidationPrice : liquidationPrice - price, price) : null,
        // A lender's supply is never seized; the borrower's collateral and debt are.
        liquidatableNow: side === "supply" ? false : liquidatable,
        equityUsd: usd === null ? null : side === "borrow" ? -usd : usd,
        warnings: [],
      });
    }

    if (collateral === 0n && borrowed === 0n) continue;
    const collateralUsd = value(params.collateralToken, collateral, collateralMark);
    const capacity = oraclePrice === null ? null : borrowCapacity(collateral, oraclePrice, params.lltv);
    accounts.push({
      protocol: group[0]!.protocol,
      chainId,
      venue: morpho,
      // Morpho's own test: borrow capacity (collateral x price x LLTV) against the debt; below 1 liquidatable.
      healthFactor: capacity === null || borrowed === 0n ? null : (capacity * WAD) / borrowed,
      collateralUsd,
      debtUsd: value(params.loanToken, borrowed, loanMark),
      liquidationThresholdBps: params.lltv / 10n ** 14n,
      collateralDropToLiquidation:
        typeof level === "bigint" && oraclePrice !== null && oraclePrice > 0n ? ratio(oraclePrice - level, oraclePrice) : level === "any" ? 0 : null,
      liquidatableNow: liquidatable,
      isolatedMarket: {
        id,
        oraclePrice,
        liquidationOraclePrice: typeof level === "bigint" ? level : null,
        liquidationIncentiveFactor: liquidationIncentiveFactor(params.lltv),
      },
      warnings,
    });
  }
  return { positions: rows.map((r) => risks.get(r)!), accounts };
}

/**
 * The market oracle's price, moved by a stress scenario's shocks as a Chainlink-based Morpho oracle
 * (collateral feed / loan feed) would move: by the collateral mark's factor over the loan mark's.
 */
function stressedOraclePrice(price: bigint, collateral: MarkPrice | undefined, loan: MarkPrice | undefined): bigint {
  const [cNow, cBase] = collateral?.unshocked ? [collateral.price, collateral.unshocked] : [1n, 1n];
  const [lNow, lBase] = loan?.unshocked ? [loan.price, loan.unshocked] : [1n, 1n];
  return lNow === 0n ? 0n : (price * cNow * lBase) / (cBase * lNow);
}

const unknownRisk = (warnings: string[]): PositionRisk => ({
  sizeInTokens: null,
  notionalUsd: null,
  collateralUsd: null,
  collateralAmount: null,
  unrealizedPnlUsd: null,
  pendingFeesUsd: null,
  leverage: null,
  liquidationPrice: null,
  liquidationDistance: null,
  liquidatableNow: null,
  equityUsd: null,
  warnings,
});

