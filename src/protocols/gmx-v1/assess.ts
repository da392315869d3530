import { eq } from "ponder";
import type { Assessment, AssessContext, PositionRisk, PositionRow } from "../../core/adapter";
import { assetDirectory } from "../../core/assets";
import type { PonderSchema, ReadonlyDb } from "../../core/db";
import type { Address } from "viem";
import { latestAtOrBefore, latestPerKey } from "../../core/history";
import { ratio } from "../../core/fixed";
import { markWarning, usableMark } from "../../core/marks";
import { lookupMany } from "../../core/memo";
import { lastIncreasedTimeOf, toGmxV1Position } from "./normalise";
import { vaultPrice, withMark } from "./price-feed";
import { liquidationPrice, liquidationState, marginFees, minProfitAt, unrealizedPnl } from "./risk";
import { decodeTokens, type VaultReading } from "./vault-state";

type StoredReading = Omit<VaultReading, "tokens"> & { blockNumber: bigint; tokens: unknown };

/** The Vault's reading in force at a block, as ./vault-state.ts has it, and the block it was recorded at. */
export async function vaultReadingAt(db: ReadonlyDb, P: PonderSchema["gmxV1VaultParams"], chainId: number, vault: Address, block: bigint) {
  const row = await latestAtOrBefore<StoredReading>(db, P, [eq(P.chainId, chainId), eq(P.vault, vault)], block);
  return row ? { ...row, tokens: decodeTokens(row.tokens) } : undefined;
}

/**
 * The price the Vault checks a position at (Vault.getDelta: min price for a long, max for a short):
 * from the price feed's inputs with the mark as the latest round when they reproduce the Vault's
 * prices (so a stressed mark moves it), else the Vault's own price as read.
 */
function checkedPrice(reading: VaultReading, token: string, isLong: boolean, mark: bigint | undefined, timestamp: bigint): bigint | undefined {
  const t = reading.tokens[token.toLowerCase()];
  if (t?.inputs && mark !== undefined) return vaultPrice(withMark(t.inputs, mark), !isLong, timestamp);
  return (isLong ? t?.minPrice : t?.maxPrice) ?? undefined;
}

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
  const loaded = new Map<string, { params: (VaultReading & { blockNumber: bigint }) | undefined; rates: Map<string, bigint> }>();
  await Promise.all(
    [...venues].map(async ([venue, { row, tokens }]) => {
      const block = ctx.blockByChain.get(row.chainId)!.number;
      const prefix = `gmx-v1:${row.chainId}:${block}:${row.venue.toLowerCase()}`;
      const keyOf = (token: string) => `${prefix}:rate:${token}`;
      const [params, rates] = await Promise.all([
        ctx.lookups(`${prefix}:params`, () => vaultReadingAt(ctx.db, P, row.chainId, row.venue, block)),
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
    const timestamp = ctx.blockByChain.get(row.chainId)!.timestamp;
    const minProfit = minProfitAt(
      params?.tokens[row.market.toLowerCase()]?.minProfitBasisPoints ?? 0n,
      params?.minProfitTime ?? 0n,
      lastIncreasedTimeOf(row),
      timestamp,
    );
    if (minProfit.inForce) warnings.push(`min-profit rule in force until ${lastIncreasedTimeOf(row) + params!.minProfitTime}: a profit up to ${minProfit.basisPoints} bps of size counts as zero`);
    // Figures need a usable mark; without a reading of the Vault's prices (no price feed, say) they use it.
    const checked = price === undefined ? undefined : ((params && checkedPrice(params, row.market, row.isLong, price, timestamp)) ?? price);

    const collateralMark = usableMark(ctx.prices(row.chainId, row.collateralToken));
    const collateralDecimals = assets.get(row.chainId, row.collateralToken)?.decimals;
    // Vault.usdToTokenMin: usd * 10^decimals / price.
    const collateralAmount =
      collateralMark !== undefined && collateralDecimals !== undefined
        ? (p.collateral * 10n ** BigInt(collateralDecimals)) / collateralMark
        : null;

    const lev = p.collateral > 0n ? ratio(p.size, p.collateral) : null;
    if (p.collateral === 0n) warnings.push("zero collateral: leverage undefined");
    const pnl = checked === undefined ? null : unrealizedPnl(p, checked, minProfit);

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

    const liq = liquidationPrice(p, params, cumulative, minProfit);
    let liquidationDistance: number | null = null;
    if (checked !== undefined && liq.kind === "price") {
      // From the price the Vault checks (its min or max price), which the liquidation price is in.
      liquidationDistance = ratio(row.isLong ? checked - liq.price : liq.price - checked, checked);
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
      liquidatableNow: checked === undefined ? null : liquidationState(p, params, cumulative, checked, minProfit) !== 0,
    };
  });
  // GMX v1 margin is isolated per position: no account-level health.
  return { positions, accounts: [] };
}
