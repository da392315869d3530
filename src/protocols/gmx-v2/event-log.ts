import { zeroHash, type Address, type Hex } from "viem";

// Reads GMX v2 EventEmitter payloads (event/EventUtils.sol EventLogData) by key. Item sets differ
// between GMX releases (v2.2 renamed PositionIncrease.priceImpactUsd to pendingPriceImpactUsd), so
// nothing is read by position: a missing optional key is undefined, a missing required key an error.

type KeyValue<T> = { key: string; value: T };
type Group<T> = { items: readonly KeyValue<T>[]; arrayItems: readonly KeyValue<readonly T[]>[] };

/** EventLogData as viem decodes it. */
export type EventLogData = {
  addressItems: Group<Address>;
  uintItems: Group<bigint>;
  intItems: Group<bigint>;
  boolItems: Group<boolean>;
  bytes32Items: Group<Hex>;
  bytesItems: Group<Hex>;
  stringItems: Group<string>;
};

export class EventDecodeError extends Error {
  constructor(eventName: string, detail: string) {
    super(`GMX v2 ${eventName}: ${detail}`);
    this.name = "EventDecodeError";
  }
}

/** Typed look-ups by key over one event's payload. */
export function eventItems(eventName: string, data: EventLogData) {
  const lookup = <T>(group: Group<T>, kind: string) => {
    const byKey = new Map(group.items.map((item) => [item.key, item.value]));
    const optional = (key: string): T | undefined => byKey.get(key);
    const required = (key: string): T => {
      if (!byKey.has(key)) throw new EventDecodeError(eventName, `missing ${kind} item '${key}'`);
      return byKey.get(key)!;
    };
    return { required, optional };
  };
  return {
    address: lookup(data.addressItems, "address"),
    uint: lookup(data.uintItems, "uint"),
    int: lookup(data.intItems, "int"),
    bool: lookup(data.boolItems, "bool"),
    bytes32: lookup(data.bytes32Items, "bytes32"),
    string: lookup(data.stringItems, "string"),
  };
}

/** The event names the adapter follows, by the EventEmitter event GMX emits them with (topic1 / topic2 carry keys). */
export const FOLLOWED_EVENTS = {
  EventLog1: [
    "PositionIncrease",
    "PositionDecrease",
    "PositionFeesCollected",
    "OraclePriceUpdate",
    "OpenInterestUpdated",
    "OpenInterestInTokensUpdated",
    "PoolAmountUpdated",
    "PositionImpactPoolAmountUpdated",
    "LentPositionImpactPoolAmountUpdated",
    "PositionImpactPoolDistributed",
    "CumulativeBorrowingFactorUpdated",
    "FundingFeeAmountPerSizeUpdated",
    "ClaimableFundingAmountPerSizeUpdated",
    "ClaimableFundingUpdated",
    "FundingFeesClaimed",
    // v2.0 emits OrderExecuted with EventLog1 (topic1 the order key); v2.1 on with EventLog2 (key, account).
    "OrderExecuted",
  ],
  EventLog2: ["OrderExecuted", "VirtualPositionInventoryUpdated"],
  // No topics: DecreasePositionCollateralUtils.handleEarlyReturn emits it with EventEmitter.emitEventLog.
  EventLog: ["InsolventClose"],
} as const;

/** Order.OrderType.Liquidation (order/Order.sol). */
export const ORDER_TYPE_LIQUIDATION = 7n;
/** Order.SecondaryOrderType.Adl. */
export const SECONDARY_ORDER_TYPE_ADL = 1n;

export type PositionChange = {
  kind: "PositionIncrease" | "PositionDecrease";
  account: Address;
  market: Address;
  collateralToken: Address;
  isLong: boolean;
  positionKey: Hex;
  orderKey: Hex | undefined;
  orderType: bigint;
  // Post-state (position/PositionEventUtils.sol).
  sizeInUsd: bigint;
  sizeInTokens: bigint;
  collateralAmount: bigint;
  borrowingFactor: bigint;
  fundingFeeAmountPerSize: bigint;
  /** What the position has been credited for, per size, in the market's long and short token (absent: 0). */
  longTokenClaimableFundingAmountPerSize: bigint;
  shortTokenClaimableFundingAmountPerSize: bigint;
  // Deltas.
  sizeDeltaUsd: bigint;
  collateralDeltaAmount: bigint;
  executionPrice: bigint | undefined;
  /** Increase: impact added to the position's pending impact (index tokens; v2.2+, else undefined). */
  pendingPriceImpactAmount: bigint | undefined;
  /** Decrease: realised PnL before price impact (USD 1e30). */
  basePnlUsd: bigint | undefined;
};

