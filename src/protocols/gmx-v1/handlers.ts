import { ponder } from "ponder:registry";
import { gmxV1FundingRate, gmxV1VaultParams, gmxV1VaultParamsCurrent, position, positionEvent } from "ponder:schema";
import { and, eq } from "ponder";
import { toFunctionSelector, type Address, type Hex } from "viem";
import { GmxV1VaultAbi } from "../../../abis/GmxV1Vault";
import { loadExposureConfig } from "../../config/exposure-config";
import { assetDirectory } from "../../core/assets";
import { latestAtOrBefore, recordWithCurrent } from "../../core/history";
import { readOnlyRow } from "../../core/ponder-row";
import { transactionMemo } from "../../core/transaction-memo";
import type { PositionRow } from "../../core/adapter";
import { encodeState, GMX_V1, gmxV1PositionId, gmxV1RowId, sizeInTokens, toGmxV1Position } from "./normalise";
import { liquidationLevel, type GmxV1VaultParams } from "./risk";

const assets = assetDirectory(loadExposureConfig());

// A max-leverage liquidation (validateLiquidation state 2) emits DecreasePosition + ClosePosition and
// no LiquidatePosition; only the transaction's selector tells it apart (Vault and PositionManager share it).
const LIQUIDATE_SELECTOR = toFunctionSelector("liquidatePosition(address,address,address,bool,address)");
const isLiquidationTx = (input: Hex | undefined) => input?.slice(0, 10).toLowerCase() === LIQUIDATE_SELECTOR;

type Ctx = { db: any; chain: { id: number }; client: any };
type Evt = {
  log: { address: Address; logIndex: number };
  block: { number: bigint; timestamp: bigint; hash: Hex };
  transaction: { hash: Hex; input?: Hex };
};

type Identity = { key: Hex; account: Address; collateralToken: Address; indexToken: Address; isLong: boolean };
type Deltas = { sizeDeltaUsd?: bigint; collateralDeltaUsd?: bigint; price?: bigint; feeUsd?: bigint };

/** The row's columns without its key (read past ponder's copy-on-write proxy: each write is a new object). */
function stateColumns(found: PositionRow & { id?: string }): PositionRow {
  const { id: _id, ...columns } = readOnlyRow(found);
  return columns;
}

/** History row: the deltas of this event and the position's state after it. */
async function appendEvent(context: Ctx, event: Evt, row: PositionRow, kind: string, deltas: Deltas = {}) {
  await context.db.insert(positionEvent).values({
    id: `${context.chain.id}:${event.transaction.hash}:${event.log.logIndex}`,
    kind,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    transactionHash: event.transaction.hash,
    timestamp: event.block.timestamp,
    sizeDeltaUsd: deltas.sizeDeltaUsd ?? null,
    collateralDeltaUsd: deltas.collateralDeltaUsd ?? null,
    price: deltas.price ?? null,
    feeUsd: deltas.feeUsd ?? null,
    ...row,
  });
}

/** A fresh row for a key not open yet, from the identity Increase/Decrease/LiquidatePosition carry. */
function freshRow(context: Ctx, event: Evt, id: Identity): PositionRow {
  return {
    positionId: gmxV1PositionId(context.chain.id, event.log.address, id.key),
    chainId: context.chain.id,
    protocol: GMX_V1,
    venue: event.log.address,
    positionKey: id.key,
    account: id.account,
    market: id.indexToken,
    collateralToken: id.collateralToken,
    isLong: id.isLong,
    sizeUsd: 0n,
    sizeInTokens: 0n,
    collateralUsd: 0n,
    collateralAmount: null,
    entryPrice: 0n,
    realisedPnlUsd: 0n,
    protocolState: encodeState({ entryFundingRate: 0n, reserveAmount: 0n }),
    status: "open",
    openedBlock: event.block.number,
    openedAt: event.block.timestamp,
    updatedBlock: event.block.number,
    updatedAt: event.block.timestamp,
  };
}

