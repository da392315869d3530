import { eq } from "ponder";
import type { AssessContext, PositionRow } from "../../core/adapter";
import { latestAtOrBefore } from "../../core/history";
import type { DeriveDeployment, ForwardFeedSettings, LyraFeedSettings } from "./contracts";
import { optionFromSubId } from "./encoding";
import { decodeState } from "./normalise";
import { sviVol, type SviCurve } from "./svi";

// What Derive's managers read from its Lyra feeds for each option, from the feeds' events at the
// answered block: the implied vol (LyraVolFeed.getVol on the expiry's SVI curve), the forward
// (LyraForwardFeed.getForwardPricePortions, the settlement price once final) and the rate
// (LyraRateFeed.getInterestRate), with their confidences. Where the contract's read would revert (no
// feed configured, data missing, stale or unusable) the configured defaultVolatility, forward =
// spot, or rate 0 is used instead, flagged as assumed with the reason.

export type OptionVolatility = {
  /** Null when no usable vol: the option (and a margin holding it) is not priced. */
  volatility: number | null;
  assumed: boolean;
  /** Why the vol is assumed or missing; null when the feed's vol is used. */
  warning: string | null;
  /** The curve's confidence (1e18 when assumed): PMRM's IM confidence contingency reads it. */
  confidence: bigint;
};
/** The vol for an option of `token` (lowercase) at `expiry` and `strike` (18 decimals). */
export type VolatilityOf = (token: string, expiry: bigint, strike: bigint) => OptionVolatility;

/** IForwardFeed.getForwardPricePortions: the forward is fixed + variable; only the variable part moves with spot. */
export type ForwardPortions = { fixed: bigint; variable: bigint };
export type ForwardQuote = {
  /** The portions at a spot (18 decimals); null where the feed reverts at that spot. */
  at: (spot: bigint) => ForwardPortions | null;
  assumed: boolean;
  warning: string | null;
  /** The settlement price, once the feed's data for the expiry is final. */
  settlement: bigint | null;
  confidence: bigint;
};
/** The forward of `token`'s (lowercase) `expiry`. */
export type ForwardOf = (token: string, expiry: bigint) => ForwardQuote;

/** ILyraRateFeed.getInterestRate for an expiry (18 decimals); rate 0, confidence 1, assumed where the feed gives none. */
export type RateQuote = { rate: bigint; confidence: bigint; assumed: boolean; warning: string | null };
export type RateOf = (token: string, expiry: bigint) => RateQuote;
/** A perp's funding index as PerpAsset._updateFunding last left it (AggregatedFundingUpdated). */
export type FundingIndex = { aggregatedFunding: bigint; fundingRate: bigint; lastFundingPaidAt: bigint };
/** The funding index of a perp asset (lowercase address); undefined before any update was seen. */
export type FundingOf = (perp: string) => FundingIndex | undefined;
/** What the managers read from the Lyra feeds, per option, and the perps' funding indexes. */
export type DeriveFeeds = { volatility: VolatilityOf; forward: ForwardOf; rate: RateOf; funding: FundingOf };

const ONE = 10n ** 18n;

/** The forward where no feed gives one: spot, all of it variable; `warning` says why, if a feed was expected. */
export const spotForward = (warning: string | null): ForwardQuote => ({ at: (spot) => ({ fixed: 0n, variable: spot }), assumed: true, warning, settlement: null, confidence: ONE });
/** The rate where no feed gives one: 0; `warning` says why, if a feed was expected. */
export const zeroRate = (warning: string | null): RateQuote => ({ rate: 0n, confidence: ONE, assumed: true, warning });

/** LyraForwardFeed.SETTLEMENT_TWAP_DURATION. */
const TWAP = 1_800n;

type StoredCurve = SviCurve & { confidence: bigint; timestamp: bigint };

type StoredForward = { fwdSpotDifference: bigint; confidence: bigint; timestamp: bigint; settlementStartAggregate: bigint; currentSpotAggregate: bigint };
type StoredRate = { rate: bigint; confidence: bigint; timestamp: bigint };
type FeedTable = typeof import("ponder:schema").deriveVolCurve | typeof import("ponder:schema").deriveForwardData | typeof import("ponder:schema").deriveRateData;

