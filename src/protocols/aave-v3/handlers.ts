import { ponder } from "ponder:registry";
import { aaveV3EModeCategory, aaveV3Reserve, aaveV3ReserveCurrent, aaveV3Token, aaveV3UserEMode, position, positionEvent } from "ponder:schema";
import type { Address, Hex } from "viem";
import { AaveV3PoolAbi } from "../../../abis/AaveV3Pool";
import type { PositionRow } from "../../core/adapter";
import { loadExposureConfig } from "../../config/exposure-config";
import { findOrRecord, recordWithCurrent } from "../../core/history";
import { positionEventRow } from "../../core/position-columns";
import { aaveV3Deployments } from "./contracts";
import { decodeReserveConfiguration, fromScaled, stableDebtBalance, toScaled } from "./math";
import { AAVE_V3, aaveV3PositionId, aaveV3PositionKey, decodeState, EMPTY_STATE, encodeState, type AaveSide, type AaveV3State } from "./normalise";

type Ctx = { db: any; chain: { id: number }; client: any };
type Evt = {
  log: { address: Address; logIndex: number };
  block: { number: bigint; timestamp: bigint };
  transaction: { hash: Hex };
};

/** PoolConfigurator -> its Pool, per chain, from the configured deployments. */
const poolOfConfigurator = new Map(
  aaveV3Deployments(loadExposureConfig()).map((d) => [`${d.chain}:${d.poolConfigurator.toLowerCase()}`, d.pool] as const),
);
const chainNames = new Map(Object.entries(loadExposureConfig().chains).map(([name, c]) => [c.id, name] as const));

const reserveKey = (chainId: number, pool: Address, asset: Address) => `${chainId}:${pool.toLowerCase()}:${asset.toLowerCase()}`;
const tokenKey = (chainId: number, token: Address) => `${chainId}:${token.toLowerCase()}`;

function configuredPool(context: Ctx, configurator: Address): Address {
  const pool = poolOfConfigurator.get(`${chainNames.get(context.chain.id)}:${configurator.toLowerCase()}`);
  if (!pool) throw new Error(`Aave v3: PoolConfigurator ${configurator} is not in the config`);
  return pool;
}

/** The reserve a token event belongs to; every token is announced by ReserveInitialized first. */
async function tokenReserve(context: Ctx, token: Address): Promise<{ pool: Address; asset: Address }> {
  const row = await context.db.find(aaveV3Token, { id: tokenKey(context.chain.id, token) });
  if (!row) throw new Error(`Aave v3: token ${token} was not announced by a followed PoolConfigurator`);
  return row;
}

/** E-mode parameters at the block that uses them (the Pool's getter: it has no per-field event). */
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

type Change = {
  pool: Address;
  user: Address;
  asset: Address;
  side: AaveSide;
  kind: string;
  apply: (s: AaveV3State) => AaveV3State;
  /** Balance in tokens after the change, at the event's block; absent: the change leaves it as stored. */
  size?: (s: AaveV3State) => bigint;
};

/** Applies one token's balance change (or a collateral switch) to a user's row and records the event. */
async function updateBalance(context: Ctx, event: Evt, c: Change) {
  const positionId = aaveV3PositionId(context.chain.id, c.pool, c.user, c.asset, c.side);
  const existing = (await context.db.find(position, { id: positionId })) as (PositionRow & { id: string }) | null;
  const after = c.apply(existing ? decodeState(existing) : EMPTY_STATE);
  const open = after.scaledBalance > 0n;
  const reopened = !existing || existing.status !== "open";
  const row: PositionRow = {
    positionId,
    chainId: context.chain.id,
    protocol: AAVE_V3,
    venue: c.pool,
    positionKey: aaveV3PositionKey(c.user, c.asset, c.side),
    account: c.user,
    market: c.asset,
    collateralToken: c.asset,
    isLong: c.side === "supply",
    sizeUsd: null,
    sizeInTokens: c.size ? c.size(after) : (existing?.sizeInTokens ?? 0n),
    collateralUsd: null,
    collateralAmount: null,
    entryPrice: null,
    realisedPnlUsd: null,
    protocolState: encodeState(after),
    status: open ? "open" : existing?.status === "liquidated" ? "liquidated" : "closed",
    openedBlock: reopened && open ? event.block.number : (existing?.openedBlock ?? event.block.number),
    openedAt: reopened && open ? event.block.timestamp : (existing?.openedAt ?? event.block.timestamp),
    updatedBlock: event.block.number,
    updatedAt: event.block.timestamp,
  };
  await context.db.insert(position).values({ id: positionId, ...row }).onConflictDoUpdate(row);
  const eventId = `${context.chain.id}:${event.transaction.hash}:${event.log.logIndex}:${c.side}:${c.user.toLowerCase()}`;
  await context.db.insert(positionEvent).values(positionEventRow(eventId, c.kind, event, row));
}

