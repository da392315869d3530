import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestClient, http, type Abi, type Address, type Log } from "viem";
import { GTradeDiamondAbi } from "../../abis/GTradeDiamond";
import type { BorrowingV2Data, BorrowingV2Params } from "../../src/protocols/gtrade/borrowing";
import { decodeGTradeEvent, type GTradeEvent, type PairMarket } from "../../src/protocols/gtrade/events";
import type { FundingData, FundingParams, PairOiToken } from "../../src/protocols/gtrade/funding";
import { closingFeeCollateral, holdingFeesCollateral, liquidationPrice, totalRealizedPnlCollateral, type LiquidationParams } from "../../src/protocols/gtrade/math";
import {
  toBorrowingV2Data,
  toBorrowingV2Params,
  toFeeGroup,
  toFundingData,
  toFundingParams,
  toLiquidationParams,
  toPairOiToken,
  toTrade,
  toTradeFeesData,
  toTradeInfo,
  type GTradeFeeGroup,
  type GTradeTrade,
  type GTradeTradeFeesData,
  type GTradeTradeInfo,
} from "../../src/protocols/gtrade/structs";
import { startAnvil, type AnvilHandle } from "./anvil.js";
import { anvilAccount, chainClients, deploy, fixtureChain, send, trySend } from "./clients.js";
import { pickArtifacts } from "./compile.js";
import { BTC, configureGTradePairs, ETH, openGTradeTrade, type GTradeOpen } from "./gtrade-deploy";

// FixtureGTrade (test/chain/contracts/FixtureGTrade.sol) through a scripted life, then: every log it
// emitted decodes with src/protocols/gtrade/events.ts into exactly the state its v10 views report, and
// its liquidation check flips at the price src/protocols/gtrade/math.ts computes, to the unit.

const E10 = 10n ** 10n;
const E18 = 10n ** 18n;
const USDC = 1; // collateral indices are 1-based
const DAI = 2;
const COLLATERAL_DECIMALS: Record<number, number> = { [USDC]: 6, [DAI]: 18 };
const COLLATERAL_PRICE_USD: Record<number, bigint> = { [USDC]: 100_000_000n, [DAI]: 99_980_000n };
const DAY = 86_400;
// ITradingStorage.PendingOrderType (SDK): closes by market, stop loss.
const MARKET_CLOSE = 1;
const SL_CLOSE = 5;

let anvil: AnvilHandle;
let rpcUrl: string;
let gtrade: Address;
let fixtureAbi: Abi;
let startBlock: bigint;
const owner = anvilAccount(0);
const alice = anvilAccount(1).address;
const bob = anvilAccount(2).address;
const carol = anvilAccount(3).address;

const op = (functionName: string, args: readonly unknown[]) => send(rpcUrl, owner, { address: gtrade, abi: fixtureAbi, functionName, args });
const rpc = () => chainClients(rpcUrl).publicClient;
/** A view through our ABI (abis/GTradeDiamond.ts), at `blockNumber` (the head if omitted). */
const view = <T>(functionName: string, args: readonly unknown[], blockNumber?: bigint) =>
  rpc().readContract({ address: gtrade, abi: GTradeDiamondAbi, functionName, args, blockNumber } as never) as Promise<T>;
const fixtureView = <T>(functionName: string, args: readonly unknown[], blockNumber: bigint) =>
  rpc().readContract({ address: gtrade, abi: fixtureAbi, functionName, args, blockNumber } as never) as Promise<T>;
const tester = () => createTestClient({ mode: "anvil", chain: fixtureChain(rpcUrl), transport: http(rpcUrl) });
const passTime = async (seconds: number) => {
  await tester().increaseTime({ seconds });
  await tester().mine({ blocks: 1 });
};

async function openTrade(input: GTradeOpen): Promise<TradeRef> {
  const { user, index } = await openGTradeTrade(op, input);
  return { user, index };
}

type TradeRef = { user: Address; index: number };
let t1: TradeRef; // alice long BTC on USDC, increased
let t2: TradeRef; // bob short BTC on DAI, partly decreased, then closed
let t3: TradeRef; // alice short ETH on DAI (legacy 90% group), leverage updated, then liquidated
let t4: TradeRef; // carol long ETH on USDC, collateral updated
let t5: TradeRef; // carol long BTC on USDC, a counter trade under the min position size, closed by SL
let t6: TradeRef; // bob short ETH on DAI
let t7: TradeRef; // carol short BTC on USDC at a leverage between the group's start and end
let t8: TradeRef; // alice long ETH on DAI: the other side of t6's funding

