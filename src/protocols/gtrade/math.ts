// gTrade (Gains Network) v10 trade math in the diamond's own units: liquidation threshold, closing fee,
// holding fees, liquidation price and PnL. Formulas follow @gainsnetwork/sdk 1.8.7 (the v10 reference;
// the contracts are not public). Where the contract divides, rounding follows the last public contract
// code (v9.2 TradingCommonUtils / BorrowingFeesUtils): Solidity division, toward zero.
import { type BorrowingV1AccFees, type BorrowingV1InitialAccFees, type BorrowingV1PairGroup, type BorrowingV2Data, type BorrowingV2Params, borrowingV1FeeCollateral, borrowingV1FeeP, borrowingV2FeeCollateral, pendingAccBorrowingFeeP } from "./borrowing";
import { type FundingData, type FundingParams, type PairOiToken, fundingFeeCollateral, pendingAccFundingFees } from "./funding";
import { ContractsVersion, LEVERAGE_PRECISION, MIN_POSITION_SIZE_USD_PRECISION, P_10, PERCENT_P_10, USD_PRICE_PRECISION, assertUnsigned, precisionDelta } from "./units";

/** The ITradingStorage.Trade fields the math reads. */
export type Trade = {
  long: boolean;
  /** Collateral token units. */
  collateralAmount: bigint;
  /** 1e3. */
  leverage: bigint;
  /** 1e10. */
  openPrice: bigint;
  isCounterTrade: boolean;
};

/** IPairsStorage.GroupLiquidationParams, stored per trade at open (getTradeLiquidationParams). */
export type LiquidationParams = {
  /** 1e10 %; 0 for trades opened before v9.2. */
  maxLiqSpreadP: bigint;
  /** 1e10 %: the loss, as % of collateral, that liquidates. */
  startLiqThresholdP: bigint;
  endLiqThresholdP: bigint;
  /** 1e3. */
  startLeverage: bigint;
  endLeverage: bigint;
};

/** The pair's fee group (IPairsStorage fees(feeIndex)) and, for counter trades, its fee rate multiplier. */
export type PairFee = {
  /** 1e10 % of position size. */
  totalPositionSizeFeeP: bigint;
  /** 1e3 USD. */
  minPositionSizeUsd: bigint;
  /** 1e3 (getPairCounterTradeFeeRateMultiplier); applies to counter trades only. */
  counterTradeFeeRateMultiplier: bigint;
};

/** IFundingFees.TradeFeesData: what the trade has realized so far (collateral units) and its initial accumulators. */
export type TradeFeesData = {
  realizedPnlCollateral: bigint;
  realizedTradingFeesCollateral: bigint;
  /** 1e20. */
  initialAccFundingFeeP: bigint;
  initialAccBorrowingFeeP: bigint;
};

/** ConstantsUtils.LEGACY_LIQ_THRESHOLD_P: −90% PnL, for trades opened before v9.2. */
export const LEGACY_LIQ_THRESHOLD_P = 90n * P_10;

/**
 * The loss (1e10 %, of collateral) at which a trade is liquidated: legacy 90% without liquidation params
 * (maxLiqSpreadP = 0), else start / end threshold outside [startLeverage, endLeverage] and linear in
 * leverage between them, the subtracted part rounded down (so the threshold rounds up).
 * SDK: lib/trade/liquidation/index.js getLiqPnlThresholdP; contract form: v9.2 TradingCommonUtils.getLiqPnlThresholdP.
 * The SDK also falls back to 90% when any other param is 0 and divides by zero when startLeverage =
 * endLeverage; the contract (with the audit fix, `<=`/`>=`) does neither, and that is followed here.
 */
export function liqPnlThresholdP(params: LiquidationParams, leverage: bigint): bigint {
  if (params.maxLiqSpreadP === 0n) return LEGACY_LIQ_THRESHOLD_P;
  if (leverage <= params.startLeverage) return params.startLiqThresholdP;
  if (leverage >= params.endLeverage) return params.endLiqThresholdP;
  // The contract subtracts in uint256: a rising threshold would revert there.
  if (params.startLiqThresholdP < params.endLiqThresholdP) throw new RangeError("gTrade: startLiqThresholdP < endLiqThresholdP");
  return params.startLiqThresholdP - ((leverage - params.startLeverage) * (params.startLiqThresholdP - params.endLiqThresholdP)) / (params.endLeverage - params.startLeverage);
}

