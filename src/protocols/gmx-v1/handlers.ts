import { ponder } from "ponder:registry";
import { gmxV1FundingRate, gmxV1MinProfitLevel, gmxV1VaultParams, gmxV1VaultParamsCurrent, position, positionEvent } from "ponder:schema";
import { and, asc, eq, lte } from "ponder";
import { toFunctionSelector, zeroAddress, type Address, type Hex } from "viem";
import { dueAt } from "../../config/contract-chains";
import { loadExposureConfig } from "../../config/exposure-config";
import { assetDirectory } from "../../core/assets";
import { latestAtOrBefore } from "../../core/history";
import { positionEventRow, type PositionDeltas } from "../../core/position-columns";
import { readOnlyRow } from "../../core/ponder-row";
import { transactionMemo } from "../../core/transaction-memo";
import type { PositionRow } from "../../core/adapter";
import { gmxV1Deployment, gmxV1Deployments } from "./contracts";
import { encodeState, GMX_V1, gmxV1PositionId, gmxV1RowId, lastIncreasedTimeOf, sizeInTokens, toGmxV1Position } from "./normalise";
import { liquidationLevel, minProfitAt, type GmxV1Position } from "./risk";
import { blocksToReadAhead, knownHead } from "./read-ahead";
import { decodeTokens, encodeTokens, readVaultState, readVaultStateAhead, type VaultReading } from "./vault-state";

const config = loadExposureConfig();
const assets = assetDirectory(config);

// A max-leverage liquidation (validateLiquidation state 2) emits DecreasePosition + ClosePosition and
// no LiquidatePosition; only the transaction's selector tells it apart (Vault and PositionManager share it).
const LIQUIDATE_SELECTOR = toFunctionSelector("liquidatePosition(address,address,address,bool,address)");
const isLiquidationTx = (input: Hex | undefined) => input?.slice(0, 10).toLowerCase() === LIQUIDATE_SELECTOR;

type Ctx = { db: any; chain: { id: number }; client: any };
type Block = { number: bigint; timestamp: bigint; hash: Hex };
type Evt = {
  log: { address: Address; logIndex: number };
  block: Block;
  transaction: { hash: Hex; input?: Hex };
};

type Identity = { key: Hex; account: Address; collateralToken: Address; indexToken: Address; isLong: boolean };

/** The row's columns without its key (read past ponder's copy-on-write proxy: each write is a new object). */
function stateColumns(found: PositionRow & { id?: string }): PositionRow {
  const { id: _id, ...columns } = readOnlyRow(found);
  return columns;
}

