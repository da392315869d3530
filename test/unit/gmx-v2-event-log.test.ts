import { decodeEventLog, encodeAbiParameters, encodeEventTopics, keccak256, pad, toHex, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { EventLogDataComponents, GmxV2EventEmitterAbi } from "../../abis/GmxV2EventEmitter";
import { decodeGmxV2Event, EventDecodeError, type EventLogData } from "../../src/protocols/gmx-v2/event-log";

const account: Address = "0x1111111111111111111111111111111111111111";
const market: Address = "0x2222222222222222222222222222222222222222";
const usdc: Address = "0x3333333333333333333333333333333333333333";
const handler: Address = "0x4444444444444444444444444444444444444444";
const positionKey = keccak256(toHex("position"));
const orderKey = keccak256(toHex("order"));

type Items = Partial<Record<keyof EventLogData, [string, unknown][]>>;
const groups = ["addressItems", "uintItems", "intItems", "boolItems", "bytes32Items", "bytesItems", "stringItems"] as const;
const payload = (items: Items): EventLogData =>
  Object.fromEntries(
    groups.map((g) => [g, { items: (items[g] ?? []).map(([key, value]) => ({ key, value })), arrayItems: [] }]),
  ) as unknown as EventLogData;

/** A log as the EventEmitter writes it: topics [sig, keccak(name), topic1], data abi(msgSender, eventName, eventData). */
function emitEventLog1(eventName: string, topic1: Hex, data: EventLogData) {
  const topics = encodeEventTopics({ abi: GmxV2EventEmitterAbi, eventName: "EventLog1", args: { eventNameHash: eventName, topic1 } });
  const encoded = encodeAbiParameters(
    [{ type: "address" }, { type: "string" }, { type: "tuple", components: EventLogDataComponents }],
    [handler, eventName, data as any],
  );
  return decodeEventLog({ abi: GmxV2EventEmitterAbi, topics: topics as [Hex, ...Hex[]], data: encoded });
}

// PositionEventUtils.emitPositionIncrease item set of GMX v2.2.
const increaseV22: Items = {
  addressItems: [["account", account], ["market", market], ["collateralToken", usdc]],
  uintItems: [
    ["sizeInUsd", 5_000n * 10n ** 30n],
    ["sizeInTokens", 2n * 10n ** 18n],
    ["collateralAmount", 1_000n * 10n ** 6n],
    ["borrowingFactor", 123n],
    ["fundingFeeAmountPerSize", 456n],
    ["longTokenClaimableFundingAmountPerSize", 789n],
    ["shortTokenClaimableFundingAmountPerSize", 1_011n],
    ["executionPrice", 2_500n * 10n ** 12n],
    ["indexTokenPrice.max", 2_500n * 10n ** 12n],
    ["indexTokenPrice.min", 2_499n * 10n ** 12n],
    ["collateralTokenPrice.max", 10n ** 24n],
    ["collateralTokenPrice.min", 10n ** 24n],
    ["sizeDeltaUsd", 5_000n * 10n ** 30n],
    ["sizeDeltaInTokens", 2n * 10n ** 18n],
    ["orderType", 2n],
    ["increasedAtTime", 1_700_000_000n],
  ],
  intItems: [["collateralDeltaAmount", 1_000n * 10n ** 6n], ["pendingPriceImpactUsd", -7n * 10n ** 30n], ["pendingPriceImpactAmount", -2_800_000_000_000_000n]],
  boolItems: [["isLong", true]],
  bytes32Items: [["orderKey", orderKey], ["positionKey", positionKey]],
};

describe("GMX v2 EventLogData decoding by key", () => {
  it("decodes a v2.2 PositionIncrease log to the values that were encoded", () => {
    const log = emitEventLog1("PositionIncrease", pad(account), payload(increaseV22));
    expect(log.eventName).toBe("EventLog1");
    expect(log.args.eventName).toBe("PositionIncrease");
    const e = decodeGmxV2Event(log.args.eventName, log.args.eventData as unknown as EventLogData);
    expect(e).toEqual({
      kind: "PositionIncrease",
      account,
      market,
      collateralToken: usdc,
      isLong: true,
      positionKey,
      orderKey,
      orderType: 2n,
      sizeInUsd: 5_000n * 10n ** 30n,
      sizeInTokens: 2n * 10n ** 18n,
      collateralAmount: 1_000n * 10n ** 6n,
      borrowingFactor: 123n,
      fundingFeeAmountPerSize: 456n,
      longTokenClaimableFundingAmountPerSize: 789n,
      shortTokenClaimableFundingAmountPerSize: 1_011n,
      sizeDeltaUsd: 5_000n * 10n ** 30n,
      collateralDeltaAmount: 1_000n * 10n ** 6n,
      executionPrice: 2_500n * 10n ** 12n,
      pendingPriceImpactAmount: -2_800_000_000_000_000n,
      basePnlUsd: undefined,
    });
  });

  it("reads by key, not position: reordered items and extra keys decode the same", () => {
    const shuffled: Items = {
      ...increaseV22,
      uintItems: [["someFutureField", 9n], ...[...increaseV22.uintItems!].reverse()],
      addressItems: [...increaseV22.addressItems!].reverse(),
    };
    const a = decodeGmxV2Event("PositionIncrease", emitEventLog1("PositionIncrease", pad(account), payload(increaseV22)).args.eventData as any);
    const b = decodeGmxV2Event("PositionIncrease", emitEventLog1("PositionIncrease", pad(account), payload(shuffled)).args.eventData as any);
    expect(b).toEqual(a);
  });

  it("accepts a v2.1 payload without the optional pendingPriceImpactAmount", () => {
    const v21: Items = {
      ...increaseV22,
      intItems: [["collateralDeltaAmount", 5n], ["priceImpactUsd", -1n]],
    };
    const e = decodeGmxV2Event("PositionIncrease", emitEventLog1("PositionIncrease", pad(account), payload(v21)).args.eventData as any);
    expect(e).toMatchObject({ kind: "PositionIncrease", collateralDeltaAmount: 5n, pendingPriceImpactAmount: undefined });
  });

  it("reads PositionFeesCollected's referral factors under v2.1's names and v2.2's, and the larger of referral and pro", () => {
    const common: [string, unknown][] = [["collateralTokenPrice.min", 10n ** 24n], ["totalCostAmount", 7n]];
    const decode = (uintItems: [string, unknown][]) =>
      decodeGmxV2Event("PositionFeesCollected", emitEventLog1("PositionFeesCollected", pad(market), payload({ bytes32Items: [["positionKey", positionKey]], uintItems: [...common, ...uintItems] })).args.eventData as any);
    // v2.0 / v2.1 (PositionEventUtils at those tags): "totalRebateFactor", "traderDiscountFactor" (the share of the rebate)
    expect(decode([["totalRebateFactor", 10n ** 29n], ["traderDiscountFactor", 5n * 10n ** 29n]])).toMatchObject({ traderDiscountFactor: 5n * 10n ** 29n, referralTotalRebateFactor: 10n ** 29n });
    // 2024-10 on: "referral." items (a factor of the fee), and a pro tier's when it has one
    const v22: [string, unknown][] = [["referral.totalRebateFactor", 10n ** 29n], ["referral.traderDiscountFactor", 5n * 10n ** 28n]];
    expect(decode(v22)).toMatchObject({ traderDiscountFactor: 5n * 10n ** 28n, referralTotalRebateFactor: 10n ** 29n });
    expect(decode([...v22, ["pro.traderDiscountFactor", 8n * 10n ** 28n]])).toMatchObject({ traderDiscountFactor: 8n * 10n ** 28n });
    expect(decode([])).toMatchObject({ traderDiscountFactor: 0n, referralTotalRebateFactor: 0n });
  });

  it("names the missing key when a required item is absent", () => {
    const broken: Items = { ...increaseV22, uintItems: increaseV22.uintItems!.filter(([k]) => k !== "sizeInTokens") };
    const data = emitEventLog1("PositionIncrease", pad(account), payload(broken)).args.eventData as any;
    expect(() => decodeGmxV2Event("PositionIncrease", data)).toThrow(EventDecodeError);
    expect(() => decodeGmxV2Event("PositionIncrease", data)).toThrow("missing uint item 'sizeInTokens'");
  });

  it("ignores event names the adapter does not follow", () => {
    const data = emitEventLog1("SwapInfo", pad(market), payload({ uintItems: [["amountIn", 1n]] })).args.eventData as any;
    expect(decodeGmxV2Event("SwapInfo", data)).toBeNull();
  });

  it("decodes a liquidation PositionDecrease, an ADL OrderExecuted and an OraclePriceUpdate", () => {
    const decrease: Items = {
      ...increaseV22,
      uintItems: [
        ...increaseV22.uintItems!.filter(([k]) => !["orderType", "sizeInUsd", "sizeInTokens", "collateralAmount"].includes(k)),
        ["sizeInUsd", 0n],
        ["sizeInTokens", 0n],
        ["collateralAmount", 0n],
        ["collateralDeltaAmount", 0n],
        ["orderType", 7n],
        ["decreasedAtTime", 1n],
      ],
      intItems: [["basePnlUsd", -900n * 10n ** 30n], ["priceImpactUsd", 0n], ["proportionalPendingImpactUsd", -7n]],
    };
    const d = decodeGmxV2Event("PositionDecrease", emitEventLog1("PositionDecrease", pad(account), payload(decrease)).args.eventData as any);
    expect(d).toMatchObject({ kind: "PositionDecrease", orderType: 7n, sizeInUsd: 0n, basePnlUsd: -900n * 10n ** 30n, collateralDeltaAmount: 0n });

    const topics = encodeEventTopics({ abi: GmxV2EventEmitterAbi, eventName: "EventLog2", args: { eventNameHash: "OrderExecuted", topic1: orderKey, topic2: pad(account) } });
    const encoded = encodeAbiParameters(
      [{ type: "address" }, { type: "string" }, { type: "tuple", components: EventLogDataComponents }],
      [handler, "OrderExecuted", payload({ bytes32Items: [["key", orderKey]], addressItems: [["account", account]], uintItems: [["secondaryOrderType", 1n]] }) as any],
    );
    const log = decodeEventLog({ abi: GmxV2EventEmitterAbi, topics: topics as [Hex, ...Hex[]], data: encoded });
    expect(log.args).toMatchObject({ topic1: orderKey, topic2: pad(account) });
    expect(decodeGmxV2Event(log.args.eventName, log.args.eventData as any)).toEqual({ kind: "OrderExecuted", orderKey, account, secondaryOrderType: 1n });

    const price = payload({ addressItems: [["token", usdc], ["provider", handler]], uintItems: [["minPrice", 999n], ["maxPrice", 1001n], ["timestamp", 5n]] });
    expect(decodeGmxV2Event("OraclePriceUpdate", emitEventLog1("OraclePriceUpdate", pad(usdc), price).args.eventData as any)).toEqual({
      kind: "OraclePriceUpdate",
      token: usdc,
      minPrice: 999n,
      maxPrice: 1001n,
      timestamp: 5n,
    });
  });

  it("decodes InsolventClose from a topic-less EventLog, with its step since v2.1 and without it in v2.0", () => {
    const topics = encodeEventTopics({ abi: GmxV2EventEmitterAbi, eventName: "EventLog", args: { eventNameHash: "InsolventClose" } });
    // EventLog's topics: the signature and keccak256("InsolventClose") (0xcfa5615f...), nothing else.
    expect(topics).toEqual([expect.any(String), keccak256(toHex("InsolventClose"))]);
    expect(topics[1]).toMatch(/^0xcfa5615f/);
    const items: Items = {
      bytes32Items: [["orderKey", orderKey]],
      uintItems: [["positionCollateralAmount", 490n * 10n ** 6n], ["remainingCostUsd", 160n * 10n ** 30n]],
      intItems: [["basePnlUsd", -650n * 10n ** 30n]],
      stringItems: [["step", "pnl"]],
    };
    const encode = (data: Items) =>
      encodeAbiParameters([{ type: "address" }, { type: "string" }, { type: "tuple", components: EventLogDataComponents }], [handler, "InsolventClose", payload(data) as any]);
    const log = decodeEventLog({ abi: GmxV2EventEmitterAbi, topics: topics as [Hex, ...Hex[]], data: encode(items) });
    expect(log.eventName).toBe("EventLog");
    const expected = { kind: "InsolventClose", orderKey, positionCollateralAmount: 490n * 10n ** 6n, remainingCostUsd: 160n * 10n ** 30n, basePnlUsd: -650n * 10n ** 30n };
    expect(decodeGmxV2Event(log.args.eventName, log.args.eventData as any)).toEqual({ ...expected, step: "pnl" });
    const v20 = decodeEventLog({ abi: GmxV2EventEmitterAbi, topics: topics as [Hex, ...Hex[]], data: encode({ ...items, stringItems: [] }) });
    expect(decodeGmxV2Event(v20.args.eventName, v20.args.eventData as any)).toEqual({ ...expected, step: undefined });
  });

  it("decodes the impact pool's events by nextValue, whatever their delta says (MarketEventUtils, v2.2)", () => {
    // A drained pool reports delta = +old value (applyDeltaToPositionImpactPool's lent branch); the lent amount's delta is a magnitude.
    const drained: Items = { addressItems: [["market", market]], intItems: [["delta", 5n * 10n ** 15n]], uintItems: [["nextValue", 0n]] };
    const decode = (name: string, items: Items) => decodeGmxV2Event(name, emitEventLog1(name, pad(market), payload(items)).args.eventData as any);
    expect(decode("PositionImpactPoolAmountUpdated", drained)).toEqual({ kind: "PositionImpactPoolAmountUpdated", market, nextValue: 0n });
    const lent: Items = { addressItems: [["market", market]], intItems: [["delta", 3n]], uintItems: [["nextValue", 7n * 10n ** 14n]] };
    expect(decode("LentPositionImpactPoolAmountUpdated", lent)).toEqual({ kind: "LentPositionImpactPoolAmountUpdated", market, nextValue: 7n * 10n ** 14n });
    const distributed: Items = { addressItems: [["market", market]], uintItems: [["distributionAmount", 36n * 10n ** 14n], ["nextPositionImpactPoolAmount", 99n * 10n ** 17n]] };
    expect(decode("PositionImpactPoolDistributed", distributed)).toEqual({ kind: "PositionImpactPoolDistributed", market, nextValue: 99n * 10n ** 17n });
  });
});