// ------------------------------------------------------------ reserves

/** A reserve's indexes, rates and packed configuration as the Pool holds them at the end of a block. */
async function readReserve(context: Ctx, pool: Address, asset: Address, blockNumber: bigint) {
  const data = await context.client.readContract({ abi: AaveV3PoolAbi, address: pool, functionName: "getReserveData", args: [asset], blockNumber });
  return {
    chainId: context.chain.id,
    pool,
    asset,
    blockNumber,
    lastUpdateTimestamp: BigInt(data.lastUpdateTimestamp),
    liquidityIndex: data.liquidityIndex,
    variableBorrowIndex: data.variableBorrowIndex,
    liquidityRate: data.currentLiquidityRate,
    variableBorrowRate: data.currentVariableBorrowRate,
    configuration: data.configuration,
  };
}

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

ponder.on("AaveV3PoolConfigurator:ReserveInitialized", async ({ event, context }) => {
  const pool = configuredPool(context, event.log.address);
  const a = event.args;
  for (const [token, kind] of [
    [a.aToken, "aToken"],
    [a.variableDebtToken, "variableDebt"],
    [a.stableDebtToken, "stableDebt"],
  ] as const) {
    // From 3.2 there is no stable debt token: ReserveInitialized names the zero address.
    if (BigInt(token) === 0n) continue;
    await context.db.insert(aaveV3Token).values({ id: tokenKey(context.chain.id, token), pool, asset: a.asset, kind }).onConflictDoNothing();
  }
  await recordReserveConfiguration(context, pool, a.asset, event.block.number);
});

/** A configuration change has no ReserveDataUpdated: record the reserve as the Pool now holds it. */
async function recordReserveConfiguration(context: Ctx, pool: Address, asset: Address, blockNumber: bigint) {
  const state = await readReserve(context, pool, asset, blockNumber);
  await recordWithCurrent(context.db, aaveV3Reserve, aaveV3ReserveCurrent, reserveKey(context.chain.id, pool, asset), state);
  await recordEModeCategory(context, pool, decodeReserveConfiguration(state.configuration).eModeCategory, blockNumber);
}

for (const name of [
  "CollateralConfigurationChanged",
  "ReserveBorrowing",
  "ReserveStableRateBorrowing",
  "ReserveActive",
  "ReserveFrozen",
  "ReservePaused",
  "ReserveFactorChanged",
  "SupplyCapChanged",
  "BorrowCapChanged",
  "DebtCeilingChanged",
  "SiloedBorrowingChanged",
  "BorrowableInIsolationChanged",
  "LiquidationProtocolFeeChanged",
  "EModeAssetCategoryChanged",
] as const) {
  ponder.on(`AaveV3PoolConfigurator:${name}`, async ({ event, context }) => {
    await recordReserveConfiguration(context, configuredPool(context, event.log.address), event.args.asset, event.block.number);
  });
}

ponder.on("AaveV3PoolConfigurator:EModeCategoryAdded", async ({ event, context }) => {
  const pool = configuredPool(context, event.log.address);
  const a = event.args;
  const row = { chainId: context.chain.id, pool, category: a.categoryId, blockNumber: event.block.number, ltv: a.ltv, liquidationThreshold: a.liquidationThreshold, priceSource: a.oracle };
  await context.db
    .insert(aaveV3EModeCategory)
    .values({ id: `${context.chain.id}:${pool.toLowerCase()}:${a.categoryId}:${event.block.number}`, ...row })
    .onConflictDoUpdate(row);
});

// ------------------------------------------------------------ balances

/** A scaled balance (AToken, VariableDebtToken) moved by `scaled`, valued at the event's index. */
const scaledChange = (scaled: bigint, index: bigint) => ({
  apply: (s: AaveV3State) => ({ ...s, scaledBalance: s.scaledBalance + scaled }),
  size: (s: AaveV3State) => fromScaled(s.scaledBalance, index),
});

/**
 * ScaledBalanceTokenBase._mintScaled emits Mint(value = amount + balanceIncrease); _burnScaled emits
 * Mint(value = balanceIncrease - amount) when the interest exceeds the burn, and _transfer emits
 * Mint(value = balanceIncrease) for interest alone. The stored balance moves by amount.rayDiv(index).
 */
const mintedScaled = (value: bigint, balanceIncrease: bigint, index: bigint) =>
  value >= balanceIncrease ? toScaled(value - balanceIncrease, index) : -toScaled(balanceIncrease - value, index);

/** _burnScaled's Burn(value = amount - balanceIncrease): the stored balance falls by amount.rayDiv(index). */
const burnedScaled = (value: bigint, balanceIncrease: bigint, index: bigint) => -toScaled(value + balanceIncrease, index);

