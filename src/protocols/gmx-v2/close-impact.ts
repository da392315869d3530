import { ceilDiv, minBig } from "../../core/fixed";
import { applyFactor, type MinMax } from "./precision";
import { gmxV2ReleaseRules } from "./releases";
import { maxPositiveImpactUsd, pendingImpactUsd, type GmxV2MarketParams, type GmxV2Position, type PriceImpact } from "./risk";

// What price impact adds to or takes from a whole position's market close, per release (gmx-synthetics
// DecreasePositionCollateralUtils.processCollateral and the MarketUtils caps it calls; docs/protocols/gmx-v2.md).

/** The market's position impact pool (index tokens) as the DataStore holds it, when it was last distributed, and what it has lent (v2.2 on). */
export type ImpactPoolState = { amount: bigint; distributedAt: bigint; lentAmount: bigint };

/**
 * MarketUtils.getPendingPositionImpactPoolDistributionAmount: the pool after what has been distributed
 * to LPs since DISTRIBUTED_AT, floor(seconds x rate / 1e30) index tokens, never below the minimum. An
 * order distributes before it settles (ExecuteOrderUtils.executeOrder), so a close sees this amount.
 */
export function impactPoolAfterDistribution(m: GmxV2MarketParams, pool: ImpactPoolState, now: bigint): bigint {
  const rate = m.positionImpactPoolDistributionRate;
  const floor = m.minPositionImpactPoolAmount;
  if (pool.amount === 0n || rate === 0n || pool.amount <= floor) return pool.amount;
  const seconds = pool.distributedAt === 0n || now < pool.distributedAt ? 0n : now - pool.distributedAt;
  return pool.amount - minBig(applyFactor(seconds, rate), pool.amount - floor);
}

/**
 * MarketUtils.getMaxLendableUsdAvailable (v2.2 on): the smaller of MAX_LENDABLE_IMPACT_FACTOR of the
 * pool's value (getPoolAmount of each token at its min price) and MAX_LENDABLE_IMPACT_USD, less what is
 * already lent at the index max price; 0 before v2.2.
 */
export function lendableImpactUsd(m: GmxV2MarketParams, lentAmount: bigint, index: MinMax, poolValueUsd: bigint): bigint {
  if (!gmxV2ReleaseRules(m.release).impactPoolLends) return 0n;
  const maxLendable = minBig(applyFactor(poolValueUsd, m.maxLendableImpactFactor), m.maxLendableImpactUsd);
  const lentUsd = lentAmount * index.max;
  return lentUsd > maxLendable ? 0n : maxLendable - lentUsd;
}

/** What the close settles now, and the part of a negative impact past the floor that moves to claimable collateral instead. */
export type SettledCloseImpact = { impactUsd: bigint; claimableLaterUsd: bigint };

/** The impact pool a positive impact is paid from: index tokens after distribution, and what it may still lend (USD). */
export type ImpactPoolCap = { amount: bigint; lendableUsd: bigint };

/**
 * The price impact a full market close settles (USD 1e30). v2.2 on (processCollateral): the close
 * impact, its positive part capped at size x min(max positive, max negative) factor
 * (capPositiveImpactUsdByMaxPositionImpact), plus the whole pending impact (a gain at the index min
 * price, a cost at the max; _getProportionalPendingImpactValues); a negative total floors at
 * -size x MAX_POSITION_IMPACT_FACTOR(negative), the excess becoming claimable collateral
 * (priceImpactDiffUsd); a positive total is capped by the factor again, then by the pool at the index
 * min price plus what it may lend (capPositiveImpactUsdByPositionImpactPool). v2.1
 * (getExecutionPriceForDecrease, getCappedPositionImpactUsd): the close impact alone, capped and
 * floored the same way, with no lending. An unknown pool (null) leaves a positive impact uncapped by it.
 */