/** Finds the position (as ponder's cached row), opening a fresh row when the key is new or was closed before. */
async function openOrLoad(context: Ctx, event: Evt, id: Identity): Promise<PositionRow> {
  const rowId = gmxV1RowId(context.chain.id, event.log.address, id.key);
  const existing = (await context.db.find(position, { id: rowId })) as (PositionRow & { id: string }) | null;
  if (existing && existing.status === "open") return existing;
  const fresh = freshRow(context, event, id);
  await context.db.insert(position).values({ id: rowId, ...fresh }).onConflictDoUpdate(fresh);
  return fresh;
}

/**
 * The row an Update or Close applies to, read once: the open row; else, when the Increase/Decrease
 * before it carried the identity (a new key, or one closed before), a fresh row to insert; else the
 * row as found (a bare update).
 */
async function rowForChange(context: Ctx, event: Evt, key: Hex, identity: Identity | undefined) {
  const found = await context.db.find(position, { id: gmxV1RowId(context.chain.id, event.log.address, key) });
  if (found && (found.status === "open" || !identity)) return { row: stateColumns(found), fresh: false };
  return identity ? { row: freshRow(context, event, identity), fresh: true } : null;
}

/** Writes the row with `changes`: an update, or (`fresh`) an insert over any closed row of the key. */
async function save(context: Ctx, event: Evt, row: PositionRow, changes: Partial<PositionRow>, fresh = false): Promise<PositionRow> {
  const next = { ...row, ...changes, updatedBlock: event.block.number, updatedAt: event.block.timestamp };
  const id = gmxV1RowId(row.chainId, row.venue, row.positionKey);
  if (fresh) await context.db.insert(position).values({ id, ...next }).onConflictDoUpdate(next);
  else await context.db.update(position, { id }).set(next);
  return next;
}

// Every position change in a transaction reports its collateral token's rate and needs the Vault's
// parameters at the block: the first event records or reads them, the later ones reuse that.
const recordedRates = transactionMemo<bigint>();
const paramsRead = transactionMemo<GmxV1VaultParams>();

/** The token's cumulative funding rate at the event's block (the last one reported in the block wins). */
async function recordFundingRate(context: Ctx, event: Evt, token: Address, cumulativeRate: bigint) {
  const vault = event.log.address;
  const id = `${context.chain.id}:${vault.toLowerCase()}:${token.toLowerCase()}:${event.block.number}`;
  if (recordedRates.get(id, event) === cumulativeRate) return;
  const row = { chainId: context.chain.id, vault, token, cumulativeRate, blockNumber: event.block.number };
  await context.db.insert(gmxV1FundingRate).values({ id, ...row }).onConflictDoUpdate({ cumulativeRate });
  recordedRates.set(id, event, cumulativeRate);
}

/** The collateral token's cumulative funding rate as last indexed at or before the block. */
async function fundingRateAt(context: Ctx, vault: Address, token: Address, blockNumber: bigint): Promise<bigint | undefined> {
  const F = gmxV1FundingRate;
  const conditions = [eq(F.chainId, context.chain.id), eq(F.vault, vault.toLowerCase() as Address), eq(F.token, token.toLowerCase() as Address)];
  return (await latestAtOrBefore<{ cumulativeRate: bigint }>(context.db.sql, F, conditions, blockNumber))?.cumulativeRate;
}

/**
 * Re-files open positions under their liquidation level after an input of the Vault's check changed:
 * the funding of `token` (only positions with that collateral), or the parameters (all of them).
 * Levels then always equal what the API computes at the indexed head, so atRisk can range-scan them.
 */
