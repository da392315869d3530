// Decodes the GNSMultiCollatDiamond events an indexer follows (abis/GTradeDiamond.ts) into small records in
// the math's units. Each record is named after its event. A log of another event, or one whose topics
// or data do not fit the event's ABI, is an error; so is an enum value the SDK does not define.
import { BaseError, decodeEventLog, encodeAbiParameters, encodeEventTopics, toEventSelector, type AbiEvent, type Address, type Hex } from "viem";
import { GTradeDiamondAbi } from "../../../abis/GTradeDiamond";
import type { BorrowingV2Data, BorrowingV2Params } from "./borrowing";
import type { FundingData, FundingParams, PairOiToken } from "./funding";
import type { HoldingFees, LiquidationParams, TradeFeesData } from "./math";
import {
  GTradeDecodeError,
  PendingOrderType,
  narrowIndex,
  toBorrowingV2Data,
  toFeeGroup,
  toFundingData,
  toLiquidationParams,
  toTrade,
  toTradeFeesData,
  toTradeInfo,
  type GTradeFeeGroup,
  type GTradeTrade,
  type GTradeTradeFeesData,
  type GTradeTradeInfo,
} from "./structs";

/** A trade: its trader and the trader's trade index. */
export type TradeId = { user: Address; index: number };
/** A (collateral, pair) market: borrowing v2, funding and v10 open interest are kept per market. */
export type PairMarket = { collateralIndex: number; pairIndex: number };

/** The order types LimitExecuted carries: those executed on a trigger (SDK isValidSignedPricesOrderType). */
export type LimitOrderType = typeof PendingOrderType.LIMIT_OPEN | typeof PendingOrderType.STOP_OPEN | typeof PendingOrderType.TP_CLOSE | typeof PendingOrderType.SL_CLOSE | typeof PendingOrderType.LIQ_CLOSE;
const LIMIT_ORDER_TYPES: readonly number[] = [PendingOrderType.LIMIT_OPEN, PendingOrderType.STOP_OPEN, PendingOrderType.TP_CLOSE, PendingOrderType.SL_CLOSE, PendingOrderType.LIQ_CLOSE];

/** What an executed order reports about prices and the payout (prices 1e10, collateral units, PnL 1e10 %). */
type Execution = {
  oraclePrice: bigint;
  marketPrice: bigint;
  /** The trade's liquidation price at execution (1e10), as the diamond computed it. */
  liqPrice: bigint;
  percentProfit: bigint;
  amountSentToTrader: bigint;
  /** 1e8. */
  collateralPriceUsd: bigint;
};

/**
 * A position update request's outcome. `executed` is false when the order was cancelled (a non-zero
 * cancelReason: ITradingCallbacks.CancelReason.NONE = 0 in the last public contracts, v9.2): then the
 * new values are not the trade's.
 */
type PositionUpdate = {
  id: TradeId;
  market: PairMarket;
  executed: boolean;
  cancelReason: number;
  oraclePrice: bigint;
  /** Collateral units. */
  collateralDelta: bigint;
  newCollateralAmount: bigint;
  /** 1e3. */
  newLeverage: bigint;
  /** 1e10. */
  existingLiqPrice: bigint;
  newLiqPrice: bigint;
};

export type FundingParamEventName =
  | "SkewCoefficientPerYearUpdated"
  | "AbsoluteVelocityPerYearCapUpdated"
  | "AbsoluteRatePerSecondCapUpdated"
  | "ThetaThresholdUsdUpdated"
  | "FundingFeesEnabledUpdated"
  | "AprMultiplierEnabledUpdated";

