import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestClient,
  decodeEventLog,
  getAbiItem,
  http,
  keccak256,
  pad,
  toBytes,
  toEventSelector,
  zeroAddress,
  zeroHash,
  type AbiEvent,
  type Address,
  type Hex,
  type Log,
  type TransactionReceipt,
} from "viem";
import { startAnvil, type AnvilHandle } from "./anvil.js";
import { anvilAccount, chainClients, fixtureChain, read, send } from "./clients.js";
import { deployFixtures, fixtureAbis, type Deployment } from "./deploy.js";
import {
  deployGmxV2Fixture,
  feedUnitPrice,
  gmxV2Keys,
  GMX_V2_MARKET_NAMES,
  GMX_V2_MIN_COLLATERAL_USD,
  GMX_V2_MARKET_PARAMS,
  marketParamEntries,
  type GmxV2Deployment,
} from "./gmx-v2-deploy.js";
import { GmxV2Keeper, simulateGmxV2, type GmxV2PositionRef } from "./gmx-v2-simulate.js";
import { GmxV2EventEmitterAbi } from "../../abis/GmxV2EventEmitter";
import {
  accrualClockKeys,
  marketParamKeys,
  minCollateralFactorKey,
  positionImpactExponentFactorKey,
  stableFundingFactorKey,
  USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE,
  virtualInventoryForPositionsKey,
  virtualTokenIdKey,
} from "../../src/protocols/gmx-v2/keys";
import { readAccrualClock, readMarketParams, readVirtualInventory, releaseMismatch } from "../../src/protocols/gmx-v2/market-params";
import { toUnitPrice } from "../../src/protocols/gmx-v2/normalise";
import type { GmxV2Release } from "../../src/protocols/gmx-v2/releases";
import { decodeGmxV2Event, FOLLOWED_EVENTS } from "../../src/protocols/gmx-v2/event-log";
import { accruedState } from "../../src/protocols/gmx-v2/accrual";
import { gmxV2Position } from "../support/gmx-v2-params";
import { closePriceImpactUsd, liquidationPrice, type GmxV2MarketState } from "../../src/protocols/gmx-v2/risk";

const USD = 10n ** 30n;
const usd = (n: bigint) => n * USD;
const answer = (n: bigint) => n * 10n ** 8n; // feeds use 8 decimals
const ETH_PRICE = 3_000n * 10n ** 12n; // $3000 per 1e18 wei
const BTC_PRICE = 60_000n * 10n ** 22n; // $60000 per 1e8 sats
const USDC_PRICE = 10n ** 24n; // $1 per 1e6 units

let anvil: AnvilHandle;
let d: Deployment;
let g: GmxV2Deployment;
let k: GmxV2Keeper;

