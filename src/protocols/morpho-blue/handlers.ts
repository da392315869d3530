import { ponder } from "ponder:registry";
import {
  morphoBlueAuthorization,
  morphoBlueMarket,
  morphoBlueMarketState,
  morphoBlueMarketStateCurrent,
  morphoBlueSample,
  morphoBlueSampleCurrent,
  morphoBlueVenue,
  position,
  positionEvent,
} from "ponder:schema";
import { zeroAddress, type Address, type Hex } from "viem";
import { MorphoIrmAbi, MorphoOracleAbi } from "../../../abis/MorphoBlue";
import type { PositionRow } from "../../core/adapter";
import type { IndexingContext, IndexingDb } from "../../core/db";
import { positionEventRow } from "../../core/position-columns";
import { recordWithCurrent } from "../../core/history";
import { dueAt } from "../../config/contract-chains";
import { loadExposureConfig } from "../../config/exposure-config";
import { morphoBlueDeployments } from "./contracts";
import { positionAssets, zeroFloorSub, type MarketState } from "./math";
import { decodeState, encodeState, MORPHO_BLUE, morphoBlueMarketKey, morphoBluePositionId, morphoBluePositionKey, type MorphoSide } from "./normalise";

type Ctx = { db: IndexingDb; chain: { id: number }; client: IndexingContext["client"] };
type Evt = { log: { address: Address; logIndex: number }; block: { number: bigint; timestamp: bigint }; transaction: { hash: Hex } };
type Market = typeof morphoBlueMarket.$inferSelect;

const config = loadExposureConfig();

async function marketOf(context: Ctx, morpho: Address, id: Hex): Promise<Market> {
  const market = await context.db.find(morphoBlueMarket, { id: morphoBlueMarketKey(context.chain.id, morpho, id) });
  // Every market operation requires market[id].lastUpdate != 0, set only by createMarket.
  if (!market) throw new Error(`Morpho Blue: market ${id} of ${morpho} has no CreateMarket event`);
  return market;
}

async function stateOf(context: Ctx, morpho: Address, id: Hex): Promise<MarketState> {
  const state = await context.db.find(morphoBlueMarketStateCurrent, { id: morphoBlueMarketKey(context.chain.id, morpho, id) });
  if (!state) throw new Error(`Morpho Blue: market ${id} of ${morpho} has no state`);
  return state;
}

/** IMorpho.Market as the IRM takes it. */
const marketStruct = (s: MarketState) => ({
  totalSupplyAssets: s.totalSupplyAssets,
  totalSupplyShares: s.totalSupplyShares,
  totalBorrowAssets: s.totalBorrowAssets,
  totalBorrowShares: s.totalBorrowShares,
  lastUpdate: s.lastUpdate,
  fee: s.fee,
});

/** Writes the market's state after an event, as Morpho's market(id) then holds it. */
async function saveState(context: Ctx, event: Evt, morpho: Address, id: Hex, state: MarketState) {
  const row = { chainId: context.chain.id, morpho, marketId: id, blockNumber: event.block.number, ...marketStruct(state) };
  await recordWithCurrent(context.db, morphoBlueMarketState, morphoBlueMarketStateCurrent, morphoBlueMarketKey(context.chain.id, morpho, id), row);
}

/** The state after an event that ran Morpho._accrueInterest first: its AccrueInterest (if any) came before, so only lastUpdate moves here. */
const accrued = (state: MarketState, event: Evt): MarketState => ({ ...state, lastUpdate: event.block.timestamp });

type Change = { morpho: Address; id: Hex; user: Address; side: MorphoSide; kind: string; delta: bigint; liquidated?: boolean };

/**
 * Applies a change of a wallet's shares or collateral (Morpho's position(id, user)) to its row and
 * records the event, with the balance in tokens at the market state `state` after the event.
 */
