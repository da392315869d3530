import { ponder } from "ponder:registry";
import {
  gmxV2ClaimableFunding,
  gmxV2Market,
  gmxV2MarketParams,
  gmxV2MarketValue,
  gmxV2OraclePrice,
  gmxV2InsolventClose,
  gmxV2Order,
  gmxV2Referral,
  position,
  positionEvent,
  priceUpdate,
} from "ponder:schema";
import { zeroAddress, zeroHash, type Address, type Hex } from "viem";
import { GmxReferralStorageAbi } from "../../../abis/GmxReferralStorage";
import { GmxV2ReadAbi } from "../../../abis/GmxV2EventEmitter";
import { loadExposureConfig } from "../../config/exposure-config";
import { assetDirectory } from "../../core/assets";
import { findOrRecord } from "../../core/history";
import { positionEventRow } from "../../core/position-columns";
import { feedDirectory } from "../../prices/feeds";
import type { PositionRow } from "../../core/adapter";
import { gmxV2DeploymentDirectory } from "./contracts";
import {
  decodeGmxV2Event,
  EventDecodeError,
  ORDER_TYPE_LIQUIDATION,
  SECONDARY_ORDER_TYPE_ADL,
  type EventLogData,
  type PositionChange,
  type PositionFees,
  type SideValueEventName,
} from "./event-log";
import { readAccrualClock, readMarketParams, readVirtualInventory } from "./market-params";
import type { GmxV2MarketValueKind, GmxV2ReferralKind } from "./schema";
import { decodeState, encodeState, entryPrice, GMX_V2, gmxV2PositionId, marketId, proportionalPendingImpact, toWholeTokenPrice } from "./normalise";

const config = loadExposureConfig();
const assets = assetDirectory(config);
const deployments = gmxV2DeploymentDirectory(config);
const feeds = feedDirectory(config);

type Ctx = { db: any; chain: { id: number }; client: any };
type Evt = {
  args: { eventName: string; eventData: EventLogData };
  log: { address: Address; logIndex: number };
  block: { number: bigint; timestamp: bigint };
  transaction: { hash: Hex };
};

const eventId = (context: Ctx, event: Evt) => `${context.chain.id}:${event.transaction.hash}:${event.log.logIndex}`;

function deploymentOf(context: Ctx, event: Evt) {
  const d = deployments(context.chain.id, event.log.address);
  if (!d) throw new Error(`GMX v2: EventEmitter ${event.log.address} on chain ${context.chain.id} is not configured`);
  return d;
}

/** Market tokens from Reader.getMarket, read the first time a market is seen. */
function marketTokens(context: Ctx, event: Evt, market: Address) {
  return findOrRecord(context.db, gmxV2Market, marketId(context.chain.id, event.log.address, market), async () => {
    const d = deploymentOf(context, event);
    const props = await context.client.readContract({
      abi: GmxV2ReadAbi,
      address: d.reader,
      functionName: "getMarket",
      args: [d.dataStore, market],
      blockNumber: event.block.number,
    });
    return { chainId: context.chain.id, eventEmitter: event.log.address, market, indexToken: props.indexToken as Address, longToken: props.longToken as Address, shortToken: props.shortToken as Address };
  });
}

/**
 * DataStore parameters have no events of their own here; read them at each block with activity in the
 * market, with the index token's virtual inventory as it stands at the end of the block (its events
 * follow it between; this read also covers a value set before the start block).
 */
async function recordMarketParams(context: Ctx, event: Evt, market: Address) {
  const id = `${marketId(context.chain.id, event.log.address, market)}:${event.block.number}`;
  await findOrRecord(context.db, gmxV2MarketParams, id, async () => {
    const d = deploymentOf(context, event);
    const tokens = await marketTokens(context, event, market);
    const params = await readMarketParams(context.client, d, { marketToken: market, indexToken: tokens.indexToken }, d.release, event.block.number);
    if (params.virtualTokenId !== null) {
      const value = await readVirtualInventory(context.client, d, params, event.block.number);
      const inventory = { market: params.virtualTokenId as Address, kind: "virtualPositionInventory" as const, collateralToken: zeroAddress, isLong: false, value };
      await recordMarketValue(context, event, inventory, { id: `${id}:virtualPositionInventory` });
    }
    await recordAccrualClock(context, event, market);
    return { chainId: context.chain.id, eventEmitter: event.log.address, market, blockNumber: event.block.number, ...params };
  });
}

/**
 * The market's accrual clock as it stands at the end of this block, once per market and block: the
 * contract advances it with every CumulativeBorrowingFactorUpdated but reports none of it.
 */
