import type { Address } from "viem";
import type { Assessment, AssessContext, PositionRisk, PositionRow } from "../../core/adapter";
import { assetDirectory } from "../../core/assets";
import { formatUsd, ratio } from "../../core/fixed";
import { markWarning, usableMark } from "../../core/marks";
import { accruedState } from "./accrual";
import {
  closeOrderFeeBalanceImproved,
  closePayout,
  impactPoolAfterDistribution,
  lendableImpactUsd,
  settledCloseImpact,
  type ImpactPoolCap,
} from "./close-impact";
import { gmxV2DeploymentDirectory } from "./contracts";
import { marketInputsAt } from "./market-inputs";
import { releaseMismatch } from "./market-params";
import { referralDiscount, referralTermsAt } from "./referral";
import { decodeState, toGmxV2Position, toUnitPrice, toWholeTokenPrice } from "./normalise";
import {
  closeFeeBalanceImproved,
  closePriceImpactUsd,
  closingCosts,
  leverage,
  liquidationCheck,
  liquidationPrice,
  midPrice,
  positionPnlUsd,
  uncappedPnlUsd,
  type GmxV2Position,
  type MinMax,
} from "./risk";

/**
 * The position with the trader's referral discount as ReferralStorage stands at the block, where the
 * deployment names its ReferralStorage (a code or tier changed since the trader's last order counts
 * now, as the contract's next check reads it); else as that order's PositionFeesCollected gave it.
 */
async function withCurrentReferral(ctx: AssessContext, row: PositionRow, p: GmxV2Position, block: bigint, warnings: string[]): Promise<GmxV2Position> {
  const d = gmxV2DeploymentDirectory(ctx.config)(row.chainId, row.venue);
  if (!d?.referralStorage) return p;
  const terms = await ctx.lookups(`gmx-v2:${row.chainId}:${block}:referral:${row.account.toLowerCase()}`, () =>
    referralTermsAt(ctx.db, row.chainId, d.referralStorage!, row.account as Address, block),
  );
  if (terms === undefined) {
    warnings.push("the trader's referral code or tier is not indexed: the discount of its last order is used");
    return p;
  }
  return { ...p, ...referralDiscount(d.release, terms, decodeState(row.protocolState).proDiscountFactor) };
}

const unavailable = { pendingFeesUsd: null, equityUsd: null, liquidationPrice: null, liquidationDistance: null, liquidatableNow: null };

