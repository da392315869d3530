import { eq } from "ponder";
import type { Assessment, AssessContext, PositionRisk, PositionRow, PreparedAssessment, PriceBook } from "../../core/adapter";
import type { LiquidatableTally } from "../../core/exposure";
import { assetDirectory } from "../../core/assets";
import type { PonderSchema, ReadonlyDb } from "../../core/db";
import type { Address } from "viem";
import { latestAtOrBefore, latestPerKey } from "../../core/history";
import { ratio } from "../../core/fixed";
import { markWarning, usableMark } from "../../core/marks";
import { lookupMany } from "../../core/memo";
import { lastIncreasedTimeOf, toGmxV1Position } from "./normalise";
import { vaultPrice, withMark } from "./price-feed";
import { liquidationPrice, marginFees, minProfitAt, priceDelta, signedDelta, type GmxV1LiquidationPrice, type GmxV1Position, type MinProfit } from "./risk";
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
export const assessGmxV1 = async (ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> => (await prepareGmxV1(ctx, rows))(ctx);

/** assessGmxV1 with the Vault's parameters and funding loaded: each position's figures at any marks. */
export async function prepareGmxV1(ctx: AssessContext, rows: PositionRow[]): Promise<PreparedAssessment> {
  const assets = assetDirectory(ctx.config);
  const { paramsOf, fundingOf } = await inputsAt(ctx, rows);
  // Positions of one Vault on the same index and collateral token read the same marks: looked up, and
  // priced as the Vault checks them, once per group at each call.
  const groups = new Map<string, { row: PositionRow; params: VaultReading | undefined; timestamp: bigint; members: { index: number; rule: PositionFigures }[] }>();
  rows.forEach((row, index) => {
    const key = `${row.chainId}:${row.venue}:${row.market}:${row.collateralToken}`.toLowerCase();
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { row, params: paramsOf(row), timestamp: ctx.blockByChain.get(row.chainId)!.timestamp, members: [] }));
    group.members.push({ index, rule: new PositionFigures(row, group.params, fundingOf(row), group.timestamp, assets.get(row.chainId, row.collateralToken)?.decimals) });
  });
  // Each group's marks at a scenario.
  const marksOf = (prices: PriceBook, { row, params, timestamp }: { row: PositionRow; params: VaultReading | undefined; timestamp: bigint }): Marks => {
    const mark = prices(row.chainId, row.market);
    const price = usableMark(mark);
    // Figures need a usable mark; without a reading of the Vault's prices (no price feed, say) they use it.
    const checked = (isLong: boolean) => (price === undefined ? undefined : ((params && checkedPrice(params, row.market, isLong, price, timestamp)) ?? price));
    return {
      issue: markWarning(mark, "index token"),
      price,
      checkedLong: checked(true),
      checkedShort: checked(false),
      collateral: usableMark(prices(row.chainId, row.collateralToken)),
    };
  };
  // GMX v1 margin is isolated per position: no account-level health.
  const prepared: PreparedAssessment = ({ prices }) => {
    const positions: PositionRisk[] = new Array(rows.length);
    for (const group of groups.values()) {
      const marks = marksOf(prices, group);
      for (const { index, rule } of group.members) positions[index] = rule.figures(marks);
    }
    return { positions, accounts: [] };
  };
  prepared.liquidatable = ({ prices }, into) => {
    for (const group of groups.values()) {
      const marks = marksOf(prices, group);
      for (const { rule } of group.members) rule.addIfLiquidatable(marks, into);
    }
  };
  return prepared;
}

/** A group's marks at one call: the index token's (with its warning) and the prices the Vault checks longs and shorts at, and the collateral token's. */
type Marks = { issue: string | undefined; price: bigint | undefined; checkedLong: bigint | undefined; checkedShort: bigint | undefined; collateral: bigint | undefined };

/**
 * One position's figures as a function of its group's marks: what does not depend on them (fees, the
 * liquidation price, the min-profit rule) is worked out once. `addIfLiquidatable`: the same check and
 * notional, alone. A class, not closures: a watched or stressed book keeps one per position.
 */
class PositionFigures {
  readonly #row: PositionRow;
  readonly #p: GmxV1Position;
  readonly #minProfit: MinProfit;
  readonly #leverage: number | null;
  readonly #liq: GmxV1LiquidationPrice | undefined;
  readonly #fees: bigint | null;
  readonly #collateralUnit: bigint | undefined;
  /** What holds at any marks; frozen, as every call without a mark issue shares it (a stress ladder or an alert block makes many). */
  readonly #fixedWarnings: string[];