/** History row: the deltas of this event and the position's state after it. */
async function appendEvent(context: Ctx, event: Evt, row: PositionRow, kind: string, deltas: PositionDeltas = {}) {
  await context.db.insert(positionEvent).values(positionEventRow(`${context.chain.id}:${event.transaction.hash}:${event.log.logIndex}`, kind, event, row, deltas));
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
    protocolState: encodeState({ entryFundingRate: 0n, reserveAmount: 0n, lastIncreasedTime: 0n }),
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
const paramsRead = transactionMemo<VaultReading>();

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
 * The level atRisk files a position under at this block (./risk.ts liquidationLevel, with the
 * min-profit rule as Vault.getDelta applies it then), and, when that rule moved the level, the time
 * after which it lapses and the level must be re-filed.
 */
function levelAt(p: GmxV1Position, indexToken: Address, lastIncreasedTime: bigint, reading: VaultReading, cumulativeRate: bigint, timestamp: bigint) {
  const bps = reading.tokens[indexToken.toLowerCase()]?.minProfitBasisPoints ?? 0n;
  const minProfit = minProfitAt(bps, reading.minProfitTime, lastIncreasedTime, timestamp);
  const level = liquidationLevel(p, reading, cumulativeRate, minProfit);
  const moved = minProfit.inForce && level !== liquidationLevel(p, reading, cumulativeRate);
  return { level, expiresAt: moved ? lastIncreasedTime + reading.minProfitTime : null };
}

/** Files the position's level; one that counts the min-profit rule is listed for re-filing when the rule lapses. */
async function fileLevel(context: Ctx, rowId: string, vault: Address, filed: { level: bigint | null; expiresAt: bigint | null }) {
  if (filed.expiresAt === null) {
    // ponder's delete always asks the database; its find answers from its cache, and few rows are filed.
    if (await context.db.find(gmxV1MinProfitLevel, { id: rowId })) await context.db.delete(gmxV1MinProfitLevel, { id: rowId });
    return;
  }
  const row = { chainId: context.chain.id, vault: vault.toLowerCase() as Address, expiresAt: filed.expiresAt };
  await context.db.insert(gmxV1MinProfitLevel).values({ id: rowId, ...row }).onConflictDoUpdate(row);
}

/** Re-files one open row at this block; writes only what changed. */
async function refile(context: Ctx, row: PositionRow & { id: string }, reading: VaultReading, cumulativeRate: bigint | undefined, block: Block) {
  const p = toGmxV1Position(row);
  const filed = levelAt(p, row.market, lastIncreasedTimeOf(row), reading, cumulativeRate ?? p.entryFundingRate, block.timestamp);
  if (filed.level !== row.liquidationLevel) await context.db.update(position, { id: row.id }).set({ liquidationLevel: filed.level });
  await fileLevel(context, row.id, row.venue, filed);
}

/**
 * Re-files open positions under their liquidation level after an input of the Vault's check changed:
 * the funding of `token` (only positions with that collateral), or the parameters (all of them).
 * Levels then always equal what the API computes at the indexed head, so atRisk can range-scan them.
 */
async function relevel(context: Ctx, vault: Address, block: Block, reading: VaultReading, token?: Address) {
  const P = position;
  const conditions = [eq(P.venue, vault.toLowerCase() as Address), eq(P.status, "open"), eq(P.chainId, context.chain.id)];
  if (token) conditions.push(eq(P.collateralToken, token.toLowerCase() as Address));
  const rows: (PositionRow & { id: string })[] = await context.db.sql.select().from(P).where(and(...conditions));
  const rates = new Map<string, bigint | undefined>();
  for (const row of rows) {
    if (!rates.has(row.collateralToken)) rates.set(row.collateralToken, await fundingRateAt(context, vault, row.collateralToken, block.number));
    await refile(context, row, reading, rates.get(row.collateralToken), block);
  }
}

/** Re-files the positions whose min-profit rule lapsed before this block (the rule held at their last filing). */
async function refileLapsedMinProfit(context: Ctx, vault: Address, block: Block, reading: VaultReading) {
  const M = gmxV1MinProfitLevel;
  const lapsed: { id: string }[] = await context.db.sql
    .select({ id: M.id })
    .from(M)
    .where(and(eq(M.chainId, context.chain.id), eq(M.vault, vault.toLowerCase() as Address), lte(M.expiresAt, block.timestamp - 1n)))
    .orderBy(asc(M.expiresAt));
  for (const { id } of lapsed) {
    const row = (await context.db.find(position, { id })) as (PositionRow & { id: string }) | null;
    if (!row || row.status !== "open") {
      await context.db.delete(M, { id });
      continue;
    }
    await refile(context, { ...stateColumns(row), id }, reading, await fundingRateAt(context, vault, row.collateralToken, block.number), block);
  }
}

/** What the stored levels depend on: a change re-files every open position of the Vault. */
const levelInputs = (r: VaultReading) =>
  JSON.stringify([
    r.maxLeverage,
    r.liquidationFeeUsd,
    r.marginFeeBasisPoints,
    r.addsProfitOnLiquidation,
    r.minProfitTime,
    Object.entries(r.tokens).map(([t, x]) => [t, x.minProfitBasisPoints]),
  ], (_, v) => (typeof v === "bigint" ? v.toString() : v));
const readingValues = (r: VaultReading) => JSON.stringify({ ...r, tokens: encodeTokens(r.tokens) }, (_, v) => (typeof v === "bigint" ? v.toString() : v));

type StoredReading = Omit<VaultReading, "tokens"> & { blockNumber: bigint; tokens: unknown; chainId?: number; vault?: Address; id?: string };
const fromStored = (row: StoredReading): VaultReading => {
  const { blockNumber: _b, chainId: _c, vault: _v, id: _i, tokens, ...params } = row;
  return { ...params, tokens: decodeTokens(tokens) } as VaultReading;
};

/**
 * The Vault's parameters and prices have no events: read them at the block (./vault-state.ts), once
 * per block whether a position event or the refresh block handler asks first. A reading that differs
 * from the last one is recorded at this block; when the inputs of the levels changed, every open
 * position's level is re-filed.
 */
async function recordVaultParams(context: Ctx, vault: Address, block: Block): Promise<VaultReading> {
  const vaultKey = `${context.chain.id}:${vault.toLowerCase()}`;
  // The last reading, kept in a row ponder's cache holds (a SQL query would flush the table first).
  const found: StoredReading | null = await context.db.find(gmxV1VaultParamsCurrent, { id: vaultKey });
  // Converted before any upsert: ponder's found row may be the cached object the upsert rewrites.
  const current = found ? { blockNumber: found.blockNumber, reading: fromStored(stateColumns(found as any) as any) } : null;
  if (current?.blockNumber === block.number) return current.reading;
  const tokens = assets.onChain(context.chain.id).map((a) => a.address);
  const known = current && { priceFeed: current.reading.priceFeed ?? zeroAddress, secondary: current.reading.secondaryPriceFeed ?? zeroAddress };
  const deployment = gmxV1Deployment(config, context.chain.id, vault);
  if (known && deployment && deployment.readAheadBlocks > 0) {
    const head = knownHead(context.chain.id, context.client);
    const ahead = blocksToReadAhead(block.number, head.number, head.finality, deployment.startBlock, deployment.paramsRefreshBlocks, deployment.readAheadBlocks);
    readVaultStateAhead(context.client, deployment, vault, tokens, ahead, known);
  }
  const reading = await readVaultState(context.client, deployment, vault, tokens, block.number, block.timestamp, known ?? undefined);
  const row = { ...reading, chainId: context.chain.id, vault, blockNumber: block.number, tokens: encodeTokens(reading.tokens) };
  if (!current || readingValues(current.reading) !== readingValues(reading)) {
    await context.db.insert(gmxV1VaultParams).values({ id: `${vaultKey}:${block.number}`, ...row }).onConflictDoUpdate(row);
  }
  await context.db.insert(gmxV1VaultParamsCurrent).values({ id: vaultKey, ...row }).onConflictDoUpdate(row);
  if (current && levelInputs(current.reading) !== levelInputs(reading)) await relevel(context, vault, block, reading);
  return reading;
}

/** recordVaultParams once per transaction: later events of it reuse the first one's reading. */
async function paramsForEvent(context: Ctx, event: Evt): Promise<VaultReading> {
  const vaultKey = `${context.chain.id}:${event.log.address.toLowerCase()}`;
  const known = paramsRead.get(vaultKey, event);
  if (known) return known;
  const reading = await recordVaultParams(context, event.log.address, event.block);
  paramsRead.set(vaultKey, event, reading);
  return reading;
}

/**
 * Increase/Decrease carry the deltas and the position's identity; the Update or Close the Vault emits
 * next in the same transaction carries the state after them. One history row holds both, and the
 * position is read and written once, there: the deltas wait here for that event. (Ponder indexes a
 * transaction's logs in one go, so a restart never splits the pair.)
 */
type Pending = { kind: string; deltas: PositionDeltas; identity: Identity };
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
  const reading = await paramsForEvent(context, event);
  // Vault.increasePosition sets lastIncreasedTime to the block's time; a decrease keeps it.
  const lastIncreasedTime = pending?.kind === "increase" ? event.block.timestamp : lastIncreasedTimeOf(row);
  const state = { entryFundingRate: a.entryFundingRate, reserveAmount: a.reserveAmount, lastIncreasedTime };
  const p = { size: a.size, collateral: a.collateral, averagePrice: a.averagePrice, isLong: row.isLong, entryFundingRate: a.entryFundingRate };
  // Vault.getEntryFundingRate is the collateral token's cumulative rate at this block: no funding due yet.
  const filed = levelAt(p, row.market, lastIncreasedTime, reading, a.entryFundingRate, event.block.timestamp);
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
      liquidationLevel: filed.level,
      status: "open",
    },
    target.fresh,
  );
  await fileLevel(context, gmxV1RowId(row.chainId, row.venue, row.positionKey), row.venue, filed);
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
  const reading = await paramsForEvent(context, event);
  await relevel(context, event.log.address, event.block, reading, event.args.token);
});

// Parameters that change without an event (setMaxLeverage, setFees, setTokenConfig, setVaultUtils,
// VaultPriceFeed and FastPriceFeed setters, ...): re-read every `paramsRefreshBlocks` per Vault, so
// figures change at the block where the value did; min-profit levels that lapsed are re-filed then.
ponder.on("GmxV1ParamsRefresh:block", async ({ event, context }) => {
  for (const d of gmxV1Deployments(config)) {
    if (config.chains[d.chain]?.id !== context.chain.id || d.paramsRefreshBlocks === 0) continue;
    if (!dueAt(event.block.number, d.startBlock, d.paramsRefreshBlocks)) continue;
    const reading = await recordVaultParams(context, d.vault, event.block);
    // Only the current rule's levels can count min-profit (a rule or min-profit change re-files them all).
    const minProfitSet = Object.values(reading.tokens).some((t) => t.minProfitBasisPoints > 0n);
    if (reading.addsProfitOnLiquidation && minProfitSet) await refileLapsedMinProfit(context, d.vault, event.block, reading);
  }
});
