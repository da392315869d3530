import { and, eq, gt } from "ponder";
import { formatUnits, type Address } from "viem";
import { assetDirectory } from "../../core/assets";
import { parseWallet } from "../../core/errors";
import { latestAtOrBefore } from "../../core/history";
import { lookupCache } from "../../core/memo";
import type { ProtocolReadDeps } from "../../core/protocol";
import { decodeState, GMX_V2, marketId } from "./normalise";
import { fundingAmount } from "./risk";
import { gmxV2ClaimableFunding, gmxV2Market, gmxV2MarketValue } from "./schema";

/** Any block: the values as of the indexed head. */
const HEAD = 2n ** 62n;

type Entry = { chainId: number; eventEmitter: string; market: string; token: string; claimable: bigint; earned: bigint; updatedBlock: bigint | null };

/**
 * Funding a wallet is owed on GMX v2, per market and pool token: what it can claim now
 * (ClaimableFundingUpdated, zero after FundingFeesClaimed) and what its open positions have earned
 * since their last order (claimable amount per size against each position's snapshot), credited at
 * their next order.
 */
export async function claimableFunding({ db, schema, config }: ProtocolReadDeps, wallet: string) {
  const account = parseWallet(wallet);
  const assets = assetDirectory(config);
  const entries = new Map<string, Entry>();
  const entry = (chainId: number, eventEmitter: string, market: string, token: string) => {
    const key = `${chainId}:${eventEmitter}:${market}:${token}`.toLowerCase();
    if (!entries.has(key)) entries.set(key, { chainId, eventEmitter, market, token, claimable: 0n, earned: 0n, updatedBlock: null });
    return entries.get(key)!;
  };

  const C = gmxV2ClaimableFunding;
  for (const r of await db.select().from(C).where(and(eq(C.account, account), gt(C.amount, 0n)))) {
    const e = entry(r.chainId, r.eventEmitter, r.market, r.token);
    e.claimable = r.amount;
    e.updatedBlock = r.updatedBlock;
  }

  const P = schema.position;
  const open = await db.select().from(P).where(and(eq(P.account, account), eq(P.protocol, GMX_V2), eq(P.status, "open")));
  const V = gmxV2MarketValue;
  // Positions of one market (and side) share its tokens and accumulators: each is read once.
  const once = lookupCache();
  for (const row of open) {
    const state = decodeState(row.protocolState);
    const id = marketId(row.chainId, row.venue, state.marketToken);
    const [tokens] = await once(id, () => db.select().from(gmxV2Market).where(eq(gmxV2Market.id, id)).limit(1));
    if (!tokens) continue;
    const sides = [
      [tokens.longToken, state.longTokenClaimableFundingAmountPerSize],
      [tokens.shortToken, state.shortTokenClaimableFundingAmountPerSize],
    ] as const;
    for (const [token, snapshot] of sides) {
      const conditions = [
        eq(V.chainId, row.chainId),
        eq(V.eventEmitter, row.venue as Address),
        eq(V.market, state.marketToken),
        eq(V.kind, "claimableFundingAmountPerSize"),
        eq(V.collateralToken, token.toLowerCase() as Address),
        eq(V.isLong, row.isLong),
      ];
      const perSize = await once(`${id}:${token}:${row.isLong}`, () => latestAtOrBefore<{ value: bigint }>(db, V, conditions, HEAD));
      const latest = perSize?.value ?? snapshot;
      const earned = latest > snapshot ? fundingAmount(row.sizeUsd ?? 0n, latest, snapshot, false) : 0n;
      // A single-token market has one pool token: both snapshots count against it.
      if (earned > 0n) entry(row.chainId, row.venue, state.marketToken, token).earned += earned;
    }
  }

  return [...entries.values()].map((e) => {
    const asset = assets.get(e.chainId, e.token as Address);
    const whole = (amount: bigint) => (asset ? formatUnits(amount, asset.decimals) : null);
    return {
      chainId: e.chainId,
      eventEmitter: e.eventEmitter,
      market: e.market,
      token: e.token,
      symbol: asset?.symbol ?? null,
      amountRaw: e.claimable,
      amount: whole(e.claimable),
      earnedRaw: e.earned,
      earned: whole(e.earned),
      updatedBlock: e.updatedBlock,
    };
  });
}
