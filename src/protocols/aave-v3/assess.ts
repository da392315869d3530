import { eq } from "ponder";
import type { Address } from "viem";
import type { AccountRisk, Assessment, AssessContext, PositionRisk, PositionRow, PreparedAssessment, PriceBook } from "../../core/adapter";
import type { LiquidatableTally } from "../../core/exposure";
import { ratio, USD_DECIMALS } from "../../core/fixed";
import { inBatches } from "../../core/batches";
import { latestAtOrBefore } from "../../core/history";
import { lazyFields, once } from "../../core/lazy";
import { markWarning, usableMark } from "../../core/marks";
import {
  accountData,
  collateralDropToLiquidation,
  decodeReserveConfiguration,
  fromScaled,
  HEALTH_FACTOR_LIQUIDATION_THRESHOLD,
  liquidationPrice,
  MAX_UINT256,
  normalizedDebt,
  normalizedIncome,
  stableDebtBalance,
  type EModeCategory,
  type ReserveIndexes,
  type UserReserve,
} from "./math";
import { aaveV3Deployments } from "./contracts";
import { decodeState, sideOf } from "./normalise";
import { releaseRules, type AaveRelease } from "./releases";

/** A position's figures; its liquidation price (a search over the account's health factor) is worked out when read. */
const RiskWithLazyLiquidation = lazyFields<Omit<PositionRisk, "liquidationPrice" | "liquidationDistance">, Pick<PositionRisk, "liquidationPrice" | "liquidationDistance">>(
  ["liquidationPrice", "liquidationDistance"],
);

// Aave's base currency is USD with 8 decimals; our marks are USD at 1e30.
const BASE_DECIMALS = 8;
const BASE_TO_USD = 10n ** BigInt(USD_DECIMALS - BASE_DECIMALS);

type Reserve = ReserveIndexes & { configuration: bigint };