async function recordAccrualClock(context: Ctx, event: Evt, market: Address) {
  const id = `${marketId(context.chain.id, event.log.address, market)}:${event.block.number}:clock`;
  if (await context.db.find(gmxV2MarketValue, { id: `${id}:fundingUpdatedAt:false` })) return;
  const clock = await readAccrualClock(context.client, deploymentOf(context, event), market, event.block.number);
  const value = (kind: GmxV2MarketValueKind, isLong: boolean, v: bigint) =>
    recordMarketValue(context, event, { market, kind, collateralToken: zeroAddress, isLong, value: v }, { id: `${id}:${kind}:${isLong}` });
  await value("borrowingUpdatedAt", true, clock.borrowingUpdatedAtLong);
  await value("borrowingUpdatedAt", false, clock.borrowingUpdatedAtShort);
  await value("savedFundingFactorPerSecond", false, clock.savedFundingFactorPerSecond);
  await value("positionImpactPoolAmount", false, clock.impactPool.amount);
  await value("positionImpactPoolDistributedAt", false, clock.impactPool.distributedAt);
  await value("lentPositionImpactPoolAmount", false, clock.impactPool.lentAmount);
  // Written last: its row marks the block's clock as read.
  await value("fundingUpdatedAt", false, clock.fundingUpdatedAt);
}

/** A logIndex after every log of a block: a value read from state at the block's end. */
const END_OF_BLOCK = 2 ** 31 - 1;

/** Where each per-collateral-token-and-side value is kept. */
const SIDE_VALUE_KIND: Record<SideValueEventName, GmxV2MarketValueKind> = {
  OpenInterestUpdated: "openInterest",
  OpenInterestInTokensUpdated: "openInterestInTokens",
  FundingFeeAmountPerSizeUpdated: "fundingFeeAmountPerSize",
  ClaimableFundingAmountPerSizeUpdated: "claimableFundingAmountPerSize",
};

/** A market value as of this event, or as read from state at the end of its block (`endOfBlock`, one row per id). */
async function recordMarketValue(
  context: Ctx,
  event: Evt,
  v: { market: Address; kind: GmxV2MarketValueKind; collateralToken: Address; isLong: boolean; value: bigint },
  endOfBlock?: { id: string },
) {
  await context.db.insert(gmxV2MarketValue).values({
    id: endOfBlock?.id ?? eventId(context, event),
    chainId: context.chain.id,
    eventEmitter: event.log.address,
    ...v,
    blockNumber: event.block.number,
    logIndex: endOfBlock ? END_OF_BLOCK : event.log.logIndex,
  });
}

/**
 * An asset whose configured price source is this EventEmitter gets its mark from GMX's oracle:
 * the mid price (Price.sol midPrice: (min + max) / 2), per whole token (unit price x 10^decimals).
 */
async function recordConfiguredMark(context: Ctx, event: Evt, token: Address, minPrice: bigint, maxPrice: bigint, updatedAt: bigint) {
  const feed = feeds.byAsset(context.chain.id, token);
  if (feed?.source !== "gmx-v2" || feed.address.toLowerCase() !== event.log.address.toLowerCase()) return;
  const decimals = assets.get(context.chain.id, token)?.decimals;
  if (decimals === undefined) return;
  const mid = (minPrice + maxPrice) / 2n;
  const row = {
    chainId: context.chain.id,
    asset: feed.asset,
    feed: event.log.address,
    answer: mid,
    price: toWholeTokenPrice(mid, decimals),
    roundId: 0n,
    updatedAt,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
  };
  await context.db
    .insert(priceUpdate)
    .values({ id: `${context.chain.id}:${event.log.address.toLowerCase()}:${token.toLowerCase()}:${event.block.number}`, ...row })
    .onConflictDoUpdate(row);
}

/**
 * PositionFeesCollected comes just before its position event in the same transaction: it waits here
 * for it. (Ponder indexes a transaction's logs in one go, so a restart never splits the pair.)
 */
const feesCollected = new Map<string, PositionFees>();
const feesKey = (context: Ctx, event: Evt, positionKey: Hex) => `${context.chain.id}:${event.transaction.hash}:${positionKey.toLowerCase()}`;
function takeFees(context: Ctx, event: Evt, positionKey: Hex) {
  const key = feesKey(context, event, positionKey);
  const fees = feesCollected.get(key);
  feesCollected.delete(key);
  return fees;
}