/** PositionFeesCollected (PositionEventUtils.emitPositionFeesCollected), emitted before its position event. */
export type PositionFees = {
  kind: "PositionFeesCollected";
  positionKey: Hex;
  collateralTokenPriceMin: bigint;
  /** Collateral-token amount the order paid: position fee less discounts, borrowing, funding, liquidation and UI fees. */
  totalCostAmount: bigint;
  /**
   * The larger of referral.traderDiscountFactor and pro.traderDiscountFactor (0 without either): a factor
   * of the fee since v2.2, the trader's share of the rebate through v2.1 (no pro tiers there).
   */
  traderDiscountFactor: bigint;
  /** referral.totalRebateFactor (0 without a referral code). */
  referralTotalRebateFactor: bigint;
  /** pro.traderDiscountFactor (2024-10 on; 0 without a pro tier). */
  proDiscountFactor: bigint;
  /** The trader's referral code (zero: none) and its owner, and the trader, as ReferralStorage gave them to the order. */
  referralCode: Hex;
  affiliate: Address | undefined;
  trader: Address | undefined;
};

/**
 * InsolventClose (all v2 releases): a liquidation or ADL closed a position whose collateral did not
 * cover its costs; the pool bore `remainingCostUsd`. Emitted before its order's PositionDecrease.
 */
export type InsolventClose = {
  kind: "InsolventClose";
  orderKey: Hex;
  /** The position's collateral before the close (collateral-token units). */
  positionCollateralAmount: bigint;
  /** What the collateral could not pay (USD 1e30). */
  remainingCostUsd: bigint;
  basePnlUsd: bigint;
  /** Where the collateral ran out: funding, pnl, fees, impact or diff (v2.1 on; undefined in v2.0). */
  step: string | undefined;
};

/**
 * Market values kept per collateral token and side, by event name, with the item holding the value
 * after the update (MarketEventUtils: open interest in USD and in tokens, funding fee and claimable
 * funding amounts per size).
 */
const SIDE_VALUE_ITEM = {
  OpenInterestUpdated: "nextValue",
  OpenInterestInTokensUpdated: "nextValue",
  FundingFeeAmountPerSizeUpdated: "value",
  ClaimableFundingAmountPerSizeUpdated: "value",
} as const;
export type SideValueEventName = keyof typeof SIDE_VALUE_ITEM;

export type GmxV2Event =
  | PositionChange
  | PositionFees
  | InsolventClose
  | { kind: "OraclePriceUpdate"; token: Address; minPrice: bigint; maxPrice: bigint; timestamp: bigint | undefined }
  | { kind: "OrderExecuted"; orderKey: Hex; account: Address | undefined; secondaryOrderType: bigint }
  | { kind: SideValueEventName; market: Address; collateralToken: Address; isLong: boolean; value: bigint }
  | { kind: "PoolAmountUpdated"; market: Address; token: Address; nextValue: bigint }
  // nextValue, never delta: v2.2 reports a drained pool's delta as +old value and the lent amount's as a magnitude.
  | { kind: "PositionImpactPoolAmountUpdated" | "LentPositionImpactPoolAmountUpdated"; market: Address; nextValue: bigint }
  | { kind: "PositionImpactPoolDistributed"; market: Address; nextValue: bigint }
  | { kind: "ClaimableFundingUpdated" | "FundingFeesClaimed"; market: Address; token: Address; account: Address; claimable: bigint }
  | { kind: "VirtualPositionInventoryUpdated"; token: Address; virtualTokenId: Hex; nextValue: bigint }
  | { kind: "CumulativeBorrowingFactorUpdated"; market: Address; isLong: boolean; nextValue: bigint };

function positionChange(kind: PositionChange["kind"], data: EventLogData): PositionChange {
  const i = eventItems(kind, data);
  const collateralDelta =
    kind === "PositionIncrease" ? i.int.required("collateralDeltaAmount") : i.uint.required("collateralDeltaAmount");
  return {
    kind,
    account: i.address.required("account"),
    market: i.address.required("market"),
    collateralToken: i.address.required("collateralToken"),
    isLong: i.bool.required("isLong"),
    positionKey: i.bytes32.required("positionKey"),
    orderKey: i.bytes32.optional("orderKey"),
    orderType: i.uint.required("orderType"),
    sizeInUsd: i.uint.required("sizeInUsd"),
    sizeInTokens: i.uint.required("sizeInTokens"),
    collateralAmount: i.uint.required("collateralAmount"),
    borrowingFactor: i.uint.required("borrowingFactor"),
    fundingFeeAmountPerSize: i.uint.required("fundingFeeAmountPerSize"),
    longTokenClaimableFundingAmountPerSize: i.uint.optional("longTokenClaimableFundingAmountPerSize") ?? 0n,
    shortTokenClaimableFundingAmountPerSize: i.uint.optional("shortTokenClaimableFundingAmountPerSize") ?? 0n,
    sizeDeltaUsd: i.uint.required("sizeDeltaUsd"),
    collateralDeltaAmount: collateralDelta,
    executionPrice: i.uint.optional("executionPrice"),
    pendingPriceImpactAmount: kind === "PositionIncrease" ? i.int.optional("pendingPriceImpactAmount") : undefined,
    basePnlUsd: kind === "PositionDecrease" ? i.int.optional("basePnlUsd") : undefined,
  };
}