async function changePosition(context: Ctx, event: Evt, market: Market, state: MarketState, c: Change) {
  const positionId = morphoBluePositionId(context.chain.id, c.morpho, c.id, c.user, c.side);
  const existing = (await context.db.find(position, { id: positionId })) as PositionRow | null;
  const before = existing ? decodeState(existing).amount : 0n;
  const amount = before + c.delta;
  if (amount < 0n) throw new Error(`Morpho Blue: ${c.side} of ${c.user} in ${c.id} would go below zero (${before} + ${c.delta})`);
  const open = amount > 0n;
  const wasOpen = existing?.status === "open";
  const token = c.side === "collateral" ? market.collateralToken : market.loanToken;
  const sizeInTokens = positionAssets(c.side, amount, state);
  const row: PositionRow = {
    positionId,
    chainId: context.chain.id,
    protocol: MORPHO_BLUE,
    venue: c.morpho,
    positionKey: morphoBluePositionKey(c.id, c.user, c.side),
    account: c.user,
    market: token,
    collateralToken: token,
    isLong: c.side !== "borrow",
    sizeUsd: null,
    sizeInTokens,
    collateralUsd: null,
    collateralAmount: c.side === "collateral" ? amount : null,
    entryPrice: null,
    realisedPnlUsd: null,
    protocolState: encodeState({ marketId: c.id, amount }),
    status: open ? "open" : c.liquidated ? "liquidated" : "closed",
    openedBlock: !wasOpen && open ? event.block.number : (existing?.openedBlock ?? event.block.number),
    openedAt: !wasOpen && open ? event.block.timestamp : (existing?.openedAt ?? event.block.timestamp),
    updatedBlock: event.block.number,
    updatedAt: event.block.timestamp,
  };
  await context.db.insert(position).values({ id: positionId, ...row }).onConflictDoUpdate(row);
  const eventId = `${context.chain.id}:${event.transaction.hash}:${event.log.logIndex}:${c.side}:${c.user.toLowerCase()}`;
  await context.db.insert(positionEvent).values(positionEventRow(eventId, c.kind, event, row));
  if (open !== wasOpen) {
    await context.db.update(morphoBlueMarket, { id: market.id }).set((m) => ({ openPositions: m.openPositions + (open ? 1 : -1) }));
  }
}

const venueKey = (chainId: number, morpho: Address) => `${chainId}:${morpho.toLowerCase()}`;

ponder.on("MorphoBlue:SetFeeRecipient", async ({ event, context }) => {
  const id = venueKey(context.chain.id, event.log.address);
  await context.db
    .insert(morphoBlueVenue)
    .values({ id, feeRecipient: event.args.newFeeRecipient, marketIds: [] })
    .onConflictDoUpdate({ feeRecipient: event.args.newFeeRecipient });
});

ponder.on("MorphoBlue:CreateMarket", async ({ event, context }) => {
  const morpho = event.log.address;
  const { id, marketParams: p } = event.args;
  await context.db.insert(morphoBlueMarket).values({
    id: morphoBlueMarketKey(context.chain.id, morpho, id),
    chainId: context.chain.id,
    morpho,
    marketId: id,
    loanToken: p.loanToken,
    collateralToken: p.collateralToken,
    oracle: p.oracle,
    irm: p.irm,
    lltv: p.lltv,
    openPositions: 0,
  });
  const venue = venueKey(context.chain.id, morpho);
  await context.db
    .insert(morphoBlueVenue)
    .values({ id: venue, feeRecipient: zeroAddress, marketIds: [id] })
    .onConflictDoUpdate((v) => ({ marketIds: [...v.marketIds, id] }));
  // Morpho.createMarket: market[id].lastUpdate = block.timestamp, all else zero.
  const empty = { totalSupplyAssets: 0n, totalSupplyShares: 0n, totalBorrowAssets: 0n, totalBorrowShares: 0n, fee: 0n };
  await saveState(context, event, morpho, id, { ...empty, lastUpdate: event.block.timestamp });
});

