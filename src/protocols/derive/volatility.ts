import { and, eq } from "ponder";
import type { AssessContext, PositionRow } from "../../core/adapter";
import { latestAtOrBefore } from "../../core/history";
import type { DeriveDeployment, VolFeedSettings } from "./contracts";
import { optionFromSubId } from "./encoding";
import { decodeState } from "./normalise";
import { sviVol, type SviCurve } from "./svi";

// The implied vol each option is priced at: its underlying's LyraVolFeed curve for its expiry (as
// the managers read it: LyraVolFeed.getVol), or the configured defaultVolatility, flagged as assumed,
// where no feed is configured or the feed's data is missing, stale or unusable.

export type OptionVolatility = {
  /** Null when no usable vol: the option (and a margin holding it) is not priced. */
  volatility: number | null;
  assumed: boolean;
  /** Why the vol is assumed or missing; null when the feed's vol is used. */
  warning: string | null;
};
/** The vol for an option of `token` (lowercase) at `expiry` and `strike` (18 decimals). */
export type VolatilityOf = (token: string, expiry: bigint, strike: bigint) => OptionVolatility;

type StoredCurve = SviCurve & { timestamp: bigint };

/**
 * The vol of every option among `rows` at the context's block (and volatility shift): one stored-curve
 * lookup per (feed, expiry), shared across a query's stress points.
 */
export async function volatilityOf(ctx: AssessContext, deployment: DeriveDeployment | undefined, rows: PositionRow[]): Promise<VolatilityOf> {
  const feeds = new Map<string, VolFeedSettings>((deployment?.volFeeds ?? []).map((f) => [f.underlying.toLowerCase(), f]));
  const curves = new Map<string, StoredCurve | undefined>();
  for (const row of rows) {
    const s = decodeState(row);
    const feed = feeds.get(row.market.toLowerCase());
    if (s.kind !== "option" || !feed) continue;
    const { expiry } = optionFromSubId(s.subId);
    const block = ctx.blockByChain.get(row.chainId)!.number;
    const key = `${row.chainId}:${feed.address.toLowerCase()}:${expiry}`;
    if (curves.has(key)) continue;
    const C = ctx.schema.deriveVolCurve;
    curves.set(
      key,
      await ctx.lookups(`derive:vol:${block}:${key}`, () =>
        latestAtOrBefore<StoredCurve>(ctx.db, C, [eq(C.chainId, row.chainId), eq(C.feed, feed.address), eq(C.expiry, expiry)], block),
      ),
    );
  }
  const chainId = rows[0]?.chainId;
  const now = chainId === undefined ? 0n : ctx.blockByChain.get(chainId)!.timestamp;
  const shift = ctx.volatilityShift ?? 0;
  const fallback = deployment?.defaultVolatility ?? null;

  const shifted = (vol: number, assumed: boolean, warning: string | null): OptionVolatility => {
    const v = vol + shift;
    return v > 0 ? { volatility: v, assumed, warning } : { volatility: null, assumed, warning: `shifted volatility ${v} is not positive: the option cannot be priced` };
  };
  const assumedBecause = (why: string | null): OptionVolatility =>
    fallback === null
      ? { volatility: null, assumed: true, warning: `${why ? `${why}; ` : ""}no volatility configured (defaultVolatility null): the option is not priced` }
      : shifted(fallback, true, why);

  return (token, expiry, strike) => {
    const feed = feeds.get(token.toLowerCase());
    if (!feed) return assumedBecause(null);
    const curve = curves.get(`${chainId}:${feed.address.toLowerCase()}:${expiry}`);
    // LyraVolFeed.getVol reverts on missing or stale data (LVF_MissingExpiryData, BaseLyraFeed._checkNotStale).
    if (!curve) return assumedBecause(`the vol feed has no curve for expiry ${expiry}: defaultVolatility assumed`);
    if (now - curve.timestamp > feed.heartbeatSeconds) return assumedBecause(`the vol feed's curve for expiry ${expiry} is stale (data from ${curve.timestamp}): defaultVolatility assumed`);
    const vol = sviVol(strike, curve);
    if (vol === null || vol === 0n) return assumedBecause(`the vol feed's curve for expiry ${expiry} gives no vol at this strike (SVI.getVol reverts or is zero): defaultVolatility assumed`);
    return shifted(Number(vol) / 1e18, false, null);
  };
}