/** TradingCommonUtils.getPositionSizeCollateral: collateral × leverage / 1e3, rounded down. */
export function positionSizeCollateral(trade: Pick<Trade, "collateralAmount" | "leverage">): bigint {
  assertUnsigned("collateralAmount", trade.collateralAmount);
  assertUnsigned("leverage", trade.leverage);
  return (trade.collateralAmount * trade.leverage) / LEVERAGE_PRECISION;
}

/**
 * The fee to close a trade, without fee tiers (as the liquidation price is computed): totalPositionSizeFeeP
 * of max(position size × counter-trade multiplier, the pair's min position size in collateral), down.
 * SDK: lib/trade/fees/trading/index.js getTotalTradeFeesCollateral; contract: getTotalTradeFeesCollateral.
 * Min position size in collateral: $ (1e3) → 1e18 USD → ÷ collateral price (1e8) ÷ precisionDelta, down
 * (getCollateralFromUsdNormalizedValue; the SDK: minPositionSizeUsd / collateralPriceUsd).
 */
export function closingFeeCollateral(trade: Trade, fee: PairFee, collateral: { decimals: number; priceUsd: bigint }): bigint {
  if (collateral.priceUsd <= 0n) throw new RangeError(`gTrade: collateral priceUsd must be > 0, got ${collateral.priceUsd}`);
  const size = positionSizeCollateral(trade);
  const adjusted = trade.isCounterTrade ? (size * fee.counterTradeFeeRateMultiplier) / LEVERAGE_PRECISION : size;
  const minSize = (fee.minPositionSizeUsd * (10n ** 18n / MIN_POSITION_SIZE_USD_PRECISION) * USD_PRICE_PRECISION) / (collateral.priceUsd * precisionDelta(collateral.decimals));
  return ((adjusted > minSize ? adjusted : minSize) * fee.totalPositionSizeFeeP) / PERCENT_P_10;
}

/** The pair's holding-fee state a trade accrues against; absent parts are not charged. */
export type HoldingFeeState = {
  borrowingV1?: {
    initial: BorrowingV1InitialAccFees;
    pairGroups: readonly BorrowingV1PairGroup[];
    pairAcc: BorrowingV1AccFees;
    groupAcc: BorrowingV1AccFees;
  };
  borrowingV2?: { params: BorrowingV2Params; data: BorrowingV2Data };
  funding?: { params: FundingParams; data: FundingData; oi: PairOiToken };
};
export type HoldingFees = { borrowingV1: bigint; borrowingV2: bigint; funding: bigint; total: bigint };

/**
 * A trade's pending holding fees in collateral at `timestamp` and `currentPairPrice`: borrowing v2 and
 * funding for v10 trades, plus v1 borrowing where the market still has it.
 * SDK: lib/trade/fees/trading/index.js getTradePendingHoldingFeesCollateral.
 */
export function holdingFeesCollateral(input: {
  trade: Trade;
  contractsVersion: ContractsVersion;
  tradeFeesData: TradeFeesData;
  state: HoldingFeeState;
  currentPairPrice: bigint;
  timestamp: bigint;
}): HoldingFees {
  const { trade, state, tradeFeesData } = input;
  const size = positionSizeCollateral(trade);
  const v10 = input.contractsVersion >= ContractsVersion.V10;
  let funding = 0n;
  if (v10 && state.funding) {
    const pending = pendingAccFundingFees(state.funding.params, state.funding.data, state.funding.oi, input.currentPairPrice, input.timestamp);
    funding = fundingFeeCollateral({ long: trade.long, positionSizeCollateral: size, openPrice: trade.openPrice, initialAccFundingFeeP: tradeFeesData.initialAccFundingFeeP, params: state.funding.params, pending });
  }
  let borrowingV2 = 0n;
  if (v10 && state.borrowingV2) {
    const acc = pendingAccBorrowingFeeP(state.borrowingV2.params, state.borrowingV2.data, input.currentPairPrice, input.timestamp);
    borrowingV2 = borrowingV2FeeCollateral(size, trade.openPrice, tradeFeesData.initialAccBorrowingFeeP, acc);
  }
  let borrowingV1 = 0n;
  if (state.borrowingV1) {
    borrowingV1 = borrowingV1FeeCollateral(trade.collateralAmount, trade.leverage, borrowingV1FeeP({ long: trade.long, ...state.borrowingV1 }));
  }
  return { borrowingV1, borrowingV2, funding, total: borrowingV1 + borrowingV2 + funding };
}