/** The row after a PositionIncrease/PositionDecrease: the event's post-state plus the pending impact we carry. */
async function applyPositionChange(context: Ctx, event: Evt, e: PositionChange) {
  const tokens = await marketTokens(context, event, e.market);
  const positionId = gmxV2PositionId(context.chain.id, event.log.address, e.positionKey);
  const existing = (await context.db.find(position, { id: positionId })) as (PositionRow & { id: string }) | null;
  const previous = existing && existing.status === "open" ? existing : null;
  const before = previous ? decodeState(previous.protocolState) : undefined;
  const pendingBefore = before?.pendingImpactAmount ?? 0n;
  const fees = takeFees(context, event, e.positionKey);
  // Events carry every post-state field except pendingImpactAmount (PositionEventUtils); follow it as the contract does.
  const pendingImpactAmount =
    e.kind === "PositionIncrease"
      ? pendingBefore + (e.pendingPriceImpactAmount ?? 0n)
      : e.sizeInUsd === 0n
        ? 0n
        : pendingBefore - proportionalPendingImpact(pendingBefore, e.sizeDeltaUsd, e.sizeInUsd + e.sizeDeltaUsd);
  const closed = e.sizeInUsd === 0n;
  const indexDecimals = assets.get(context.chain.id, tokens.indexToken)?.decimals;
  const status = !closed ? "open" : e.orderType === ORDER_TYPE_LIQUIDATION ? "liquidated" : "closed";
  const row: PositionRow = {
    positionId,
    chainId: context.chain.id,
    protocol: GMX_V2,
    venue: event.log.address,
    positionKey: e.positionKey,
    account: e.account,
    market: tokens.indexToken,
    collateralToken: e.collateralToken,
    isLong: e.isLong,
    sizeUsd: e.sizeInUsd,
    sizeInTokens: e.sizeInTokens,
    // USD value depends on the collateral price at the queried block; the adapter computes it.
    collateralUsd: null,
    collateralAmount: e.collateralAmount,
    entryPrice: entryPrice(e.sizeInUsd, e.sizeInTokens, indexDecimals),
    realisedPnlUsd: (previous?.realisedPnlUsd ?? 0n) + (e.basePnlUsd ?? 0n),
    protocolState: encodeState({
      marketToken: e.market,
      borrowingFactor: e.borrowingFactor,
      fundingFeeAmountPerSize: e.fundingFeeAmountPerSize,
      pendingImpactAmount,
      // The discount the trader's next orders get, as this one got it (an order without the fees event keeps the last).
      traderDiscountFactor: fees?.traderDiscountFactor ?? before?.traderDiscountFactor ?? 0n,
      referralTotalRebateFactor: fees?.referralTotalRebateFactor ?? before?.referralTotalRebateFactor ?? 0n,
      proDiscountFactor: fees?.proDiscountFactor ?? before?.proDiscountFactor ?? 0n,
      longTokenClaimableFundingAmountPerSize: e.longTokenClaimableFundingAmountPerSize,
      shortTokenClaimableFundingAmountPerSize: e.shortTokenClaimableFundingAmountPerSize,
    }),
    status,
    openedBlock: previous?.openedBlock ?? event.block.number,
    openedAt: previous?.openedAt ?? event.block.timestamp,
    updatedBlock: event.block.number,
    updatedAt: event.block.timestamp,
  };
  await context.db.insert(position).values({ id: positionId, ...row }).onConflictDoUpdate(row);

  const id = eventId(context, event);
  const increase = e.kind === "PositionIncrease";
  const kind = increase ? "increase" : e.orderType === ORDER_TYPE_LIQUIDATION ? "liquidation-decrease" : "decrease";
  const price = e.executionPrice === undefined || indexDecimals === undefined ? null : toWholeTokenPrice(e.executionPrice, indexDecimals);
  const feeUsd = fees ? fees.totalCostAmount * fees.collateralTokenPriceMin : null;
  await context.db.insert(positionEvent).values(positionEventRow(id, kind, event, row, { sizeDeltaUsd: e.sizeDeltaUsd, price, feeUsd }));
  if (e.orderKey) {
    const orderId = `${context.chain.id}:${e.orderKey}`;
    await context.db.insert(gmxV2Order).values({ id: orderId, positionEventId: id }).onConflictDoUpdate({ positionEventId: id });
    // An insolvent close is reported before its PositionDecrease: name the position it closed.
    if (await context.db.find(gmxV2InsolventClose, { id: orderId })) {
      await context.db
        .update(gmxV2InsolventClose, { id: orderId })
        .set({ positionEventId: id, account: e.account, positionKey: e.positionKey, market: e.market, collateralToken: e.collateralToken, isLong: e.isLong });
    }
  }
  await recordMarketParams(context, event, e.market);
}