beforeAll(async () => {
  anvil = await startAnvil();
  rpcUrl = anvil.rpcUrl;
  const artifacts = await pickArtifacts(["MockToken", "FixtureGTrade"]);
  fixtureAbi = artifacts.FixtureGTrade.abi;
  const usdc = await deploy(rpcUrl, owner, artifacts.MockToken, ["USD Coin", "USDC", 6]);
  const dai = await deploy(rpcUrl, owner, artifacts.MockToken, ["Dai Stablecoin", "DAI", 18]);
  const deployed = await deploy(rpcUrl, owner, artifacts.FixtureGTrade, []);
  gtrade = deployed.address;
  startBlock = deployed.blockNumber;

  // Configuration: collaterals, fee groups, liquidation groups (v9.2 params; legacy), pairs.
  await op("addCollateral", [usdc.address, COLLATERAL_PRICE_USD[USDC]]);
  await op("addCollateral", [dai.address, COLLATERAL_PRICE_USD[DAI]]);
  await configureGTradePairs(op);

  // Borrowing v2 (1e10 % per second) and funding (constant rates, 1e18 % per second) per (collateral, pair).
  const price = { [BTC]: 60_000n * E10, [ETH]: 3_000n * E10 };
  for (const [c, p, rate] of [[USDC, BTC, 3_171], [DAI, BTC, 12_000], [USDC, ETH, 2_000], [DAI, ETH, 10_000]] as const) {
    await op("setBorrowingRate", [c, p, rate, price[p]]);
  }
  const funding = (fundingFeesEnabled: boolean, aprMultiplierEnabled: boolean) => ({
    skewCoefficientPerYear: 0n,
    absoluteVelocityPerYearCap: 1_000_000,
    absoluteRatePerSecondCap: 1_000_000,
    thetaThresholdUsd: 0,
    fundingFeesEnabled,
    aprMultiplierEnabled,
    __placeholder: 0n,
  });
  await op("setFundingParams", [USDC, BTC, funding(true, true), price[BTC]]);
  await op("setFundingParams", [DAI, BTC, funding(true, false), price[BTC]]);
  await op("setFundingParams", [USDC, ETH, funding(false, false), price[ETH]]);
  await op("setFundingParams", [DAI, ETH, funding(true, true), price[ETH]]);
  await op("setFundingRate", [USDC, BTC, 200_000_000_000n, price[BTC]]);
  await op("setFundingRate", [DAI, BTC, -150_000_000_000n, price[BTC]]);
  await op("setFundingRate", [DAI, ETH, 300_000_000_000n, price[ETH]]);

  // Trades.
  t1 = await openTrade({ user: alice, pairIndex: BTC, collateralIndex: USDC, long: true, collateralAmount: 1_000n * 10n ** 6n, leverage: 20_000, openPrice: 60_000n * E10 });
  t2 = await openTrade({ user: bob, pairIndex: BTC, collateralIndex: DAI, long: false, collateralAmount: 500n * E18, leverage: 40_000, openPrice: 60_010n * E10 });
  t3 = await openTrade({ user: alice, pairIndex: ETH, collateralIndex: DAI, long: false, collateralAmount: 2_000n * E18, leverage: 50_000, openPrice: 3_000n * E10 });
  t4 = await openTrade({ user: carol, pairIndex: ETH, collateralIndex: USDC, long: true, collateralAmount: 100n * 10n ** 6n, leverage: 150_000, openPrice: 3_001n * E10 });
  t5 = await openTrade({ user: carol, pairIndex: BTC, collateralIndex: USDC, long: true, collateralAmount: 50n * 10n ** 6n, leverage: 30_000, openPrice: 60_020n * E10, isCounterTrade: true });
  t6 = await openTrade({ user: bob, pairIndex: ETH, collateralIndex: DAI, long: false, collateralAmount: 1_000n * E18, leverage: 5_000, openPrice: 2_999n * E10 });
  t7 = await openTrade({ user: carol, pairIndex: BTC, collateralIndex: USDC, long: false, collateralAmount: 3_000n * 10n ** 6n, leverage: 62_500, openPrice: 60_005n * E10 });
  t8 = await openTrade({ user: alice, pairIndex: ETH, collateralIndex: DAI, long: true, collateralAmount: 1_500n * E18, leverage: 3_000, openPrice: 3_000n * E10 });

  // A life: increase, partial decrease, leverage update, collateral update, realized fees and PnL,
  // a pair update, a liquidation after a price move, closes; holding fees accrue in between.
  await passTime(3 * DAY);
  await op("increasePositionSize", [t1.user, t1.index, 1_500n * 10n ** 6n, 20_000, 60_333n * E10, 61_000n * E10]);
  await passTime(DAY);
  await op("decreasePositionSize", [t2.user, t2.index, 300n * E18, 40_000, 59_000n * E10]);
  await op("updateLeverage", [t3.user, t3.index, 4_000n * E18, 25_000, 3_020n * E10]);
  await op("updateTradeCollateral", [t4.user, t4.index, 90n * 10n ** 6n]);
  await op("realizeTradingFees", [t1.user, t1.index, 5n * 10n ** 6n]);
  await op("realizePnl", [t2.user, t2.index, 12n * E18]);
  await op("setPair", [BTC, "BTC", "USD", 3n * 10n ** 8n, 0, 0]);
  await passTime(2 * DAY);
  await op("closeTrade", [t2.user, t2.index, 59_500n * E10, MARKET_CLOSE]);
  await op("closeTrade", [t5.user, t5.index, 59_000n * E10, SL_CLOSE]);
  // ETH moves up through the leveraged short's liquidation price: not liquidatable $1 short of it, then liquidated.
  const { liq } = await ourLiquidationPrice(t3, 3_050n * E10, await rpc().getBlockNumber({ cacheTime: 0 }));
  expect(liq).toBeLessThan(3_200n * E10);
  const early = await trySend(rpcUrl, owner, { address: gtrade, abi: fixtureAbi, functionName: "liquidate", args: [t3.user, t3.index, liq - E10] });
  expect(early).toBeNull();
  await op("liquidate", [t3.user, t3.index, 3_200n * E10]);
  await passTime(DAY);
}, 240_000);