/** The latest stored row per option expiry among `rows` of one feed kind, at the context's block (shared across stress points). */
async function latestPerExpiry<Row>(ctx: AssessContext, table: FeedTable, kind: string, feeds: Map<string, LyraFeedSettings>, rows: PositionRow[]) {
  const found = new Map<string, Row | undefined>();
  for (const row of rows) {
    const s = decodeState(row);
    const feed = feeds.get(row.market.toLowerCase());
    if (s.kind !== "option" || !feed) continue;
    const { expiry } = optionFromSubId(s.subId);
    const block = ctx.blockByChain.get(row.chainId)!.number;
    const key = `${feed.address.toLowerCase()}:${expiry}`;
    if (found.has(key)) continue;
    const conditions = [eq(table.chainId, row.chainId), eq(table.feed, feed.address), eq(table.expiry, expiry)];
    found.set(key, await ctx.lookups(`derive:${kind}:${row.chainId}:${block}:${key}`, () => latestAtOrBefore<Row>(ctx.db, table, conditions, block)));
  }
  return (feed: LyraFeedSettings, expiry: bigint) => found.get(`${feed.address.toLowerCase()}:${expiry}`);
}

const byUnderlying = <F extends LyraFeedSettings>(feeds: F[] | undefined) => new Map<string, F>((feeds ?? []).map((f) => [f.underlying.toLowerCase(), f]));

/** The vol, forward and rate of every option among `rows` (one subaccount's) at the context's block, at any volatility shift. */
export async function feedsOf(ctx: AssessContext, deployment: DeriveDeployment | undefined, rows: PositionRow[]): Promise<(volatilityShift: number) => DeriveFeeds> {
  const chainId = rows[0]?.chainId;
  const now = chainId === undefined ? 0n : ctx.blockByChain.get(chainId)!.timestamp;
  const volFeeds = byUnderlying(deployment?.volFeeds);
  const forwardFeeds = byUnderlying(deployment?.forwardFeeds);
  const curveOf = await latestPerExpiry<StoredCurve>(ctx, ctx.schema.deriveVolCurve, "vol", volFeeds, rows);
  const forwardDataOf = await latestPerExpiry<StoredForward>(ctx, ctx.schema.deriveForwardData, "forward", forwardFeeds, rows);
  const rateFeeds = byUnderlying(deployment?.rateFeeds);
  const rateDataOf = await latestPerExpiry<StoredRate>(ctx, ctx.schema.deriveRateData, "rate", rateFeeds, rows);
  const funding = new Map<string, FundingIndex | undefined>();
  for (const row of rows) {
    const s = decodeState(row);
    if (s.kind !== "perp" || funding.has(s.asset.toLowerCase())) continue;
    const block = ctx.blockByChain.get(row.chainId)!.number;
    const F = ctx.schema.derivePerpFunding;
    const found = await ctx.lookups(`derive:funding:${row.chainId}:${block}:${s.asset.toLowerCase()}`, () =>
      latestAtOrBefore<FundingIndex>(ctx.db, F, [eq(F.chainId, row.chainId), eq(F.perp, s.asset as `0x${string}`)], block),
    );
    funding.set(s.asset.toLowerCase(), found);
  }
  const forward = forwardOf(forwardFeeds, forwardDataOf, now);
  const rate = rateOf(rateFeeds, rateDataOf, now);
  return (volatilityShift) => ({
    volatility: volatilityOf(volatilityShift, deployment, volFeeds, curveOf, now),
    forward,
    rate,
    funding: (perp) => funding.get(perp.toLowerCase()),
  });
}

/** LyraRateFeed.getInterestRate: the expiry's last rate; missing or stale data reverts there (_checkNotStale), rate 0 here, flagged. */
function rateOf(feeds: Map<string, LyraFeedSettings>, dataOf: (feed: LyraFeedSettings, expiry: bigint) => StoredRate | undefined, now: bigint): RateOf {
  return (token, expiry) => {
    const feed = feeds.get(token.toLowerCase());
    if (!feed) return zeroRate(null);
    const d = dataOf(feed, expiry);
    if (!d) return zeroRate(`the rate feed has no rate for expiry ${expiry}: rate 0 assumed`);
    if (now - d.timestamp > feed.heartbeatSeconds) return zeroRate(`the rate feed's rate for expiry ${expiry} is stale (from ${d.timestamp}): rate 0 assumed`);
    return { rate: d.rate, confidence: d.confidence, assumed: false, warning: null };
  };
}