export type GTradeEvent =
  | { name: "TradeStored"; trade: GTradeTrade; tradeInfo: GTradeTradeInfo; liquidationParams: LiquidationParams }
  | {
      name: "TradePositionUpdated";
      id: TradeId;
      collateralAmount: bigint;
      leverage: bigint;
      openPrice: bigint;
      sl: bigint;
      positionSizeToken: bigint;
      /** The order that updated it (v10 values beyond the SDK's PendingOrderType), not interpreted here. */
      pendingOrderType: number;
    }
  | { name: "TradeCollateralUpdated"; id: TradeId; collateralAmount: bigint }
  | { name: "TradeClosed"; id: TradeId; isPnlPositive: boolean }
  | { name: "CollateralAdded"; collateralIndex: number; collateral: Address; gToken: Address }
  | ({ name: "MarketExecuted"; id: TradeId; trade: GTradeTrade; open: boolean } & Execution)
  | ({
      name: "LimitExecuted";
      id: TradeId;
      limitIndex: number;
      trade: GTradeTrade;
      orderType: LimitOrderType;
      /** LIQ_CLOSE: the trade was liquidated. */
      isLiquidation: boolean;
      /** LIMIT_OPEN or STOP_OPEN opened the trade; the other types closed it. */
      opens: boolean;
      triggerCaller: Address;
      exactExecution: boolean;
    } & Execution)
  | ({ name: "PositionSizeIncreaseExecuted"; long: boolean; collateralPriceUsd: bigint; leverageDelta: bigint; newOpenPrice: bigint } & PositionUpdate)
  | ({ name: "PositionSizeDecreaseExecuted"; long: boolean; collateralPriceUsd: bigint; leverageDelta: bigint; isLeverageUpdate: boolean; closingFeeCollateral: bigint; pnlToRealizeCollateral: bigint } & PositionUpdate)
  | ({ name: "LeverageUpdateExecuted"; isIncrease: boolean } & PositionUpdate)
  | { name: "TradeInitialAccFeesStored"; id: TradeId; market: PairMarket; long: boolean; currentPairPrice: bigint; tradeFeesData: Pick<TradeFeesData, "initialAccFundingFeeP" | "initialAccBorrowingFeeP"> }
  | { name: "TradingFeesRealized"; id: TradeId; collateralIndex: number; tradingFeesCollateral: bigint; tradeFeesData: Pick<TradeFeesData, "realizedTradingFeesCollateral" | "realizedPnlCollateral"> }
  | { name: "PnlRealizedOnOpenTrade"; id: TradeId; pnlCollateral: bigint; tradeFeesData: Pick<TradeFeesData, "realizedPnlCollateral"> }
  | { name: "HoldingFeesChargedOnTrade"; id: TradeId; collateralIndex: number; currentPairPrice: bigint; holdingFees: HoldingFees; tradeFeesData: Pick<TradeFeesData, "realizedTradingFeesCollateral" | "realizedPnlCollateral"> }
  | { name: "HoldingFeesRealizedOnTrade"; id: TradeId; collateralIndex: number; currentPairPrice: bigint; holdingFees: HoldingFees; tradeFeesData: Pick<TradeFeesData, "realizedPnlCollateral"> }
  | { name: "TradeFeesDataDownscaled"; id: TradeId; positionSizeCollateralDelta: bigint; existingPositionSizeCollateral: bigint; newCollateralAmount: bigint; tradeFeesData: GTradeTradeFeesData }
  | { name: "BorrowingRatePerSecondPUpdated"; market: PairMarket; params: BorrowingV2Params }
  | { name: "PendingAccBorrowingFeesStored"; market: PairMarket; data: BorrowingV2Data }
  | { name: FundingParamEventName; market: PairMarket; params: Partial<FundingParams> }
  | { name: "PendingAccFundingFeesStored"; market: PairMarket; data: FundingData }
  | { name: "PairOiAfterV10Updated"; market: PairMarket; open: boolean; long: boolean; oiDeltaCollateral: bigint; oiDeltaToken: bigint; oiCollateral: { oiLongCollateral: bigint; oiShortCollateral: bigint }; oiToken: PairOiToken }
  | { name: "PairAdded"; pairIndex: number; from: string; to: string }
  | { name: "PairUpdated"; pairIndex: number }
  | { name: "GroupLiquidationParamsUpdated"; groupIndex: number; params: LiquidationParams }
  | { name: "FeeAdded" | "FeeUpdated"; feeIndex: number; feeGroup: GTradeFeeGroup }
  | { name: "CounterTradeFeeRateMultiplierUpdated"; pairIndex: number; counterTradeFeeRateMultiplier: bigint };