afterAll(async () => {
  await anvil?.stop();
});

// ── The state an indexer folds from the decoded events ────────────────────────────────────────────

type TradeState = { trade: GTradeTrade; tradeInfo: GTradeTradeInfo; liquidationParams: LiquidationParams; tradeFeesData: GTradeTradeFeesData };
type MarketState = { borrowingParams?: BorrowingV2Params; borrowingData?: BorrowingV2Data; fundingParams: Partial<FundingParams>; fundingData?: FundingData; oi?: PairOiToken };
type Folded = {
  trades: Map<string, TradeState>;
  markets: Map<string, MarketState>;
  collaterals: Map<number, Address>;
  pairs: Map<number, { from: string; to: string; updatedAtBlocks: bigint[] }>;
  groups: Map<number, LiquidationParams>;
  feeGroups: Map<number, GTradeFeeGroup>;
  counterTradeMultipliers: Map<number, bigint>;
  /** Every decoded event with its log, in order. */
  events: { event: GTradeEvent; log: Log }[];
};

const tradeKey = (t: { user: Address; index: number }) => `${t.user.toLowerCase()}:${t.index}`;
const marketKey = (m: PairMarket) => `${m.collateralIndex}:${m.pairIndex}`;
const noFeesData: GTradeTradeFeesData = {
  realizedTradingFeesCollateral: 0n,
  realizedPnlCollateral: 0n,
  manuallyRealizedNegativePnlCollateral: 0n,
  alreadyTransferredNegativePnlCollateral: 0n,
  virtualAvailableCollateralInDiamond: 0n,
  initialAccFundingFeeP: 0n,
  initialAccBorrowingFeeP: 0n,
};