/** Decodes the events the adapter follows; any other event name gives null. */
export function decodeGmxV2Event(eventName: string, data: EventLogData): GmxV2Event | null {
  switch (eventName) {
    case "PositionIncrease":
    case "PositionDecrease":
      return positionChange(eventName, data);
    case "PositionFeesCollected": {
      const i = eventItems(eventName, data);
      // v2.0 and v2.1 name the referral items without the "referral." prefix (PositionEventUtils.emitPositionFeesCollected).
      const referral = i.uint.optional("referral.traderDiscountFactor") ?? i.uint.optional("traderDiscountFactor") ?? 0n;
      const pro = i.uint.optional("pro.traderDiscountFactor") ?? 0n;
      return {
        kind: eventName,
        positionKey: i.bytes32.required("positionKey"),
        collateralTokenPriceMin: i.uint.required("collateralTokenPrice.min"),
        totalCostAmount: i.uint.required("totalCostAmount"),
        traderDiscountFactor: referral > pro ? referral : pro,
        referralTotalRebateFactor: i.uint.optional("referral.totalRebateFactor") ?? i.uint.optional("totalRebateFactor") ?? 0n,
        proDiscountFactor: pro,
        referralCode: i.bytes32.optional("referralCode") ?? zeroHash,
        affiliate: i.address.optional("affiliate"),
        trader: i.address.optional("trader"),
      };
    }
    case "OraclePriceUpdate": {
      const i = eventItems(eventName, data);
      return {
        kind: eventName,
        token: i.address.required("token"),
        minPrice: i.uint.required("minPrice"),
        maxPrice: i.uint.required("maxPrice"),
        timestamp: i.uint.optional("timestamp"),
      };
    }
    case "OrderExecuted": {
      const i = eventItems(eventName, data);
      return {
        kind: eventName,
        orderKey: i.bytes32.required("key"),
        account: i.address.optional("account"),
        secondaryOrderType: i.uint.optional("secondaryOrderType") ?? 0n,
      };
    }
    case "OpenInterestUpdated":
    case "OpenInterestInTokensUpdated":
    case "FundingFeeAmountPerSizeUpdated":
    case "ClaimableFundingAmountPerSizeUpdated": {
      const i = eventItems(eventName, data);
      return {
        kind: eventName,
        market: i.address.required("market"),
        collateralToken: i.address.required("collateralToken"),
        isLong: i.bool.required("isLong"),
        value: i.uint.required(SIDE_VALUE_ITEM[eventName]),
      };
    }
    case "ClaimableFundingUpdated":
    case "FundingFeesClaimed": {
      const i = eventItems(eventName, data);
      // A claim takes all of the account's claimable funding in that market and token.
      const claimable = eventName === "ClaimableFundingUpdated" ? i.uint.required("nextValue") : 0n;
      return { kind: eventName, market: i.address.required("market"), token: i.address.required("token"), account: i.address.required("account"), claimable };
    }
    case "PoolAmountUpdated": {
      const i = eventItems(eventName, data);
      return { kind: eventName, market: i.address.required("market"), token: i.address.required("token"), nextValue: i.uint.required("nextValue") };
    }
    case "PositionImpactPoolAmountUpdated":
    case "LentPositionImpactPoolAmountUpdated": {
      const i = eventItems(eventName, data);
      return { kind: eventName, market: i.address.required("market"), nextValue: i.uint.required("nextValue") };
    }
    case "PositionImpactPoolDistributed": {
      const i = eventItems(eventName, data);
      return { kind: eventName, market: i.address.required("market"), nextValue: i.uint.required("nextPositionImpactPoolAmount") };
    }
    case "VirtualPositionInventoryUpdated": {
      const i = eventItems(eventName, data);
      return {
        kind: eventName,
        token: i.address.required("token"),
        virtualTokenId: i.bytes32.required("virtualTokenId"),
        nextValue: i.int.required("nextValue"),
      };
    }
    case "InsolventClose": {
      const i = eventItems(eventName, data);
      return {
        kind: eventName,
        orderKey: i.bytes32.required("orderKey"),
        positionCollateralAmount: i.uint.required("positionCollateralAmount"),
        remainingCostUsd: i.uint.required("remainingCostUsd"),
        basePnlUsd: i.int.required("basePnlUsd"),
        step: i.string.optional("step"),
      };
    }
    case "CumulativeBorrowingFactorUpdated": {
      const i = eventItems(eventName, data);
      return { kind: eventName, market: i.address.required("market"), isLong: i.bool.required("isLong"), nextValue: i.uint.required("nextValue") };
    }
    default:
      return null;
  }
}