ponder.on("MorphoBlue:AccrueInterest", async ({ event, context }) => {
  const morpho = event.log.address;
  const { id, interest, feeShares } = event.args;
  const before = await stateOf(context, morpho, id);
  // Morpho._accrueInterest: the interest goes to both totals, the fee shares to the fee recipient.
  const state = {
    ...before,
    totalBorrowAssets: before.totalBorrowAssets + interest,
    totalSupplyAssets: before.totalSupplyAssets + interest,
    totalSupplyShares: before.totalSupplyShares + feeShares,
    lastUpdate: event.block.timestamp,
  };
  await saveState(context, event, morpho, id, state);
  if (feeShares === 0n) return;
  const venue = await context.db.find(morphoBlueVenue, { id: venueKey(context.chain.id, morpho) });
  const feeRecipient = venue?.feeRecipient ?? zeroAddress;
  const market = await marketOf(context, morpho, id);
  await changePosition(context, event, market, state, { morpho, id, user: feeRecipient, side: "supply", kind: "fee", delta: feeShares });
});

ponder.on("MorphoBlue:SetFee", async ({ event, context }) => {
  const morpho = event.log.address;
  const state = { ...accrued(await stateOf(context, morpho, event.args.id), event), fee: event.args.newFee };
  await saveState(context, event, morpho, event.args.id, state);
});

/** Supply, Withdraw, Borrow, Repay: shares and assets move together on the wallet and the market's totals. */
async function sharesChange(context: Ctx, event: Evt, id: Hex, user: Address, side: "supply" | "borrow", kind: string, assets: bigint, shares: bigint, sign: 1n | -1n) {
  const morpho = event.log.address;
  const before = accrued(await stateOf(context, morpho, id), event);
  const state =
    side === "supply"
      ? { ...before, totalSupplyAssets: before.totalSupplyAssets + sign * assets, totalSupplyShares: before.totalSupplyShares + sign * shares }
      : {
          ...before,
          // Morpho.repay: zeroFloorSub, as the repaid assets may exceed the total by one.
          totalBorrowAssets: sign > 0n ? before.totalBorrowAssets + assets : zeroFloorSub(before.totalBorrowAssets, assets),
          totalBorrowShares: before.totalBorrowShares + sign * shares,
        };
  await saveState(context, event, morpho, id, state);
  await changePosition(context, event, await marketOf(context, morpho, id), state, { morpho, id, user, side, kind, delta: sign * shares });
}

// Supply and Withdraw move supply shares, Borrow and Repay borrow shares, of `onBehalf`.
for (const [name, side, sign] of [
  ["Supply", "supply", 1n],
  ["Withdraw", "supply", -1n],
  ["Borrow", "borrow", 1n],
  ["Repay", "borrow", -1n],
] as const) {
  ponder.on(`MorphoBlue:${name}`, async ({ event, context }) => {
    const a = event.args;
    await sharesChange(context, event, a.id, a.onBehalf, side, name.toLowerCase(), a.assets, a.shares, sign);
  });
}

ponder.on("MorphoBlue:SupplyCollateral", async ({ event, context }) => {
  const morpho = event.log.address;
  const a = event.args;
  // Morpho.supplyCollateral does not accrue interest: the market is as stored.
  const state = await stateOf(context, morpho, a.id);
  await changePosition(context, event, await marketOf(context, morpho, a.id), state, { morpho, id: a.id, user: a.onBehalf, side: "collateral", kind: "supplyCollateral", delta: a.assets });
});

ponder.on("MorphoBlue:WithdrawCollateral", async ({ event, context }) => {
  const morpho = event.log.address;
  const a = event.args;
  const state = accrued(await stateOf(context, morpho, a.id), event);
  await saveState(context, event, morpho, a.id, state);
  await changePosition(context, event, await marketOf(context, morpho, a.id), state, { morpho, id: a.id, user: a.onBehalf, side: "collateral", kind: "withdrawCollateral", delta: -a.assets });
});