export type GTradeEventName = GTradeEvent["name"];

const EVENT_ABIS = GTradeDiamondAbi.filter((item) => item.type === "event");
const NAME_BY_TOPIC = new Map<Hex, GTradeEventName>(EVENT_ABIS.map((e) => [toEventSelector(e), e.name]));
const ABI_BY_NAME = new Map<GTradeEventName, AbiEvent>(EVENT_ABIS.map((e) => [e.name, e as AbiEvent]));

/** topic0 of every decoded event, by name. */
export const GTRADE_EVENT_TOPICS = Object.fromEntries([...NAME_BY_TOPIC].map(([topic, name]) => [name, topic])) as Record<GTradeEventName, Hex>;

export type GTradeLog = { topics: readonly Hex[]; data: Hex };

// IFundingFees.TradeHoldingFees → the math's HoldingFees.
const holdingFees = (h: { fundingFeeCollateral: bigint; borrowingFeeCollateral: bigint; borrowingFeeCollateral_old: bigint; totalFeeCollateral: bigint }): HoldingFees => ({
  funding: h.fundingFeeCollateral,
  borrowingV2: h.borrowingFeeCollateral,
  borrowingV1: h.borrowingFeeCollateral_old,
  total: h.totalFeeCollateral,
});

const execution = (a: { oraclePrice: bigint; marketPrice: bigint; liqPrice: bigint; percentProfit: bigint; amountSentToTrader: bigint; collateralPriceUsd: bigint }): Execution => ({
  oraclePrice: a.oraclePrice,
  marketPrice: a.marketPrice,
  liqPrice: a.liqPrice,
  percentProfit: a.percentProfit,
  amountSentToTrader: a.amountSentToTrader,
  collateralPriceUsd: a.collateralPriceUsd,
});