function fold(logs: Log[]): Folded {
  const f: Folded = { trades: new Map(), markets: new Map(), collaterals: new Map(), pairs: new Map(), groups: new Map(), feeGroups: new Map(), counterTradeMultipliers: new Map(), events: [] };
  const trade = (id: { user: Address; index: number }) => {
    const t = f.trades.get(tradeKey(id));
    if (!t) throw new Error(`event for unknown trade ${tradeKey(id)}`);
    return t;
  };
  const market = (m: PairMarket) => {
    let s = f.markets.get(marketKey(m));
    if (!s) f.markets.set(marketKey(m), (s = { fundingParams: {} }));
    return s;
  };
  for (const log of logs) {
    const e = decodeGTradeEvent(log);
    f.events.push({ event: e, log });
    switch (e.name) {
      case "TradeStored":
        f.trades.set(tradeKey(e.trade), { trade: e.trade, tradeInfo: e.tradeInfo, liquidationParams: e.liquidationParams, tradeFeesData: { ...noFeesData } });
        break;
      case "TradePositionUpdated": {
        const t = trade(e.id).trade;
        Object.assign(t, { collateralAmount: e.collateralAmount, leverage: e.leverage, openPrice: e.openPrice, sl: e.sl, positionSizeToken: e.positionSizeToken });
        break;
      }
      case "TradeCollateralUpdated":
        trade(e.id).trade.collateralAmount = e.collateralAmount;
        break;
      case "TradeClosed":
        trade(e.id).trade.isOpen = false;
        break;
      case "PositionSizeIncreaseExecuted":
        // The fixture stamps the increase's block (TradeInfo.lastPosIncreaseBlock).
        if (e.executed) trade(e.id).tradeInfo.lastPosIncreaseBlock = log.blockNumber!;
        break;
      case "TradeInitialAccFeesStored":
      case "TradingFeesRealized":
      case "PnlRealizedOnOpenTrade":
      case "HoldingFeesChargedOnTrade":
      case "HoldingFeesRealizedOnTrade":
      case "TradeFeesDataDownscaled":
        Object.assign(trade(e.id).tradeFeesData, e.tradeFeesData);
        break;
      case "BorrowingRatePerSecondPUpdated":
        market(e.market).borrowingParams = e.params;
        break;
      case "PendingAccBorrowingFeesStored":
        market(e.market).borrowingData = e.data;
        break;
      case "SkewCoefficientPerYearUpdated":
      case "AbsoluteVelocityPerYearCapUpdated":
      case "AbsoluteRatePerSecondCapUpdated":
      case "ThetaThresholdUsdUpdated":
      case "FundingFeesEnabledUpdated":
      case "AprMultiplierEnabledUpdated":
        Object.assign(market(e.market).fundingParams, e.params);
        break;
      case "PendingAccFundingFeesStored":
        market(e.market).fundingData = e.data;
        break;
      case "PairOiAfterV10Updated":
        market(e.market).oi = e.oiToken;
        break;
      case "CollateralAdded":
        f.collaterals.set(e.collateralIndex, e.collateral);
        break;
      case "PairAdded":
        f.pairs.set(e.pairIndex, { from: e.from, to: e.to, updatedAtBlocks: [] });
        break;
      case "PairUpdated":
        f.pairs.get(e.pairIndex)!.updatedAtBlocks.push(log.blockNumber!);
        break;
      case "GroupLiquidationParamsUpdated":
        f.groups.set(e.groupIndex, e.params);
        break;
      case "FeeAdded":
      case "FeeUpdated":
        f.feeGroups.set(e.feeIndex, e.feeGroup);
        break;
      case "CounterTradeFeeRateMultiplierUpdated":
        f.counterTradeMultipliers.set(e.pairIndex, e.counterTradeFeeRateMultiplier);
        break;
      case "MarketExecuted":
      case "LimitExecuted":
      case "PositionSizeDecreaseExecuted":
      case "LeverageUpdateExecuted":
        break; // outcomes: checked against the stored updates below
    }
  }
  return f;
}

let folded: Folded;
const allLogs = async () => rpc().getLogs({ address: gtrade, fromBlock: startBlock, toBlock: await rpc().getBlockNumber({ cacheTime: 0 }) });

// ── Reads of the fixture's state through our ABI, in the math's units ────────────────────────────

async function storedTrade(ref: TradeRef, blockNumber?: bigint): Promise<TradeState> {
  const args = [ref.user, ref.index];
  return {
    trade: toTrade(await view<Parameters<typeof toTrade>[0]>("getTrade", args, blockNumber)),
    tradeInfo: toTradeInfo(await view<Parameters<typeof toTradeInfo>[0]>("getTradeInfo", args, blockNumber)),
    liquidationParams: toLiquidationParams(await view<Parameters<typeof toLiquidationParams>[0]>("getTradeLiquidationParams", args, blockNumber)),
    tradeFeesData: toTradeFeesData(await view<GTradeTradeFeesData>("getTradeFeesData", args, blockNumber)),
  };
}