ponder.on("MorphoBlue:Liquidate", async ({ event, context }) => {
  const morpho = event.log.address;
  const a = event.args;
  const before = accrued(await stateOf(context, morpho, a.id), event);
  // Morpho.liquidate: the repaid debt leaves the borrow totals, then any bad debt (the rest of the
  // borrower's shares once no collateral is left) leaves the borrow and the supply totals.
  const repaid = { ...before, totalBorrowShares: before.totalBorrowShares - a.repaidShares, totalBorrowAssets: zeroFloorSub(before.totalBorrowAssets, a.repaidAssets) };
  const state = {
    ...repaid,
    totalBorrowAssets: repaid.totalBorrowAssets - a.badDebtAssets,
    totalSupplyAssets: repaid.totalSupplyAssets - a.badDebtAssets,
    totalBorrowShares: repaid.totalBorrowShares - a.badDebtShares,
  };
  await saveState(context, event, morpho, a.id, state);
  const market = await marketOf(context, morpho, a.id);
  const borrower = { morpho, id: a.id, user: a.borrower, kind: a.badDebtShares > 0n ? "liquidateBadDebt" : "liquidate", liquidated: true };
  await changePosition(context, event, market, state, { ...borrower, side: "borrow", delta: -(a.repaidShares + a.badDebtShares) });
  await changePosition(context, event, market, state, { ...borrower, side: "collateral", delta: -a.seizedAssets });
});

ponder.on("MorphoBlue:SetAuthorization", async ({ event, context }) => {
  const a = event.args;
  const row = {
    chainId: context.chain.id,
    morpho: event.log.address,
    authorizer: a.authorizer,
    authorized: a.authorized,
    isAuthorized: a.newIsAuthorized,
    blockNumber: event.block.number,
  };
  const id = `${context.chain.id}:${event.log.address.toLowerCase()}:${a.authorizer.toLowerCase()}:${a.authorized.toLowerCase()}`;
  await context.db.insert(morphoBlueAuthorization).values({ id, ...row }).onConflictDoUpdate(row);
});

/**
 * Oracle prices have no events, and the next accrual's rate depends on the IRM: every `sampleBlocks`,
 * after the block's events, each market with open positions has its oracle's price() and its IRM's
 * borrowRateView(marketParams, market) read, and recorded when either changed.
 */
ponder.on("MorphoBlueSample:block", async ({ event, context }) => {
  for (const d of morphoBlueDeployments(config)) {
    if (config.chains[d.chain]?.id !== context.chain.id) continue;
    if (!dueAt(event.block.number, d.startBlock, d.sampleBlocks)) continue;
    const venue = await context.db.find(morphoBlueVenue, { id: venueKey(context.chain.id, d.morpho) });
    for (const id of venue?.marketIds ?? []) {
      const market = await marketOf(context, d.morpho, id);
      if (market.openPositions === 0) continue;
      const state = await stateOf(context, d.morpho, id);
      const params = { loanToken: market.loanToken, collateralToken: market.collateralToken, oracle: market.oracle, irm: market.irm, lltv: market.lltv };
      const blockNumber = event.block.number;
      const [oraclePrice, borrowRate] = await Promise.all([
        context.client.readContract({ abi: MorphoOracleAbi, address: market.oracle, functionName: "price", blockNumber }).catch(() => null),
        market.irm === zeroAddress
          ? 0n
          : context.client
              .readContract({ abi: MorphoIrmAbi, address: market.irm, functionName: "borrowRateView", args: [params, marketStruct(state)], blockNumber })
              .catch(() => null),
      ]);
      const key = morphoBlueMarketKey(context.chain.id, d.morpho, id);
      const last = await context.db.find(morphoBlueSampleCurrent, { id: key });
      if (last && last.oraclePrice === oraclePrice && last.borrowRate === borrowRate && last.rateForUpdate === state.lastUpdate) continue;
      const sample = { chainId: context.chain.id, morpho: d.morpho, marketId: id, blockNumber, oraclePrice, borrowRate, rateForUpdate: state.lastUpdate };
      await recordWithCurrent(context.db, morphoBlueSample, morphoBlueSampleCurrent, key, sample);
    }
  }
});