export function settledCloseImpact(p: GmxV2Position, m: GmxV2MarketParams, close: PriceImpact, index: MinMax, pool: ImpactPoolCap | null): SettledCloseImpact {
  const positiveCap = maxPositiveImpactUsd(p.sizeInUsd, m);
  const negativeFloor = -applyFactor(p.sizeInUsd, m.maxPositionImpactFactorNegative);
  let impact = close.impactUsd > positiveCap ? positiveCap : close.impactUsd;
  if (gmxV2ReleaseRules(m.release).closeSettlesPendingImpact) impact += pendingImpactUsd(p, index);
  if (impact < 0n) return impact < negativeFloor ? { impactUsd: negativeFloor, claimableLaterUsd: negativeFloor - impact } : { impactUsd: impact, claimableLaterUsd: 0n };
  if (impact > positiveCap) impact = positiveCap;
  if (pool !== null) {
    const poolUsd = pool.amount * index.min;
    if (impact > poolUsd && impact - poolUsd > pool.lendableUsd) impact = poolUsd + pool.lendableUsd;
  }
  return { impactUsd: impact, claimableLaterUsd: 0n };
}

/**
 * Which POSITION_FEE_FACTOR a market close pays: the close's balanceWasImproved since v2.2; in v2.1
 * forPositiveImpact = the settled (capped) impact above zero (processCollateral), so a gain the empty
 * pool cannot pay is charged the "not improved" fee.
 */
export const closeOrderFeeBalanceImproved = (m: GmxV2MarketParams, close: PriceImpact, settled: SettledCloseImpact): boolean =>
  gmxV2ReleaseRules(m.release).closeFeeFactor === "balanceWasImproved" ? close.balanceWasImproved : settled.impactUsd > 0n;

/** What a full market close hands the trader: collateral-token and PnL-token amounts, and the cost nothing could pay (USD). */
export type ClosePayout = { collateralAmount: bigint; pnlTokenAmount: bigint; uncoveredUsd: bigint };

/**
 * DecreasePositionCollateralUtils.processCollateral for a full close with no swap (same order in every
 * release): a gain, then a positive settled impact, is paid as floor(usd / pnlToken.max) PnL tokens,
 * into the output when the PnL token is the collateral, else the secondary output. Then payForCost
 * takes the funding fee, a loss, the other fees, a negative impact and the impact past the floor (which
 * comes back later as claimable collateral), each ceil(usd / collateral.min) collateral units, first
 * from the output, then the collateral, then the secondary output at the PnL token's min price; what
 * is still owed after all three is uncovered (the contract returns early there, see InsolventClose).
 */
export function closePayout(
  collateralAmount: bigint,
  gains: { pnlUsd: bigint; impactUsd: bigint; impactPastFloorUsd: bigint },
  fees: { fundingFeeAmount: bigint; otherFeesAmount: bigint },
  prices: { collateral: MinMax; pnlToken: MinMax; pnlTokenIsCollateral: boolean },
): ClosePayout {
  let output = 0n;
  let secondary = 0n;
  let collateral = collateralAmount;
  for (const gainUsd of [gains.pnlUsd, gains.impactUsd]) {
    if (gainUsd <= 0n) continue;
    const tokens = gainUsd / prices.pnlToken.max;
    if (prices.pnlTokenIsCollateral) output += tokens;
    else secondary += tokens;
  }
  let uncoveredUsd = 0n;
  const payForCost = (costUsd: bigint) => {
    if (costUsd <= 0n) return;
    let remaining = ceilDiv(costUsd, prices.collateral.min);
    const fromOutput = minBig(output, remaining);
    output -= fromOutput;
    remaining -= fromOutput;
    const fromCollateral = minBig(collateral, remaining);
    collateral -= fromCollateral;
    remaining -= fromCollateral;
    if (remaining === 0n) return;
    let inSecondary = (remaining * prices.collateral.min) / prices.pnlToken.min;
    const fromSecondary = minBig(secondary, inSecondary);
    secondary -= fromSecondary;
    inSecondary -= fromSecondary;
    uncoveredUsd += inSecondary * prices.pnlToken.min;
  };
  payForCost(fees.fundingFeeAmount * prices.collateral.min);
  payForCost(-gains.pnlUsd);
  payForCost(fees.otherFeesAmount * prices.collateral.min);
  payForCost(-gains.impactUsd);
  payForCost(gains.impactPastFloorUsd);
  // A full close sends the remaining collateral with the output.
  return { collateralAmount: output + collateral, pnlTokenAmount: secondary, uncoveredUsd };
}