async function relevel(context: Ctx, vault: Address, blockNumber: bigint, params: GmxV1VaultParams, token?: Address) {
  const P = position;
  const conditions = [eq(P.venue, vault.toLowerCase() as Address), eq(P.status, "open"), eq(P.chainId, context.chain.id)];
  if (token) conditions.push(eq(P.collateralToken, token.toLowerCase() as Address));
  const rows: (PositionRow & { id: string })[] = await context.db.sql.select().from(P).where(and(...conditions));
  const rates = new Map<string, bigint | undefined>();
  for (const row of rows) {
    if (!rates.has(row.collateralToken)) rates.set(row.collateralToken, await fundingRateAt(context, vault, row.collateralToken, blockNumber));
    const p = toGmxV1Position(row);
    const level = liquidationLevel(p, params, rates.get(row.collateralToken) ?? p.entryFundingRate);
    if (level !== row.liquidationLevel) await context.db.update(position, { id: row.id }).set({ liquidationLevel: level });
  }
}

const sameParams = (a: GmxV1VaultParams, b: GmxV1VaultParams) =>
  a.maxLeverage === b.maxLeverage && a.liquidationFeeUsd === b.liquidationFeeUsd && a.marginFeeBasisPoints === b.marginFeeBasisPoints;

/** The Vault's risk parameters at the block, from the contract. */
async function readVaultParams(context: Ctx, vault: Address, blockNumber: bigint) {
  const read = (functionName: "maxLeverage" | "liquidationFeeUsd" | "marginFeeBasisPoints") =>
    context.client.readContract({ abi: GmxV1VaultAbi, address: vault, functionName, blockNumber }) as Promise<bigint>;
  const [maxLeverage, liquidationFeeUsd, marginFeeBasisPoints] = await Promise.all([read("maxLeverage"), read("liquidationFeeUsd"), read("marginFeeBasisPoints")]);
  return { chainId: context.chain.id, vault, blockNumber, maxLeverage, liquidationFeeUsd, marginFeeBasisPoints };
}

/**
 * The risk parameters have no events; read them from the Vault at each block with position activity.
 * When they differ from the last reading, every open position's level is re-filed.
 */
async function recordVaultParams(context: Ctx, event: Evt): Promise<GmxV1VaultParams> {
  const vault = event.log.address;
  const blockNumber = event.block.number;
  const vaultKey = `${context.chain.id}:${vault.toLowerCase()}`;
  const known = paramsRead.get(vaultKey, event);
  if (known) return known;
  // The last reading, kept in a row ponder's cache holds (a SQL query would flush the table first).
  const current: (GmxV1VaultParams & { blockNumber: bigint }) | null = await context.db.find(gmxV1VaultParamsCurrent, { id: vaultKey });
  let params: GmxV1VaultParams | null = current?.blockNumber === blockNumber ? current : null;
  if (!params) {
    const row = await readVaultParams(context, vault, blockNumber);
    // Compared before the upsert: ponder's found row may be the cached object the upsert rewrites.
    const changed = current !== null && !sameParams(current, row);
    await recordWithCurrent(context.db, gmxV1VaultParams, gmxV1VaultParamsCurrent, vaultKey, row);
    if (changed) await relevel(context, vault, blockNumber, row);
    params = row;
  }
  paramsRead.set(vaultKey, event, params);
  return params;
}

/**
 * Increase/Decrease carry the deltas and the position's identity; the Update or Close the Vault emits
 * next in the same transaction carries the state after them. One history row holds both, and the
 * position is read and written once, there: the deltas wait here for that event. (Ponder indexes a
 * transaction's logs in one go, so a restart never splits the pair.)
 */
type Pending = { kind: string; deltas: Deltas; identity: Identity };
const pendingChanges = new Map<string, Pending>();
const pendingKey = (context: Ctx, event: Evt, key: Hex) => `${context.chain.id}:${event.transaction.hash}:${key}`;
const takePending = (context: Ctx, event: Evt, key: Hex) => {
  const k = pendingKey(context, event, key);
  const pending = pendingChanges.get(k);
  pendingChanges.delete(k);
  return pending;
};

