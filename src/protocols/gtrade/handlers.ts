import { ponder } from "ponder:registry";
import { gtradeState, gtradeStateCurrent, position, positionEvent } from "ponder:schema";
import { pad, toHex, type Address, type Hex } from "viem";
import { GTradeDiamondAbi } from "../../../abis/GTradeDiamond";
import { loadExposureConfig } from "../../config/exposure-config";
import { assetDirectory } from "../../core/assets";
import type { PositionRow } from "../../core/adapter";
import { positionEventRow, type PositionDeltas, type PositionStatus } from "../../core/position-columns";
import { readOnlyRow } from "../../core/ponder-row";
import { gTradeDeployment } from "./contracts";
import { decodeGTradeEvent, type GTradeEvent, type GTradeEventName, type TradeId } from "./events";
import { positionSizeCollateral, totalRealizedPnlCollateral } from "./math";
import { collateralToUsd, gTradePositionId, gTradePositionKey, GTRADE, isOpenPosition, pairPriceToUsd } from "./normalise";
import { decodeCollateral, decodeFee, decodeMarket, decodePair, decodeTrade, encode, encodeTrade, type Encodable, type StateKind, type StoredTrade } from "./stored";
import { toBorrowingV2Data, toBorrowingV2Params, toFeeGroup, toFundingData, toFundingParams, toPairOiToken } from "./structs";

const config = loadExposureConfig();
const assets = assetDirectory(config);

type Ctx = { db: any; chain: { id: number }; client: any };
type Evt = {
  log: { address: Address; logIndex: number; topics: readonly (Hex | null)[]; data: Hex };
  block: { number: bigint; timestamp: bigint; hash: Hex };
  transaction: { hash: Hex };
};

/**
 * The market address of a pair the config maps to no asset: 0x…0001 followed by the pair index in the
 * last four hex digits (never a token's; the API shows it chain-qualified, without a mark).
 */
const unlistedPairMarket = (pairIndex: number): Address => pad(toHex(0x10000 + pairIndex), { size: 20 });

const stateId = (chainId: number, diamond: Address, kind: StateKind, key: string) => `${chainId}:${diamond.toLowerCase()}:${kind}:${key}`;

async function readState(context: Ctx, diamond: Address, kind: StateKind, key: string): Promise<Record<string, string> | undefined> {
  const found = await context.db.find(gtradeStateCurrent, { id: stateId(context.chain.id, diamond, kind, key) });
  return found ? { ...readOnlyRow(found).state } : undefined;
}

/** Merges `changes` into a state and records it at the event's block (the last change in a block wins); the merged state. */
async function writeState(context: Ctx, event: Evt, kind: StateKind, key: string, changes: Record<string, Encodable>): Promise<Record<string, string>> {
  const diamond = event.log.address.toLowerCase() as Address;
  const id = stateId(context.chain.id, diamond, kind, key);
  const state = { ...(await readState(context, diamond, kind, key)), ...encode(changes) };
  const row = { chainId: context.chain.id, diamond, kind, key, blockNumber: event.block.number, state };
  await context.db.insert(gtradeStateCurrent).values({ id, ...row }).onConflictDoUpdate(row);
  await context.db.insert(gtradeState).values({ id: `${id}:${event.block.number}`, ...row }).onConflictDoUpdate(row);
  return state;
}

/** What a fee group's state keeps (the closing fee's inputs). */
const feeState = (f: { totalPositionSizeFeeP: bigint; minPositionSizeUsd: bigint }) => ({ totalPositionSizeFeeP: f.totalPositionSizeFeeP, minPositionSizeUsd: f.minPositionSizeUsd });

const marketKey = (m: { collateralIndex: number; pairIndex: number }) => `${m.collateralIndex}:${m.pairIndex}`;

