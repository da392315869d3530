import { ponder } from "ponder:registry";
import { aaveV3EModeCategory, aaveV3Reserve, aaveV3ReserveCurrent, aaveV3UserEMode, position, positionEvent } from "ponder:schema";
import type { Address, Hex } from "viem";
import { AaveV3PoolAbi } from "../../../abis/AaveV3Pool";
import type { PositionRow } from "../../core/adapter";
import { findOrRecord, recordWithCurrent } from "../../core/history";
import { fromScaled, normalizedDebt, normalizedIncome, toScaled, decodeReserveConfiguration, type ReserveIndexes } from "./math";
import { AAVE_V3, aaveV3PositionId, aaveV3PositionKey, decodeState, encodeState, type AaveSide } from "./normalise";

type Ctx = { db: any; chain: { id: number }; client: any };
type Evt = {
  log: { address: Address; logIndex: number };
  block: { number: bigint; timestamp: bigint };
  transaction: { hash: Hex };
};

const reserveKey = (chainId: number, pool: Address, asset: Address) => `${chainId}:${pool.toLowerCase()}:${asset.toLowerCase()}`;

async function currentReserve(context: Ctx, event: Evt, asset: Address): Promise<ReserveIndexes> {
  const row = await context.db.find(aaveV3ReserveCurrent, { id: reserveKey(context.chain.id, event.log.address, asset) });
  // Every Pool action updates the reserve (ReserveDataUpdated) before its own event, so this is a broken feed.
  if (!row) throw new Error(`Aave v3: no ReserveDataUpdated seen for ${asset} at pool ${event.log.address} before block ${event.block.number}`);
  return row;
}

/** E-mode parameters have no Pool event; read them at the block that uses them. */
async function recordEModeCategory(context: Ctx, pool: Address, category: number, blockNumber: bigint) {
  const id = `${context.chain.id}:${pool.toLowerCase()}:${category}:${blockNumber}`;
  if (category === 0) return;
  await findOrRecord(context.db, aaveV3EModeCategory, id, async () => {
    const data = await context.client.readContract({ abi: AaveV3PoolAbi, address: pool, functionName: "getEModeCategoryData", args: [category], blockNumber });
    return {
      chainId: context.chain.id,
      pool,
      category,
      blockNumber,
      ltv: BigInt(data.ltv),
      liquidationThreshold: BigInt(data.liquidationThreshold),
      priceSource: data.priceSource as Address,
    };
  });
}

/** Applies a change of scaled balance to one user/reserve/side row and records the event. */
async function updateBalance(
  context: Ctx,
  event: Evt,
  user: Address,
  asset: Address,
  side: AaveSide,
  kind: string,
  change: (s: { scaledBalance: bigint; usingAsCollateral: boolean }, index: bigint) => { scaledBalance: bigint; usingAsCollateral: boolean },
) {
  const reserve = await currentReserve(context, event, asset);
  const index = side === "supply" ? normalizedIncome(reserve, event.block.timestamp) : normalizedDebt(reserve, event.block.timestamp);
  const positionId = aaveV3PositionId(context.chain.id, event.log.address, user, asset, side);
  const existing = (await context.db.find(position, { id: positionId })) as (PositionRow & { id: string }) | null;
  const before = existing ? decodeState(existing) : { scaledBalance: 0n, usingAsCollateral: false };
  const after = change(before, index);
  const open = after.scaledBalance > 0n;
  const reopened = !existing || existing.status !== "open";
  const row: PositionRow = {
    positionId,
    chainId: context.chain.id,
    protocol: AAVE_V3,
    venue: event.log.address,
    positionKey: aaveV3PositionKey(user, asset, side),
    account: user,
    market: asset,
    collateralToken: asset,
    isLong: side === "supply",
    sizeUsd: null,
    sizeInTokens: fromScaled(after.scaledBalance, index),
    collateralUsd: null,
    collateralAmount: null,
    entryPrice: null,
    realisedPnlUsd: null,
    protocolState: encodeState(after),
    status: open ? "open" : kind === "liquidation" ? "liquidated" : "closed",
    openedBlock: reopened && open ? event.block.number : (existing?.openedBlock ?? event.block.number),
    openedAt: reopened && open ? event.block.timestamp : (existing?.openedAt ?? event.block.timestamp),
    updatedBlock: event.block.number,
    updatedAt: event.block.timestamp,
  };
  await context.db.insert(position).values({ id: positionId, ...row }).onConflictDoUpdate(row);
  await context.db.insert(positionEvent).values({
    id: `${context.chain.id}:${event.transaction.hash}:${event.log.logIndex}:${side}:${user.toLowerCase()}`,
    kind,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    transactionHash: event.transaction.hash,
    timestamp: event.block.timestamp,
    ...row,
  });
}