/** IFundingFees.getTradeRealizedPnlCollateral's total: realized PnL minus realized trading fees. */
export const totalRealizedPnlCollateral = (d: Pick<TradeFeesData, "realizedPnlCollateral" | "realizedTradingFeesCollateral">) => d.realizedPnlCollateral - d.realizedTradingFeesCollateral;

/** A bad trade has no liquidation price or PnL: nothing is at stake, or there is no entry. */
function isEmpty(trade: Trade): boolean {
  assertUnsigned("collateralAmount", trade.collateralAmount);
  assertUnsigned("leverage", trade.leverage);
  assertUnsigned("openPrice", trade.openPrice);
  return trade.collateralAmount === 0n || trade.leverage === 0n || trade.openPrice === 0n;
}

/**
 * The price (1e10) at which an open trade is liquidated: the price move that costs
 * collateral × threshold − (closing fee + holding fees − realized PnL), less the closing spread
 * (half the pair spread, at most maxLiqSpreadP; v9.2+ trades with liquidation params), floored at 0.
 * Null for an empty trade (zero collateral, leverage or open price).
 * SDK: lib/trade/liquidation/index.js getLiquidationPrice (opened trade: partialCloseMultiplier 1, no
 * additional fee), closing spread from getSpreadP (lib/trade/priceImpact/cumulVol/index.js) with the
 * trader's pairSpreadP. Integer steps as v9.2 BorrowingFeesUtils._getTradeLiquidationPrice: the loss at
 * the threshold is scaled to 1e18 × 1e3 per token and rounded down, the distance and the spread term
 * are each divided toward zero.
 */
export function liquidationPrice(input: {
  trade: Trade;
  liquidationParams: LiquidationParams;
  contractsVersion: ContractsVersion;
  collateralDecimals: number;
  /** The trader's pairSpreadP(trader, pairIndex), 1e10 %. */
  pairSpreadP: bigint;
  closingFeeCollateral: bigint;
  holdingFeesCollateral: bigint;
  totalRealizedPnlCollateral: bigint;
}): bigint | null {
  const { trade, liquidationParams: params } = input;
  if (isEmpty(trade)) return null;
  assertUnsigned("pairSpreadP", input.pairSpreadP);
  const pd = precisionDelta(input.collateralDecimals);
  const threshold = liqPnlThresholdP(params, trade.leverage);
  const fees = input.closingFeeCollateral + input.holdingFeesCollateral - input.totalRealizedPnlCollateral;
  // ×1e3 so that dividing by leverage (1e3) lands in price units.
  const lossAtThreshold = (trade.collateralAmount * threshold * pd * LEVERAGE_PRECISION) / PERCENT_P_10;
  let distance = (trade.openPrice * (lossAtThreshold - fees * pd * LEVERAGE_PRECISION)) / (trade.collateralAmount * trade.leverage * pd);
  if (input.contractsVersion >= ContractsVersion.V9_2 && params.maxLiqSpreadP > 0n) {
    const half = input.pairSpreadP / 2n;
    const spreadP = half > params.maxLiqSpreadP ? params.maxLiqSpreadP : half;
    distance -= (trade.openPrice * spreadP) / PERCENT_P_10;
  }
  const price = trade.long ? trade.openPrice - distance : trade.openPrice + distance;
  return price > 0n ? price : 0n;
}