const scaledKind = (delta: bigint, up: string, down: string) => (delta > 0n ? up : delta < 0n ? down : "interest");

for (const [contract, side, up, down] of [
  ["AaveV3AToken", "supply", "supply", "withdraw"],
  ["AaveV3VariableDebtToken", "borrow", "borrow", "repay"],
] as const) {
  ponder.on(`${contract}:Mint`, async ({ event, context }) => {
    const a = event.args;
    const { pool, asset } = await tokenReserve(context, event.log.address);
    const delta = mintedScaled(a.value, a.balanceIncrease, a.index);
    await updateBalance(context, event, { pool, user: a.onBehalfOf, asset, side, kind: scaledKind(delta, up, down), ...scaledChange(delta, a.index) });
  });
  ponder.on(`${contract}:Burn`, async ({ event, context }) => {
    const a = event.args;
    const { pool, asset } = await tokenReserve(context, event.log.address);
    await updateBalance(context, event, { pool, user: a.from, asset, side, kind: down, ...scaledChange(burnedScaled(a.value, a.balanceIncrease, a.index), a.index) });
  });
}

// Wallet transfers, liquidations paid in aTokens and the liquidation protocol fee: value is already scaled.
ponder.on("AaveV3AToken:BalanceTransfer", async ({ event, context }) => {
  const a = event.args;
  if (a.from.toLowerCase() === a.to.toLowerCase()) return;
  const { pool, asset } = await tokenReserve(context, event.log.address);
  await updateBalance(context, event, { pool, user: a.from, asset, side: "supply", kind: "transfer-out", ...scaledChange(-a.value, a.index) });
  await updateBalance(context, event, { pool, user: a.to, asset, side: "supply", kind: "transfer-in", ...scaledChange(a.value, a.index) });
});

/**
 * StableDebtToken.mint and burn store principal + amount (or - amount) and the user's rate; the
 * timestamp becomes the block's, or 0 with the rate when the debt is repaid in full.
 */
const stableChange = (delta: bigint, rate: bigint | undefined, timestamp: bigint) => ({
  apply: (s: AaveV3State): AaveV3State => {
    const scaledBalance = s.scaledBalance + delta;
    return scaledBalance === 0n
      ? { ...s, scaledBalance, stableRate: 0n, stableTimestamp: 0n }
      : { ...s, scaledBalance, stableRate: rate ?? s.stableRate, stableTimestamp: timestamp };
  },
  size: (s: AaveV3State) => stableDebtBalance(s.scaledBalance, s.stableRate, s.stableTimestamp, timestamp),
});

ponder.on("AaveV3StableDebtToken:Mint", async ({ event, context }) => {
  const a = event.args;
  const { pool, asset } = await tokenReserve(context, event.log.address);
  // amount + balanceIncrease on a borrow; balanceIncrease - amount on a repay smaller than the interest.
  const kind = a.amount > a.balanceIncrease ? "borrow" : "repay";
  await updateBalance(context, event, { pool, user: a.onBehalfOf, asset, side: "stable-borrow", kind, ...stableChange(a.amount, a.newRate, event.block.timestamp) });
});

ponder.on("AaveV3StableDebtToken:Burn", async ({ event, context }) => {
  const a = event.args;
  const { pool, asset } = await tokenReserve(context, event.log.address);
  await updateBalance(context, event, { pool, user: a.from, asset, side: "stable-borrow", kind: "repay", ...stableChange(-a.amount, undefined, event.block.timestamp) });
});

// ------------------------------------------------------------ collateral, e-mode, liquidations

for (const [name, usingAsCollateral] of [
  ["ReserveUsedAsCollateralEnabled", true],
  ["ReserveUsedAsCollateralDisabled", false],
] as const) {
  ponder.on(`AaveV3Pool:${name}`, async ({ event, context }) => {
    await updateBalance(context, event, {
      pool: event.log.address,
      user: event.args.user,
      asset: event.args.reserve,
      side: "supply",
      kind: usingAsCollateral ? "collateral-enabled" : "collateral-disabled",
      apply: (s) => ({ ...s, usingAsCollateral }),
    });
  });
}

// The balances moved through the tokens' events before it; mark the rows it closed as liquidated.
ponder.on("AaveV3Pool:LiquidationCall", async ({ event, context }) => {
  const a = event.args;
  const pool = event.log.address;
  for (const [asset, side] of [
    [a.collateralAsset, "supply"],
    [a.debtAsset, "borrow"],
    [a.debtAsset, "stable-borrow"],
  ] as const) {
    const id = aaveV3PositionId(context.chain.id, pool, a.user, asset, side);
    const row = (await context.db.find(position, { id })) as PositionRow | null;
    if (row && row.status === "closed" && row.updatedBlock === event.block.number) await context.db.update(position, { id }).set({ status: "liquidated" });
  }
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