async function storedMarket(m: PairMarket, blockNumber?: bigint) {
  const args = [[m.collateralIndex], [m.pairIndex]];
  const [borrowingParams] = await view<Parameters<typeof toBorrowingV2Params>[0][]>("getPairBorrowingFeeParams", args, blockNumber);
  const [borrowingData] = await view<Parameters<typeof toBorrowingV2Data>[0][]>("getPairBorrowingFeeData", args, blockNumber);
  const [fundingParams] = await view<Parameters<typeof toFundingParams>[0][]>("getPairFundingFeeParams", args, blockNumber);
  const [fundingData] = await view<Parameters<typeof toFundingData>[0][]>("getPairFundingFeeData", args, blockNumber);
  return {
    borrowingParams: toBorrowingV2Params(borrowingParams!),
    borrowingData: toBorrowingV2Data(borrowingData!),
    fundingParams: toFundingParams(fundingParams!),
    fundingData: toFundingData(fundingData!),
    oi: toPairOiToken(await view<PairOiToken>("getPairOiAfterV10Token", [m.collateralIndex, m.pairIndex], blockNumber)),
  };
}

type PairView = { from: string; to: string; spreadP: bigint; groupIndex: bigint; feeIndex: bigint };

/**
 * Our liquidation price for a trade at `price`, from the fixture's state at `blockNumber`, holding fees
 * accrued to `timestamp` (that block's unless given).
 */
async function ourLiquidationPrice(ref: TradeRef, price: bigint, blockNumber: bigint, timestamp?: bigint) {
  const { trade, tradeInfo, liquidationParams, tradeFeesData } = await storedTrade(ref, blockNumber);
  const m = await storedMarket({ collateralIndex: trade.collateralIndex, pairIndex: trade.pairIndex }, blockNumber);
  const pair = await view<PairView>("pairs", [BigInt(trade.pairIndex)], blockNumber);
  const fee = toFeeGroup(await view<Parameters<typeof toFeeGroup>[0]>("fees", [pair.feeIndex], blockNumber));
  const counterTradeFeeRateMultiplier = BigInt(await view<number>("getPairCounterTradeFeeRateMultiplier", [trade.pairIndex], blockNumber));
  const collateral = { decimals: COLLATERAL_DECIMALS[trade.collateralIndex]!, priceUsd: await view<bigint>("getCollateralPriceUsd", [trade.collateralIndex], blockNumber) };
  const holding = holdingFeesCollateral({
    trade,
    contractsVersion: tradeInfo.contractsVersion,
    tradeFeesData,
    state: { borrowingV2: { params: m.borrowingParams, data: m.borrowingData }, funding: { params: m.fundingParams, data: m.fundingData, oi: m.oi } },
    currentPairPrice: price,
    timestamp: timestamp ?? (await rpc().getBlock({ blockNumber })).timestamp,
  });
  const liq = liquidationPrice({
    trade,
    liquidationParams,
    contractsVersion: tradeInfo.contractsVersion,
    collateralDecimals: collateral.decimals,
    pairSpreadP: await view<bigint>("pairSpreadP", [trade.user, BigInt(trade.pairIndex)], blockNumber),
    closingFeeCollateral: closingFeeCollateral(trade, { ...fee, counterTradeFeeRateMultiplier }, collateral),
    holdingFeesCollateral: holding.total,
    totalRealizedPnlCollateral: totalRealizedPnlCollateral(tradeFeesData),
  });
  if (liq === null) throw new Error(`no liquidation price for ${tradeKey(ref)}`);
  return { liq, holding, trade };
}