  constructor(row: PositionRow, params: VaultReading | undefined, fundingRate: bigint | undefined, timestamp: bigint, collateralDecimals: number | undefined) {
    const warnings: string[] = [];
    const p = toGmxV1Position(row);
    // The entry rate is the cumulative rate at the last update; a later indexed rate supersedes it.
    const cumulative = fundingRate ?? p.entryFundingRate;
    const minProfit = minProfitAt(
      params?.tokens[row.market.toLowerCase()]?.minProfitBasisPoints ?? 0n,
      params?.minProfitTime ?? 0n,
      lastIncreasedTimeOf(row),
      timestamp,
    );
    if (minProfit.inForce) warnings.push(`min-profit rule in force until ${lastIncreasedTimeOf(row) + params!.minProfitTime}: a profit up to ${minProfit.basisPoints} bps of size counts as zero`);
    if (p.collateral === 0n) warnings.push("zero collateral: leverage undefined");
    const liq = params ? liquidationPrice(p, params, cumulative, minProfit) : undefined;
    if (!params) warnings.push("no Vault parameters indexed at or before this block: liquidation price unknown");
    else if (liq!.kind === "always") warnings.push("fees and the leverage cap exceed the collateral: liquidatable at any price");
    this.#row = row;
    this.#p = p;
    this.#minProfit = minProfit;
    this.#leverage = p.collateral > 0n ? ratio(p.size, p.collateral) : null;
    this.#liq = liq;
    this.#fees = params ? marginFees(p, params, cumulative) : null;
    this.#collateralUnit = collateralDecimals === undefined ? undefined : 10n ** BigInt(collateralDecimals);
    this.#fixedWarnings = Object.freeze(warnings) as string[];
  }

  #checkedOf(marks: Marks) {
    return this.#row.isLong ? marks.checkedLong : marks.checkedShort;
  }

  // VaultUtils.validateLiquidation at the checked price, from its exact boundary (liquidationPrice: the
  // check is monotone in the price), which spares a stress ladder getDelta's division at every step.
  #liquidatableAt(checked: bigint | undefined) {
    const liq = this.#liq;
    if (checked === undefined || liq === undefined) return null;
    if (liq.kind !== "price") return liq.kind === "always";
    return this.#row.isLong ? checked <= liq.price : checked >= liq.price;
  }

  // Current notional = size in tokens at the mark = size * mark / averagePrice.
  #notionalAt(marks: Marks) {
    return marks.price === undefined ? null : (this.#p.size * marks.price) / this.#p.averagePrice;
  }

  figures(marks: Marks): PositionRisk {
    const row = this.#row;
    const p = this.#p;
    const liq = this.#liq;
    const fees = this.#fees;
    const warnings = marks.issue ? [marks.issue, ...this.#fixedWarnings] : this.#fixedWarnings;
    const checked = this.#checkedOf(marks);
    // Vault.usdToTokenMin: usd * 10^decimals / price.
    const collateralAmount = marks.collateral !== undefined && this.#collateralUnit !== undefined ? (p.collateral * this.#collateralUnit) / marks.collateral : null;
    // Vault.getDelta.
    const pnl = checked === undefined ? null : signedDelta(priceDelta(p, checked, this.#minProfit));
    let liquidationDistance: number | null = null;
    if (checked !== undefined && liq?.kind === "price") {
      // From the price the Vault checks (its min or max price), which the liquidation price is in.
      liquidationDistance = ratio(row.isLong ? checked - liq.price : liq.price - checked, checked);
    } else if (liq?.kind === "always") {
      liquidationDistance = 0;
    }
    // One literal with every field (no spreads): a stress point makes one per position it moves.
    return {
      sizeInTokens: row.sizeInTokens,
      notionalUsd: this.#notionalAt(marks),
      collateralUsd: p.collateral,
      collateralAmount,
      unrealizedPnlUsd: pnl,
      leverage: this.#leverage,
      warnings,
      pendingFeesUsd: fees,
      equityUsd: pnl === null || fees === null ? null : p.collateral + pnl - fees,
      liquidationPrice: liq?.kind === "price" ? liq.price : null,
      liquidationDistance,
      liquidatableNow: this.#liquidatableAt(checked),
    };
  }

  addIfLiquidatable(marks: Marks, into: LiquidatableTally) {
    if (this.#liquidatableAt(this.#checkedOf(marks)) === true) into.add(this.#notionalAt(marks), this.#p.collateral);
  }
}