const onSizeChange = (kind: "increase" | "decrease") =>
  async ({ event, context }: { event: Evt & { args: any }; context: Ctx }) => {
    const a = event.args;
    const identity = { key: a.key, account: a.account, collateralToken: a.collateralToken, indexToken: a.indexToken, isLong: a.isLong };
    const deltas = { sizeDeltaUsd: a.sizeDelta, collateralDeltaUsd: a.collateralDelta, price: a.price, feeUsd: a.fee };
    const label = kind === "decrease" && isLiquidationTx(event.transaction.input) ? "liquidation-decrease" : kind;
    pendingChanges.set(pendingKey(context, event, a.key), { kind: label, deltas, identity });
  };

ponder.on("GmxV1Vault:IncreasePosition", onSizeChange("increase"));
ponder.on("GmxV1Vault:DecreasePosition", onSizeChange("decrease"));

ponder.on("GmxV1Vault:UpdatePosition", async ({ event, context }) => {
  const a = event.args;
  const pending = takePending(context, event, a.key);
  const target = await rowForChange(context, event, a.key, pending?.identity);
  if (!target) return; // The Vault always emits Increase/Decrease first; a bare update of an unknown key has no identity.
  const { row } = target;
  const decimals = assets.get(context.chain.id, row.market)?.decimals;
  const params = await recordVaultParams(context, event);
  const state = { entryFundingRate: a.entryFundingRate, reserveAmount: a.reserveAmount };
  const next = await save(
    context,
    event,
    row,
    {
      sizeUsd: a.size,
      sizeInTokens: sizeInTokens(a.size, a.averagePrice, decimals),
      collateralUsd: a.collateral,
      entryPrice: a.averagePrice,
      realisedPnlUsd: a.realisedPnl,
      protocolState: encodeState(state),
      // Vault.getEntryFundingRate is the collateral token's cumulative rate at this block: no funding due yet.
      liquidationLevel: liquidationLevel({ size: a.size, collateral: a.collateral, averagePrice: a.averagePrice, isLong: row.isLong, ...state }, params, a.entryFundingRate),
      status: "open",
    },
    target.fresh,
  );
  await recordFundingRate(context, event, row.collateralToken, a.entryFundingRate);
  await appendEvent(context, event, next, pending?.kind ?? "update", { ...pending?.deltas, price: pending?.deltas.price ?? a.markPrice });
});

ponder.on("GmxV1Vault:ClosePosition", async ({ event, context }) => {
  const pending = takePending(context, event, event.args.key);
  const target = await rowForChange(context, event, event.args.key, pending?.identity);
  if (!target) return;
  const next = await save(
    context,
    event,
    target.row,
    {
      sizeUsd: 0n,
      sizeInTokens: 0n,
      collateralUsd: 0n,
      realisedPnlUsd: event.args.realisedPnl,
      status: isLiquidationTx(event.transaction.input) ? "liquidated" : "closed",
    },
    target.fresh,
  );
  await appendEvent(context, event, next, pending ? `${pending.kind}-close` : "close", pending?.deltas);
});

ponder.on("GmxV1Vault:LiquidatePosition", async ({ event, context }) => {
  const a = event.args;
  const row = stateColumns(await openOrLoad(context, event, a));
  const next = await save(context, event, row, {
    sizeUsd: 0n,
    sizeInTokens: 0n,
    collateralUsd: 0n,
    realisedPnlUsd: a.realisedPnl,
    status: "liquidated",
  });
  await appendEvent(context, event, next, "liquidate", {
    sizeDeltaUsd: a.size,
    collateralDeltaUsd: a.collateral,
    price: a.markPrice,
  });
});

ponder.on("GmxV1Vault:UpdateFundingRate", async ({ event, context }) => {
  await recordFundingRate(context, event, event.args.token, event.args.fundingRate);
  const params = await recordVaultParams(context, event);
  await relevel(context, event.log.address, event.block.number, params, event.args.token);
});