/** The row's figures from the stored trade: size, collateral and realized PnL at the collateral price the diamond last reported. */
async function figures(context: Ctx, diamond: Address, s: StoredTrade) {
  const collateral = decodeCollateral(await readState(context, diamond, "collateral", String(s.trade.collateralIndex)));
  const pair = decodePair(await readState(context, diamond, "pair", String(s.trade.pairIndex)));
  const market = gTradeDeployment(config, context.chain.id, diamond)?.pairs.get(s.trade.pairIndex) ?? unlistedPairMarket(s.trade.pairIndex);
  const assetDecimals = assets.get(context.chain.id, market)?.decimals;
  const priced = collateral?.priceUsd ? { decimals: collateral.decimals, priceUsd: collateral.priceUsd } : undefined;
  const usd = (amount: bigint) => (priced ? (amount < 0n ? -collateralToUsd(-amount, priced) : collateralToUsd(amount, priced)) : null);
  return {
    market,
    collateralToken: collateral!.token,
    // positionSizeToken is 1e18 per whole base token.
    sizeInTokens: assetDecimals === undefined ? null : (s.trade.positionSizeToken * 10n ** BigInt(assetDecimals)) / 10n ** 18n,
    sizeUsd: usd(positionSizeCollateral(s.trade)),
    collateralUsd: usd(s.trade.collateralAmount),
    collateralAmount: s.trade.collateralAmount,
    entryPrice: pair?.to === "USD" ? pairPriceToUsd(s.trade.openPrice, pair) : null,
    realisedPnlUsd: usd(totalRealizedPnlCollateral(s.tradeFeesData)),
    protocolState: encodeTrade(s),
  };
}

/** What a row keeps of a trade apart from its figures and status. */
type Identity = Omit<PositionRow, keyof Awaited<ReturnType<typeof figures>> | "status" | "updatedBlock" | "updatedAt" | "liquidationLevel">;

/** Writes the trade's row and its history entry. */
async function saveTrade(context: Ctx, event: Evt, base: Identity, s: StoredTrade, kind: string, status: PositionStatus, deltas: PositionDeltas = {}) {
  const row: PositionRow = { ...base, ...(await figures(context, event.log.address, s)), status, updatedBlock: event.block.number, updatedAt: event.block.timestamp };
  await context.db.insert(position).values({ id: row.positionId, ...row }).onConflictDoUpdate(row);
  await context.db.insert(positionEvent).values(positionEventRow(`${context.chain.id}:${event.transaction.hash}:${event.log.logIndex}`, kind, event, row, deltas));
}

/**
 * Applies a change to a followed trade. Trades not followed (limit and stop orders, trades opened before
 * the start block) are left alone.
 */
async function changeTrade(context: Ctx, event: Evt, id: TradeId, kind: string, change: (s: StoredTrade) => StoredTrade, status?: PositionStatus, deltas?: PositionDeltas) {
  const found = await context.db.find(position, { id: gTradePositionId(context.chain.id, event.log.address, id.user, id.index) });
  if (!found) return;
  const { id: _id, ...base } = readOnlyRow(found) as PositionRow & { id: string };
  await saveTrade(context, event, base, change(decodeTrade(base.protocolState, base.isLong)), kind, status ?? base.status, deltas);
}

async function openTrade(context: Ctx, event: Evt, e: Extract<GTradeEvent, { name: "TradeStored" }>) {
  const { trade } = e;
  if (!isOpenPosition(trade)) return;
  await backfill(context, event, trade);
  await writeState(context, event, "collateral", String(trade.collateralIndex), { priceUsd: e.tradeInfo.collateralPriceUsd });
  const base: Identity = {
    positionId: gTradePositionId(context.chain.id, event.log.address, trade.user, trade.index),
    chainId: context.chain.id,
    protocol: GTRADE,
    venue: event.log.address,
    positionKey: gTradePositionKey(trade.user, trade.index),
    account: trade.user,
    isLong: trade.long,
    openedBlock: event.block.number,
    openedAt: event.block.timestamp,
  };
  const fresh = { realizedPnlCollateral: 0n, realizedTradingFeesCollateral: 0n, initialAccFundingFeeP: 0n, initialAccBorrowingFeeP: 0n };
  await saveTrade(context, event, base, { trade, contractsVersion: e.tradeInfo.contractsVersion, liquidationParams: e.liquidationParams, tradeFeesData: fresh }, "open", "open");
}

const view = (context: Ctx, diamond: Address, functionName: string, args: readonly unknown[]) => context.client.readContract({ abi: GTradeDiamondAbi, address: diamond, functionName, args });