/** Health, balances and per-asset liquidation prices of Aave v3 accounts (one per wallet and Pool). */
export const assessAaveV3 = async (ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> => (await prepareAaveV3(ctx, rows))(ctx);

/** assessAaveV3 with the reserves, e-modes and balances at the block loaded: the accounts at any marks. */
export async function prepareAaveV3(ctx: AssessContext, rows: PositionRow[]): Promise<PreparedAssessment> {
  const releaseOf = new Map(
    aaveV3Deployments(ctx.config).map((d) => [`${ctx.config.chains[d.chain]!.id}:${d.pool.toLowerCase()}`, d.release] as const),
  );
  // One account per wallet and Pool: the rows may be several wallets' (the at-risk feed).
  const byAccount = new Map<string, PositionRow[]>();
  for (const row of rows) {
    const key = `${row.chainId}:${row.venue}:${row.account}`;
    byAccount.set(key, [...(byAccount.get(key) ?? []), row]);
  }
  // A few accounts at a time: each reads its e-mode, and the at-risk feed assesses every open account.
  const accounts = await inBatches([...byAccount.values()], 8, (group) => prepareAccount(ctx, group, releaseOf));
  const prepared: PreparedAssessment = (scenario) => {
    const risks = new Map<PositionRow, PositionRisk>();
    const assessed = accounts.map((account) => account.figures(scenario.prices, risks));
    return { positions: rows.map((r) => risks.get(r)!), accounts: assessed };
  };
  prepared.liquidatable = (scenario, into) => {
    for (const account of accounts) account.addIfLiquidatable(scenario.prices, into);
  };
  return prepared;
}

/** One account's reads at the block, and its figures as a function of the marks (each row's risk into `risks`). */
async function prepareAccount(ctx: AssessContext, group: PositionRow[], releaseOf: Map<string, AaveRelease>) {
  const { aaveV3Reserve: R, aaveV3UserEMode: U, aaveV3EModeCategory: C } = ctx.schema;
  const { chainId, venue: pool, account: user } = group[0]!;
  const block = ctx.blockByChain.get(chainId)!;
  const accountWarnings: string[] = [];
  const release = releaseOf.get(`${chainId}:${pool.toLowerCase()}`);
  if (!release) throw new Error(`Aave v3: Pool ${pool} on chain ${chainId} is not configured`);
  const rules = releaseRules(release);

  const assets = [...new Set(group.map((r) => r.market))];
  // Through the context's lookups: every query of the same block shares them.
  const at = `aave-v3:${chainId}:${block.number}:${pool.toLowerCase()}`;
  const reserves = new Map<string, Reserve | undefined>();
  await Promise.all(
    assets.map(async (asset) =>
      reserves.set(
        asset,
        await ctx.lookups(`${at}:reserve:${asset.toLowerCase()}`, () =>
          latestAtOrBefore<Reserve>(ctx.db, R, [eq(R.chainId, chainId), eq(R.pool, pool), eq(R.asset, asset)], block.number),
        ),
      ),
    ),
  );
  const userEMode = await ctx.lookups(`${at}:user-emode:${user.toLowerCase()}`, () =>
    latestAtOrBefore<{ category: number }>(ctx.db, U, [eq(U.chainId, chainId), eq(U.pool, pool), eq(U.user, user)], block.number),
  );
  let eMode: { category: number; data: EModeCategory } | null = null;
  if (userEMode && userEMode.category !== 0) {
    const category = await ctx.lookups(`${at}:emode:${userEMode.category}`, () =>
      latestAtOrBefore<EModeCategory & { priceSource: string }>(
        ctx.db,
        C,
        [eq(C.chainId, chainId), eq(C.pool, pool), eq(C.category, userEMode.category)],
        block.number,
      ),
    );
    if (category) eMode = { category: userEMode.category, data: category };
    else accountWarnings.push(`e-mode category ${userEMode.category} parameters not indexed: health factor unknown`);
    if (category && BigInt(category.priceSource) !== 0n) accountWarnings.push("e-mode price source is not followed: health factor may differ");
    if (!rules.eModeFromReserveConfig) accountWarnings.push(`release ${release}: liquid e-mode membership is not followed: health factor may differ`);
  }

  // Balances at the block's timestamp, with what each row's reserve says of it (warnings after the row's mark's).
  const pricedWithoutMarks = eMode !== null || !userEMode || userEMode.category === 0;
  const balances = group.map((row) => {
    const reserve = reserves.get(row.market);
    if (!reserve) return { row, warnings: [`${row.market}: no reserve state indexed at this block`], balance: undefined };
    const warnings: string[] = [];
    const state = decodeState(row);
    const side = sideOf(row);
    if (side === "stable-borrow" && !rules.stableDebt) warnings.push(`${row.market}: stable debt on release ${release}, which has none`);
    const amount =
      side === "supply"
        ? fromScaled(state.scaledBalance, normalizedIncome(reserve, block.timestamp))
        : side === "borrow"
          ? fromScaled(state.scaledBalance, normalizedDebt(reserve, block.timestamp))
          : stableDebtBalance(state.scaledBalance, state.stableRate, state.stableTimestamp, block.timestamp);
    const config = decodeReserveConfiguration(reserve.configuration);
    if (!row.isLong && config.frozen) warnings.push(`${row.market}: debt in a frozen reserve (no new borrows or supplies)`);
    if (config.paused) warnings.push(`${row.market}: reserve is paused (no repay, withdrawal or liquidation)`);
    if (!config.active) warnings.push(`${row.market}: reserve is not active`);
    return { row, warnings, balance: { amount, config, usingAsCollateral: state.usingAsCollateral } };
  });

  /** GenericLogic.calculateUserAccountData at the marks, with the account's warnings. */
  const healthAt = (prices: PriceBook) => {
    const warnings = [...accountWarnings];
    // One reserve entry per asset for GenericLogic.
    const perAsset = new Map<string, UserReserve>();
    let priced = pricedWithoutMarks;
    for (const { row, warnings: rowWarnings, balance } of balances) {
      const mark = prices(chainId, row.market);
      const issue = markWarning(mark, "reserve asset");
      if (issue) warnings.push(`${row.market}: ${issue}`);
      warnings.push(...rowWarnings);
      if (!balance) {
        priced = false;
        continue;
      }
      const price = usableMark(mark);
      if (price === undefined) priced = false;
      const entry = perAsset.get(row.market) ?? {
        asset: row.market,
        config: balance.config,
        price: price === undefined ? 0n : price / BASE_TO_USD,
        supplied: 0n,
        borrowed: 0n,
        usingAsCollateral: false,
      };
      if (row.isLong) {
        entry.supplied = balance.amount;
        entry.usingAsCollateral = balance.usingAsCollateral;
      } else {
        // GenericLogic._getUserDebtInBaseCurrency: variable and stable debt summed, then priced.
        entry.borrowed += balance.amount;
      }
      perAsset.set(row.market, entry);
    }
    const inputs = [...perAsset.values()];
    const data = priced ? accountData(inputs, eMode) : null;
    const hasDebt = data !== null && data.healthFactor !== MAX_UINT256;
    const liquidatableNow = data === null ? null : hasDebt && data.healthFactor < HEALTH_FACTOR_LIQUIDATION_THRESHOLD;
    return { warnings, perAsset, inputs, data, hasDebt, liquidatableNow };
  };

  /** The rows' figures (each into `risks`) and the account's, from its health at the same marks. */
  const figuresAt = (prices: PriceBook, risks: Map<PositionRow, PositionRisk>, health: ReturnType<typeof healthAt>): AccountRisk => {
    const { warnings, perAsset, inputs, data, hasDebt, liquidatableNow } = health;
    for (const { row, balance } of balances) {
      const entry = perAsset.get(row.market);
      const amount = balance?.amount;
      const mark = usableMark(prices(chainId, row.market));
      const value = entry && amount !== undefined && mark !== undefined ? (amount * mark) / 10n ** BigInt(entry.config.decimals) : null;
      const counts = row.isLong && entry !== undefined && entry.usingAsCollateral && entry.config.liquidationThreshold !== 0n;
      // The liquidation price is a search over the account's health factor: run when first read (a stress
      // point asking for equity or liquidatable-now needs none).
      const liquidationPriceUsd = once(() => {
        const liq = hasDebt && entry ? liquidationPrice(inputs, eMode, row.market) : { kind: "none" as const };
        // A deposit is exposed to its asset falling, a debt to it rising; only the side that moves HF toward 1 counts.
        const relevant = liq.kind === "price" && (row.isLong ? liq.direction === "down" : liq.direction === "up");
        return relevant && liq.kind === "price" ? liq.price * BASE_TO_USD : null;
      });
      risks.set(
        row,
        new RiskWithLazyLiquidation(
          {
            sizeInTokens: amount ?? null,
            notionalUsd: value,
            collateralUsd: value === null ? null : counts ? value : 0n,
            collateralAmount: row.isLong ? (amount ?? null) : null,
            unrealizedPnlUsd: value === null ? null : 0n,
            pendingFeesUsd: value === null ? null : 0n,
            leverage: null,
            liquidatableNow,
            equityUsd: value === null ? null : row.isLong ? value : -value,
            warnings: [],
          },
          {
            liquidationPrice: liquidationPriceUsd,
            liquidationDistance: () => {
              const price = liquidationPriceUsd();
              return price !== null && mark !== undefined ? ratio(row.isLong ? mark - price : price - mark, mark) : null;
            },
          },
        ),
      );
    }

    return {
      protocol: group[0]!.protocol,
      chainId,
      venue: pool,
      healthFactor: data === null || !hasDebt ? null : data.healthFactor,
      collateralUsd: data === null ? null : data.totalCollateralBase * BASE_TO_USD,
      debtUsd: data === null ? null : data.totalDebtBase * BASE_TO_USD,
      liquidationThresholdBps: data === null ? null : data.avgLiquidationThreshold,
      collateralDropToLiquidation: data === null ? null : collateralDropToLiquidation(data.healthFactor),
      liquidatableNow,
      lendingMode: { eModeCategory: userEMode?.category ?? 0, isolationModeCollateral: isolatedCollateral(inputs) },
      warnings,
    };
  };

  return {
    figures: (prices: PriceBook, risks: Map<PositionRow, PositionRisk>) => figuresAt(prices, risks, healthAt(prices)),
    /** Adds the rows the account would have liquidated at the marks: none unless its health is under the threshold. */
    addIfLiquidatable(prices: PriceBook, into: LiquidatableTally) {
      const health = healthAt(prices);
      if (health.liquidatableNow !== true) return;
      const risks = new Map<PositionRow, PositionRisk>();
      figuresAt(prices, risks, health);
      into.addMarked([...risks.values()]);
    },
  };
}

/** UserConfiguration.getIsolationModeState: exactly one collateral, and that reserve has a debt ceiling. */
function isolatedCollateral(reserves: UserReserve[]): Address | null {
  const collaterals = reserves.filter((r) => r.usingAsCollateral);
  return collaterals.length === 1 && collaterals[0]!.config.debtCeiling !== 0n ? (collaterals[0]!.asset as Address) : null;
}