beforeAll(async () => {
  anvil = await startAnvil();
  d = await deployFixtures(anvil.rpcUrl);
  g = await deployGmxV2Fixture(d.rpcUrl, d.tokens);
  k = await GmxV2Keeper.create(d, g);
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

// ---------------------------------------------------------------- decoding, written against abis/GmxV2EventEmitter.ts only

type Group = "addressItems" | "uintItems" | "intItems" | "boolItems" | "bytes32Items";
type EventData = Record<Group | "bytesItems" | "stringItems", { items: readonly { key: string; value: unknown }[]; arrayItems: readonly unknown[] }>;

type GmxEvent = {
  log: Log;
  name: string; // the payload's eventName
  topic1?: Hex;
  topic2?: Hex;
  data: EventData;
  keys: (group: Group) => string[];
  address: Record<string, Address>;
  uint: Record<string, bigint>;
  int: Record<string, bigint>;
  bool: Record<string, boolean>;
  bytes32: Record<string, Hex>;
};

function decodeGmx(log: Log): GmxEvent {
  const decoded = decodeEventLog({ abi: GmxV2EventEmitterAbi, data: log.data, topics: log.topics });
  const args = decoded.args as { eventName: string; eventNameHash: Hex; topic1?: Hex; topic2?: Hex; eventData: EventData };
  expect(args.eventNameHash).toBe(keccak256(toBytes(args.eventName)));
  const byKey = <T>(group: Group) => Object.fromEntries(args.eventData[group].items.map((i) => [i.key, i.value])) as Record<string, T>;
  return {
    log,
    name: args.eventName,
    topic1: args.topic1,
    topic2: args.topic2,
    data: args.eventData,
    keys: (group) => args.eventData[group].items.map((i) => i.key),
    address: byKey("addressItems"),
    uint: byKey("uintItems"),
    int: byKey("intItems"),
    bool: byKey("boolItems"),
    bytes32: byKey("bytes32Items"),
  };
}

const gmxEvents = (receipt: TransactionReceipt) =>
  receipt.logs.filter((l) => l.address.toLowerCase() === g.address.toLowerCase()).map((l) => decodeGmx(l));

async function gmxEventsBetween(fromBlock: bigint, toBlock?: bigint) {
  const logs = await chainClients(d.rpcUrl).publicClient.getLogs({ address: g.address, fromBlock, toBlock });
  return logs.map((l) => decodeGmx(l));
}

const only = (events: GmxEvent[], name: string) => {
  const found = events.filter((e) => e.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};

const addressTopic = (a: Address) => pad(a.toLowerCase() as Hex, { size: 32 });
const blockTime = async (r: TransactionReceipt) => (await chainClients(d.rpcUrl).publicClient.getBlock({ blockNumber: r.blockNumber })).timestamp;
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/** Puts an exact unit price on the fixture only (tests probing a boundary the 8-decimal feeds cannot express). */
const setFixturePrice = (token: Address, min: bigint, max = min) => k.send("setPrice", [token, min, max]);

/** The stored position with the trader's discount, as the indexer takes it from PositionFeesCollected. */
// The fixture discounts the fee itself, as v2.2 on does (no rebate base).
const positionOf = async (ref: GmxV2PositionRef) => ({ ...(await k.position(ref)), traderDiscountFactor: await k.read<bigint>("traderDiscountFactor", [ref.account]), referralTotalRebateFactor: 0n });

/**
 * What the indexer holds for an ETH-market position, read from the fixture's DataStore at the head, with
 * borrowing and funding pending until `now` (a timestamp), and our liquidation price from it.
 */
async function onChain(ref: GmxV2PositionRef, now?: bigint, release: GmxV2Release = "2025-11") {
  const rpc = chainClients(d.rpcUrl).publicClient;
  const m = g.markets.ETH;
  const block = await rpc.getBlockNumber({ cacheTime: 0 });
  const params = await readMarketParams(rpc, { dataStore: g.address, multicall: d.multicall }, m, release, block);
  const byCollateral = async (key: (collateral: Address) => Hex) => {
    const [longToken, shortToken] = await Promise.all([m.longToken, m.shortToken].map((c) => k.getUint(key(c))));
    return { longToken: longToken!, shortToken: shortToken! };
  };
  const sum = (v: { longToken: bigint; shortToken: bigint }) => v.longToken + v.shortToken;
  const longOi = await byCollateral((c) => gmxV2Keys.openInterest(m.marketToken, c, true));
  const shortOi = await byCollateral((c) => gmxV2Keys.openInterest(m.marketToken, c, false));
  const clock = await readAccrualClock(rpc, { dataStore: g.address, multicall: d.multicall }, m.marketToken, block);
  const since = (updatedAt: bigint) => (now === undefined || updatedAt === 0n ? 0n : now - updatedAt);
  const state: GmxV2MarketState = {
    longOpenInterestUsd: sum(longOi),
    shortOpenInterestUsd: sum(shortOi),
    longOpenInterestInTokens: sum(await byCollateral((c) => gmxV2Keys.openInterestInTokens(m.marketToken, c, true))),
    shortOpenInterestInTokens: sum(await byCollateral((c) => gmxV2Keys.openInterestInTokens(m.marketToken, c, false))),
    pnlPoolAmount: await k.getUint(gmxV2Keys.poolAmount(m.marketToken, ref.isLong ? m.longToken : m.shortToken)),
    virtualInventory: await readVirtualInventory(rpc, { dataStore: g.address, multicall: d.multicall }, params, block),
    cumulativeBorrowingFactor: await k.getUint(gmxV2Keys.cumulativeBorrowingFactor(m.marketToken, ref.isLong)),
    fundingFeeAmountPerSize: await k.getUint(gmxV2Keys.fundingFeeAmountPerSize(m.marketToken, ref.collateralToken, ref.isLong)),
    pending: {
      borrowingSeconds: since(ref.isLong ? clock.borrowingUpdatedAtLong : clock.borrowingUpdatedAtShort),
      fundingSeconds: since(clock.fundingUpdatedAt),
      savedFundingFactorPerSecond: clock.savedFundingFactorPerSecond,
      openInterestByCollateral: { long: longOi, short: shortOi },
      collateralSlots: { longToken: ref.collateralToken === m.longToken, shortToken: ref.collateralToken === m.shortToken },
    },
  };
  const usdc = { isIndexToken: false as const, price: await k.price(d.tokens.USDC.address) };
  const weth = { isIndexToken: true as const };
  const collateral = ref.collateralToken === d.tokens.WETH.address ? weth : usdc;
  const liq = liquidationPrice(await positionOf(ref), params, state, { collateral, pnlToken: ref.isLong ? weth : usdc });
  if (liq.kind !== "price") throw new Error(`expected a price, got ${liq.kind}`);
  return { params, state, liq: liq.price };
}

const POSITION_UINT_KEYS = [
  "sizeInUsd",
  "sizeInTokens",
  "collateralAmount",
  "borrowingFactor",
  "fundingFeeAmountPerSize",
  "longTokenClaimableFundingAmountPerSize",
  "shortTokenClaimableFundingAmountPerSize",
  "executionPrice",
  "indexTokenPrice.max",
  "indexTokenPrice.min",
  "collateralTokenPrice.max",
  "collateralTokenPrice.min",
  "sizeDeltaUsd",
  "sizeDeltaInTokens",
];

const VIRTUAL_ID = keccak256(toBytes("virtual ETH")) as Hex;

// Positions the describe blocks below follow, in order.
const ethLong = (): GmxV2PositionRef => ({ account: anvilAccount(1).address, market: "ETH", collateralToken: d.tokens.WETH.address, isLong: true });
const ethShort = (): GmxV2PositionRef => ({ account: anvilAccount(2).address, market: "ETH", collateralToken: d.tokens.USDC.address, isLong: false });
const btcLong = (): GmxV2PositionRef => ({ account: anvilAccount(3).address, market: "BTC", collateralToken: d.tokens.WBTC.address, isLong: true });

// ---------------------------------------------------------------- deployment

describe("FixtureGmxV2 deployment", () => {
  it("emits the EventEmitter's exact events (EventLog1 0x137a4406..., EventLog2 0x468a25a7...)", async () => {
    const [eventLog, eventLog1, eventLog2] = GmxV2EventEmitterAbi;
    expect(toEventSelector(eventLog1)).toMatch(/^0x137a4406/);
    expect(toEventSelector(eventLog2)).toMatch(/^0x468a25a7/);
    const compiled = k.abi.filter((item): item is AbiEvent => item.type === "event");
    expect(compiled.map((e) => toEventSelector(e))).toEqual([eventLog, eventLog1, eventLog2].map((e) => toEventSelector(e)));
  });

  it("creates both markets with MarketCreated and serves them through getMarket", async () => {
    const events = (await gmxEventsBetween(BigInt(g.startBlock))).filter((e) => e.name === "MarketCreated");
    expect(events).toHaveLength(2);
    for (const [i, name] of GMX_V2_MARKET_NAMES.entries()) {
      const m = g.markets[name];
      expect(await k.read("getMarket", [g.address, m.marketToken])).toEqual(m);
      const e = events[i]!;
      expect(e.log.topics[0]).toBe(toEventSelector(GmxV2EventEmitterAbi[1]));
      expect(e.topic1).toBe(addressTopic(m.marketToken));
      expect(e.address).toEqual(m);
      expect(e.bytes32).toEqual({ salt: keccak256(`0x${[m.indexToken, m.longToken, m.shortToken].map((a) => pad(a).slice(2)).join("")}`) });
    }
    expect(g.markets.ETH).toMatchObject({ indexToken: d.tokens.WETH.address, longToken: d.tokens.WETH.address, shortToken: d.tokens.USDC.address });
    expect(g.markets.BTC).toMatchObject({ indexToken: d.tokens.WBTC.address, longToken: d.tokens.WBTC.address, shortToken: d.tokens.USDC.address });
  });

  it("derives DataStore keys exactly as the TypeScript helpers do and stores the market parameters", async () => {
    const market = g.markets.BTC.marketToken;
    const usdc = d.tokens.USDC.address;
    expect(await k.read("MIN_COLLATERAL_USD", [])).toBe(gmxV2Keys.minCollateralUsd);
    const pairs: [string, unknown[], Hex][] = [
      ["minCollateralFactorForLiquidationKey", [market], gmxV2Keys.minCollateralFactorForLiquidation(market)],
      ["maxPositionImpactFactorForLiquidationsKey", [market], gmxV2Keys.maxPositionImpactFactorForLiquidations(market)],
      ["positionImpactFactorKey", [market, false], gmxV2Keys.positionImpactFactor(market, false)],
      ["positionImpactExponentFactorKey", [market, true], gmxV2Keys.positionImpactExponentFactor(market, true)],
      ["maxPositionImpactFactorKey", [market, true], gmxV2Keys.maxPositionImpactFactor(market, true)],
      ["positionFeeFactorKey", [market, false], gmxV2Keys.positionFeeFactor(market, false)],
      ["openInterestKey", [market, usdc, false], gmxV2Keys.openInterest(market, usdc, false)],
      ["cumulativeBorrowingFactorKey", [market, true], gmxV2Keys.cumulativeBorrowingFactor(market, true)],
      ["fundingFeeAmountPerSizeKey", [market, usdc, true], gmxV2Keys.fundingFeeAmountPerSize(market, usdc, true)],
      ["openInterestInTokensKey", [market, usdc, false], gmxV2Keys.openInterestInTokens(market, usdc, false)],
      ["poolAmountKey", [market, usdc], gmxV2Keys.poolAmount(market, usdc)],
      ["maxPnlFactorForTradersKey", [market, true], gmxV2Keys.maxPnlFactorForTraders(market, true)],
      ["virtualTokenIdKey", [usdc], virtualTokenIdKey(usdc)],
      ["virtualInventoryForPositionsKey", [VIRTUAL_ID, false], virtualInventoryForPositionsKey(VIRTUAL_ID, false)],
      ["virtualInventoryForPositionsKey", [VIRTUAL_ID, true], virtualInventoryForPositionsKey(VIRTUAL_ID, true)],
      ["USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE", [], USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE],
      ["positionKey", [d.tokens.LINK.address, market, usdc, true], gmxV2Keys.positionKey(d.tokens.LINK.address, market, usdc, true)],
      // Earlier releases' keys (releases.ts): the exponent per market through v2.2, MIN_COLLATERAL_FACTOR before v2.2.
      ["positionImpactExponentFactorKeyV22", [market], positionImpactExponentFactorKey(market)],
      ["minCollateralFactorKey", [market], minCollateralFactorKey(market)],
      // Borrowing and funding: the fixture derives them by name, as Keys.sol's (market, isLong) and (market) keys.
      ["sideKey", ["OPTIMAL_USAGE_FACTOR", market, true], marketParamKeys(market, "2025-11").optimalUsageFactorLong],
      ["sideKey", ["OPEN_INTEREST_RESERVE_FACTOR", market, false], marketParamKeys(market, "2025-11").openInterestReserveFactorShort],
      ["sideKey", ["CUMULATIVE_BORROWING_FACTOR_UPDATED_AT", market, false], accrualClockKeys(market).borrowingUpdatedAtShort],
      ["marketKey", ["FUNDING_INCREASE_FACTOR_PER_SECOND", market], marketParamKeys(market, "2025-11").fundingIncreaseFactorPerSecond],
      ["marketKey", ["SAVED_FUNDING_FACTOR_PER_SECOND", market], accrualClockKeys(market).savedFundingFactorPerSecond],
    ];
    for (const [fn, args, expected] of pairs) expect([fn, await k.read(fn, args)]).toEqual([fn, expected]);

    expect(await k.getUint(gmxV2Keys.minCollateralUsd)).toBe(GMX_V2_MIN_COLLATERAL_USD);
    for (const name of GMX_V2_MARKET_NAMES) {
      for (const [key, value] of marketParamEntries(g.markets[name].marketToken, GMX_V2_MARKET_PARAMS[name])) {
        expect(await k.getUint(key)).toBe(value);
      }
    }
  });

  it("reads a DataStore laid out by an earlier release with that release's keys, and flags the wrong release", async () => {
    const market = "0x0000000000000000000000000000000000d22022" as Address; // a market of its own, set here only
    const rpc = chainClients(d.rpcUrl).publicClient;
    const set = async (fn: string, args: unknown[], value: bigint) => k.send("setUint", [await k.read<Hex>(fn, args), value]);
    const negativeFactor = 10n ** 21n; // 1e-9 per USD^2
    // As a v2.2 DataStore holds them: one exponent for the market, the factor for liquidation.
    await set("positionImpactFactorKey", [market, true], negativeFactor / 2n);
    await set("positionImpactFactorKey", [market, false], negativeFactor);
    await set("positionImpactExponentFactorKeyV22", [market], 2n * USD);
    await set("minCollateralFactorForLiquidationKey", [market], (5n * USD) / 1_000n);
    await set("minCollateralFactorKey", [market], (7n * USD) / 1_000n);
    const block = await rpc.getBlockNumber({ cacheTime: 0 });

    const ids = { marketToken: market, indexToken: d.tokens.LINK.address };
    const v22 = await readMarketParams(rpc, { dataStore: g.address, multicall: d.multicall }, ids, "2.2", block);
    expect(v22).toMatchObject({
      positionImpactFactorPositive: negativeFactor / 2n,
      positionImpactFactorNegative: negativeFactor,
      positionImpactExponentFactorPositive: 2n * USD,
      positionImpactExponentFactorNegative: 2n * USD,
      minCollateralFactorForLiquidation: (5n * USD) / 1_000n,
    });
    expect(releaseMismatch(v22)).toBeNull();
    // Closing a 20k short widens 100k/50k to 100k/30k: -(70k^2 - 50k^2) x 1e-9 = -$2.40.
    const short = gmxV2Position({ isLong: false, sizeInUsd: usd(20_000n) });
    const oi = {
      longOpenInterestUsd: usd(100_000n),
      shortOpenInterestUsd: usd(50_000n),
      longOpenInterestInTokens: 0n,
      shortOpenInterestInTokens: 0n,
      pnlPoolAmount: 0n,
      virtualInventory: 0n,
      cumulativeBorrowingFactor: 0n,
      fundingFeeAmountPerSize: 0n,
    };
    const impact = closePriceImpactUsd(short, v22, oi, ETH_PRICE).impactUsd;
    expect(Number(impact) / 1e30).toBeCloseTo(-2.4, 9);

    // The same DataStore read with the 2025-11 keys finds no exponent: flagged, never used silently.
    const wrong = await readMarketParams(rpc, { dataStore: g.address, multicall: d.multicall }, ids, "2025-11", block);
    expect([wrong.positionImpactExponentFactorPositive, wrong.positionImpactExponentFactorNegative]).toEqual([0n, 0n]);
    expect(releaseMismatch(wrong)).toMatch(/release/);
    // Before v2.2 the liquidation check's collateral factor is the market's MIN_COLLATERAL_FACTOR.
    expect((await readMarketParams(rpc, { dataStore: g.address, multicall: d.multicall }, ids, "2.1", block)).minCollateralFactorForLiquidation).toBe((7n * USD) / 1_000n);
  });

  it("prices each token at its feed's answer in GMX unit prices, with OraclePriceUpdate", async () => {
    expect(toUnitPrice(usd(3_000n), 18)).toBe(ETH_PRICE);
    expect(toUnitPrice(usd(60_000n), 8)).toBe(BTC_PRICE);
    expect(feedUnitPrice(answer(1n), d.tokens.USDC)).toBe(USDC_PRICE);
    expect(await k.price(d.tokens.WETH.address)).toEqual({ min: ETH_PRICE, max: ETH_PRICE });
    expect(await k.price(d.tokens.WBTC.address)).toEqual({ min: BTC_PRICE, max: BTC_PRICE });
    expect(await k.price(d.tokens.USDC.address)).toEqual({ min: USDC_PRICE, max: USDC_PRICE });

    const update = (await gmxEventsBetween(BigInt(g.startBlock))).find((e) => e.name === "OraclePriceUpdate")!;
    expect(update.topic1).toBe(addressTopic(d.tokens.WETH.address));
    expect(update.address).toEqual({ token: d.tokens.WETH.address, provider: g.address });
    expect(update.keys("uintItems")).toEqual(["minPrice", "maxPrice", "timestamp"]);
    expect(update.uint).toMatchObject({ minPrice: ETH_PRICE, maxPrice: ETH_PRICE });
    expect(update.bool).toEqual({ isPriceFeed: false });
  });

  it("keeps keeper functions to the owner and validates markets, collateral and prices", async () => {
    const stranger = anvilAccount(5);
    await expect(
      send(d.rpcUrl, stranger, { address: g.address, abi: k.abi, functionName: "setPrice", args: [d.tokens.WETH.address, 1n, 1n] }),
    ).rejects.toThrow(/Unauthorized/);
    await expect(k.increase({ ...ethLong(), collateralToken: d.tokens.LINK.address }, 1n, usd(10n))).rejects.toThrow(
      /InvalidCollateralToken/,
    );
    await expect(
      k.send("increasePosition", [ethLong().account, d.tokens.LINK.address, d.tokens.WETH.address, true, 1n, usd(10n), 0n, pad("0x01")]),
    ).rejects.toThrow(/MarketNotFound/);
    await expect(setFixturePrice(d.tokens.WETH.address, 2n, 1n)).rejects.toThrow(/InvalidPrice/);
  });
});

// ---------------------------------------------------------------- increase

describe("increasePosition", () => {
  it("opens a WETH-backed ETH long: PositionIncrease carries the post-state under GMX's keys", async () => {
    const ref = ethLong();
    await k.setPrice("WETH", answer(3_000n));
    const receipt = await k.open(ref, 10n ** 18n, usd(10_000n), -(10n ** 15n));
    const events = gmxEvents(receipt);
    // updateFundingAndBorrowingState first: no rates are set here, so only the borrowing factors' (zero) updates.
    expect(events.map((e) => e.name)).toEqual(["CumulativeBorrowingFactorUpdated", "CumulativeBorrowingFactorUpdated", "PositionFeesCollected", "OpenInterestUpdated", "OpenInterestInTokensUpdated", "PositionIncrease", "OrderExecuted"]);

    const sizeInTokens = usd(10_000n) / ETH_PRICE; // long: rounded down at the max price
    const collateral = 10n ** 18n - usd(6n) / ETH_PRICE; // 0.06% fee on $10000, in WETH at the min price
    const increase = only(events, "PositionIncrease");
    expect(increase.log.topics[0]).toBe(toEventSelector(GmxV2EventEmitterAbi[1]));
    expect(increase.log.topics[1]).toBe(keccak256(toBytes("PositionIncrease")));
    expect(increase.topic1).toBe(addressTopic(ref.account));
    expect(increase.address).toEqual({ account: ref.account, market: g.markets.ETH.marketToken, collateralToken: d.tokens.WETH.address });
    expect(increase.keys("uintItems")).toEqual([...POSITION_UINT_KEYS, "orderType", "increasedAtTime"]);
    expect(increase.uint).toEqual({
      sizeInUsd: usd(10_000n),
      sizeInTokens,
      collateralAmount: collateral,
      borrowingFactor: 0n,
      fundingFeeAmountPerSize: 0n,
      longTokenClaimableFundingAmountPerSize: 0n,
      shortTokenClaimableFundingAmountPerSize: 0n,
      executionPrice: ETH_PRICE,
      "indexTokenPrice.max": ETH_PRICE,
      "indexTokenPrice.min": ETH_PRICE,
      "collateralTokenPrice.max": ETH_PRICE,
      "collateralTokenPrice.min": ETH_PRICE,
      sizeDeltaUsd: usd(10_000n),
      sizeDeltaInTokens: sizeInTokens,
      orderType: 2n,
      increasedAtTime: await blockTime(receipt),
    });
    expect(increase.keys("intItems")).toEqual(["collateralDeltaAmount", "pendingPriceImpactUsd", "pendingPriceImpactAmount"]);
    expect(increase.int).toEqual({ collateralDeltaAmount: 10n ** 18n, pendingPriceImpactUsd: -usd(3n), pendingPriceImpactAmount: -(10n ** 15n) });
    expect(increase.bool).toEqual({ isLong: true });
    const orderKey = increase.bytes32.orderKey!;
    expect(increase.bytes32).toEqual({ orderKey, positionKey: k.key(ref) });
    expect(increase.data.bytesItems.items).toEqual([]);
    expect(increase.data.uintItems.arrayItems).toEqual([]);

    expect(only(events, "OpenInterestUpdated")).toMatchObject({
      topic1: addressTopic(g.markets.ETH.marketToken),
      address: { market: g.markets.ETH.marketToken, collateralToken: d.tokens.WETH.address },
      bool: { isLong: true },
      int: { delta: usd(10_000n) },
      uint: { nextValue: usd(10_000n) },
    });
    // MarketUtils.applyDeltaToOpenInterest also moves the side's open interest in index tokens (the pool PnL's base).
    expect(only(events, "OpenInterestInTokensUpdated")).toMatchObject({
      topic1: addressTopic(g.markets.ETH.marketToken),
      address: { market: g.markets.ETH.marketToken, collateralToken: d.tokens.WETH.address },
      bool: { isLong: true },
      int: { delta: sizeInTokens },
      uint: { nextValue: sizeInTokens },
    });
    // PositionFeesCollected (PositionEventUtils._emitPositionFees): the 23 items of every order, no referral items without a rebate.
    const fees = only(events, "PositionFeesCollected");
    expect(fees.topic1).toBe(addressTopic(g.markets.ETH.marketToken));
    expect(fees.keys("uintItems")).toHaveLength(23);
    expect(fees.uint).toMatchObject({ tradeSizeUsd: usd(10_000n), positionFeeAmount: usd(6n) / ETH_PRICE, totalCostAmount: usd(6n) / ETH_PRICE, "collateralTokenPrice.min": ETH_PRICE });
    expect(fees.bytes32).toMatchObject({ positionKey: k.key(ref), referralCode: zeroHash });
    const executed = only(events, "OrderExecuted");
    expect(executed.log.topics[0]).toBe(toEventSelector(GmxV2EventEmitterAbi[2]));
    expect(executed).toMatchObject({
      topic1: orderKey,
      topic2: addressTopic(ref.account),
      bytes32: { key: orderKey },
      address: { account: ref.account },
      uint: { secondaryOrderType: 0n },
    });

    expect(await k.position(ref)).toMatchObject({
      account: ref.account,
      sizeInUsd: usd(10_000n),
      sizeInTokens,
      collateralAmount: collateral,
      pendingImpactAmount: -(10n ** 15n),
    });
    expect(await k.getUint(gmxV2Keys.openInterest(g.markets.ETH.marketToken, d.tokens.WETH.address, true))).toBe(usd(10_000n));
  });

  it("opens a USDC-backed ETH short: size in tokens rounded up at the min price", async () => {
    const ref = ethShort();
    const receipt = await k.open(ref, 1_000n * 10n ** 6n, usd(5_000n));
    const increase = only(gmxEvents(receipt), "PositionIncrease");
    expect(increase.uint).toMatchObject({
      sizeInUsd: usd(5_000n),
      sizeInTokens: ceilDiv(usd(5_000n), ETH_PRICE), // 1666666666666666667
      collateralAmount: 998n * 10n ** 6n, // $2 fee: against the open long, the short improves the balance (0.04%)
      executionPrice: ETH_PRICE,
      "collateralTokenPrice.min": USDC_PRICE,
    });
    expect(increase.bool).toEqual({ isLong: false });
    expect(increase.int).toEqual({ collateralDeltaAmount: 1_000n * 10n ** 6n, pendingPriceImpactUsd: 0n, pendingPriceImpactAmount: 0n });
  });
});

// ---------------------------------------------------------------- liquidation check

describe("isPositionLiquidatable", () => {
  const T_LONG = usd(10_000n) / ETH_PRICE;
  const C_LONG = 10n ** 18n - usd(6n) / ETH_PRICE;
  const PENDING_LONG = -(10n ** 15n);

  /** ETH long, everything but the close impact (which depends on open interest only): WETH is index and collateral. */
  const longRemainingWithout = (price: bigint, closeImpactUsd: bigint) => {
    const feeAmount = usd(6n) / price;
    const impact = closeImpactUsd + PENDING_LONG * price;
    const cappedImpact = impact >= 0n ? 0n : impact < -usd(25n) ? -usd(25n) : impact; // 0.25% of $10000
    return C_LONG * price + (T_LONG * price - usd(10_000n)) + cappedImpact - feeAmount * price;
  };
  const liquidatable = (remaining: bigint, minForLeverage: bigint) => remaining < USD || remaining <= 0n || remaining < minForLeverage;

  it("counts the crossover close impact, the pending impact, the closing fee, and flips at the exact price", async () => {
    const ref = ethLong();
    const at3000 = await k.liquidationCheck(ref);
    // longs 10000 vs shorts 5000; closing the long crosses over: +5000^2 * 1e-9 - 5000^2 * 2e-9 = -$0.025
    // (PricingUtils.applyImpactFactor has no "/ 2" in any v2 release)
    const closeImpactUsd = at3000.remainingCollateralUsd - longRemainingWithout(ETH_PRICE, 0n);
    expect(closeImpactUsd - -(250n * USD) / 10_000n).toSatisfy((diff: bigint) => diff > -(10n ** 13n) && diff < 10n ** 13n);
    expect(at3000).toMatchObject({ liquidatable: false, minCollateralUsdForLeverage: usd(50n) }); // 0.5% of $10000

    for (const price of [2_900n * 10n ** 12n, 3_100n * 10n ** 12n + 7n]) {
      await setFixturePrice(d.tokens.WETH.address, price);
      expect((await k.liquidationCheck(ref)).remainingCollateralUsd).toBe(longRemainingWithout(price, closeImpactUsd));
    }

    // the highest liquidatable price, searched on the formula, is where the contract flips
    let [lo, hi] = [1n, ETH_PRICE]; // liquidatable at lo, not at hi
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (liquidatable(longRemainingWithout(mid, closeImpactUsd), usd(50n))) lo = mid;
      else hi = mid;
    }
    await setFixturePrice(d.tokens.WETH.address, hi);
    expect((await k.liquidationCheck(ref)).liquidatable).toBe(false);
    await expect(k.liquidate(ref)).rejects.toThrow(/NotLiquidatable/);

    await setFixturePrice(d.tokens.WETH.address, lo);
    const check = await k.liquidationCheck(ref);
    expect(check).toEqual({ liquidatable: true, remainingCollateralUsd: longRemainingWithout(lo, closeImpactUsd), minCollateralUsdForLeverage: usd(50n) });

    const receipt = await k.liquidate(ref);
    const events = gmxEvents(receipt);
    // updateFundingAndBorrowingState first: no rates are set here, so only the borrowing factors' (zero) updates.
    expect(events.map((e) => e.name)).toEqual(["CumulativeBorrowingFactorUpdated", "CumulativeBorrowingFactorUpdated", "PositionFeesCollected", "OpenInterestUpdated", "OpenInterestInTokensUpdated", "PositionDecrease", "OrderExecuted"]);
    expect(only(events, "OpenInterestUpdated").int).toEqual({ delta: -usd(10_000n) });
    expect(only(events, "OpenInterestInTokensUpdated").int).toEqual({ delta: -T_LONG });
    const decrease = only(events, "PositionDecrease");
    expect(decrease.topic1).toBe(addressTopic(ref.account));
    expect(decrease.keys("uintItems")).toEqual([...POSITION_UINT_KEYS, "collateralDeltaAmount", "values.priceImpactDiffUsd", "orderType", "decreasedAtTime"]);
    // the position is gone: post-state amounts are zero
    expect(decrease.uint).toEqual({
      sizeInUsd: 0n,
      sizeInTokens: 0n,
      collateralAmount: 0n,
      borrowingFactor: 0n,
      fundingFeeAmountPerSize: 0n,
      longTokenClaimableFundingAmountPerSize: 0n,
      shortTokenClaimableFundingAmountPerSize: 0n,
      executionPrice: lo,
      "indexTokenPrice.max": lo,
      "indexTokenPrice.min": lo,
      "collateralTokenPrice.max": lo,
      "collateralTokenPrice.min": lo,
      sizeDeltaUsd: usd(10_000n),
      sizeDeltaInTokens: T_LONG,
      collateralDeltaAmount: 0n,
      "values.priceImpactDiffUsd": 0n,
      orderType: 7n,
      decreasedAtTime: 0n,
    });
    expect(decrease.keys("intItems")).toEqual(["priceImpactUsd", "basePnlUsd", "uncappedBasePnlUsd", "proportionalPendingImpactUsd", "totalImpactUsd"]);
    expect(decrease.int).toEqual({
      priceImpactUsd: 0n,
      basePnlUsd: T_LONG * lo - usd(10_000n),
      uncappedBasePnlUsd: T_LONG * lo - usd(10_000n),
      proportionalPendingImpactUsd: PENDING_LONG * lo, // a cost, valued at the max price
      totalImpactUsd: PENDING_LONG * lo,
    });
    expect(decrease.address.account).toBe(ref.account);
    expect(decrease.bool).toEqual({ isLong: true });
    expect(only(events, "OrderExecuted").uint).toEqual({ secondaryOrderType: 0n });

    expect(await k.position(ref)).toMatchObject({ account: zeroAddress, sizeInUsd: 0n });
    await expect(k.liquidationCheck(ref)).rejects.toThrow(/PositionNotFound/);
    await k.setPrice("WETH", answer(3_000n));
  });

  it("charges borrowing and funding (rounded up), ignores a positive close impact, and prices a short at the max", async () => {
    const ref = ethShort();
    const tokens = ceilDiv(usd(5_000n), ETH_PRICE);
    const market = g.markets.ETH.marketToken;
    const usdc = d.tokens.USDC.address;

    const borrowing = only(gmxEvents(await k.setBorrowing("ETH", false, 10n ** 27n)), "CumulativeBorrowingFactorUpdated"); // 0.1%
    expect(borrowing).toMatchObject({ topic1: addressTopic(market), address: { market }, bool: { isLong: false }, uint: { delta: 10n ** 27n, nextValue: 10n ** 27n } });
    await expect(k.setBorrowing("ETH", false, 10n ** 26n)).rejects.toThrow(/DecreasingAccumulator/);
    const perSize = 10n ** 17n + 1n; // 0.01% of size in USDC, plus a unit that forces rounding up
    const funding = only(gmxEvents(await k.setFunding("ETH", usdc, false, perSize)), "FundingFeeAmountPerSizeUpdated");
    expect(funding).toMatchObject({ address: { market, collateralToken: usdc }, bool: { isLong: false }, uint: { delta: perSize, value: perSize } });

    // Only shorts are open: closing improves the balance, so the closing fee is the balance-improved
    // factor (v2.2 on), and a positive impact counts as 0.
    // Fees in USDC units: position 0.04% of $5000, borrowing $5, funding ceil(5e33 * perSize / 1e45) = 500001.
    const costAmount = 2_000_000n + 5_000_000n + 500_001n;
    const shortRemaining = (max: bigint) => 998n * 10n ** 6n * USDC_PRICE + (usd(5_000n) - tokens * max) - costAmount * USDC_PRICE;
    expect(await k.liquidationCheck(ref)).toEqual({
      liquidatable: false,
      remainingCollateralUsd: shortRemaining(ETH_PRICE),
      minCollateralUsdForLeverage: usd(25n),
    });

    let [lo, hi] = [ETH_PRICE, 2n * ETH_PRICE]; // not liquidatable at lo, liquidatable at hi
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (liquidatable(shortRemaining(mid), usd(25n))) hi = mid;
      else lo = mid;
    }
    await setFixturePrice(d.tokens.WETH.address, lo);
    expect((await k.liquidationCheck(ref)).liquidatable).toBe(false);
    await setFixturePrice(d.tokens.WETH.address, ETH_PRICE, hi); // only the max price matters to a short
    expect(await k.liquidationCheck(ref)).toEqual({ liquidatable: true, remainingCollateralUsd: shortRemaining(hi), minCollateralUsdForLeverage: usd(25n) });

    const decrease = only(gmxEvents(await k.liquidate(ref)), "PositionDecrease");
    expect(decrease.uint).toMatchObject({ sizeInUsd: 0n, collateralAmount: 0n, executionPrice: hi, sizeDeltaInTokens: tokens, orderType: 7n });
    expect(decrease.int).toMatchObject({ basePnlUsd: usd(5_000n) - tokens * hi, proportionalPendingImpactUsd: 0n });
    expect(await k.getUint(gmxV2Keys.openInterest(market, usdc, false))).toBe(0n);
    await k.setPrice("WETH", answer(3_000n));
  });
});

// ---------------------------------------------------------------- virtual inventory and balance in tokens

describe("price impact on the virtual inventory and on open interest in tokens (PositionPricingUtils.getPriceImpactUsd)", () => {
  /** The fixture's own check, one unit either side of a long's liquidation price. */
  async function flipsAt(ref: GmxV2PositionRef, price: bigint) {
    await setFixturePrice(d.tokens.WETH.address, price);
    expect((await k.liquidationCheck(ref)).liquidatable).toBe(true);
    await setFixturePrice(d.tokens.WETH.address, price + 1n);
    expect((await k.liquidationCheck(ref)).liquidatable).toBe(false);
    await setFixturePrice(d.tokens.WETH.address, ETH_PRICE);
  }

  it("takes the worse of the open-interest and virtual-inventory impacts, in USD and in tokens, and flips where we say", async () => {
    const shorts = { account: anvilAccount(4).address, market: "ETH" as const, collateralToken: d.tokens.USDC.address, isLong: false };
    const long = { account: anvilAccount(5).address, market: "ETH" as const, collateralToken: d.tokens.USDC.address, isLong: true };
    await k.open(shorts, 10_000n * 10n ** 6n, usd(50_000n));
    await k.open(long, 700n * 10n ** 6n, usd(20_000n));

    // No virtual id: closing the long widens 30k to 50k of shorts, -(50k^2 - 30k^2) x 2e-9 = -$3.20.
    const plain = await onChain(long);
    expect(plain.params.virtualTokenId).toBeNull();
    expect(Number(closePriceImpactUsd(await positionOf(long), plain.params, plain.state, ETH_PRICE).impactUsd) / 1e30).toBeCloseTo(-3.2, 9);
    await flipsAt(long, plain.liq);

    // A referral discount of 10% on the position fee (getPositionFeesAfterReferral): a $1.20 cheaper
    // close, about $0.18 lower for the long; orders report it in PositionFeesCollected.
    await k.send("setTraderDiscountFactor", [long.account, USD / 10n]);
    const fees = only(gmxEvents(await k.increase(long, 0n, 0n)), "PositionFeesCollected");
    expect(fees.uint).toMatchObject({ "referral.traderDiscountFactor": USD / 10n, positionFeeAmount: 0n, tradeSizeUsd: 0n });
    expect(fees.bool).toEqual({ isIncrease: true });
    const discounted = await onChain(long);
    expect(Number(plain.liq - discounted.liq) / 1e12).toBeCloseTo(1.2 / (20_000 / 3_000), 2);
    await flipsAt(long, discounted.liq);

    // A virtual inventory of $500k sold to the pool (set before indexing would start: no event): the
    // close offsets both virtual sides by its $20k, 20k long / 520k short, and takes the long side to 0:
    // the imbalance grows from 500k to 520k, -(520k^2 - 500k^2) x 2e-9 = -$40.80, worse than -$3.20.
    await k.send("setBytes32", [virtualTokenIdKey(d.tokens.WETH.address), VIRTUAL_ID]);
    await k.send("setInt", [virtualInventoryForPositionsKey(VIRTUAL_ID, false), usd(500_000n)]);
    const virtual = await onChain(long);
    expect(virtual.params.virtualTokenId).toBe(VIRTUAL_ID);
    expect(virtual.state.virtualInventory).toBe(usd(500_000n));
    const impact = closePriceImpactUsd(await positionOf(long), virtual.params, virtual.state, ETH_PRICE).impactUsd;
    expect(Number(impact) / 1e30).toBeCloseTo(-40.8, 6);
    // $37.60 more of impact on 6.67 ETH: the long liquidates about $5.64 higher.
    expect(Number(virtual.liq - discounted.liq) / 1e12).toBeCloseTo(37.6 / (20_000 / 3_000), 1);
    await flipsAt(long, virtual.liq);

    // Orders now move the inventory, with VirtualPositionInventoryUpdated (EventLog2: token, virtual id).
    const more = { ...shorts, account: anvilAccount(6).address };
    const events = gmxEvents(await k.open(more, 1_000n * 10n ** 6n, usd(5_000n)));
    const updated = only(events, "VirtualPositionInventoryUpdated");
    expect(updated).toMatchObject({ topic1: addressTopic(d.tokens.WETH.address), topic2: VIRTUAL_ID, address: { token: d.tokens.WETH.address } });
    expect(updated.int).toEqual({ delta: usd(5_000n), nextValue: usd(505_000n) });

    // Balanced in tokens (USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE): sides and the inventory are index
    // tokens at the mid price, the close moves sizeInTokens; the impact then moves with the price.
    await k.send("setBool", [USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE, true]);
    await k.send("setInt", [virtualInventoryForPositionsKey(VIRTUAL_ID, true), 200n * 10n ** 18n]);
    const tokens = await onChain(long);
    expect(tokens.params.useOpenInterestInTokensForBalance).toBe(true);
    expect(tokens.state.virtualInventory).toBe(200n * 10n ** 18n);
    expect(tokens.liq).not.toBe(virtual.liq);
    await flipsAt(long, tokens.liq);

    await k.send("setBool", [USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE, false]);
    await k.send("setBytes32", [virtualTokenIdKey(d.tokens.WETH.address), zeroHash]);
    for (const ref of [shorts, long, more]) await k.close(ref);
  });
});

// ---------------------------------------------------------------- claimable funding

describe("claimable funding (PositionUtils.incrementClaimableFundingAmount, MarketUtils.claimFundingFees)", () => {
  it("credits what a position earned per size at its next order, reports it, and pays it all out on a claim", async () => {
    const m = g.markets.ETH;
    const ref = { account: anvilAccount(7).address, market: "ETH" as const, collateralToken: d.tokens.USDC.address, isLong: false };
    await k.open(ref, 2_000n * 10n ** 6n, usd(10_000n));
    // Shorts earn 0.01% of size in USDC and 0.002% in WETH; the last unit of each is a remainder.
    const usdcPerSize = 10n ** 17n + 7n;
    const wethPerSize = (2n * 10n ** 13n * 10n ** 15n) / ETH_PRICE + 3n;
    await k.send("setClaimableFundingAmountPerSize", [m.marketToken, m.shortToken, false, usdcPerSize]);
    await k.send("setClaimableFundingAmountPerSize", [m.marketToken, m.longToken, false, wethPerSize]);

    const events = gmxEvents(await k.increase(ref, 0n, 0n));
    const credited = events.filter((e) => e.name === "ClaimableFundingUpdated");
    // MarketUtils.getFundingAmount rounds what a position earns down: size x perSize / 1e45.
    const usdcEarned = (usd(10_000n) * usdcPerSize) / 10n ** 45n;
    const wethEarned = (usd(10_000n) * wethPerSize) / 10n ** 45n;
    expect(usdcEarned).toBe(1_000_000n);
    expect(credited.map((e) => [e.address.token, e.uint.delta, e.uint.nextValue])).toEqual([
      [m.longToken, wethEarned, wethEarned],
      [m.shortToken, usdcEarned, usdcEarned],
    ]);
    expect(credited[0]!.topic1).toBe(addressTopic(ref.account));
    expect(only(events, "PositionFeesCollected").uint).toMatchObject({ claimableLongTokenAmount: wethEarned, claimableShortTokenAmount: usdcEarned });
    // The position's snapshots move to the market's accumulators, as its event reports.
    expect(only(events, "PositionIncrease").uint).toMatchObject({ longTokenClaimableFundingAmountPerSize: wethPerSize, shortTokenClaimableFundingAmountPerSize: usdcPerSize });
    expect(await k.getUint(await k.read<Hex>("claimableFundingAmountKey", [m.marketToken, m.shortToken, ref.account]))).toBe(usdcEarned);

    // Nothing more is earned until the accumulator moves again.
    expect(gmxEvents(await k.increase(ref, 0n, 0n)).filter((e) => e.name === "ClaimableFundingUpdated")).toEqual([]);
    const claimed = only(gmxEvents(await k.send("claimFundingFees", [m.marketToken, m.shortToken, ref.account])), "FundingFeesClaimed");
    expect(claimed.uint).toMatchObject({ amount: usdcEarned });
    expect(claimed.address).toMatchObject({ market: m.marketToken, token: m.shortToken, account: ref.account, receiver: ref.account });
    expect(await k.getUint(await k.read<Hex>("claimableFundingAmountKey", [m.marketToken, m.shortToken, ref.account]))).toBe(0n);
    await k.close(ref);
  });
});

// ---------------------------------------------------------------- decrease

// ---------------------------------------------------------------- borrowing and funding pending since the last update

describe("borrowing and funding accrued before the check (PositionUtils.updateFundingAndBorrowingState, MarketUtils)", () => {
  const DAY = 86_400;
  const tester = () => createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl) });
  const rpc = () => chainClients(d.rpcUrl).publicClient;
  const factor = (percent: number) => (BigInt(Math.round(percent * 1e6)) * USD) / 100_000_000n;

  /** Runs `act` with the next block mined at `timestamp`, then puts the chain back as it was. */
  async function at<T>(timestamp: bigint, act: () => Promise<T>): Promise<T> {
    const id = await tester().snapshot();
    try {
      await tester().setNextBlockTimestamp({ timestamp });
      return await act();
    } finally {
      await tester().revert({ id });
    }
  }

  /** The fixture's check at a price, in a block mined at `timestamp`. */
  const checkAt = (ref: GmxV2PositionRef, price: bigint, timestamp: bigint) =>
    at(timestamp, async () => {
      const receipt = await setFixturePrice(d.tokens.WETH.address, price);
      const [liquidatable] = await rpc().readContract({ address: g.address, abi: k.abi, functionName: "isPositionLiquidatable", args: [k.key(ref)], blockNumber: receipt.blockNumber }) as readonly [boolean];
      return liquidatable;
    });

  it("advances the side's borrowing (kink and exponent rules) and the payers' funding (adaptive) to the check's timestamp, and flips where we say", async () => {
    const start = await tester().snapshot();
    try {
      await accrueAndFlip();
    } finally {
      await tester().revert({ id: start });
    }
  });

  it("v2.0: STABLE_FUNDING_FACTOR, else the skew rate uncapped, on the larger side's size; OrderExecuted through EventLog1", async () => {
    const start = await tester().snapshot();
    try {
      const m = g.markets.ETH;
      const keys = marketParamKeys(m.marketToken, "2.0");
      await k.send("setV20Rules", [true]);
      // Skew rate 1e23 x (20k - 8k) / 28k = 4.3e22/s, far past a MAX_FUNDING_FACTOR_PER_SECOND v2.0 does not have.
      await k.send("setUint", [keys.fundingExponentFactor, USD]);
      await k.send("setUint", [keys.fundingFactor, 10n ** 23n]);
      await k.send("setUint", [keys.maxFundingFactorPerSecond, 10n ** 20n]);
      const long = { account: anvilAccount(10).address, market: "ETH" as const, collateralToken: d.tokens.USDC.address, isLong: true };
      const short = { account: anvilAccount(11).address, market: "ETH" as const, collateralToken: d.tokens.WETH.address, isLong: false };
      await k.open(long, 2_000n * 10n ** 6n, usd(20_000n));
      await k.open(short, 10n ** 18n, usd(8_000n));
      const ethPrice = await k.price(d.tokens.WETH.address);
      const usdcPrice = await k.price(d.tokens.USDC.address);

      /** The longs' funding fee per size our v2.0 accrual gives at `now`, and what the fixture stores when an order runs then. */
      const accrued = async (release: GmxV2Release) => {
        await tester().increaseTime({ seconds: DAY });
        await tester().mine({ blocks: 1 });
        const now = (await rpc().getBlock({ blockTag: "latest" })).timestamp + 60n;
        const ours = await onChain(long, now, release);
        const expected = accruedState(await positionOf(long), ours.params, ours.state, { index: ethPrice, pnlToken: ethPrice, collateral: usdcPrice });
        const [stored, receipt] = await at(now, async () => {
          const r = await k.increase(short, 0n, 0n);
          return [await k.getUint(gmxV2Keys.fundingFeeAmountPerSize(m.marketToken, d.tokens.USDC.address, true)), r] as const;
        });
        return { before: ours.state.fundingFeeAmountPerSize, expected: expected.fundingFeeAmountPerSize, stored, receipt, params: ours.params, state: ours.state, now };
      };

      const skew = await accrued("2.0");
      expect(skew.stored).toBe(skew.expected);
      // Read as v2.1, the same chain would cap the rate at 1e20/s and charge about 430 times less.
      const asV21 = accruedState(await positionOf(long), { ...skew.params, release: "2.1" }, skew.state, { index: ethPrice, pnlToken: ethPrice, collateral: usdcPrice });
      expect((skew.expected - skew.before) / (asV21.fundingFeeAmountPerSize - skew.before)).toBeGreaterThan(400n);
      // v2.0 emits OrderExecuted with EventLog1, which the adapter follows, and it decodes without an account.
      const executed = only(gmxEvents(skew.receipt as TransactionReceipt), "OrderExecuted");
      expect(executed.log.topics[0]).toBe(toEventSelector(getAbiItem({ abi: GmxV2EventEmitterAbi, name: "EventLog1" })));
      expect(FOLLOWED_EVENTS.EventLog1).toContain("OrderExecuted");
      expect(decodeGmxV2Event("OrderExecuted", executed.data as never)).toMatchObject({ kind: "OrderExecuted", orderKey: executed.topic1, account: undefined, secondaryOrderType: 0n });

      // STABLE_FUNDING_FACTOR (2e21/s) replaces the skew rate; v2.0 reads it, later releases do not.
      await k.send("setUint", [stableFundingFactorKey(m.marketToken), 2n * 10n ** 21n]);
      const stable = await accrued("2.0");
      expect(stable.params.stableFundingFactor).toBe(2n * 10n ** 21n);
      expect(stable.stored).toBe(stable.expected);
      expect(stable.expected).toBeGreaterThan(stable.before);
    } finally {
      await tester().revert({ id: start });
    }
  });

  async function accrueAndFlip() {
    const m = g.markets.ETH;
    const keys = marketParamKeys(m.marketToken, "2025-11");
    const setUint = (key: Hex, value: bigint) => k.send("setUint", [key, value]);
    // Longs: kink model, 2e22/s per unit of usage up to 60%, toward 1e23 past it; shorts: reserved^1.1 / pool x 1e23.
    await setUint(keys.optimalUsageFactorLong, factor(60));
    await setUint(keys.baseBorrowingFactorLong, 2n * 10n ** 22n);
    await setUint(keys.aboveOptimalUsageBorrowingFactorLong, 10n ** 23n);
    await setUint(keys.openInterestReserveFactorLong, factor(50));
    await setUint(keys.borrowingFactorShort, 10n ** 23n);
    await setUint(keys.borrowingExponentFactorShort, factor(110));
    // Adaptive funding: the saved factor grows with the skew, bounded to [1e21, 3e22] per second.
    await setUint(keys.fundingExponentFactor, USD);
    await setUint(keys.fundingIncreaseFactorPerSecond, 10n ** 16n);
    await setUint(keys.fundingDecreaseFactorPerSecond, 10n ** 15n);
    await setUint(keys.thresholdForStableFunding, factor(5));
    await setUint(keys.thresholdForDecreaseFunding, factor(1));
    await setUint(keys.minFundingFactorPerSecond, 10n ** 21n);
    await setUint(keys.maxFundingFactorPerSecond, 3n * 10n ** 22n);
    await k.setPool("ETH", m.longToken, 20n * 10n ** 18n); // $60k: the longs' $20k reserve is 2/3 of half the pool, past the kink
    await k.setPool("ETH", m.shortToken, 300_000n * 10n ** 6n);

    const long = { account: anvilAccount(8).address, market: "ETH" as const, collateralToken: d.tokens.USDC.address, isLong: true };
    const short = { account: anvilAccount(9).address, market: "ETH" as const, collateralToken: d.tokens.WETH.address, isLong: false };
    await k.open(long, 2_000n * 10n ** 6n, usd(20_000n));
    await k.open(short, 10n ** 18n, usd(8_000n));
    // Three days, an order (which advances everything and saves the adaptive factor), two more days.
    await tester().increaseTime({ seconds: 3 * DAY });
    await k.increase(short, 0n, 0n);
    const saved = (await readAccrualClock(rpc(), { dataStore: g.address, multicall: d.multicall }, m.marketToken, await rpc().getBlockNumber({ cacheTime: 0 }))).savedFundingFactorPerSecond;
    expect(saved).toBeGreaterThan(10n ** 21n); // longs pay, and the factor has grown past its minimum
    await tester().increaseTime({ seconds: 2 * DAY });
    await tester().mine({ blocks: 1 });
    const now = (await rpc().getBlock({ blockTag: "latest" })).timestamp + 60n;

    // What the next update leaves in the DataStore is what we accrue, to the unit.
    const ours = await onChain(long, now);
    const oursShort = await onChain(short, now);
    const ethPrice = await k.price(d.tokens.WETH.address);
    const usdcPrice = await k.price(d.tokens.USDC.address);
    const expectedLong = accruedState(await positionOf(long), ours.params, ours.state, { index: ethPrice, pnlToken: ethPrice, collateral: usdcPrice });
    const expectedShort = accruedState(await positionOf(short), oursShort.params, oursShort.state, { index: ethPrice, pnlToken: usdcPrice, collateral: ethPrice });
    const stored = await at(now, async () => {
      await k.increase(short, 0n, 0n);
      return Promise.all([
        k.getUint(gmxV2Keys.cumulativeBorrowingFactor(m.marketToken, true)),
        k.getUint(gmxV2Keys.fundingFeeAmountPerSize(m.marketToken, d.tokens.USDC.address, true)),
        k.getUint(gmxV2Keys.cumulativeBorrowingFactor(m.marketToken, false)),
      ]);
    });
    expect(stored).toEqual([expectedLong.cumulativeBorrowingFactor, expectedLong.fundingFeeAmountPerSize, expectedShort.cumulativeBorrowingFactor]);
    // Two days of pending fees are material: above the kink (usage 2/3), 2.67e22/s x 2 days = 0.46% of
    // size in borrowing for the long ($92), and funding on top.
    const pendingBorrowingUsd = ((expectedLong.cumulativeBorrowingFactor - ours.state.cumulativeBorrowingFactor) * usd(20_000n)) / USD;
    expect(Number(pendingBorrowingUsd / USD)).toBe(92);
    expect(expectedLong.fundingFeeAmountPerSize).toBeGreaterThan(ours.state.fundingFeeAmountPerSize);
    expect(expectedShort.fundingFeeAmountPerSize).toBe(oursShort.state.fundingFeeAmountPerSize); // shorts receive

    // Without the pending fees the long would look safer by several dollars of price.
    const stale = await onChain(long);
    expect(Number(ours.liq - stale.liq) / 1e12).toBeGreaterThan(10);
    for (const [ref, liq, side] of [[long, ours.liq, "long"], [short, oursShort.liq, "short"]] as const) {
      const safe = side === "long" ? liq + 1n : liq - 1n;
      expect([side, await checkAt(ref, liq, now)]).toEqual([side, true]);
      expect([side, await checkAt(ref, safe, now)]).toEqual([side, false]);
    }
  }
});