/** getCollateral(index): the token, and its decimals from precision (10^decimals). */
async function readCollateral(context: Ctx, diamond: Address, index: number) {
  const c = await view(context, diamond, "getCollateral", [index]);
  const decimals = BigInt(c.precision).toString().length - 1;
  if (BigInt(c.precision) !== 10n ** BigInt(decimals)) throw new Error(`gTrade: collateral ${index} precision ${c.precision} is not a power of ten`);
  return { token: c.collateral as Address, decimals };
}

async function readPair(context: Ctx, diamond: Address, index: number) {
  const p = await view(context, diamond, "pairs", [BigInt(index)]);
  return { from: p.from as string, to: p.to as string, spreadP: p.spreadP as bigint, feeIndex: p.feeIndex as bigint };
}

/**
 * The diamond's state a new trade's figures need that no event since the start block gave (the diamond
 * was configured before it): read from its views at the event's block.
 */
async function backfill(context: Ctx, event: Evt, trade: { collateralIndex: number; pairIndex: number }) {
  const diamond = event.log.address;
  if (!decodeCollateral(await readState(context, diamond, "collateral", String(trade.collateralIndex)))) {
    await writeState(context, event, "collateral", String(trade.collateralIndex), await readCollateral(context, diamond, trade.collateralIndex));
  }
  let pairState = await readState(context, diamond, "pair", String(trade.pairIndex));
  if (!decodePair(pairState)) pairState = await writeState(context, event, "pair", String(trade.pairIndex), await readPair(context, diamond, trade.pairIndex));
  if (pairState!.counterTradeFeeRateMultiplier === undefined) {
    const multiplier = await view(context, diamond, "getPairCounterTradeFeeRateMultiplier", [trade.pairIndex]);
    await writeState(context, event, "pair", String(trade.pairIndex), { counterTradeFeeRateMultiplier: BigInt(multiplier) });
  }
  const feeIndex = decodePair(pairState)!.feeIndex;
  if (!decodeFee(await readState(context, diamond, "fee", String(feeIndex)))) {
    const f = toFeeGroup(await view(context, diamond, "fees", [BigInt(feeIndex)]));
    await writeState(context, event, "fee", String(feeIndex), feeState(f));
  }
  const market = decodeMarket(await readState(context, diamond, "market", marketKey(trade)));
  if (!market.borrowingV2 || !market.funding) {
    const args = [[trade.collateralIndex], [trade.pairIndex]];
    const [borrowingParams] = await view(context, diamond, "getPairBorrowingFeeParams", args);
    const [borrowingData] = await view(context, diamond, "getPairBorrowingFeeData", args);
    const [fundingParams] = await view(context, diamond, "getPairFundingFeeParams", args);
    const [fundingData] = await view(context, diamond, "getPairFundingFeeData", args);
    const oi = await view(context, diamond, "getPairOiAfterV10Token", [trade.collateralIndex, trade.pairIndex]);
    await writeState(context, event, "market", marketKey(trade), {
      ...toBorrowingV2Params(borrowingParams),
      ...toBorrowingV2Data(borrowingData),
      ...(toFundingParams(fundingParams) as Record<string, Encodable>),
      ...toFundingData(fundingData),
      ...toPairOiToken(oi),
    });
  }
}