/** Decodes one diamond log. Throws GTradeDecodeError for any other event or a log that does not fit. */
export function decodeGTradeEvent(log: GTradeLog): GTradeEvent {
  const topic0 = log.topics[0];
  const name = topic0 === undefined ? undefined : NAME_BY_TOPIC.get(topic0.toLowerCase() as Hex);
  if (name === undefined) throw new GTradeDecodeError("log", `not a followed diamond event (topic0 ${topic0 ?? "missing"})`);
  let decoded;
  try {
    decoded = decodeEventLog({ abi: GTradeDiamondAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data, eventName: name, strict: true });
  } catch (error) {
    throw new GTradeDecodeError(name, `malformed log: ${error instanceof BaseError ? error.shortMessage : String(error)}`);
  }
  assertCanonical(name, log, decoded.args);

  switch (decoded.eventName) {
    case "TradeStored": {
      const a = decoded.args;
      const trade = toTrade(a.trade);
      if (trade.user.toLowerCase() !== a.user.toLowerCase() || trade.index !== a.index) {
        throw new GTradeDecodeError(name, `topics name trade ${a.user}/${a.index}, the struct ${trade.user}/${trade.index}`);
      }
      return { name: "TradeStored", trade, tradeInfo: toTradeInfo(a.tradeInfo), liquidationParams: toLiquidationParams(a.liquidationParams) };
    }
    case "TradePositionUpdated": {
      const a = decoded.args;
      return {
        name: "TradePositionUpdated",
        id: { user: a.user, index: a.index },
        collateralAmount: a.collateralAmount,
        leverage: BigInt(a.leverage),
        openPrice: a.openPrice,
        sl: a.newSl,
        positionSizeToken: a.newPositionSizeToken,
        pendingOrderType: a.pendingOrderType,
      };
    }
    case "TradeCollateralUpdated":
      return { name: "TradeCollateralUpdated", id: { user: decoded.args.user, index: decoded.args.index }, collateralAmount: decoded.args.collateralAmount };
    case "TradeClosed":
      return { name: "TradeClosed", id: { user: decoded.args.user, index: decoded.args.index }, isPnlPositive: decoded.args.isPnlPositive };
    case "CollateralAdded":
      return { name: "CollateralAdded", collateralIndex: decoded.args.index, collateral: decoded.args.collateral, gToken: decoded.args.gToken };
    case "MarketExecuted": {
      const a = decoded.args;
      return { name: "MarketExecuted", id: { user: a.user, index: a.index }, trade: toTrade(a.t), open: a.open, ...execution(a) };
    }
    case "LimitExecuted": {
      const a = decoded.args;
      if (!LIMIT_ORDER_TYPES.includes(a.orderType)) throw new GTradeDecodeError(name, `orderType ${a.orderType} is not a trigger order`);
      const orderType = a.orderType as LimitOrderType;
      return {
        name: "LimitExecuted",
        id: { user: a.user, index: a.index },
        limitIndex: a.limitIndex,
        trade: toTrade(a.t),
        orderType,
        isLiquidation: orderType === PendingOrderType.LIQ_CLOSE,
        opens: orderType === PendingOrderType.LIMIT_OPEN || orderType === PendingOrderType.STOP_OPEN,
        triggerCaller: a.triggerCaller,
        exactExecution: a.exactExecution,
        ...execution(a),
      };
    }
    case "PositionSizeIncreaseExecuted": {
      const a = decoded.args;
      return {
        name: "PositionSizeIncreaseExecuted",
        ...positionUpdate(name, a, a.values),
        long: a.long,
        collateralPriceUsd: a.collateralPriceUsd,
        leverageDelta: a.leverageDelta,
        newOpenPrice: a.values.newOpenPrice,
      };
    }
    case "PositionSizeDecreaseExecuted": {
      const a = decoded.args;
      return {
        name: "PositionSizeDecreaseExecuted",
        ...positionUpdate(name, a, { ...a.values, newLeverage: BigInt(a.values.newLeverage) }),
        long: a.long,
        collateralPriceUsd: a.collateralPriceUsd,
        leverageDelta: a.leverageDelta,
        isLeverageUpdate: a.values.isLeverageUpdate,
        closingFeeCollateral: a.values.closingFeeCollateral,
        pnlToRealizeCollateral: a.values.pnlToRealizeCollateral,
      };
    }
    case "LeverageUpdateExecuted": {
      const a = decoded.args;
      return { name: "LeverageUpdateExecuted", ...positionUpdate(name, a, a.values), isIncrease: a.isIncrease };
    }
    case "TradeInitialAccFeesStored": {
      const a = decoded.args;
      return {
        name: "TradeInitialAccFeesStored",
        id: { user: a.trader, index: a.index },
        market: { collateralIndex: a.collateralIndex, pairIndex: a.pairIndex },
        long: a.long,
        currentPairPrice: a.currentPairPrice,
        tradeFeesData: { initialAccFundingFeeP: a.newInitialAccFundingFeeP, initialAccBorrowingFeeP: a.newInitialAccBorrowingFeeP },
      };
    }
    case "TradingFeesRealized": {
      const a = decoded.args;
      return {
        name: "TradingFeesRealized",
        id: { user: a.trader, index: a.index },
        collateralIndex: a.collateralIndex,
        tradingFeesCollateral: a.tradingFeesCollateral,
        tradeFeesData: { realizedTradingFeesCollateral: a.newRealizedFeesCollateral, realizedPnlCollateral: a.newRealizedPnlCollateral },
      };
    }
    case "PnlRealizedOnOpenTrade": {
      const a = decoded.args;
      return { name: "PnlRealizedOnOpenTrade", id: { user: a.trader, index: a.index }, pnlCollateral: a.pnlCollateral, tradeFeesData: { realizedPnlCollateral: a.newRealizedPnlCollateral } };
    }
    case "HoldingFeesChargedOnTrade": {
      const a = decoded.args;
      return {
        name: "HoldingFeesChargedOnTrade",
        id: { user: a.trader, index: a.index },
        collateralIndex: a.collateralIndex,
        currentPairPrice: a.currentPairPrice,
        holdingFees: holdingFees(a.tradeHoldingFees),
        tradeFeesData: { realizedTradingFeesCollateral: a.newRealizedTradingFeesCollateral, realizedPnlCollateral: a.newRealizedPnlCollateral },
      };
    }
    case "HoldingFeesRealizedOnTrade": {
      const a = decoded.args;
      return {
        name: "HoldingFeesRealizedOnTrade",
        id: { user: a.trader, index: a.index },
        collateralIndex: a.collateralIndex,
        currentPairPrice: a.currentPairPrice,
        holdingFees: holdingFees(a.tradeHoldingFees),
        tradeFeesData: { realizedPnlCollateral: a.newRealizedPnlCollateral },
      };
    }
    case "TradeFeesDataDownscaled": {
      const a = decoded.args;
      return {
        name: "TradeFeesDataDownscaled",
        id: { user: a.trader, index: a.index },
        positionSizeCollateralDelta: a.positionSizeCollateralDelta,
        existingPositionSizeCollateral: a.existingPositionSizeCollateral,
        newCollateralAmount: a.newCollateralAmount,
        tradeFeesData: toTradeFeesData(a.newTradeFeesData),
      };
    }
    case "BorrowingRatePerSecondPUpdated":
      return { name: "BorrowingRatePerSecondPUpdated", market: market(decoded.args), params: { borrowingRatePerSecondP: BigInt(decoded.args.borrowingRatePerSecondP) } };
    case "PendingAccBorrowingFeesStored":
      return { name: "PendingAccBorrowingFeesStored", market: market(decoded.args), data: toBorrowingV2Data(decoded.args.data) };
    case "SkewCoefficientPerYearUpdated":
      return { name: "SkewCoefficientPerYearUpdated", market: market(decoded.args), params: { skewCoefficientPerYear: decoded.args.skewCoefficientPerYear } };
    case "AbsoluteVelocityPerYearCapUpdated":
      return { name: "AbsoluteVelocityPerYearCapUpdated", market: market(decoded.args), params: { absoluteVelocityPerYearCap: BigInt(decoded.args.absoluteVelocityPerYearCap) } };
    case "AbsoluteRatePerSecondCapUpdated":
      return { name: "AbsoluteRatePerSecondCapUpdated", market: market(decoded.args), params: { absoluteRatePerSecondCap: BigInt(decoded.args.absoluteRatePerSecondCap) } };
    case "ThetaThresholdUsdUpdated":
      return { name: "ThetaThresholdUsdUpdated", market: market(decoded.args), params: { thetaThresholdUsd: BigInt(decoded.args.thetaThresholdUsd) } };
    case "FundingFeesEnabledUpdated":
      return { name: "FundingFeesEnabledUpdated", market: market(decoded.args), params: { fundingFeesEnabled: decoded.args.fundingFeesEnabled } };
    case "AprMultiplierEnabledUpdated":
      return { name: "AprMultiplierEnabledUpdated", market: market(decoded.args), params: { aprMultiplierEnabled: decoded.args.aprMultiplierEnabled } };
    case "PendingAccFundingFeesStored":
      return { name: "PendingAccFundingFeesStored", market: market(decoded.args), data: toFundingData(decoded.args.data) };
    case "PairOiAfterV10Updated": {
      const a = decoded.args;
      return {
        name: "PairOiAfterV10Updated",
        market: market(a),
        open: a.open,
        long: a.long,
        oiDeltaCollateral: a.oiDeltaCollateral,
        oiDeltaToken: a.oiDeltaToken,
        oiCollateral: { oiLongCollateral: a.newOiCollateral.oiLongCollateral, oiShortCollateral: a.newOiCollateral.oiShortCollateral },
        oiToken: { oiLongToken: a.newOiToken.oiLongToken, oiShortToken: a.newOiToken.oiShortToken },
      };
    }
    case "PairAdded":
      return { name: "PairAdded", pairIndex: narrowIndex("PairAdded.index", decoded.args.index, 16), from: decoded.args.from, to: decoded.args.to };
    case "PairUpdated":
      return { name: "PairUpdated", pairIndex: narrowIndex("PairUpdated.index", decoded.args.index, 16) };
    case "GroupLiquidationParamsUpdated":
      return {
        name: "GroupLiquidationParamsUpdated",
        groupIndex: narrowIndex("GroupLiquidationParamsUpdated.index", decoded.args.index, 16),
        params: toLiquidationParams(decoded.args.params),
      };
    case "FeeAdded":
    case "FeeUpdated":
      return { name: decoded.eventName, feeIndex: narrowIndex(`${decoded.eventName}.index`, decoded.args.index, 16), feeGroup: toFeeGroup(decoded.args.feeGroup) };
    case "CounterTradeFeeRateMultiplierUpdated":
      return { name: "CounterTradeFeeRateMultiplierUpdated", pairIndex: decoded.args.pairIndex, counterTradeFeeRateMultiplier: BigInt(decoded.args.newValue) };
  }
}

