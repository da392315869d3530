import { eq } from "ponder";
import type { Assessment, AssessContext, PositionRisk, PositionRow } from "../../core/adapter";
import { assetDirectory } from "../../core/assets";
import { latestAtOrBefore, latestPerKey } from "../../core/history";
import { ratio } from "../../core/fixed";
import { markWarning, usableMark } from "../../core/marks";
import { lookupMany } from "../../core/memo";
import { toGmxV1Position } from "./normalise";
import { liquidationPrice, liquidationState, marginFees, unrealizedPnl, type GmxV1VaultParams } from "./risk";

/**
 * Parameters and funding as of the queried block, per Vault: its parameters and the rows' collateral
 * tokens' cumulative rates, through the context's lookups (shared while the indexed data is
 * unchanged), those not looked up yet in one statement. Loaded before the rows are assessed.
 */
async function inputsAt(ctx: AssessContext, rows: PositionRow[]) {
  const { gmxV1VaultParams: P, gmxV1FundingRate: F } = ctx.schema;
  const venueOf = (row: PositionRow) => `${row.chainId}:${row.venue.toLowerCase()}`;
  const venues = new Map<string, { row: PositionRow; tokens: Set<string> }>();
  for (const row of rows) {
    const venue = venues.get(venueOf(row)) ?? { row, tokens: new Set<string>() };
    venue.tokens.add(row.collateralToken.toLowerCase());
    venues.set(venueOf(row), venue);
  }
  const loaded = new Map<string, { params: GmxV1VaultParams | undefined; rates: Map<string, bigint> }>();
  await Promise.all(
    [...venues].map(async ([venue, { row, tokens }]) => {
      const block = ctx.blockByChain.get(row.chainId)!.number;
      const prefix = `gmx-v1:${row.chainId}:${block}:${row.venue.toLowerCase()}`;
      const keyOf = (token: string) => `${prefix}:rate:${token}`;
      const [params, rates] = await Promise.all([
        ctx.lookups(`${prefix}:params`, () => latestAtOrBefore<GmxV1VaultParams>(ctx.db, P, [eq(P.chainId, row.chainId), eq(P.vault, row.venue)], block)),
        lookupMany(ctx.lookups, [...tokens].map(keyOf), async (missing) => {
          const missingTokens = [...tokens].filter((t) => missing.includes(keyOf(t)));
          const latest = await latestPerKey(ctx.db, F, F.token, missingTokens, [eq(F.chainId, row.chainId), eq(F.vault, row.venue)], block);
          return new Map([...latest].map(([token, r]) => [keyOf(token), BigInt(String(r.cumulative_rate))]));
        }),
      ]);
      const byToken = new Map<string, bigint>();
      for (const token of tokens) {
        const rate = rates.get(keyOf(token));
        if (rate !== undefined) byToken.set(token, rate);
      }
      loaded.set(venue, { params, rates: byToken });
    }),
  );
  return {
    paramsOf: (row: PositionRow) => loaded.get(venueOf(row))!.params,
    fundingOf: (row: PositionRow) => loaded.get(venueOf(row))!.rates.get(row.collateralToken.toLowerCase()),
  };
}

/** Figures for open GMX v1 positions, each from the Vault's own rules (see ./risk.ts). */
export async function assessGmxV1(ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> {
  const assets = assetDirectory(ctx.config);
  const { paramsOf, fundingOf } = await inputsAt(ctx, rows);

  const positions = rows.map((row): PositionRisk => {
    const warnings: string[] = [];
    const p = toGmxV1Position(row);
    const params = paramsOf(row);
    // The entry rate is the cumulative rate at the last update; a later indexed rate supersedes it.
    const cumulative = fundingOf(row) ?? p.entryFundingRate;
    const mark = ctx.prices(row.chainId, row.market);
    const markIssue = markWarning(mark, "index token");
    if (markIssue) warnings.push(markIssue);
    const price = usableMark(mark);

    const collateralMark = usableMark(ctx.prices(row.chainId, row.collateralToken));
    const collateralDecimals = assets.get(row.chainId, row.collateralToken)?.decimals;
    // Vault.usdToTokenMin: usd * 10^decimals / price.
    const collateralAmount =
      collateralMark !== undefined && collateralDecimals !== undefined
        ? (p.collateral * 10n ** BigInt(collateralDecimals)) / collateralMark
        : null;

    const lev = p.collateral > 0n ? ratio(p.size, p.collateral) : null;
    if (p.collateral === 0n) warnings.push("zero collateral: leverage undefined");
    const pnl = price === undefined ? null : unrealizedPnl(p, price);

    const common = {
      sizeInTokens: row.sizeInTokens,
      // Current notional = size in tokens at the mark = size * mark / averagePrice.
      notionalUsd: price === undefined ? null : (p.size * price) / p.averagePrice,
      collateralUsd: p.collateral,
      collateralAmount,
      unrealizedPnlUsd: pnl,
      leverage: lev,
      warnings,
    };
    if (!params) {
      warnings.push("no Vault parameters indexed at or before this block: liquidation price unknown");
      return { ...common, pendingFeesUsd: null, equityUsd: null, liquidationPrice: null, liquidationDistance: null, liquidatableNow: null };
    }

    const liq = liquidationPrice(p, params, cumulative);
    let liquidationDistance: number | null = null;
    if (price !== undefined && liq.kind === "price") {
      liquidationDistance = ratio(row.isLong ? price - liq.price : liq.price - price, price);
    } else if (liq.kind === "always") {
      liquidationDistance = 0;
      warnings.push("fees and the leverage cap exceed the collateral: liquidatable at any price");
    }

    const fees = marginFees(p, params, cumulative);
    return {
      ...common,
      pendingFeesUsd: fees,
      equityUsd: pnl === null ? null : p.collateral + pnl - fees,
      liquidationPrice: liq.kind === "price" ? liq.price : null,
      liquidationDistance,
      liquidatableNow: price === undefined ? null : liquidationState(p, params, cumulative, price) !== 0,
    };
  });
  // GMX v1 margin is isolated per position: no account-level health.
  return { positions, accounts: [] };
}
