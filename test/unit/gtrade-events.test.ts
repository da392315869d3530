import { createRequire } from "node:module";
import { encodeAbiParameters, encodeEventTopics, getAddress, keccak256, toBytes, toEventSelector, zeroAddress, type Abi, type AbiEvent, type AbiFunction, type AbiParameter, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { GTradeDiamondAbi } from "../../abis/GTradeDiamond";
import { GTRADE_EVENT_TOPICS, decodeGTradeEvent, type GTradeEventName, type GTradeLog } from "../../src/protocols/gtrade/events";
import { collateralToUsd, gTradePositionId, gTradePositionKey, isOpenPosition, pairPriceToUsd, positionFigures, usdToPairPrice } from "../../src/protocols/gtrade/normalise";
import { GTradeDecodeError, TradeType, type GTradeTrade } from "../../src/protocols/gtrade/structs";

// The ABI @gainsnetwork/sdk 1.8.7 ships (an ethers factory; the package has no JSON copy). CJS.
const require = createRequire(import.meta.url);
const sdkAbi: Abi = require("@gainsnetwork/sdk/lib/contracts/types/generated/factories/GNSMultiCollatDiamond__factory.js").GNSMultiCollatDiamond__factory.abi;

// Canonical signatures, written out: topic0 is keccak256 of these.
const CANONICAL: Record<GTradeEventName, string> = {
  TradeStored:
    "TradeStored(address,uint32,(address,uint32,uint16,uint24,bool,bool,uint8,uint8,uint120,uint64,uint64,uint64,bool,uint160,uint24),(uint32,uint32,uint32,uint16,uint48,uint48,uint8,uint32,uint8),(uint40,uint40,uint40,uint24,uint24))",
  TradePositionUpdated: "TradePositionUpdated(address,uint32,uint120,uint24,uint64,uint64,uint160,uint8,bool)",
  TradeCollateralUpdated: "TradeCollateralUpdated(address,uint32,uint120)",
  TradeClosed: "TradeClosed(address,uint32,bool)",
  CollateralAdded: "CollateralAdded(address,uint8,address)",
  MarketExecuted:
    "MarketExecuted((address,uint32),address,uint32,(address,uint32,uint16,uint24,bool,bool,uint8,uint8,uint120,uint64,uint64,uint64,bool,uint160,uint24),bool,uint256,uint256,uint256,(uint256,int256,int256,int256,int256,uint64),int256,uint256,uint256)",
  LimitExecuted:
    "LimitExecuted((address,uint32),address,uint32,uint32,(address,uint32,uint16,uint24,bool,bool,uint8,uint8,uint120,uint64,uint64,uint64,bool,uint160,uint24),address,uint8,uint256,uint256,uint256,(uint256,int256,int256,int256,int256,uint64),int256,uint256,uint256,bool)",
  PositionSizeIncreaseExecuted:
    "PositionSizeIncreaseExecuted((address,uint32),uint8,uint8,address,uint256,uint256,bool,uint256,uint256,uint256,uint256,(uint256,uint256,uint256,uint256,uint256,(uint256,int256,int256,int256,int256,uint64),int256,uint256,uint256,uint256,uint256,uint256,bool,uint256,uint256,uint256))",
  PositionSizeDecreaseExecuted:
    "PositionSizeDecreaseExecuted((address,uint32),uint8,uint8,address,uint256,uint256,bool,uint256,uint256,uint256,uint256,(bool,uint256,uint256,uint256,uint256,(uint256,int256,int256,int256,int256,uint64),int256,int256,int256,int256,uint256,uint256,int256,int256,uint120,uint24))",
  LeverageUpdateExecuted: "LeverageUpdateExecuted((address,uint32),bool,uint8,uint8,address,uint256,uint256,uint256,uint256,(uint256,uint256,uint256,uint256,uint256,uint256,uint256,uint256))",
  TradeInitialAccFeesStored: "TradeInitialAccFeesStored(address,uint32,uint8,uint16,bool,uint64,int128,uint128)",
  TradingFeesRealized: "TradingFeesRealized(uint8,address,uint32,uint256,uint256,uint256,int256,uint256)",
  PnlRealizedOnOpenTrade: "PnlRealizedOnOpenTrade(address,uint32,int256,int256)",
  HoldingFeesChargedOnTrade: "HoldingFeesChargedOnTrade(uint8,address,uint32,uint64,(int256,uint256,uint256,int256),uint256,uint256,uint256,int256)",
  HoldingFeesRealizedOnTrade: "HoldingFeesRealizedOnTrade(uint8,address,uint32,uint64,(int256,uint256,uint256,int256),int256)",
  TradeFeesDataDownscaled: "TradeFeesDataDownscaled(address,uint32,uint256,uint256,uint256,(uint128,int128,uint128,uint128,uint128,uint128,int128,uint128))",
  BorrowingRatePerSecondPUpdated: "BorrowingRatePerSecondPUpdated(uint8,uint16,uint24)",
  PendingAccBorrowingFeesStored: "PendingAccBorrowingFeesStored(uint8,uint16,(uint128,uint32,uint96))",
  SkewCoefficientPerYearUpdated: "SkewCoefficientPerYearUpdated(uint8,uint16,uint112)",
  AbsoluteVelocityPerYearCapUpdated: "AbsoluteVelocityPerYearCapUpdated(uint8,uint16,uint24)",
  AbsoluteRatePerSecondCapUpdated: "AbsoluteRatePerSecondCapUpdated(uint8,uint16,uint24)",
  ThetaThresholdUsdUpdated: "ThetaThresholdUsdUpdated(uint8,uint16,uint32)",
  FundingFeesEnabledUpdated: "FundingFeesEnabledUpdated(uint8,uint16,bool)",
  AprMultiplierEnabledUpdated: "AprMultiplierEnabledUpdated(uint8,uint16,bool)",
  PendingAccFundingFeesStored: "PendingAccFundingFeesStored(uint8,uint16,(int128,int128,int56,uint32,uint168))",
  PairOiAfterV10Updated: "PairOiAfterV10Updated(uint8,uint16,uint256,uint256,bool,bool,(uint128,uint128),(uint128,uint128))",
  PairAdded: "PairAdded(uint256,string,string)",
  PairUpdated: "PairUpdated(uint256)",
  GroupLiquidationParamsUpdated: "GroupLiquidationParamsUpdated(uint256,(uint40,uint40,uint40,uint24,uint24))",
  FeeAdded: "FeeAdded(uint256,(uint40,uint40,uint40,uint32,uint104))",
  FeeUpdated: "FeeUpdated(uint256,(uint40,uint40,uint40,uint32,uint104))",
  CounterTradeFeeRateMultiplierUpdated: "CounterTradeFeeRateMultiplierUpdated(uint16,uint16)",
};

type Shape = [string, string, boolean, Shape[] | null];
const shape = (p: AbiParameter & { indexed?: boolean }): Shape => [p.name ?? "", p.type, p.indexed ?? false, "components" in p ? p.components.map(shape) : null];
const ourEvents = GTradeDiamondAbi.filter((x): x is Extract<(typeof GTradeDiamondAbi)[number], { type: "event" }> => x.type === "event") as readonly AbiEvent[];
const ourViews = GTradeDiamondAbi.filter((x) => x.type === "function") as readonly AbiFunction[];

describe("abis/GTradeDiamond.ts against the SDK's GNSMultiCollatDiamond ABI", () => {
  it.each(ourEvents.map((e) => [e.name, e] as const))("event %s: topic0 is keccak256 of its canonical signature and the SDK's", (name, event) => {
    const signature = CANONICAL[name as GTradeEventName];
    expect(signature, `${name} has a canonical signature here`).toBeDefined();
    expect(toEventSelector(event)).toBe(keccak256(toBytes(signature)));
    const sdk = sdkAbi.filter((x): x is AbiEvent => x.type === "event" && x.name === name);
    expect(sdk).toHaveLength(1);
    expect(toEventSelector(event)).toBe(toEventSelector(sdk[0]!));
    expect(event.inputs.map(shape)).toEqual(sdk[0]!.inputs.map(shape));
    expect(GTRADE_EVENT_TOPICS[name as GTradeEventName]).toBe(toEventSelector(event));
  });

  it("declares every canonical event once, and pins the two notes in ../shared/protocols.md", () => {
    expect(ourEvents.map((e) => e.name).sort()).toEqual(Object.keys(CANONICAL).sort());
    expect(GTRADE_EVENT_TOPICS.MarketExecuted).toMatch(/^0xbdc1265d.*0a8b$/);
    expect(GTRADE_EVENT_TOPICS.LimitExecuted).toMatch(/^0x9c19bc42.*a17d$/);
  });

  it.each(ourViews.map((f) => [f.name, f] as const))("view %s has the SDK's inputs and outputs", (name, view) => {
    const sdk = sdkAbi.filter((x): x is AbiFunction => x.type === "function" && x.name === name);
    expect(sdk).toHaveLength(1);
    expect(sdk[0]!.stateMutability).toBe("view");
    expect(view.inputs.map(shape)).toEqual(sdk[0]!.inputs.map(shape));
    expect(view.outputs.map(shape)).toEqual(sdk[0]!.outputs.map(shape));
  });
});

// ── Logs encoded from our ABI ─────────────────────────────────────────────────────────────────────

const USER: Address = getAddress("0x00000000000000000000000000000000000000a1");
const OTHER: Address = getAddress("0x00000000000000000000000000000000000000b2");

function encodeLog(eventName: GTradeEventName, args: Record<string, unknown>): GTradeLog {
  const event = ourEvents.find((e) => e.name === eventName)!;
  const indexed = Object.fromEntries(event.inputs.filter((i) => i.indexed).map((i) => [i.name!, args[i.name!]]));
  const topics = encodeEventTopics({ abi: [event], eventName, args: indexed } as never) as Hex[];
  const values = event.inputs.filter((i) => !i.indexed);
  return { topics, data: encodeAbiParameters(values, values.map((i) => args[i.name!])) };
}

const tradeStruct = (over: Record<string, unknown> = {}) => ({
  user: USER,
  index: 7,
  pairIndex: 3,
  leverage: 25_500,
  long: true,
  isOpen: true,
  collateralIndex: 2,
  tradeType: 0,
  collateralAmount: 1_234_567_890n,
  openPrice: 61_234_5678901234n,
  tp: 70_000n * 10n ** 10n,
  sl: 0n,
  isCounterTrade: false,
  positionSizeToken: 51_412_345_678_901_234n,
  __placeholder: 0,
  ...over,
});
const tradeRecord: GTradeTrade = {
  user: USER,
  index: 7,
  pairIndex: 3,
  collateralIndex: 2,
  long: true,
  isOpen: true,
  tradeType: TradeType.TRADE,
  leverage: 25_500n,
  collateralAmount: 1_234_567_890n,
  openPrice: 61_234_5678901234n,
  tp: 70_000n * 10n ** 10n,
  sl: 0n,
  isCounterTrade: false,
  positionSizeToken: 51_412_345_678_901_234n,
};
const tradeInfoStruct = (over: Record<string, unknown> = {}) => ({
  createdBlock: 1000,
  tpLastUpdatedBlock: 1000,
  slLastUpdatedBlock: 1000,
  maxSlippageP: 1000,
  lastOiUpdateTs: 1_700_000_000,
  collateralPriceUsd: 99_980_000,
  contractsVersion: 2,
  lastPosIncreaseBlock: 1000,
  __placeholder: 0,
  ...over,
});
const liqParamsStruct = { maxLiqSpreadP: 500_000_000, startLiqThresholdP: 900_000_000_000, endLiqThresholdP: 800_000_000_000, startLeverage: 25_000, endLeverage: 100_000 };
const liqParams = { maxLiqSpreadP: 500_000_000n, startLiqThresholdP: 900_000_000_000n, endLiqThresholdP: 800_000_000_000n, startLeverage: 25_000n, endLeverage: 100_000n };
const noImpact = { positionSizeToken: 0n, fixedSpreadP: 0n, cumulVolPriceImpactP: 0n, skewPriceImpactP: 0n, totalPriceImpactP: 0n, priceAfterImpact: 0n };
const executed = (over: Record<string, unknown> = {}) => ({
  orderId: { user: USER, index: 99 },
  user: USER,
  index: 7,
  t: tradeStruct(),
  oraclePrice: 60_000n * 10n ** 10n,
  marketPrice: 60_001n * 10n ** 10n,
  liqPrice: 58_000n * 10n ** 10n,
  priceImpact: noImpact,
  percentProfit: -123_456_789n,
  amountSentToTrader: 0n,
  collateralPriceUsd: 99_980_000n,
  ...over,
});
const limit = (orderType: number) => executed({ limitIndex: 7, triggerCaller: OTHER, orderType, exactExecution: true });
const decreaseValues = {
  isLeverageUpdate: false,
  positionSizeCollateralDelta: 10n,
  existingPositionSizeCollateral: 30n,
  existingLiqPrice: 1n,
  newLiqPrice: 2n,
  priceImpact: noImpact,
  existingPnlPercent: -5n,
  partialRawPnlCollateral: -1n,
  partialNetPnlCollateral: -2n,
  pnlToRealizeCollateral: -3n,
  closingFeeCollateral: 4n,
  totalAvailableCollateralInDiamond: 0n,
  availableCollateralInDiamond: 0n,
  collateralSentToTrader: 0n,
  newCollateralAmount: 20n,
  newLeverage: 1_500,
};
const increaseValues = {
  positionSizeCollateralDelta: 10n,
  existingPositionSizeCollateral: 30n,
  newPositionSizeCollateral: 40n,
  newCollateralAmount: 25n,
  newLeverage: 1_600n,
  priceImpact: noImpact,
  existingPnlCollateral: 0n,
  oldPosSizePlusPnlCollateral: 30n,
  newOpenPrice: 61_000n * 10n ** 10n,
  openingFeesCollateral: 1n,
  existingLiqPrice: 5n,
  newLiqPrice: 6n,
  isCounterTradeValidated: false,
  exceedingPositionSizeCollateral: 0n,
  counterTradeCollateralToReturn: 0n,
  newEffectiveLeverage: 1_700n,
};
const positionHead = (over: Record<string, unknown> = {}) => ({
  orderId: { user: USER, index: 99 },
  cancelReason: 0,
  collateralIndex: 2,
  trader: USER,
  pairIndex: 3n,
  index: 7n,
  long: false,
  oraclePrice: 60_000n * 10n ** 10n,
  collateralPriceUsd: 100_000_000n,
  collateralDelta: 5n,
  leverageDelta: 100n,
  ...over,
});
const feesDataStruct = {
  realizedTradingFeesCollateral: 11n,
  realizedPnlCollateral: -22n,
  manuallyRealizedNegativePnlCollateral: 3n,
  alreadyTransferredNegativePnlCollateral: 4n,
  virtualAvailableCollateralInDiamond: 5n,
  __placeholder: 0n,
  initialAccFundingFeeP: -6n * 10n ** 20n,
  initialAccBorrowingFeeP: 7n * 10n ** 20n,
};
const holdingFeesStruct = { fundingFeeCollateral: -10n, borrowingFeeCollateral: 30n, borrowingFeeCollateral_old: 5n, totalFeeCollateral: 25n };
const market = { collateralIndex: 2, pairIndex: 3 };

describe("decodeGTradeEvent", () => {
  it("TradeStored: the trade, its info and liquidation params in the math's units", () => {
    expect(decodeGTradeEvent(encodeLog("TradeStored", { user: USER, index: 7, trade: tradeStruct(), tradeInfo: tradeInfoStruct(), liquidationParams: liqParamsStruct }))).toEqual({
      name: "TradeStored",
      trade: tradeRecord,
      tradeInfo: {
        createdBlock: 1000n,
        tpLastUpdatedBlock: 1000n,
        slLastUpdatedBlock: 1000n,
        maxSlippageP: 1000n,
        lastOiUpdateTs: 1_700_000_000n,
        collateralPriceUsd: 99_980_000n,
        contractsVersion: 2,
        lastPosIncreaseBlock: 1000n,
      },
      liquidationParams: liqParams,
    });
  });

  it("rejects a TradeStored whose topics and struct name different trades, or whose enums the SDK does not define", () => {
    const stored = (trade: object, tradeInfo: object) => encodeLog("TradeStored", { user: USER, index: 8, trade, tradeInfo, liquidationParams: liqParamsStruct });
    expect(() => decodeGTradeEvent(stored(tradeStruct(), tradeInfoStruct()))).toThrow(/topics name trade .*\/8, the struct .*\/7/);
    const at7 = (trade: object, tradeInfo: object) => encodeLog("TradeStored", { user: USER, index: 7, trade, tradeInfo, liquidationParams: liqParamsStruct });
    expect(() => decodeGTradeEvent(at7(tradeStruct({ tradeType: 3 }), tradeInfoStruct()))).toThrow(/Trade.tradeType: unknown value 3/);
    expect(() => decodeGTradeEvent(at7(tradeStruct(), tradeInfoStruct({ contractsVersion: 3 })))).toThrow(/contractsVersion: unknown value 3/);
  });

  it("TradePositionUpdated, TradeCollateralUpdated, TradeClosed", () => {
    const updated = { user: USER, index: 7, collateralAmount: 5n, leverage: 2_000, openPrice: 9n, newSl: 8n, newPositionSizeToken: 7n, pendingOrderType: 8, isPnlPositive: true };
    expect(decodeGTradeEvent(encodeLog("TradePositionUpdated", updated))).toEqual({
      name: "TradePositionUpdated",
      id: { user: USER, index: 7 },
      collateralAmount: 5n,
      leverage: 2_000n,
      openPrice: 9n,
      sl: 8n,
      positionSizeToken: 7n,
      pendingOrderType: 8,
    });
    expect(decodeGTradeEvent(encodeLog("TradeCollateralUpdated", { user: USER, index: 7, collateralAmount: 123n }))).toEqual({ name: "TradeCollateralUpdated", id: { user: USER, index: 7 }, collateralAmount: 123n });
    expect(decodeGTradeEvent(encodeLog("TradeClosed", { user: USER, index: 7, isPnlPositive: false }))).toEqual({ name: "TradeClosed", id: { user: USER, index: 7 }, isPnlPositive: false });
  });

  it("MarketExecuted: open or close, with the diamond's liquidation price", () => {
    expect(decodeGTradeEvent(encodeLog("MarketExecuted", executed({ open: true })))).toEqual({
      name: "MarketExecuted",
      id: { user: USER, index: 7 },
      trade: tradeRecord,
      open: true,
      oraclePrice: 60_000n * 10n ** 10n,
      marketPrice: 60_001n * 10n ** 10n,
      liqPrice: 58_000n * 10n ** 10n,
      percentProfit: -123_456_789n,
      amountSentToTrader: 0n,
      collateralPriceUsd: 99_980_000n,
    });
  });

  it("LimitExecuted: LIQ_CLOSE (6) is a liquidation, LIMIT_OPEN/STOP_OPEN open, TP/SL close; other order types are errors", () => {
    const decoded = (orderType: number) => decodeGTradeEvent(encodeLog("LimitExecuted", limit(orderType)));
    expect(decoded(6)).toMatchObject({ name: "LimitExecuted", orderType: 6, isLiquidation: true, opens: false, limitIndex: 7, triggerCaller: OTHER, exactExecution: true, trade: tradeRecord });
    expect(decoded(2)).toMatchObject({ isLiquidation: false, opens: true });
    expect(decoded(3)).toMatchObject({ isLiquidation: false, opens: true });
    expect(decoded(4)).toMatchObject({ isLiquidation: false, opens: false });
    expect(decoded(5)).toMatchObject({ isLiquidation: false, opens: false });
    for (const bad of [0, 1, 7, 255]) expect(() => decoded(bad)).toThrow(new RegExp(`LimitExecuted: orderType ${bad} is not a trigger order`));
  });

  it("PositionSizeIncrease/DecreaseExecuted and LeverageUpdateExecuted: outcome, cancelled flag, uint256 indices narrowed", () => {
    const common = {
      id: { user: USER, index: 7 },
      market,
      executed: true,
      cancelReason: 0,
      oraclePrice: 60_000n * 10n ** 10n,
      collateralDelta: 5n,
    };
    expect(decodeGTradeEvent(encodeLog("PositionSizeIncreaseExecuted", { ...positionHead(), values: increaseValues }))).toEqual({
      name: "PositionSizeIncreaseExecuted",
      ...common,
      newCollateralAmount: 25n,
      newLeverage: 1_600n,
      existingLiqPrice: 5n,
      newLiqPrice: 6n,
      long: false,
      collateralPriceUsd: 100_000_000n,
      leverageDelta: 100n,
      newOpenPrice: 61_000n * 10n ** 10n,
    });
    expect(decodeGTradeEvent(encodeLog("PositionSizeDecreaseExecuted", { ...positionHead({ cancelReason: 3 }), values: decreaseValues }))).toEqual({
      name: "PositionSizeDecreaseExecuted",
      ...common,
      executed: false,
      cancelReason: 3,
      newCollateralAmount: 20n,
      newLeverage: 1_500n,
      existingLiqPrice: 1n,
      newLiqPrice: 2n,
      long: false,
      collateralPriceUsd: 100_000_000n,
      leverageDelta: 100n,
      isLeverageUpdate: false,
      closingFeeCollateral: 4n,
      pnlToRealizeCollateral: -3n,
    });
    const leverageValues = { newLeverage: 3_000n, newCollateralAmount: 10n, existingLiqPrice: 7n, newLiqPrice: 8n, govFeeCollateral: 1n, newEffectiveLeverage: 3_100n, totalTradeAvailableCollateralInDiamond: 0n, availableCollateralInDiamond: 0n };
    const head = positionHead();
    expect(
      decodeGTradeEvent(
        encodeLog("LeverageUpdateExecuted", { orderId: head.orderId, isIncrease: true, cancelReason: 0, collateralIndex: 2, trader: USER, pairIndex: 3n, index: 7n, oraclePrice: head.oraclePrice, collateralDelta: 5n, values: leverageValues }),
      ),
    ).toEqual({ name: "LeverageUpdateExecuted", ...common, newCollateralAmount: 10n, newLeverage: 3_000n, existingLiqPrice: 7n, newLiqPrice: 8n, isIncrease: true });

    expect(() => decodeGTradeEvent(encodeLog("PositionSizeIncreaseExecuted", { ...positionHead({ index: 1n << 32n }), values: increaseValues }))).toThrow(/PositionSizeIncreaseExecuted.index: index 4294967296 does not fit uint32/);
    expect(() => decodeGTradeEvent(encodeLog("PositionSizeDecreaseExecuted", { ...positionHead({ pairIndex: 70_000n }), values: decreaseValues }))).toThrow(/pairIndex: index 70000 does not fit uint16/);
  });

  it("TradeFeesData updates: initial accumulators, realized fees and PnL, holding fees, downscale", () => {
    const id = { user: USER, index: 7 };
    expect(
      decodeGTradeEvent(encodeLog("TradeInitialAccFeesStored", { trader: USER, index: 7, collateralIndex: 2, pairIndex: 3, long: true, currentPairPrice: 9n, newInitialAccFundingFeeP: -5n, newInitialAccBorrowingFeeP: 6n })),
    ).toEqual({ name: "TradeInitialAccFeesStored", id, market, long: true, currentPairPrice: 9n, tradeFeesData: { initialAccFundingFeeP: -5n, initialAccBorrowingFeeP: 6n } });
    expect(
      decodeGTradeEvent(
        encodeLog("TradingFeesRealized", { collateralIndex: 2, trader: USER, index: 7, tradingFeesCollateral: 3n, finalTradingFeesCollateral: 2n, newRealizedFeesCollateral: 13n, newRealizedPnlCollateral: -4n, amountSentFromVaultCollateral: 0n }),
      ),
    ).toEqual({ name: "TradingFeesRealized", id, collateralIndex: 2, tradingFeesCollateral: 3n, tradeFeesData: { realizedTradingFeesCollateral: 13n, realizedPnlCollateral: -4n } });
    expect(decodeGTradeEvent(encodeLog("PnlRealizedOnOpenTrade", { trader: USER, index: 7, pnlCollateral: -9n, newRealizedPnlCollateral: -19n }))).toEqual({
      name: "PnlRealizedOnOpenTrade",
      id,
      pnlCollateral: -9n,
      tradeFeesData: { realizedPnlCollateral: -19n },
    });
    const holding = { funding: -10n, borrowingV2: 30n, borrowingV1: 5n, total: 25n };
    expect(
      decodeGTradeEvent(
        encodeLog("HoldingFeesChargedOnTrade", {
          collateralIndex: 2,
          trader: USER,
          index: 7,
          currentPairPrice: 9n,
          tradeHoldingFees: holdingFeesStruct,
          availableCollateralInDiamond: 1n,
          amountSentToVaultCollateral: 2n,
          newRealizedTradingFeesCollateral: 40n,
          newRealizedPnlCollateral: -50n,
        }),
      ),
    ).toEqual({ name: "HoldingFeesChargedOnTrade", id, collateralIndex: 2, currentPairPrice: 9n, holdingFees: holding, tradeFeesData: { realizedTradingFeesCollateral: 40n, realizedPnlCollateral: -50n } });
    expect(decodeGTradeEvent(encodeLog("HoldingFeesRealizedOnTrade", { collateralIndex: 2, trader: USER, index: 7, currentPairPrice: 9n, tradeHoldingFees: holdingFeesStruct, newRealizedPnlCollateral: -25n }))).toEqual({
      name: "HoldingFeesRealizedOnTrade",
      id,
      collateralIndex: 2,
      currentPairPrice: 9n,
      holdingFees: holding,
      tradeFeesData: { realizedPnlCollateral: -25n },
    });
    const { __placeholder, ...feesData } = feesDataStruct;
    expect(__placeholder).toBe(0n);
    expect(
      decodeGTradeEvent(encodeLog("TradeFeesDataDownscaled", { trader: USER, index: 7, positionSizeCollateralDelta: 1n, existingPositionSizeCollateral: 3n, newCollateralAmount: 2n, newTradeFeesData: feesDataStruct })),
    ).toEqual({ name: "TradeFeesDataDownscaled", id, positionSizeCollateralDelta: 1n, existingPositionSizeCollateral: 3n, newCollateralAmount: 2n, tradeFeesData: feesData });
  });

  it("borrowing v2, funding and open-interest state per (collateral, pair)", () => {
    const per = { collateralIndex: 2, pairIndex: 3 };
    expect(decodeGTradeEvent(encodeLog("BorrowingRatePerSecondPUpdated", { ...per, borrowingRatePerSecondP: 3_170 }))).toEqual({ name: "BorrowingRatePerSecondPUpdated", market, params: { borrowingRatePerSecondP: 3_170n } });
    expect(decodeGTradeEvent(encodeLog("PendingAccBorrowingFeesStored", { ...per, data: { accBorrowingFeeP: 10n ** 22n, lastBorrowingUpdateTs: 1_700_000_001, __placeholder: 0n } }))).toEqual({
      name: "PendingAccBorrowingFeesStored",
      market,
      data: { accBorrowingFeeP: 10n ** 22n, lastBorrowingUpdateTs: 1_700_000_001n },
    });
    const fundingData = { accFundingFeeLongP: -(10n ** 21n), accFundingFeeShortP: 10n ** 21n, lastFundingRatePerSecondP: -123_456_789n, lastFundingUpdateTs: 1_700_000_002, __placeholder: 0n };
    expect(decodeGTradeEvent(encodeLog("PendingAccFundingFeesStored", { ...per, data: fundingData }))).toEqual({
      name: "PendingAccFundingFeesStored",
      market,
      data: { accFundingFeeLongP: -(10n ** 21n), accFundingFeeShortP: 10n ** 21n, lastFundingRatePerSecondP: -123_456_789n, lastFundingUpdateTs: 1_700_000_002n },
    });
    const params: [GTradeEventName, string, unknown, unknown][] = [
      ["SkewCoefficientPerYearUpdated", "skewCoefficientPerYear", 5n * 10n ** 26n, 5n * 10n ** 26n],
      ["AbsoluteVelocityPerYearCapUpdated", "absoluteVelocityPerYearCap", 1_000_000, 1_000_000n],
      ["AbsoluteRatePerSecondCapUpdated", "absoluteRatePerSecondCap", 2_000, 2_000n],
      ["ThetaThresholdUsdUpdated", "thetaThresholdUsd", 50_000, 50_000n],
      ["FundingFeesEnabledUpdated", "fundingFeesEnabled", true, true],
      ["AprMultiplierEnabledUpdated", "aprMultiplierEnabled", false, false],
    ];
    for (const [name, field, wire, value] of params) {
      expect(decodeGTradeEvent(encodeLog(name, { ...per, [field]: wire }))).toEqual({ name, market, params: { [field]: value } });
    }
    expect(
      decodeGTradeEvent(
        encodeLog("PairOiAfterV10Updated", {
          ...per,
          oiDeltaCollateral: 1n,
          oiDeltaToken: 2n,
          open: true,
          long: false,
          newOiCollateral: { oiLongCollateral: 3n, oiShortCollateral: 4n },
          newOiToken: { oiLongToken: 5n, oiShortToken: 6n },
        }),
      ),
    ).toEqual({
      name: "PairOiAfterV10Updated",
      market,
      open: true,
      long: false,
      oiDeltaCollateral: 1n,
      oiDeltaToken: 2n,
      oiCollateral: { oiLongCollateral: 3n, oiShortCollateral: 4n },
      oiToken: { oiLongToken: 5n, oiShortToken: 6n },
    });
  });

  it("pairs, groups, fee groups, counter-trade multiplier and collaterals", () => {
    expect(decodeGTradeEvent(encodeLog("PairAdded", { index: 3n, from: "BTC", to: "USD" }))).toEqual({ name: "PairAdded", pairIndex: 3, from: "BTC", to: "USD" });
    expect(decodeGTradeEvent(encodeLog("PairUpdated", { index: 3n }))).toEqual({ name: "PairUpdated", pairIndex: 3 });
    expect(decodeGTradeEvent(encodeLog("GroupLiquidationParamsUpdated", { index: 1n, params: liqParamsStruct }))).toEqual({ name: "GroupLiquidationParamsUpdated", groupIndex: 1, params: liqParams });
    const feeGroup = { totalPositionSizeFeeP: 600_000_000, totalLiqCollateralFeeP: 10_000_000_000, oraclePositionSizeFeeP: 40_000_000, minPositionSizeUsd: 1_500_000, __placeholder: 0n };
    const feeRecord = { totalPositionSizeFeeP: 600_000_000n, totalLiqCollateralFeeP: 10_000_000_000n, oraclePositionSizeFeeP: 40_000_000n, minPositionSizeUsd: 1_500_000n };
    expect(decodeGTradeEvent(encodeLog("FeeAdded", { index: 0n, feeGroup }))).toEqual({ name: "FeeAdded", feeIndex: 0, feeGroup: feeRecord });
    expect(decodeGTradeEvent(encodeLog("FeeUpdated", { index: 4n, feeGroup }))).toEqual({ name: "FeeUpdated", feeIndex: 4, feeGroup: feeRecord });
    expect(decodeGTradeEvent(encodeLog("CounterTradeFeeRateMultiplierUpdated", { pairIndex: 3, newValue: 1_500 }))).toEqual({ name: "CounterTradeFeeRateMultiplierUpdated", pairIndex: 3, counterTradeFeeRateMultiplier: 1_500n });
    expect(decodeGTradeEvent(encodeLog("CollateralAdded", { collateral: OTHER, index: 2, gToken: zeroAddress }))).toEqual({ name: "CollateralAdded", collateralIndex: 2, collateral: OTHER, gToken: zeroAddress });
    expect(() => decodeGTradeEvent(encodeLog("PairUpdated", { index: 1n << 16n }))).toThrow(/PairUpdated.index: index 65536 does not fit uint16/);
  });

  it("another event, a missing topic, short or long data and missing indexed topics are errors, never records", () => {
    const closed = encodeLog("TradeClosed", { user: USER, index: 7, isPnlPositive: true });
    const transfer = keccak256(toBytes("Transfer(address,address,uint256)"));
    expect(() => decodeGTradeEvent({ topics: [transfer], data: "0x" })).toThrow(GTradeDecodeError);
    expect(() => decodeGTradeEvent({ topics: [transfer], data: "0x" })).toThrow(/not a followed diamond event \(topic0 0xddf252ad/);
    expect(() => decodeGTradeEvent({ topics: [], data: "0x" })).toThrow(/topic0 missing/);
    expect(() => decodeGTradeEvent({ topics: closed.topics, data: "0x" })).toThrow(/TradeClosed: malformed log/);
    expect(() => decodeGTradeEvent({ topics: closed.topics.slice(0, 2), data: closed.data })).toThrow(/TradeClosed: malformed log/);
    expect(() => decodeGTradeEvent({ topics: closed.topics, data: `${closed.data}00` as Hex })).toThrow(/TradeClosed: malformed log/);
    const stored = encodeLog("TradeStored", { user: USER, index: 7, trade: tradeStruct(), tradeInfo: tradeInfoStruct(), liquidationParams: liqParamsStruct });
    expect(() => decodeGTradeEvent({ topics: stored.topics, data: stored.data.slice(0, -64) as Hex })).toThrow(/TradeStored: malformed log/);
    // A uint32 topic with high bits set is not a trade index.
    const dirtyIndex = `0x01${"00".repeat(27)}00000007` as Hex;
    expect(() => decodeGTradeEvent({ topics: [closed.topics[0]!, closed.topics[1]!, dirtyIndex], data: closed.data })).toThrow(/TradeClosed: malformed log/);
    // A bool field holding 2 is not a bool.
    const badBool = `${closed.data.slice(0, -1)}2` as Hex;
    expect(() => decodeGTradeEvent({ topics: closed.topics, data: badBool })).toThrow(/TradeClosed: malformed log/);
  });
});

describe("normalise", () => {
  it("keys a trade by chain, diamond, trader and index", () => {
    expect(gTradePositionId(42161, "0xFF162c694eAA571f685030649814282eA457f169", USER, 7)).toBe(`42161:gtrade:0xff162c694eaa571f685030649814282ea457f169:${USER.toLowerCase()}:7`);
    expect(gTradePositionKey(USER, 7)).toBe(keccak256(`0x${USER.slice(2).toLowerCase()}00000007`));
    expect(gTradePositionKey(USER, 7)).not.toBe(gTradePositionKey(USER, 8));
  });

  it("counts only open market trades as positions", () => {
    expect(isOpenPosition(tradeRecord)).toBe(true);
    expect(isOpenPosition({ ...tradeRecord, isOpen: false })).toBe(false);
    expect(isOpenPosition({ ...tradeRecord, tradeType: TradeType.LIMIT })).toBe(false);
    expect(isOpenPosition({ ...tradeRecord, tradeType: TradeType.STOP })).toBe(false);
  });

  it("converts collateral to USD 1e30 exactly, for 6 and 18 decimals", () => {
    expect(collateralToUsd(1_234_567n, { decimals: 6, priceUsd: 99_980_000n })).toBe(1_234_567n * 99_980_000n * 10n ** 16n);
    expect(collateralToUsd(10n ** 18n, { decimals: 18, priceUsd: 300_012_345_678n })).toBe(3_000_123_456_780_000_000_000_000_000_000_000n);
    expect(collateralToUsd(1n, { decimals: 18, priceUsd: 1n })).toBe(10_000n);
    expect(() => collateralToUsd(1n, { decimals: 19, priceUsd: 1n })).toThrow(/decimals/);
    expect(() => collateralToUsd(-1n, { decimals: 6, priceUsd: 1n })).toThrow(/amount must be ≥ 0/);
  });

  it("converts pair prices (1e10) to USD per whole token (1e30) and back, for USD-quoted pairs only", () => {
    const usdPair = { to: "USD" };
    expect(pairPriceToUsd(61_234_5678901234n, usdPair)).toBe(61_234_5678901234n * 10n ** 20n);
    expect(usdToPairPrice(pairPriceToUsd(12_345n, usdPair), usdPair)).toBe(12_345n);
    expect(usdToPairPrice(10n ** 20n - 1n, usdPair)).toBe(0n);
    expect(() => pairPriceToUsd(1n, { to: "BTC" })).toThrow(/quoted in "BTC", not USD/);
    expect(() => usdToPairPrice(1n, { to: "JPY" })).toThrow(/quoted in "JPY", not USD/);
  });

  it("gives side, size in collateral and USD, collateral in USD and the entry price", () => {
    // 1234.56789 USDC-like (6 decimals) at 25.5x: size = C × L / 1e3, down.
    const trade = { ...tradeRecord, collateralAmount: 1_234_567_890n, leverage: 25_500n };
    const size = (1_234_567_890n * 25_500n) / 1000n;
    expect(positionFigures(trade, { decimals: 6, priceUsd: 99_980_000n }, { to: "USD" })).toEqual({
      isLong: true,
      sizeCollateral: size,
      sizeUsd: size * 99_980_000n * 10n ** 16n,
      collateralUsd: 1_234_567_890n * 99_980_000n * 10n ** 16n,
      entryPrice: 61_234_5678901234n * 10n ** 20n,
    });
    expect(positionFigures({ ...trade, long: false }, { decimals: 6, priceUsd: 10n ** 8n }, { to: "USD" }).isLong).toBe(false);
  });
});