async function onEventLog(event: Evt, context: Ctx) {
  let e;
  try {
    e = decodeGmxV2Event(event.args.eventName, event.args.eventData);
  } catch (error) {
    // A payload without a key we need cannot be applied; say which and go on rather than stop the chain.
    if (error instanceof EventDecodeError) {
      console.warn(`${error.message} (tx ${event.transaction.hash}, log ${event.log.logIndex}): skipped`);
      return;
    }
    throw error;
  }
  if (!e) return;
  switch (e.kind) {
    case "PositionFeesCollected":
      feesCollected.set(feesKey(context, event, e.positionKey), e);
      return snapshotReferral(context, event, e);
    case "PositionIncrease":
    case "PositionDecrease":
      return applyPositionChange(context, event, e);
    case "OraclePriceUpdate": {
      const timestamp = e.timestamp ?? event.block.timestamp;
      await context.db.insert(gmxV2OraclePrice).values({
        id: eventId(context, event),
        chainId: context.chain.id,
        eventEmitter: event.log.address,
        token: e.token,
        minPrice: e.minPrice,
        maxPrice: e.maxPrice,
        blockNumber: event.block.number,
        logIndex: event.log.logIndex,
        timestamp,
      });
      return recordConfiguredMark(context, event, e.token, e.minPrice, e.maxPrice, timestamp);
    }
    case "OpenInterestUpdated":
    case "OpenInterestInTokensUpdated":
    case "FundingFeeAmountPerSizeUpdated":
    case "ClaimableFundingAmountPerSizeUpdated":
      return recordMarketValue(context, event, { market: e.market, kind: SIDE_VALUE_KIND[e.kind], collateralToken: e.collateralToken, isLong: e.isLong, value: e.value });
    case "PoolAmountUpdated":
      return recordMarketValue(context, event, { market: e.market, kind: "poolAmount", collateralToken: e.token, isLong: false, value: e.nextValue });
    case "PositionImpactPoolAmountUpdated":
      return recordMarketValue(context, event, { market: e.market, kind: "positionImpactPoolAmount", collateralToken: zeroAddress, isLong: false, value: e.nextValue });
    case "LentPositionImpactPoolAmountUpdated":
      return recordMarketValue(context, event, { market: e.market, kind: "lentPositionImpactPoolAmount", collateralToken: zeroAddress, isLong: false, value: e.nextValue });
    case "PositionImpactPoolDistributed":
      // MarketUtils.distributePositionImpactPool sets DISTRIBUTED_AT to the block's timestamp.
      return recordMarketValue(context, event, { market: e.market, kind: "positionImpactPoolDistributedAt", collateralToken: zeroAddress, isLong: false, value: event.block.timestamp });
    case "VirtualPositionInventoryUpdated":
      return recordMarketValue(context, event, { market: e.virtualTokenId as Address, kind: "virtualPositionInventory", collateralToken: zeroAddress, isLong: false, value: e.nextValue });
    case "CumulativeBorrowingFactorUpdated":
      await recordMarketValue(context, event, { market: e.market, kind: "cumulativeBorrowingFactor", collateralToken: zeroAddress, isLong: e.isLong, value: e.nextValue });
      // Swap orders advance market 0x0 too (v2.1 on); it has no positions.
      if (e.market !== zeroAddress) await recordAccrualClock(context, event, e.market);
      return;
    case "ClaimableFundingUpdated":
    case "FundingFeesClaimed": {
      const id = `${context.chain.id}:${event.log.address.toLowerCase()}:${e.account.toLowerCase()}:${e.market.toLowerCase()}:${e.token.toLowerCase()}`;
      const row = { chainId: context.chain.id, eventEmitter: event.log.address, account: e.account, market: e.market, token: e.token, amount: e.claimable, updatedBlock: event.block.number };
      await context.db.insert(gmxV2ClaimableFunding).values({ id, ...row }).onConflictDoUpdate(row);
      return;
    }
    case "InsolventClose":
      await context.db.insert(gmxV2InsolventClose).values({
        id: `${context.chain.id}:${e.orderKey}`,
        chainId: context.chain.id,
        eventEmitter: event.log.address,
        orderKey: e.orderKey,
        collateralAmount: e.positionCollateralAmount,
        remainingCostUsd: e.remainingCostUsd,
        basePnlUsd: e.basePnlUsd,
        step: e.step ?? null,
        blockNumber: event.block.number,
        transactionHash: event.transaction.hash,
      });
      return;
    case "OrderExecuted": {
      if (e.secondaryOrderType !== SECONDARY_ORDER_TYPE_ADL) return;
      // Auto-deleveraging executes a decrease order; label the position event that order produced.
      const order = await context.db.find(gmxV2Order, { id: `${context.chain.id}:${e.orderKey}` });
      if (order) await context.db.update(positionEvent, { id: order.positionEventId }).set({ kind: "adl-decrease" });
      return;
    }
  }
}

