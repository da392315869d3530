import { and, eq, like } from "ponder";
import { ponder } from "ponder:registry";
import { deriveForwardData, derivePerpFunding, deriveRateData, deriveSubaccount, deriveVolCurve, position, positionEvent } from "ponder:schema";
import { zeroAddress, type Address, type Hex } from "viem";
import { DeriveSubAccountsAbi } from "../../../abis/DeriveSubAccounts";
import { loadExposureConfig } from "../../config/exposure-config";
import type { PositionRow } from "../../core/adapter";
import { assetDirectory } from "../../core/assets";
import { positionEventRow } from "../../core/position-columns";
import { findOrRecord } from "../../core/history";
import { abs, rescale } from "../../core/fixed";
import { deriveAssetDirectory, DerivePerpPositionsAbi } from "./contracts";
import { splitAssetAndSubId } from "./encoding";
import { decodeState, DERIVE, derivePositionId, encodeState, subaccountId, subaccountPositionPrefix, type PerpDetail } from "./normalise";

const config = loadExposureConfig();
const assets = assetDirectory(config);
const directory = deriveAssetDirectory(config);
/** Derive balances (contracts, cash) are 18-decimal fixed point. */
const BALANCE_DECIMALS = 18;

type Ctx = { db: any; chain: { id: number }; client: any };
type Evt = { log: { address: Address; logIndex: number }; block: { number: bigint; timestamp: bigint }; transaction: { hash: Hex } };

async function appendEvent(context: Ctx, event: Evt, row: PositionRow, kind: string, suffix = "") {
  await context.db.insert(positionEvent).values(positionEventRow(`${context.chain.id}:${event.transaction.hash}:${event.log.logIndex}${suffix}`, kind, event, row));
}

/** Owner of a subaccount: from its Transfer events, or ownerOf at the block when minted before startBlock. */
async function ownerOf(context: Ctx, event: Evt, accountId: bigint): Promise<Address> {
  const id = subaccountId(context.chain.id, event.log.address, accountId);
  const subaccount = await findOrRecord(context.db, deriveSubaccount, id, async () => {
    const owner = (await context.client.readContract({
      abi: DeriveSubAccountsAbi,
      address: event.log.address,
      functionName: "ownerOf",
      args: [accountId],
      blockNumber: event.block.number,
    })) as Address;
    return { chainId: context.chain.id, subAccounts: event.log.address, accountId, owner };
  });
  return subaccount.owner;
}

/**
 * PerpAsset.positions(accountId) at the block: the margin counts PnL since lastMarkPrice plus what is
 * not yet settled into cash (StandardManager._getMarketMargin). Null when the asset does not answer.
 */
async function perpDetail(context: Ctx, perp: Address, accountId: bigint, blockNumber: bigint): Promise<PerpDetail | null> {
  try {
    const [lastMarkPrice, funding, pnl, lastAggregatedFunding, lastFundingPaid] = (await context.client.readContract({
      abi: DerivePerpPositionsAbi,
      address: perp,
      functionName: "positions",
      args: [accountId],
      blockNumber,
    })) as readonly [bigint, bigint, bigint, bigint, bigint];
    return { lastMarkPrice, funding, pnl, lastFundingPaid, lastAggregatedFunding };
  } catch {
    return null;
  }
}

/** Open positions of one subaccount, in id order. */
async function openOfSubaccount(context: Ctx, subAccounts: Address, accountId: bigint): Promise<(PositionRow & { id: string })[]> {
  const prefix = subaccountPositionPrefix(context.chain.id, subAccounts, accountId);
  const open = (await context.db.sql
    .select()
    .from(position)
    .where(and(like(position.positionId, `${prefix}%`), eq(position.status, "open")))) as (PositionRow & { id: string })[];
  return open.sort((a, b) => a.positionId.localeCompare(b.positionId));
}

ponder.on("DeriveSubAccounts:BalanceAdjusted", async ({ event, context }) => {
  const { accountId, assetAndSubId, postBalance, manager } = event.args;
  const { asset, subId } = splitAssetAndSubId(assetAndSubId);
  const known = directory(context.chain.id, event.log.address, asset);
  if (!known) return; // an asset contract not in the config: not ours to value
  const owner = await ownerOf(context, event, accountId);
  const positionId = derivePositionId(context.chain.id, event.log.address, accountId, assetAndSubId);
  const previous = (await context.db.find(position, { id: positionId })) as (PositionRow & { id: string }) | null;
  const reopened = !previous || previous.status !== "open";
  const decimals = assets.get(context.chain.id, known.asset.token)?.decimals;
  // Margin on Derive is cash: the deployment's cash token is every position's collateral.
  const cashToken = known.deployment.assets.find((a) => a.kind === "cash")?.token ?? known.asset.token;
  const row: PositionRow = {
    positionId,
    chainId: context.chain.id,
    protocol: DERIVE,
    venue: event.log.address,
    positionKey: assetAndSubId,
    account: owner,
    market: known.asset.token,
    collateralToken: cashToken,
    isLong: postBalance === 0n ? (previous?.isLong ?? true) : postBalance > 0n,
    sizeUsd: null,
    sizeInTokens: decimals === undefined ? null : rescale(abs(postBalance), BALANCE_DECIMALS, decimals),
    collateralUsd: null,
    collateralAmount: null,
    entryPrice: null,
    realisedPnlUsd: null,
    protocolState: encodeState({
      kind: known.asset.kind,
      accountId,
      asset,
      subId,
      balance: postBalance,
      manager,
      perp: known.asset.kind === "perp" ? await perpDetail(context, asset, accountId, event.block.number) : null,
    }),
    status: postBalance === 0n ? "closed" : "open",
    openedBlock: reopened ? event.block.number : previous.openedBlock,
    openedAt: reopened ? event.block.timestamp : previous.openedAt,
    updatedBlock: event.block.number,
    updatedAt: event.block.timestamp,
  };
  await context.db.insert(position).values({ id: positionId, ...row }).onConflictDoUpdate(row);
  await appendEvent(context, event, row, "balance");
  // Perp PnL settles into cash (StandardManager._settlePerpRealizedPNL): a cash change re-reads the account's perps.
  if (known.asset.kind === "cash") await refreshPerps(context, event, accountId);
});