/** Figures for open GMX v2 positions, from the protocol's own rules (see ./risk.ts). */
export async function assessGmxV2(ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> {
  const assets = assetDirectory(ctx.config);
  const inputs = marketInputsAt(ctx);

  const positions = await Promise.all(
    rows.map(async (row): Promise<PositionRisk> => {
      const block = ctx.blockByChain.get(row.chainId)!.number;
      const warnings: string[] = [];
      const p = await withCurrentReferral(ctx, row, toGmxV2Position(row), block, warnings);
      const market = decodeState(row.protocolState).marketToken;
      const indexDecimals = assets.get(row.chainId, row.market)?.decimals;
      const collateralDecimals = assets.get(row.chainId, row.collateralToken)?.decimals;

      const indexMark = ctx.prices(row.chainId, row.market);
      const indexIssue = markWarning(indexMark, "index token");
      if (indexIssue) warnings.push(indexIssue);
      const collateralMark = ctx.prices(row.chainId, row.collateralToken);
      const collateralIssue = markWarning(collateralMark, "collateral token");
      if (collateralIssue && collateralIssue !== indexIssue) warnings.push(collateralIssue);
      if (indexDecimals === undefined) warnings.push("index token decimals not configured: prices cannot be converted");
      if (collateralDecimals === undefined) warnings.push("collateral token decimals not configured: collateral value unknown");

      const indexPrice = usableMark(indexMark);
      const collateralPrice = usableMark(collateralMark);
      const indexUnit = indexPrice === undefined || indexDecimals === undefined ? undefined : toUnitPrice(indexPrice, indexDecimals);
      const collateralUnit =
        collateralPrice === undefined || collateralDecimals === undefined ? undefined : toUnitPrice(collateralPrice, collateralDecimals);
      const index = indexUnit === undefined ? undefined : { min: indexUnit, max: indexUnit };
      const collateral = collateralUnit === undefined ? undefined : { min: collateralUnit, max: collateralUnit };

      const collateralUsd = collateral ? p.collateralAmount * collateral.min : null;
      if (p.collateralAmount === 0n) warnings.push("zero collateral: leverage undefined");
      const common = {
        sizeInTokens: row.sizeInTokens,
        notionalUsd: index ? p.sizeInTokens * index.min : null,
        collateralUsd,
        collateralAmount: row.collateralAmount,
        warnings,
      };

      const tokens = await inputs.tokens(row, market);
      const params = await inputs.params(row, market, block);
      const state = tokens && params ? await inputs.state(row, market, tokens, params, ctx.blockByChain.get(row.chainId)!) : undefined;
      if (!tokens || !params || !state) {
        warnings.push("market parameters or state not indexed at or before this block: PnL uncapped, fees and liquidation price unknown");
        return { ...common, unrealizedPnlUsd: index ? uncappedPnlUsd(p, index) : null, leverage: null, ...unavailable };
      }
      const mismatch = releaseMismatch(params);
      if (mismatch) warnings.push(mismatch);
      if (!state.pending) warnings.push("the market's accrual clock is not indexed: borrowing and funding since its last update are not counted");

      // A token the config names as the index's asset, in the same units, is priced as the index and moves
      // with it in the liquidation search (gmx-interface getIsEquivalentTokens).
      const movesWithIndex = (token: Address) =>
        assets.sameAsset(row.chainId, token, row.market) && assets.get(row.chainId, token)?.decimals === indexDecimals;
      // A profit is capped against the pool of the side's PnL token (long token for longs, short token for shorts).
      const pnlToken = row.isLong ? tokens.longToken : tokens.shortToken;
      const pnlTokenIsIndex = movesWithIndex(pnlToken);
      const unitPriceOf = (token: Address) => {
        const decimals = assets.get(row.chainId, token)?.decimals;
        const price = usableMark(ctx.prices(row.chainId, token));
        return price === undefined || decimals === undefined ? undefined : toUnitPrice(price, decimals);
      };
      const pnlTokenUnit = unitPriceOf(pnlToken);
      const knownPnlToken = pnlTokenUnit === undefined ? (pnlTokenIsIndex ? index : undefined) : { min: pnlTokenUnit, max: pnlTokenUnit };
      if (!knownPnlToken) warnings.push("PnL token price or decimals unknown: profits are left without the pool's cap");
      // A pool valued at zero leaves a profit uncapped (MarketUtils.getCappedPnl caps only a positive pool PnL to a positive cap).
      const pnlTokenPrices = knownPnlToken ?? { min: 0n, max: 0n };
      const pnl = index ? positionPnlUsd(p, params, state, { index, pnlToken: pnlTokenPrices }) : null;
      if (!collateral) return { ...common, unrealizedPnlUsd: pnl, leverage: null, ...unavailable };

      if (!index && params.useOpenInterestInTokensForBalance) {
        warnings.push("the market balances open interest in tokens: without an index price, fees and liquidation price are unknown");
        return { ...common, unrealizedPnlUsd: pnl, leverage: null, ...unavailable };
      }
      // The pool a positive close impact is paid from, after its pending distribution, and what it may still lend.
      const impactPoolCap = async (index: MinMax): Promise<ImpactPoolCap | null> => {
        const pool = await inputs.impactPool(row, market, block);
        if (!pool) {
          warnings.push("the market's impact pool is not indexed: a positive close impact is not capped by it");
          return null;
        }
        const amount = impactPoolAfterDistribution(params, pool, ctx.blockByChain.get(row.chainId)!.timestamp);
        if (params.maxLendableImpactFactor === 0n || params.maxLendableImpactUsd === 0n) return { amount, lendableUsd: 0n };
        const poolValue = await inputs.poolValueUsd(row, market, tokens, block, unitPriceOf);
        if (poolValue === undefined) {
          warnings.push("a pool token's price is unknown: what the impact pool may lend is not counted");
          return { amount, lendableUsd: 0n };
        }
        return { amount, lendableUsd: lendableImpactUsd(params, pool.lentAmount, index, poolValue) };
      };
      const close = closePriceImpactUsd(p, params, state, index ? midPrice(index) : 0n);
      const settled = index ? settledCloseImpact(p, params, close, index, await impactPoolCap(index)) : null;
      if (settled && settled.claimableLaterUsd > 0n) {
        warnings.push(`close impact past the market's max negative factor: $${formatUsd(settled.claimableLaterUsd)} would move to claimable collateral (returned later, as the market allows), not counted in equity`);
      }
      let costs;
      try {
        // Fees as a close would charge them now: borrowing and funding accrued to this block's timestamp.
        if (!index && state.pending && state.pending.borrowingSeconds + state.pending.fundingSeconds > 0n) throw new RangeError("without an index price, borrowing and funding since the market's last update are unknown");
        const accrued = index ? accruedState(p, params, state, { index, collateral, pnlToken: pnlTokenPrices }) : state;
        costs = closingCosts(p, params, accrued, collateral.min, settled ? closeOrderFeeBalanceImproved(params, close, settled) : closeFeeBalanceImproved(params, close));
      } catch (error) {
        warnings.push(`fees unavailable: ${(error as Error).message}`);
        return { ...common, unrealizedPnlUsd: pnl, leverage: null, ...unavailable };
      }
      // gmx-interface getLeverage: size / (collateral + pnl - pending borrowing and funding fees).
      const pendingUsd = costs.borrowingFeeUsd + costs.fundingFeeAmount * collateral.min;
      const equityForLeverage = pnl === null || collateralUsd === null ? null : collateralUsd + pnl - pendingUsd;

      // What a market close would hand the trader now, valued at the marks: the impact it settles, less the part
      // past the floor it moves to claimable collateral (gmx-interface getPositionNetValue counts that part as
      // received); gains in PnL tokens as processCollateral rounds them. Without the PnL token's price, in USD.
      const closeValueUsd = () => {
        if (collateralUsd === null || pnl === null || settled === null) return null;
        if (!knownPnlToken) return collateralUsd + pnl - costs.costUsd + settled.impactUsd - settled.claimableLaterUsd;
        const paid = closePayout(
          p.collateralAmount,
          { pnlUsd: pnl, impactUsd: settled.impactUsd, impactPastFloorUsd: settled.claimableLaterUsd },
          { fundingFeeAmount: costs.fundingFeeAmount, otherFeesAmount: costs.costAmount - costs.fundingFeeAmount },
          { collateral, pnlToken: knownPnlToken, pnlTokenIsCollateral: pnlToken.toLowerCase() === row.collateralToken.toLowerCase() },
        );
        return paid.collateralAmount * collateral.min + paid.pnlTokenAmount * knownPnlToken.min - paid.uncoveredUsd;
      };

      let liq, liquidatableNow: boolean | null = null;
      try {
        const sameToken = movesWithIndex(row.collateralToken);
        const pricing = {
          collateral: sameToken ? { isIndexToken: true as const } : { isIndexToken: false as const, price: collateral },
          pnlToken: pnlTokenIsIndex ? { isIndexToken: true as const } : { isIndexToken: false as const, price: pnlTokenPrices },
        };
        liq = liquidationPrice(p, params, state, pricing);
        if (index) liquidatableNow = liquidationCheck(p, params, state, { index, collateral, pnlToken: pnlTokenPrices }, close).liquidatable;
      } catch (error) {
        warnings.push(`liquidation price unavailable: ${(error as Error).message}`);
        liq = undefined;
      }

      let liquidationDistance: number | null = null;
      const liquidationWhole = liq?.kind === "price" && indexDecimals !== undefined ? toWholeTokenPrice(liq.price, indexDecimals) : null;
      if (liquidationWhole !== null && indexPrice !== undefined) {
        liquidationDistance = ratio(row.isLong ? indexPrice - liquidationWhole : liquidationWhole - indexPrice, indexPrice);
      } else if (liq?.kind === "always") {
        liquidationDistance = 0;
        warnings.push("costs and the minimum collateral exceed what the position holds: liquidatable at any price");
      }

      return {
        ...common,
        unrealizedPnlUsd: pnl,
        leverage: equityForLeverage === null ? null : leverage(p.sizeInUsd, equityForLeverage),
        pendingFeesUsd: costs.costUsd,
        equityUsd: closeValueUsd(),
        liquidationPrice: liquidationWhole,
        liquidationDistance,
        liquidatableNow,
      };
    }),
  );
  // GMX v2 margin is isolated per position.
  return { positions, accounts: [] };
}
