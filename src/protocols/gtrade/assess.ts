import { eq } from "ponder";
import type { Address } from "viem";
import type { Assessment, AssessContext, PositionRisk, PositionRow } from "../../core/adapter";
import { ratio } from "../../core/fixed";
import { latestAtOrBefore } from "../../core/history";
import { markWarning, usableMark } from "../../core/marks";
import { closingFeeCollateral, holdingFeesCollateral, liquidationPrice, totalRealizedPnlCollateral, tradePnl } from "./math";
import { pairPriceToUsd, usdToPairPrice } from "./normalise";
import { decodeCollateral, decodeFee, decodeMarket, decodePair, decodeTrade, type StateKind } from "./stored";
import { flipPrice, liquidationHit } from "./trigger";
import { ContractsVersion, LEVERAGE_PRECISION, USD_PRICE_PRECISION } from "./units";

/** The diamond's 1e8 collateral price × this = USD per whole token, 1e30. */
const MARK_TO_PRICE_USD = 10n ** 30n / USD_PRICE_PRECISION;

/** The diamond's state of one thing as of the queried block (gtrade_state), shared through the context's lookups. */
async function stateAt(ctx: AssessContext, row: PositionRow, kind: StateKind, key: string): Promise<Record<string, string> | undefined> {
  const S = ctx.schema.gtradeState;
  const block = ctx.blockByChain.get(row.chainId)!.number;
  const venue = row.venue.toLowerCase() as Address;
  return ctx.lookups(`gtrade:${row.chainId}:${block}:${venue}:${kind}:${key}`, async () => {
    const found = await latestAtOrBefore<{ state: Record<string, string> }>(ctx.db, S, [eq(S.chainId, row.chainId), eq(S.diamond, venue), eq(S.kind, kind), eq(S.key, key)], block);
    return found?.state;
  });
}

const UNKNOWN = { pendingFeesUsd: null, liquidationPrice: null, liquidationDistance: null, liquidatableNow: null, equityUsd: null, unrealizedPnlUsd: null } as const;