async function handle(context: Ctx, event: Evt) {
  // ponder fills a log's missing topics with null (its store keeps topic0..3 as columns).
  const e = decodeGTradeEvent({ topics: event.log.topics.filter((t) => t !== null), data: event.log.data });
  const diamond = event.log.address;
  const withFees = (fees: Partial<StoredTrade["tradeFeesData"]>) => (s: StoredTrade) => ({ ...s, tradeFeesData: { ...s.tradeFeesData, ...fees } });
  switch (e.name) {
    case "CollateralAdded":
      return writeState(context, event, "collateral", String(e.collateralIndex), await readCollateral(context, diamond, e.collateralIndex));
    case "PairAdded":
    case "PairUpdated":
      // PairUpdated carries only the index: the pair is re-read at the event's block.
      return writeState(context, event, "pair", String(e.pairIndex), await readPair(context, diamond, e.pairIndex));
    case "CounterTradeFeeRateMultiplierUpdated":
      return writeState(context, event, "pair", String(e.pairIndex), { counterTradeFeeRateMultiplier: e.counterTradeFeeRateMultiplier });
    case "FeeAdded":
    case "FeeUpdated":
      return writeState(context, event, "fee", String(e.feeIndex), feeState(e.feeGroup));
    case "BorrowingRatePerSecondPUpdated":
      return writeState(context, event, "market", marketKey(e.market), { ...e.params });
    case "PendingAccBorrowingFeesStored":
    case "PendingAccFundingFeesStored":
      return writeState(context, event, "market", marketKey(e.market), { ...e.data });
    case "SkewCoefficientPerYearUpdated":
    case "AbsoluteVelocityPerYearCapUpdated":
    case "AbsoluteRatePerSecondCapUpdated":
    case "ThetaThresholdUsdUpdated":
    case "FundingFeesEnabledUpdated":
    case "AprMultiplierEnabledUpdated":
      return writeState(context, event, "market", marketKey(e.market), e.params as Record<string, Encodable>);
    case "PairOiAfterV10Updated":
      return writeState(context, event, "market", marketKey(e.market), { ...e.oiToken });
    case "TradeStored":
      return openTrade(context, event, e);
    case "TradePositionUpdated":
      return changeTrade(context, event, e.id, "resize", (s) => ({
        ...s,
        trade: { ...s.trade, collateralAmount: e.collateralAmount, leverage: e.leverage, openPrice: e.openPrice, positionSizeToken: e.positionSizeToken },
      }));
    case "TradeCollateralUpdated":
      return changeTrade(context, event, e.id, "collateral", (s) => ({ ...s, trade: { ...s.trade, collateralAmount: e.collateralAmount } }));
    case "TradeInitialAccFeesStored":
    case "TradingFeesRealized":
    case "PnlRealizedOnOpenTrade":
    case "HoldingFeesChargedOnTrade":
    case "HoldingFeesRealizedOnTrade":
    case "TradeFeesDataDownscaled":
      return changeTrade(context, event, e.id, "fees", withFees(e.tradeFeesData));
    case "TradeClosed":
      return changeTrade(context, event, e.id, "close", (s) => s, "closed");
    case "MarketExecuted":
    case "LimitExecuted":
    case "PositionSizeIncreaseExecuted":
    case "PositionSizeDecreaseExecuted": {
      const collateralIndex = "trade" in e ? e.trade.collateralIndex : e.market.collateralIndex;
      await writeState(context, event, "collateral", String(collateralIndex), { priceUsd: e.collateralPriceUsd });
      if (e.name !== "LimitExecuted" || !e.isLiquidation) return;
      // TradeClosed came first (the diamond closes, then reports the order): the row is re-marked liquidated.
      const pair = decodePair(await readState(context, diamond, "pair", String(e.trade.pairIndex)));
      const price = pair?.to === "USD" ? pairPriceToUsd(e.oraclePrice, pair) : null;
      return changeTrade(context, event, e.id, "liquidate", (s) => s, "liquidated", { price });
    }
    default:
      return;
  }
}

/** Every event the adapter reads (the others it decodes carry nothing a position's figures need). */
const FOLLOWED: GTradeEventName[] = [
  "CollateralAdded",
  "PairAdded",
  "PairUpdated",
  "CounterTradeFeeRateMultiplierUpdated",
  "FeeAdded",
  "FeeUpdated",
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
  "TradePositionUpdated",
  "TradeCollateralUpdated",
  "TradeInitialAccFeesStored",
  "TradingFeesRealized",
  "PnlRealizedOnOpenTrade",
  "HoldingFeesChargedOnTrade",
  "HoldingFeesRealizedOnTrade",
  "TradeFeesDataDownscaled",
  "TradeClosed",
  "MarketExecuted",
  "LimitExecuted",
  "PositionSizeIncreaseExecuted",
  "PositionSizeDecreaseExecuted",
];

for (const name of FOLLOWED) {
  ponder.on(`GTradeDiamond:${name}` as never, (async ({ event, context }: { event: Evt; context: Ctx }) => handle(context, event)) as never);
}