/**
 * Percent profit (1e10 %) of a trade at `price`: price move / open price × 100 × leverage, toward zero,
 * at least −100%. Null without an open price.
 * SDK: lib/trade/pnl/index.js getPnlPercent; contract form: TradingCommonUtils.getPnlPercent.
 */
export function pnlPercent(trade: Pick<Trade, "long" | "leverage" | "openPrice">, price: bigint): bigint | null {
  assertUnsigned("price", price);
  assertUnsigned("openPrice", trade.openPrice);
  assertUnsigned("leverage", trade.leverage);
  if (trade.openPrice === 0n) return null;
  const move = trade.long ? price - trade.openPrice : trade.openPrice - price;
  const p = (move * PERCENT_P_10 * trade.leverage) / trade.openPrice / LEVERAGE_PRECISION;
  return p < -PERCENT_P_10 ? -PERCENT_P_10 : p;
}

/**
 * The PnL in collateral units of `percent` (1e10 %, ≥ −100%) on `collateralAmount`, as
 * TradingCommonUtils.getTradeValuePure computes the value before fees: the profit at 1e18 per unit
 * (toward zero), the value rounded down to collateral units. SDK: collateral × pnlPercent / 100.
 */
export function pnlCollateral(collateralAmount: bigint, percent: bigint, collateralDecimals: number): bigint {
  assertUnsigned("collateralAmount", collateralAmount);
  if (percent < -PERCENT_P_10) throw new RangeError(`gTrade: pnl percent below −100%: ${percent}`);
  const pd = precisionDelta(collateralDecimals);
  const scaled = collateralAmount * pd;
  return (scaled + (scaled * percent) / PERCENT_P_10) / pd - collateralAmount;
}

export type TradePnl = {
  /** 1e10 %, at the market price; −100% once liquidated. */
  pnlPercent: bigint;
  /** Collateral units, before fees. */
  pnlCollateral: bigint;
  /** Open-position PnL: after holding fees and what was realized, before the closing fee. */
  unrealizedPnlCollateral: bigint;
  /** If closed at the execution price: after holding fees, the closing fee and what was realized. */
  netPnlCollateral: bigint;
  isLiquidated: boolean;
};

/**
 * A trade's PnL at `marketPrice` (and `executionPrice`, the close price after spread and impact, which
 * the caller supplies; the market price if not given). Liquidated when the raw PnL reaches −threshold:
 * then both PnL percents are −100%. Null for an empty trade.
 * SDK: lib/trade/pnl/index.js getComprehensivePnl (pnlPercent, pnlCollateral, uPnlCollateral,
 * realizedPnlCollateral, isLiquidated).
 */
export function tradePnl(input: {
  trade: Trade;
  liquidationParams: LiquidationParams;
  collateralDecimals: number;
  marketPrice: bigint;
  executionPrice?: bigint;
  closingFeeCollateral: bigint;
  holdingFeesCollateral: bigint;
  totalRealizedPnlCollateral: bigint;
}): TradePnl | null {
  const { trade } = input;
  if (isEmpty(trade)) return null;
  const raw = pnlPercent(trade, input.marketPrice)!;
  const isLiquidated = raw <= -liqPnlThresholdP(input.liquidationParams, trade.leverage);
  const atMarket = isLiquidated ? -PERCENT_P_10 : raw;
  const atExecution = isLiquidated ? -PERCENT_P_10 : pnlPercent(trade, input.executionPrice ?? input.marketPrice)!;
  const pnl = pnlCollateral(trade.collateralAmount, atMarket, input.collateralDecimals);
  const afterHolding = input.totalRealizedPnlCollateral - input.holdingFeesCollateral;
  return {
    pnlPercent: atMarket,
    pnlCollateral: pnl,
    unrealizedPnlCollateral: pnl + afterHolding,
    netPnlCollateral: pnlCollateral(trade.collateralAmount, atExecution, input.collateralDecimals) + afterHolding - input.closingFeeCollateral,
    isLiquidated,
  };
}