describe("decreasePosition", () => {
  it("settles an ADL: realised pnl and the released pending impact go to collateral, fees come out", async () => {
    const ref = btcLong();
    await k.setPrice("WBTC", answer(60_000n));
    await k.open(ref, 10_000_000n, usd(30_000n), -5_000n); // 0.1 WBTC, 0.5 WBTC of size, $3 of pending impact
    const opened = await k.position(ref);
    expect(opened).toMatchObject({ sizeInTokens: 50_000_000n, collateralAmount: 10_000_000n - 30_000n }); // $18 fee

    await k.setPrice("WBTC", answer(66_000n));
    const price = 66_000n * 10n ** 22n;
    const receipt = await k.decrease(ref, usd(12_000n), 0n, 1n);
    const events = gmxEvents(receipt);
    const decrease = only(events, "PositionDecrease");
    // 40% of the size: 0.2 WBTC of a $3000 profit, 40% of the pending impact (-2000 sats at the max price)
    const basePnlUsd = usd(1_200n);
    const impactUsd = -2_000n * price;
    // The only BTC position: cutting it improves the balance, a 0.04% fee on $12000. The pool (25 WBTC)
    // covers the $3000 of pool PnL, so the profit is not capped.
    const collateral = opened.collateralAmount + (basePnlUsd + impactUsd) / price - usd(48n) / 10n / price;
    expect(decrease.uint).toMatchObject({
      sizeInUsd: usd(18_000n),
      sizeInTokens: 30_000_000n,
      collateralAmount: collateral,
      sizeDeltaUsd: usd(12_000n),
      sizeDeltaInTokens: 20_000_000n,
      collateralDeltaAmount: 0n,
      executionPrice: price,
      orderType: 4n,
      decreasedAtTime: await blockTime(receipt),
    });
    expect(decrease.int).toEqual({
      priceImpactUsd: 0n,
      basePnlUsd,
      uncappedBasePnlUsd: basePnlUsd,
      proportionalPendingImpactUsd: impactUsd,
      totalImpactUsd: impactUsd,
    });
    expect(only(events, "OrderExecuted").uint).toEqual({ secondaryOrderType: 1n });
    expect(await k.position(ref)).toMatchObject({ sizeInUsd: usd(18_000n), collateralAmount: collateral, pendingImpactAmount: -3_000n });
  });

  it("withdraws collateral on a partial decrease, refuses what would overdraw or leave it liquidatable, pays out all on close", async () => {
    const ref = btcLong();
    const before = await k.position(ref);
    await expect(k.decrease(ref, before.sizeInUsd + 1n)).rejects.toThrow(/SizeDeltaTooLarge/);
    await expect(k.decrease(ref, usd(1_000n), before.collateralAmount * 2n)).rejects.toThrow(/InsufficientCollateral/);
    // ~$9.5k of equity less $2.4k of fees is under 0.6% of $2M
    await expect(k.increase(ref, 0n, usd(2_000_000n))).rejects.toThrow(/LiquidatablePosition/);
    await expect(k.decrease(ref, usd(1_000n), 0n, 2n)).rejects.toThrow(/InvalidSecondaryOrderType/);

    const partial = only(gmxEvents(await k.decrease(ref, usd(9_000n), 1_000_000n)), "PositionDecrease");
    expect(partial.uint).toMatchObject({ sizeInUsd: usd(9_000n), sizeInTokens: 15_000_000n, collateralDeltaAmount: 1_000_000n });
    expect((await k.position(ref)).pendingImpactAmount).toBe(-1_500n);

    const closed = only(gmxEvents(await k.close(ref)), "PositionDecrease");
    expect(closed.uint).toMatchObject({ sizeInUsd: 0n, sizeInTokens: 0n, collateralAmount: 0n, sizeDeltaInTokens: 15_000_000n });
    expect(await k.getUint(gmxV2Keys.openInterest(g.markets.BTC.marketToken, d.tokens.WBTC.address, true))).toBe(0n);
    await k.setPrice("WBTC", answer(60_000n));
  });
});