async function refreshPerps(context: Ctx, event: Evt, accountId: bigint) {
  const perps = (await openOfSubaccount(context, event.log.address, accountId)).filter((r) => r.protocolState.kind === "perp");
  for (const [i, current] of perps.entries()) {
    const { id: rowId, ...state } = current;
    const s = decodeState(current);
    const perp = await perpDetail(context, s.asset as Address, accountId, event.block.number);
    const protocolState = encodeState({ ...s, perp });
    if (JSON.stringify(protocolState) === JSON.stringify(current.protocolState)) continue;
    const refreshed = { ...state, protocolState, updatedBlock: event.block.number, updatedAt: event.block.timestamp };
    await context.db.update(position, { id: rowId }).set({ protocolState, updatedBlock: event.block.number, updatedAt: event.block.timestamp });
    await appendEvent(context, event, refreshed, "perp-settlement", `:perp${i}`);
  }
}

ponder.on("DeriveSubAccounts:Transfer", async ({ event, context }) => {
  const { from, to, tokenId } = event.args;
  const id = subaccountId(context.chain.id, event.log.address, tokenId);
  await context.db
    .insert(deriveSubaccount)
    .values({ id, chainId: context.chain.id, subAccounts: event.log.address, accountId: tokenId, owner: to })
    .onConflictDoUpdate({ owner: to });
  if (from === zeroAddress) return;
  // The subaccount's open positions change hands with it; history gets a row per position so that
  // atBlock queries after the transfer find them under the new owner.
  for (const [i, current] of (await openOfSubaccount(context, event.log.address, tokenId)).entries()) {
    const { id: rowId, ...state } = current;
    const moved = { ...state, account: to, updatedBlock: event.block.number, updatedAt: event.block.timestamp };
    await context.db.update(position, { id: rowId }).set({ account: to, updatedBlock: event.block.number, updatedAt: event.block.timestamp });
    await appendEvent(context, event, moved, "transfer", `:${i}`);
  }
});

/**
 * A feed's (or perp's) state after an update, one row per contract, expiry (feeds) and block, for
 * atBlock: id chainId:address[:expiry]:block. A second update in one block replaces the first.
 */
async function recordUpdate(context: Ctx, event: Evt, table: any, column: "feed" | "perp", expiry: bigint | null, data: Record<string, bigint>) {
  const id = [context.chain.id, event.log.address.toLowerCase(), ...(expiry === null ? [] : [expiry]), event.block.number].join(":");
  const keys = { chainId: context.chain.id, [column]: event.log.address, ...(expiry === null ? {} : { expiry }), blockNumber: event.block.number };
  await context.db.insert(table).values({ id, ...keys, ...data }).onConflictDoUpdate(data);
}

// Each expiry's SVI curve as the vol feed last accepted it.
ponder.on("DeriveVolFeed:VolDataUpdated", async ({ event, context }) => {
  const { expiry, volDetails: v } = event.args;
  const curve = { a: v.SVI_a, b: v.SVI_b, rho: v.SVI_rho, m: v.SVI_m, sigma: v.SVI_sigma, forward: v.SVI_fwd, refTau: v.SVI_refTau, confidence: v.confidence, timestamp: v.timestamp };
  await recordUpdate(context, event, deriveVolCurve, "feed", expiry, curve);
});

// Each expiry's forward and settlement data as the forward feed last accepted it.
ponder.on("DeriveForwardFeed:ForwardDataUpdated", async ({ event, context }) => {
  const { expiry, fwdDetails: f, settlementDetails: s } = event.args;
  await recordUpdate(context, event, deriveForwardData, "feed", expiry, { fwdSpotDifference: f.fwdSpotDifference, confidence: f.confidence, timestamp: f.timestamp, ...s });
});

// Each expiry's interest rate as the rate feed last accepted it.
ponder.on("DeriveRateFeed:RateUpdated", async ({ event, context }) => {
  const { expiry, rate, confidence, timestamp } = event.args;
  await recordUpdate(context, event, deriveRateData, "feed", expiry, { rate, confidence, timestamp });
});

// A perp's funding index as _updateFunding last left it.
ponder.on("DerivePerpAsset:AggregatedFundingUpdated", async ({ event, context }) => {
  const { aggregatedFundingRate, fundingRate, lastFundingPaidAt } = event.args;
  await recordUpdate(context, event, derivePerpFunding, "perp", null, { aggregatedFunding: aggregatedFundingRate, fundingRate, lastFundingPaidAt });
});