function volatilityOf(
  shift: number,
  deployment: DeriveDeployment | undefined,
  feeds: Map<string, LyraFeedSettings>,
  curveOf: (feed: LyraFeedSettings, expiry: bigint) => StoredCurve | undefined,
  now: bigint,
): VolatilityOf {
  const fallback = deployment?.defaultVolatility ?? null;

  const shifted = (vol: number, assumed: boolean, warning: string | null, confidence = ONE): OptionVolatility => {
    const v = vol + shift;
    return v > 0
      ? { volatility: v, assumed, warning, confidence }
      : { volatility: null, assumed, warning: `shifted volatility ${v} is not positive: the option cannot be priced`, confidence };
  };
  const assumedBecause = (why: string | null): OptionVolatility =>
    fallback === null
      ? { volatility: null, assumed: true, warning: `${why ? `${why}; ` : ""}no volatility configured (defaultVolatility null): the option is not priced`, confidence: ONE }
      : shifted(fallback, true, why);

  return (token, expiry, strike) => {
    const feed = feeds.get(token.toLowerCase());
    if (!feed) return assumedBecause(null);
    const curve = curveOf(feed, expiry);
    // LyraVolFeed.getVol reverts on missing or stale data (LVF_MissingExpiryData, BaseLyraFeed._checkNotStale).
    if (!curve) return assumedBecause(`the vol feed has no curve for expiry ${expiry}: defaultVolatility assumed`);
    if (now - curve.timestamp > feed.heartbeatSeconds) return assumedBecause(`the vol feed's curve for expiry ${expiry} is stale (data from ${curve.timestamp}): defaultVolatility assumed`);
    const vol = sviVol(strike, curve);
    if (vol === null || vol === 0n) return assumedBecause(`the vol feed's curve for expiry ${expiry} gives no vol at this strike (SVI.getVol reverts or is zero): defaultVolatility assumed`);
    return shifted(Number(vol) / 1e18, false, null, curve.confidence);
  };
}

/**
 * LyraForwardFeed.getForwardPricePortions: variable = spot + fwdSpotDifference; inside the last 30
 * minutes the settlement TWAP so far is fixed and the variable part shrinks to the time left; final
 * data (timestamp = expiry) is the settlement price alone.
 */
export function forwardOf(feeds: Map<string, ForwardFeedSettings>, dataOf: (feed: LyraFeedSettings, expiry: bigint) => StoredForward | undefined, now: bigint): ForwardOf {
  return (token, expiry) => {
    const feed = feeds.get(token.toLowerCase());
    if (!feed) return spotForward(null);
    const d = dataOf(feed, expiry);
    // _verifyDetailTimestamp: missing, stale, or settlement data older than settlementHeartbeat reverts.
    if (!d) return spotForward(`the forward feed has no data for expiry ${expiry}: forward = spot assumed`);
    const twapStart = expiry - TWAP;
    const twapSoFar = d.currentSpotAggregate >= d.settlementStartAggregate ? (d.currentSpotAggregate - d.settlementStartAggregate) / TWAP : null;
    if (d.timestamp === expiry) {
      if (twapSoFar === null) return spotForward(`the forward feed's settlement data for expiry ${expiry} is invalid: forward = spot assumed`);
      return { at: () => ({ fixed: twapSoFar, variable: 0n }), assumed: false, warning: null, settlement: twapSoFar, confidence: d.confidence };
    }
    if (now - d.timestamp > feed.heartbeatSeconds) return spotForward(`the forward feed's data for expiry ${expiry} is stale (from ${d.timestamp}): forward = spot assumed`);
    if (now > twapStart && (d.timestamp > twapStart ? d.timestamp : twapStart) + feed.settlementHeartbeatSeconds < now) {
      return spotForward(`the forward feed's settlement data for expiry ${expiry} is too old (LFF_SettlementDataTooOld): forward = spot assumed`);
    }
    const variableAt = (spot: bigint) => spot + d.fwdSpotDifference;
    if (expiry - d.timestamp >= TWAP) {
      return { at: (spot) => (variableAt(spot) < 0n ? null : { fixed: 0n, variable: variableAt(spot) }), assumed: false, warning: null, settlement: null, confidence: d.confidence };
    }
    if (twapSoFar === null) return spotForward(`the forward feed's settlement data for expiry ${expiry} is invalid: forward = spot assumed`);
    return {
      at: (spot) => (variableAt(spot) < 0n ? null : { fixed: twapSoFar, variable: (variableAt(spot) * (expiry - d.timestamp)) / TWAP }),
      assumed: false,
      warning: null,
      settlement: null,
      confidence: d.confidence,
    };
  };
}