// AToken/VariableDebtToken mint and burn amount.rayDiv(index); a full repay or withdrawal clears the balance.
const add = (amount: bigint) => (s: { scaledBalance: bigint; usingAsCollateral: boolean }, index: bigint) => ({
  ...s,
  scaledBalance: s.scaledBalance + toScaled(amount, index),
});
const remove = (amount: bigint) => (s: { scaledBalance: bigint; usingAsCollateral: boolean }, index: bigint) => {
  const left = amount >= fromScaled(s.scaledBalance, index) ? 0n : s.scaledBalance - toScaled(amount, index);
  return { ...s, scaledBalance: left > 0n ? left : 0n };
};
const setCollateral = (usingAsCollateral: boolean) => (s: { scaledBalance: bigint; usingAsCollateral: boolean }) => ({ ...s, usingAsCollateral });

ponder.on("AaveV3Pool:ReserveDataUpdated", async ({ event, context }) => {
  const a = event.args;
  const pool = event.log.address;
  const key = reserveKey(context.chain.id, pool, a.reserve);
  const current = await context.db.find(aaveV3ReserveCurrent, { id: key });
  const configuration =
    current && current.blockNumber === event.block.number
      ? current.configuration
      : ((await context.client.readContract({ abi: AaveV3PoolAbi, address: pool, functionName: "getConfiguration", args: [a.reserve], blockNumber: event.block.number })) as bigint);
  const state = {
    chainId: context.chain.id,
    pool,
    asset: a.reserve,
    blockNumber: event.block.number,
    lastUpdateTimestamp: event.block.timestamp,
    liquidityIndex: a.liquidityIndex,
    variableBorrowIndex: a.variableBorrowIndex,
    liquidityRate: a.liquidityRate,
    variableBorrowRate: a.variableBorrowRate,
    configuration,
  };
  await recordWithCurrent(context.db, aaveV3Reserve, aaveV3ReserveCurrent, key, state);
  await recordEModeCategory(context, pool, decodeReserveConfiguration(configuration).eModeCategory, event.block.number);
});

ponder.on("AaveV3Pool:Supply", async ({ event, context }) => {
  await updateBalance(context, event, event.args.onBehalfOf, event.args.reserve, "supply", "supply", add(event.args.amount));
});

ponder.on("AaveV3Pool:Withdraw", async ({ event, context }) => {
  await updateBalance(context, event, event.args.user, event.args.reserve, "supply", "withdraw", remove(event.args.amount));
});

ponder.on("AaveV3Pool:Borrow", async ({ event, context }) => {
  await updateBalance(context, event, event.args.onBehalfOf, event.args.reserve, "borrow", "borrow", add(event.args.amount));
});

ponder.on("AaveV3Pool:Repay", async ({ event, context }) => {
  await updateBalance(context, event, event.args.user, event.args.reserve, "borrow", "repay", remove(event.args.amount));
});

ponder.on("AaveV3Pool:LiquidationCall", async ({ event, context }) => {
  const a = event.args;
  await updateBalance(context, event, a.user, a.debtAsset, "borrow", "liquidation", remove(a.debtToCover));
  await updateBalance(context, event, a.user, a.collateralAsset, "supply", "liquidation", remove(a.liquidatedCollateralAmount));
  // With receiveAToken the liquidator takes the aTokens (AToken.transferOnLiquidation): same scaled amount.
  if (a.receiveAToken) {
    await updateBalance(context, event, a.liquidator, a.collateralAsset, "supply", "liquidation-receive", add(a.liquidatedCollateralAmount));
  }
});

ponder.on("AaveV3Pool:ReserveUsedAsCollateralEnabled", async ({ event, context }) => {
  await updateBalance(context, event, event.args.user, event.args.reserve, "supply", "collateral-enabled", setCollateral(true));
});

ponder.on("AaveV3Pool:ReserveUsedAsCollateralDisabled", async ({ event, context }) => {
  await updateBalance(context, event, event.args.user, event.args.reserve, "supply", "collateral-disabled", setCollateral(false));
});

ponder.on("AaveV3Pool:UserEModeSet", async ({ event, context }) => {
  const pool = event.log.address;
  const row = { chainId: context.chain.id, pool, user: event.args.user, category: event.args.categoryId, blockNumber: event.block.number };
  await context.db
    .insert(aaveV3UserEMode)
    .values({ id: `${context.chain.id}:${pool.toLowerCase()}:${event.args.user.toLowerCase()}:${event.block.number}`, ...row })
    .onConflictDoUpdate({ category: row.category });
  await recordEModeCategory(context, pool, event.args.categoryId, event.block.number);
});
