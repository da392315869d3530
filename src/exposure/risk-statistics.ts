import { and, desc, eq, gt, lte } from "ponder";
import type { Address } from "viem";
import { correlationMatrix, covariance, logReturns, portfolioVolatility, sampleAt, Z_99 } from "../core/correlation";
import { USD_ONE } from "../core/fixed";
import { feedDirectory } from "../prices/feeds";
import { portfolioExposure, userError, type At, type BlockRef, type ExposureDeps, type WalletSelector } from "./service";

export const DAY_SECONDS = 86_400;
/** Most grid points per series: a year of hourly samples. */
export const MAX_RISK_SAMPLES = 8_760;

export const RISK_METHOD =
  "Prices sampled at the end of each interval over the window (the last indexed answer at or before each time). " +
  "Log returns per interval; sample (n-1) covariances; Pearson correlation. Volatilities are scaled to one day by sqrt(86400 / interval). " +
  "Exposure per asset is the portfolio's net notional (options delta-adjusted). One-day volatility = sqrt(w' S w) with S the daily covariance; " +
  "VaR(99%, 1 day) = 2.3263 x that volatility: normal returns, zero mean, positions held for the day.";

export type RiskStatistics = {
  blocks: BlockRef[];
  from: number;
  to: number;
  interval: number;
  returnsCount: number;
  assets: { asset: string; exposureUsd: bigint | null; dailyVolatility: number }[];
  correlation: (number | null)[][];
  oneDayVolatilityUsd: number | null;
  valueAtRisk99Usd: number | null;
  method: string;
  warnings: string[];
};

/** Price history (USD per whole token, float) of the asset a symbol names on the answered chains. */
async function priceHistory(deps: ExposureDeps, symbol: string, blocks: BlockRef[], from: number) {
  const { priceUpdate: U } = deps.schema;
  const feeds = feedDirectory(deps.config);
  for (const block of blocks) {
    const asset = deps.config.assets.find((a) => a.symbol === symbol && deps.config.chains[a.chain]!.id === block.chainId && feeds.byAsset(block.chainId, a.address));
    if (!asset) continue;
    const base = [eq(U.chainId, block.chainId), eq(U.asset, asset.address.toLowerCase() as Address), lte(U.blockNumber, block.number)];
    // The answer standing at the window's start, then every answer inside it.
    const [before, inside] = await Promise.all([
      deps.db.select().from(U).where(and(...base, lte(U.updatedAt, BigInt(from)))).orderBy(desc(U.updatedAt)).limit(1),
      deps.db.select().from(U).where(and(...base, gt(U.updatedAt, BigInt(from)))).orderBy(U.updatedAt),
    ]);
    return [...before, ...inside].map((r: { updatedAt: bigint; price: bigint }) => ({
      time: Number(r.updatedAt),
      price: Number(r.price) / Number(USD_ONE),
    }));
  }
  return undefined;
}

/** Realised correlation of the held assets and the portfolio's correlation-aware volatility and VaR. */
export async function riskStatistics(
  deps: ExposureDeps,
  selector: WalletSelector,
  window: number,
  interval: number,
  at: At,
  chainId: number | null,
): Promise<RiskStatistics> {
  if (!Number.isInteger(interval) || interval < 1) throw userError("interval must be a whole number of seconds, at least 1");
  if (!Number.isInteger(window) || window < 3 * interval) throw userError("window must be a whole number of seconds, at least 3 intervals");
  if (window / interval > MAX_RISK_SAMPLES) throw userError(`window / interval is ${Math.floor(window / interval)} samples; at most ${MAX_RISK_SAMPLES}`);
  const exposure = await portfolioExposure(deps, selector, at, chainId);
  const warnings: string[] = [];
  const to = Math.max(...exposure.blocks.map((b) => Number(b.timestamp)));
  const from = to - window;
  const grid = Array.from({ length: Math.floor(window / interval) + 1 }, (_, i) => from + i * interval);

  const held = exposure.totals.netNotional.filter((n) => n.netUsd === null || n.netUsd !== 0n);
  const histories = await Promise.all(held.map((n) => priceHistory(deps, n.asset, exposure.blocks, from)));
  const series: { asset: string; exposureUsd: bigint | null; prices: number[] }[] = [];
  for (const [i, n] of held.entries()) {
    const history = histories[i];
    const sampled = history ? sampleAt(history, grid) : [];
    if (!history || sampled.some((p) => p === undefined || !(p > 0))) {
      warnings.push(`${n.asset}: no price history covering the whole window; left out of correlation, volatility and VaR`);
      continue;
    }
    series.push({ asset: n.asset, exposureUsd: n.netUsd, prices: sampled as number[] });
  }
  const returns = series.map((s) => logReturns(s.prices));
  const toDaily = Math.sqrt(DAY_SECONDS / interval);
  const dailyVolatility = returns.map((r) => Math.sqrt(covariance(r, r)) * toDaily);
  const correlation = series.length === 0 ? [] : correlationMatrix(returns);
  const exposures = series.map((s) => (s.exposureUsd === null ? null : Number(s.exposureUsd) / Number(USD_ONE)));
  const complete = exposures.every((e) => e !== null) && series.length === held.length;
  if (exposures.some((e) => e === null)) warnings.push("an asset's net exposure is unknown (missing or stale price): no portfolio volatility or VaR");
  const oneDayVolatilityUsd = complete ? portfolioVolatility(exposures as number[], dailyVolatility, correlation) : null;
  return {
    blocks: exposure.blocks,
    from,
    to,
    interval,
    returnsCount: grid.length - 1,
    assets: series.map((s, i) => ({ asset: s.asset, exposureUsd: s.exposureUsd, dailyVolatility: dailyVolatility[i]! })),
    correlation,
    oneDayVolatilityUsd,
    valueAtRisk99Usd: oneDayVolatilityUsd === null ? null : Z_99 * oneDayVolatilityUsd,
    method: RISK_METHOD,
    warnings,
  };
}