// ---------------------------------------------------------------- simulation

describe("simulateGmxV2", () => {
  it("runs a seeded scenario with long and short liquidations and an ADL, leaving positions the events fully explain", async () => {
    const fromBlock = BigInt(await chainClients(d.rpcUrl).publicClient.getBlockNumber());
    const summary = await simulateGmxV2(d, g, { seed: 8, steps: 80, wallets: 4 });
    expect(summary.wallets).toHaveLength(4);
    for (const count of ["open", "increase", "decrease", "close", "adl", "priceMove", "borrowing", "funding", "pool", "liquidationLong", "liquidationShort"] as const) {
      expect(summary.counts[count], count).toBeGreaterThan(0);
    }
    expect(summary.staged).toEqual({ liquidationLong: false, liquidationShort: false, adl: false }); // seed 8 gets all three from the random walk
    expect(summary.liquidated).toHaveLength(summary.counts.liquidationLong + summary.counts.liquidationShort);
    expect(summary.openPositions.length).toBeGreaterThanOrEqual(4);

    const events = await gmxEventsBetween(fromBlock);
    const decreases = events.filter((e) => e.name === "PositionDecrease");
    expect(decreases.filter((e) => e.uint.orderType === 7n).map((e) => e.bytes32.positionKey)).toEqual(summary.liquidated.map((l) => l.key));
    expect(events.filter((e) => e.name === "OrderExecuted" && e.uint.secondaryOrderType === 1n)).toHaveLength(summary.counts.adl);

    // replaying every position event gives the stored position, pending impact included
    const history = await gmxEventsBetween(BigInt(g.startBlock));
    for (const p of summary.openPositions) {
      let pending = 0n;
      let last: GmxEvent | undefined;
      for (const e of history.filter((e) => e.bytes32.positionKey === p.key && e.name !== "PositionFeesCollected")) {
        if (e.name === "PositionIncrease") pending += e.int.pendingPriceImpactAmount!;
        else {
          const sizeBefore = e.uint.sizeInUsd! + e.uint.sizeDeltaUsd!;
          const product = pending * e.uint.sizeDeltaUsd!;
          pending -= product >= 0n ? product / sizeBefore : -ceilDiv(-product, sizeBefore);
        }
        last = e;
      }
      const stored = await k.position(p);
      expect(last!.uint).toMatchObject({
        sizeInUsd: stored.sizeInUsd,
        sizeInTokens: stored.sizeInTokens,
        collateralAmount: stored.collateralAmount,
        borrowingFactor: stored.borrowingFactor,
        fundingFeeAmountPerSize: stored.fundingFeeAmountPerSize,
      });
      expect(stored.pendingImpactAmount).toBe(pending);
      expect((await k.liquidationCheck(p)).liquidatable).toBe(false);
    }

    // the fixture's prices moved in step with the Chainlink feeds
    const aggregator = (await fixtureAbis()).aggregator;
    for (const symbol of ["WETH", "WBTC"] as const) {
      const latest = await read<bigint>(d.rpcUrl, { address: d.tokens[symbol].feed, abi: aggregator, functionName: "latestAnswer" });
      const price = feedUnitPrice(latest, d.tokens[symbol]);
      expect(await k.price(d.tokens[symbol].address)).toEqual({ min: price, max: price });
    }
  }, 120_000);
});