async function assessTrade(ctx: AssessContext, row: PositionRow): Promise<PositionRisk> {
  const warnings: string[] = [];
  const { trade, contractsVersion, liquidationParams, tradeFeesData } = decodeTrade(row.protocolState, row.isLong);
  const { timestamp } = ctx.blockByChain.get(row.chainId)!;
  const [pair, collateral, market] = await Promise.all([
    stateAt(ctx, row, "pair", String(trade.pairIndex)).then(decodePair),
    stateAt(ctx, row, "collateral", String(trade.collateralIndex)).then(decodeCollateral),
    stateAt(ctx, row, "market", `${trade.collateralIndex}:${trade.pairIndex}`).then(decodeMarket),
  ]);
  const fee = pair && decodeFee(await stateAt(ctx, row, "fee", String(pair.feeIndex)));

  // Collateral in USD: the price book's mark of the collateral token, else the price the diamond last
  // reported (which its own rules use: the closing fee's min position size).
  const collateralMark = usableMark(ctx.prices(row.chainId, row.collateralToken));
  const diamondPriceUsd = collateral?.priceUsd ?? null;
  const collateralUsdPrice = collateralMark ?? (diamondPriceUsd === null ? undefined : diamondPriceUsd * MARK_TO_PRICE_USD);
  if (collateralUsdPrice === undefined) warnings.push(`no price for collateral ${trade.collateralIndex} (${row.collateralToken}): USD figures are null`);
  const usd = (amount: bigint | null) =>
    amount === null || collateralUsdPrice === undefined || collateral === undefined ? null : (amount * collateralUsdPrice) / 10n ** BigInt(collateral.decimals);

  // The pair's mark: the price book's price of the asset the config maps the pair to, if the pair is quoted in USD.
  let mark: bigint | undefined;
  if (pair === undefined) warnings.push(`pair ${trade.pairIndex} not indexed: figures that need it are null`);
  else if (pair.to !== "USD") warnings.push(`pair ${pair.from}/${pair.to} is not quoted in USD: its prices are not USD prices, figures that need them are null`);
  else {
    const issue = markWarning(ctx.prices(row.chainId, row.market), `${pair.from}/${pair.to} pair's asset`);
    if (issue) warnings.push(issue);
    mark = usableMark(ctx.prices(row.chainId, row.market));
  }
  const pairPrice = mark === undefined || pair === undefined ? undefined : usdToPairPrice(mark, pair);

  const common = {
    sizeInTokens: row.sizeInTokens,
    // positionSizeToken is 1e18 per whole base token.
    notionalUsd: mark === undefined ? null : (trade.positionSizeToken * mark) / 10n ** 18n,
    collateralUsd: usd(trade.collateralAmount),
    collateralAmount: trade.collateralAmount,
    leverage: Number(trade.leverage) / Number(LEVERAGE_PRECISION),
    warnings,
  };
  if (contractsVersion < ContractsVersion.V10) {
    warnings.push("trade opened before v10: its v1 borrowing fees are not indexed, fee-dependent figures are null");
    return { ...common, ...UNKNOWN };
  }
  if (!market.borrowingV2 || !market.funding || pair === undefined || pair.to !== "USD" || fee === undefined || collateral === undefined || diamondPriceUsd === null) {
    if (!market.borrowingV2 || !market.funding) warnings.push(`holding-fee state of collateral ${trade.collateralIndex} pair ${trade.pairIndex} not indexed: fee-dependent figures are null`);
    if (pair !== undefined && fee === undefined) warnings.push(`fee group ${pair.feeIndex} not indexed: fee-dependent figures are null`);
    if (collateral === undefined || diamondPriceUsd === null) warnings.push(`collateral ${trade.collateralIndex} or the diamond's price of it not indexed: fee-dependent figures are null`);
    return { ...common, ...UNKNOWN };
  }

  const closingFee = closingFeeCollateral(trade, { ...fee, counterTradeFeeRateMultiplier: pair.counterTradeFeeRateMultiplier }, { decimals: collateral.decimals, priceUsd: diamondPriceUsd });
  const realized = totalRealizedPnlCollateral(tradeFeesData);
  const holdingAt = (price: bigint) => holdingFeesCollateral({ trade, contractsVersion, tradeFeesData, state: market, currentPairPrice: price, timestamp }).total;
  const liquidationAt = (price: bigint) =>
    liquidationPrice({
      trade,
      liquidationParams,
      contractsVersion,
      collateralDecimals: collateral.decimals,
      pairSpreadP: pair.spreadP,
      closingFeeCollateral: closingFee,
      holdingFeesCollateral: holdingAt(price),
      totalRealizedPnlCollateral: realized,
    });
  const flip = flipPrice(liquidationAt, pairPrice ?? trade.openPrice);
  if (flip === null) warnings.push("the liquidation price does not settle (holding fees move it as fast as the price): not given");
  const liquidationUsd = flip === null ? null : pairPriceToUsd(flip, pair);

  if (pairPrice === undefined || mark === undefined) {
    return { ...common, ...UNKNOWN, liquidationPrice: liquidationUsd };
  }
  const holding = holdingAt(pairPrice);
  const pnl = tradePnl({ trade, liquidationParams, collateralDecimals: collateral.decimals, marketPrice: pairPrice, closingFeeCollateral: closingFee, holdingFeesCollateral: holding, totalRealizedPnlCollateral: realized });
  const atMark = liquidationAt(pairPrice);
  // What closing leaves: collateral + net PnL, never below zero (TradingCommonUtils.getTradeValuePure).
  const value = pnl === null ? null : trade.collateralAmount + pnl.netPnlCollateral;
  return {
    ...common,
    unrealizedPnlUsd: pnl === null ? null : usd(pnl.unrealizedPnlCollateral),
    pendingFeesUsd: usd(holding + closingFee),
    equityUsd: value === null ? null : usd(value > 0n ? value : 0n),
    liquidationPrice: liquidationUsd,
    liquidationDistance: liquidationUsd === null ? null : ratio(row.isLong ? mark - liquidationUsd : liquidationUsd - mark, mark),
    liquidatableNow: atMark === null ? null : liquidationHit(row.isLong, pairPrice, atMark),
  };
}

/** Figures for open gTrade trades: each isolated, by the diamond's own rules (./math.ts, ./trigger.ts). */
export async function assessGTrade(ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> {
  return { positions: await Promise.all(rows.map((row) => assessTrade(ctx, row))), accounts: [] };
}