ponder.on("GmxV2EventEmitter:EventLog1", ({ event, context }) => onEventLog(event as Evt, context as Ctx));
ponder.on("GmxV2EventEmitter:EventLog2", ({ event, context }) => onEventLog(event as Evt, context as Ctx));
ponder.on("GmxV2EventEmitter:EventLog", ({ event, context }) => onEventLog(event as Evt, context as Ctx));

/** A ReferralStorage value from this block on; a second write in the block replaces the first (a read gives the block's end state). */
async function recordReferral(context: Ctx, referralStorage: Address, kind: GmxV2ReferralKind, key: string, value: string, blockNumber: bigint) {
  const row = { chainId: context.chain.id, referralStorage: referralStorage.toLowerCase() as Address, kind, key: key.toLowerCase(), value, blockNumber };
  await context.db
    .insert(gmxV2Referral)
    .values({ id: `${row.chainId}:${row.referralStorage}:${kind}:${row.key}:${blockNumber}`, ...row })
    .onConflictDoUpdate({ value });
}

/**
 * What ReferralStorage held for an order's trader, read at its block (ReferralUtils.getReferralInfo's
 * chain: code, owner, the owner's tier and share, the tier), so that a later event changing any link
 * is applied to a state known in full, whenever the code or tier was set.
 */
async function snapshotReferral(context: Ctx, event: Evt, fees: PositionFees) {
  const d = deploymentOf(context, event);
  if (!d.referralStorage || !fees.trader) return;
  const put = (kind: GmxV2ReferralKind, key: string, value: string) => recordReferral(context, d.referralStorage!, kind, key, value, event.block.number);
  await put("traderCode", fees.trader, fees.referralCode);
  if (fees.referralCode === zeroHash || !fees.affiliate) return;
  const at = { address: d.referralStorage, abi: GmxReferralStorageAbi, blockNumber: event.block.number } as const;
  const [tierId, ownShare] = (await Promise.all([
    context.client.readContract({ ...at, functionName: "referrerTiers", args: [fees.affiliate] }),
    context.client.readContract({ ...at, functionName: "referrerDiscountShares", args: [fees.affiliate] }),
  ])) as [bigint, bigint];
  const [totalRebate, discountShare] = (await context.client.readContract({ ...at, functionName: "tiers", args: [tierId] })) as [bigint, bigint];
  await put("codeOwner", fees.referralCode, fees.affiliate);
  await put("referrerTier", fees.affiliate, tierId.toString());
  await put("referrerDiscountShare", fees.affiliate, ownShare.toString());
  await put("tier", tierId.toString(), `${totalRebate}:${discountShare}`);
}

// ReferralStorage's own events: each sets one link of the chain the discount reads.
type ReferralEvent = { log: { address: Address }; block: { number: bigint }; args: Record<string, bigint | Hex> };
const onReferral = (kind: GmxV2ReferralKind, entry: (a: ReferralEvent["args"]) => [key: unknown, value: unknown]) =>
  ({ event, context }: { event: unknown; context: unknown }) => {
    const e = event as ReferralEvent;
    const [key, value] = entry(e.args);
    return recordReferral(context as Ctx, e.log.address, kind, String(key), String(value), e.block.number);
  };
ponder.on("GmxV2ReferralStorage:SetTraderReferralCode", onReferral("traderCode", (a) => [a.account, a.code]));
ponder.on("GmxV2ReferralStorage:SetTier", onReferral("tier", (a) => [a.tierId, `${a.totalRebate}:${a.discountShare}`]));
ponder.on("GmxV2ReferralStorage:SetReferrerTier", onReferral("referrerTier", (a) => [a.referrer, a.tierId]));
ponder.on("GmxV2ReferralStorage:SetReferrerDiscountShare", onReferral("referrerDiscountShare", (a) => [a.referrer, a.discountShare]));
ponder.on("GmxV2ReferralStorage:RegisterCode", onReferral("codeOwner", (a) => [a.code, a.account]));
ponder.on("GmxV2ReferralStorage:SetCodeOwner", onReferral("codeOwner", (a) => [a.code, a.newAccount]));
ponder.on("GmxV2ReferralStorage:GovSetCodeOwner", onReferral("codeOwner", (a) => [a.code, a.newAccount]));