describe("FixtureGTrade events decode to the state its views report", () => {
  beforeAll(async () => {
    folded = fold(await allLogs());
  });

  it("emits only events our ABI follows, each decoding without error, every lifecycle event among them", () => {
    const names = new Set(folded.events.map((e) => e.event.name));
    for (const name of [
      "CollateralAdded",
      "FeeAdded",
      "GroupLiquidationParamsUpdated",
      "PairAdded",
      "PairUpdated",
      "CounterTradeFeeRateMultiplierUpdated",
      "BorrowingRatePerSecondPUpdated",
      "PendingAccBorrowingFeesStored",
      "SkewCoefficientPerYearUpdated",
      "AbsoluteVelocityPerYearCapUpdated",
      "AbsoluteRatePerSecondCapUpdated",
      "ThetaThresholdUsdUpdated",
      "FundingFeesEnabledUpdated",
      "AprMultiplierEnabledUpdated",
      "PendingAccFundingFeesStored",
      "PairOiAfterV10Updated",
      "TradeStored",
      "TradeInitialAccFeesStored",
      "MarketExecuted",
      "PositionSizeIncreaseExecuted",
      "PositionSizeDecreaseExecuted",
      "LeverageUpdateExecuted",
      "TradePositionUpdated",
      "TradeCollateralUpdated",
      "HoldingFeesRealizedOnTrade",
      "TradeFeesDataDownscaled",
      "TradingFeesRealized",
      "PnlRealizedOnOpenTrade",
      "TradeClosed",
      "LimitExecuted",
    ] as const) {
      expect(names.has(name), name).toBe(true);
    }
    const liquidations = folded.events.filter((e) => e.event.name === "LimitExecuted" && e.event.isLiquidation);
    expect(liquidations.map((e) => e.event.name === "LimitExecuted" && tradeKey(e.event.id))).toEqual([tradeKey(t3)]);
  });

  it("every trade's decoded state equals getTrade, getTradeInfo, getTradeLiquidationParams and getTradeFeesData", async () => {
    expect(folded.trades.size).toBe(8);
    for (const ref of [t1, t2, t3, t4, t5, t6, t7, t8]) {
      expect(folded.trades.get(tradeKey(ref)), tradeKey(ref)).toEqual(await storedTrade(ref));
    }
    expect(folded.trades.get(tradeKey(t2))!.trade.isOpen).toBe(false);
    expect(folded.trades.get(tradeKey(t3))!.trade.isOpen).toBe(false);
    // Holding fees were realized into the PnL on updates, and the realized parts downscaled on the decrease.
    expect(folded.trades.get(tradeKey(t1))!.tradeFeesData.realizedPnlCollateral).toBeLessThan(0n);
    expect(folded.trades.get(tradeKey(t1))!.tradeFeesData.realizedTradingFeesCollateral).toBe(5n * 10n ** 6n);
    for (const user of [alice, bob, carol]) {
      const open = [...folded.trades.values()].filter((t) => t.trade.user === user && t.trade.isOpen).map((t) => t.trade);
      expect((await view<Parameters<typeof toTrade>[0][]>("getTrades", [user])).map(toTrade)).toEqual(open);
    }
  });

  it("every (collateral, pair) market's borrowing v2, funding and open interest equal the fee views", async () => {
    expect(folded.markets.size).toBe(4);
    for (const [key, state] of folded.markets) {
      const [collateralIndex, pairIndex] = key.split(":").map(Number) as [number, number];
      expect(state, key).toEqual(await storedMarket({ collateralIndex, pairIndex }));
    }
  });

  it("collaterals, pairs, groups, fee groups and counter-trade multipliers equal their views", async () => {
    for (const [index, collateral] of folded.collaterals) {
      expect((await view<{ collateral: Address }>("getCollateral", [index])).collateral).toBe(collateral);
    }
    for (const [index, pair] of folded.pairs) {
      const stored = await view<PairView>("pairs", [BigInt(index)]);
      expect({ from: stored.from, to: stored.to }).toEqual({ from: pair.from, to: pair.to });
    }
    expect(folded.pairs.get(BTC)!.updatedAtBlocks).toHaveLength(1);
    for (const [index, params] of folded.groups) expect(toLiquidationParams(await view("getGroupLiquidationParams", [BigInt(index)]))).toEqual(params);
    for (const [index, fee] of folded.feeGroups) expect(toFeeGroup(await view("fees", [BigInt(index)]))).toEqual(fee);
    for (const [index, multiplier] of folded.counterTradeMultipliers) expect(BigInt(await view<number>("getPairCounterTradeFeeRateMultiplier", [index]))).toBe(multiplier);
  });

  it("each executed event's trade and new liquidation price are what the state after it gives, by our math", async () => {
    let checked = 0;
    for (const { event: e, log } of folded.events) {
      const block = log.blockNumber!;
      if (e.name === "MarketExecuted" && e.open) {
        expect(e.trade).toEqual((await storedTrade(e.id, block)).trade);
        expect(e.liqPrice).toBe((await ourLiquidationPrice(e.id, e.oraclePrice, block)).liq);
        checked++;
      }
      if (e.name === "PositionSizeIncreaseExecuted" || e.name === "PositionSizeDecreaseExecuted" || e.name === "LeverageUpdateExecuted") {
        const { trade } = await storedTrade(e.id, block);
        expect({ collateralAmount: trade.collateralAmount, leverage: trade.leverage }).toEqual({ collateralAmount: e.newCollateralAmount, leverage: e.newLeverage });
        expect(e.newLiqPrice).toBe((await ourLiquidationPrice(e.id, e.oraclePrice, block)).liq);
        checked++;
      }
      if ((e.name === "MarketExecuted" && !e.open) || e.name === "LimitExecuted") {
        // A close reports the trade as it was before (one transaction per block) and its liquidation price then.
        const timestamp = (await rpc().getBlock({ blockNumber: block })).timestamp;
        expect(e.trade).toEqual((await storedTrade(e.id, block - 1n)).trade);
        expect(e.liqPrice).toBe((await ourLiquidationPrice(e.id, e.oraclePrice, block - 1n, timestamp)).liq);
        checked++;
      }
    }
    expect(checked).toBe(8 + 3 + 3);
  });
});