/**
 * viem reads a topic or word and ignores bytes past the last value: the log must be exactly the encoding of
 * what was decoded, so trailing bytes or a narrow type's dirty high bits are errors, not numbers.
 */
function assertCanonical(name: GTradeEventName, log: GTradeLog, args: Record<string, unknown>): void {
  const event = ABI_BY_NAME.get(name)!;
  const valueOf = (input: { name?: string }) => args[input.name!];
  const indexed = Object.fromEntries(event.inputs.filter((i) => i.indexed).map((i) => [i.name!, valueOf(i)]));
  const topics = encodeEventTopics({ abi: [event], eventName: name, args: indexed } as Parameters<typeof encodeEventTopics>[0]);
  const dataInputs = event.inputs.filter((i) => !i.indexed);
  const data = encodeAbiParameters(dataInputs, dataInputs.map(valueOf));
  const sameTopics = topics.length === log.topics.length && topics.every((t, i) => t === log.topics[i]!.toLowerCase());
  if (!sameTopics || data !== log.data.toLowerCase()) throw new GTradeDecodeError(name, "malformed log: not the canonical encoding of its values (extra or dirty bytes)");
}

const market = (a: { collateralIndex: number; pairIndex: number }): PairMarket => ({ collateralIndex: a.collateralIndex, pairIndex: a.pairIndex });

/** The shared part of the three position-update events; their pairIndex and index are uint256 on the wire. */
function positionUpdate(
  name: GTradeEventName,
  a: { trader: Address; index: bigint; collateralIndex: number; pairIndex: bigint; cancelReason: number; oraclePrice: bigint; collateralDelta: bigint },
  values: { newCollateralAmount: bigint; newLeverage: bigint; existingLiqPrice: bigint; newLiqPrice: bigint },
): PositionUpdate {
  return {
    id: { user: a.trader, index: narrowIndex(`${name}.index`, a.index, 32) },
    market: { collateralIndex: a.collateralIndex, pairIndex: narrowIndex(`${name}.pairIndex`, a.pairIndex, 16) },
    executed: a.cancelReason === 0,
    cancelReason: a.cancelReason,
    oraclePrice: a.oraclePrice,
    collateralDelta: a.collateralDelta,
    newCollateralAmount: values.newCollateralAmount,
    newLeverage: values.newLeverage,
    existingLiqPrice: values.existingLiqPrice,
    newLiqPrice: values.newLiqPrice,
  };
}
