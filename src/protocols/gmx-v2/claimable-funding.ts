import { and, eq, gt } from "ponder";
import { formatUnits, type Address } from "viem";
import type { AssessContext, PositionRow } from "../../core/adapter";
import { assetDirectory } from "../../core/assets";
import { parseWallet } from "../../core/errors";
import { markWarning, usableMark } from "../../core/marks";
import { lookupCache } from "../../core/memo";
import type { ProtocolReadDeps } from "../../core/protocol";
import { claimableFundingPerSizeDelta } from "./accrual";
import { marketInputsAt } from "./market-inputs";
import { decodeState, GMX_V2, marketId, toUnitPrice } from "./normalise";
import { fundingAmount } from "./risk";
import { gmxV2ClaimableFunding, gmxV2Market } from "./schema";

type Entry = { chainId: number; eventEmitter: string; market: string; token: string; claimable: bigint; earned: bigint; updatedBlock: bigint | null; warnings: Set<string> };
type MarketTokens = { indexToken: Address; longToken: Address; shortToken: Address };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Funding a wallet is owed on GMX v2, per market and pool token, at the indexed head: what it can claim
 * now (ClaimableFundingUpdated, zero after FundingFeesClaimed) and what its open positions have earned
 * since their last order, credited at their next one: the claimable amount per size against each
 * position's snapshot, the per-size value advanced to the head's timestamp as the next update would
 * (MarketUtils.getNextFundingAmountPerSize; Reader.getPositionInfo reports the same).
 */
export async function claimableFunding(deps: ProtocolReadDeps, wallet: string) {
  const { db, schema, config } = deps;
  const account = parseWallet(wallet);
  const assets = assetDirectory(config);
  const entries = new Map<string, Entry>();
  const entry = (chainId: number, eventEmitter: string, market: string, token: string) => {
    const key = `${chainId}:${eventEmitter}:${market}:${token}`.toLowerCase();
    if (!entries.has(key)) entries.set(key, { chainId, eventEmitter, market, token, claimable: 0n, earned: 0n, updatedBlock: null, warnings: new Set() });
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
  // Positions of one market (and side) share its tokens and accumulators: each is read once.
  const once = lookupCache();
  const withTokens = [];
  for (const row of open) {
    const market = decodeState(row.protocolState).marketToken;
    const id = marketId(row.chainId, row.venue, market);
    const [tokens] = await once(id, () => db.select().from(gmxV2Market).where(eq(gmxV2Market.id, id)).limit(1));
    if (tokens) withTokens.push({ row, market, tokens: tokens as MarketTokens });
  }
  if (withTokens.length === 0) return [...entries.values()].map((e) => output(e, assets));

  const ctx = await deps.contextAtHead(withTokens.flatMap(({ row, tokens }) => [tokens.indexToken, tokens.longToken, tokens.shortToken].map((asset) => ({ chainId: row.chainId, asset }))));
  const inputs = marketInputsAt(ctx);
  for (const { row, market, tokens } of withTokens) {
    const head = ctx.blockByChain.get(row.chainId);
    if (!head) continue;
    const state = decodeState(row.protocolState);
    const { delta, warning } = await pendingPerSize(ctx, inputs, row, market, tokens, head, assets);
    const sides = [
      [tokens.longToken, state.longTokenClaimableFundingAmountPerSize],
      [tokens.shortToken, state.shortTokenClaimableFundingAmountPerSize],
    ] as const;
    for (const [token, snapshot] of sides) {
      const perSize = await inputs.value(row, market, "claimableFundingAmountPerSize", token, row.isLong, head.number);
      // A single-token market credits both slots' shares to its one key.
      const pending = (same(tokens.longToken, token) ? delta.longToken : 0n) + (same(tokens.shortToken, token) ? delta.shortToken : 0n);
      const latest = (perSize ?? snapshot) + pending;
      const earned = latest > snapshot ? fundingAmount(row.sizeUsd ?? 0n, latest, snapshot, false) : 0n;
      if (earned === 0n && !warning) continue;
      const e = entry(row.chainId, row.venue, market, token);
      e.earned += earned;
      if (warning) e.warnings.add(warning);
    }
  }
  return [...entries.values()].map((e) => output(e, assets));
}

/** The claimable per size the market's next update adds for the position's side, or none with the reason. */
async function pendingPerSize(
  ctx: AssessContext,
  inputs: ReturnType<typeof marketInputsAt>,
  row: PositionRow,
  market: Address,
  tokens: MarketTokens,
  head: { number: bigint; timestamp: bigint },
  assets: ReturnType<typeof assetDirectory>,
): Promise<{ delta: { longToken: bigint; shortToken: bigint }; warning?: string }> {
  const none = (reason: string) => ({ delta: { longToken: 0n, shortToken: 0n }, warning: `funding since the market's last update not counted in earned: ${reason}` });
  const params = await inputs.params(row, market, head.number);
  const s = params && (await inputs.state(row, market, tokens, params, head));
  if (!params || !s) return none("market parameters not indexed at or before this block");
  if (!s.pending) return none("the market's accrual clock is not indexed");
  if (s.pending.fundingSeconds === 0n) return { delta: { longToken: 0n, shortToken: 0n } };
  const unit = (token: Address, what: string) => {
    const mark = ctx.prices(row.chainId, token);
    const decimals = assets.get(row.chainId, token)?.decimals;
    const price = usableMark(mark);
    if (price === undefined) throw new RangeError(markWarning(mark, what) ?? `the ${what} price is unusable`);
    if (decimals === undefined) throw new RangeError(`the ${what} decimals are not configured`);
    const u = toUnitPrice(price, decimals);
    return { min: u, max: u };
  };
  try {
    const prices = { index: unit(tokens.indexToken, "index token"), longToken: unit(tokens.longToken, "long token"), shortToken: unit(tokens.shortToken, "short token") };
    return { delta: claimableFundingPerSizeDelta(row.isLong, params, s, s.pending, prices) };
  } catch (error) {
    return none((error as Error).message);
  }
}

function output(e: Entry, assets: ReturnType<typeof assetDirectory>) {
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
    warnings: [...e.warnings],
  };
}