describe("FixtureGTrade's liquidation check flips at our liquidation price", () => {
  // Open trades with accrued, non-zero holding fees: long and short, both collaterals, legacy and v9.2
  // groups (start threshold, interpolated), a counter trade's fee, realized fees and PnL.
  const cases = () =>
    [
      // label, trade, a market price on the safe side, the sign of its funding (1: pays, -1: earns)
      ["alice long BTC/USDC, increased, realized fees", t1, 61_500n * E10, 1n],
      ["carol long ETH/USDC at 150x, legacy 90%, funding disabled", t4, 3_020n * E10, 0n],
      ["bob short ETH/DAI, funding earned at the APR multiplier", t6, 2_900n * E10, -1n],
      ["carol short BTC/USDC at 62.5x, interpolated threshold, funding earned at the APR multiplier", t7, 59_900n * E10, -1n],
    ] as const;

  it.each([0, 1, 2, 3])("case %i", async (i) => {
    const [label, ref, market, fundingSign] = cases()[i]!;
    const head = await rpc().getBlockNumber({ cacheTime: 0 });
    const at = async (price: bigint) => {
      const ours = await ourLiquidationPrice(ref, price, head);
      const stored = await fixtureView<bigint>("tradeLiquidationPrice", [ref.user, ref.index, price], head);
      const fixtureFees = await view<{ fundingFeeCollateral: bigint; borrowingFeeCollateral: bigint }>("getTradePendingHoldingFeesCollateral", [ref.user, ref.index, price], head);
      expect({ liq: stored, funding: fixtureFees.fundingFeeCollateral, borrowing: fixtureFees.borrowingFeeCollateral }, label).toEqual({
        liq: ours.liq,
        funding: ours.holding.funding,
        borrowing: ours.holding.borrowingV2,
      });
      return ours;
    };
    const atMarket = await at(market);
    expect(atMarket.holding.borrowingV2, `${label}: borrowing accrued`).toBeGreaterThan(0n);
    const funding = atMarket.holding.funding;
    expect(funding > 0n ? 1n : funding < 0n ? -1n : 0n, `${label}: funding ${funding}`).toBe(fundingSign);
    expect(atMarket.holding.total, `${label}: holding fees`).not.toBe(0n);

    // The holding fees depend on the price, so the boundary is where the price meets the liquidation price at it.
    let boundary = atMarket.liq;
    for (let step = 0; step < 5; step++) {
      const next = (await at(boundary)).liq;
      if (next === boundary) break;
      boundary = next;
    }
    expect((await at(boundary)).liq, `${label}: a fixed point`).toBe(boundary);
    const long = atMarket.trade.long;
    const safeSide = long ? boundary + 1n : boundary - 1n;
    const throughSide = long ? boundary - 1n : boundary + 1n;
    const check = (price: bigint) => fixtureView<boolean>("isLiquidatable", [ref.user, ref.index, price], head);
    expect(await check(boundary), `${label}: liquidatable at ${boundary}`).toBe(true);
    expect(await check(throughSide), `${label}: liquidatable through it`).toBe(true);
    expect(await check(safeSide), `${label}: not one unit on the safe side`).toBe(false);
    // Our own rule agrees one unit on the safe side (its liquidation price there is still on the other side).
    const ourSafe = (await at(safeSide)).liq;
    expect(long ? safeSide <= ourSafe : safeSide >= ourSafe).toBe(false);
    expect(await check(market)).toBe(false);
  });
});
