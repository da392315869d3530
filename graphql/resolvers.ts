import { formatUnits, type Address } from "viem";
import { assetDirectory } from "../src/core/assets";
import { formatUsd, ratio } from "../src/core/fixed";
import type { AccountRisk } from "../src/core/adapter";
import { breakdownBy, concentration, type TaggedItem } from "../src/core/breakdown";
import type { ExposureTotals } from "../src/core/exposure";
import { chainHeads, portfolioExposure, walletExposure, type AssessedPosition, type BlockRef, type ExposureDeps } from "./exposure-service";
import { BigIntScalar } from "./scalars";

const usd = (value: bigint | null | undefined) => (value === null || value === undefined ? null : formatUsd(value));

const totals = (t: ExposureTotals, positionCount: number, warnings: string[]) => ({
  grossNotionalUsd: usd(t.grossNotionalUsd),
  netNotional: t.netNotional.map((n) => ({ asset: n.asset, longUsd: usd(n.longUsd), shortUsd: usd(n.shortUsd), netUsd: usd(n.netUsd) })),
  totalCollateralUsd: usd(t.totalCollateralUsd),
  unrealizedPnlUsd: usd(t.unrealizedPnlUsd),
  pendingFeesUsd: usd(t.pendingFeesUsd),
  equityUsd: usd(t.equityUsd),
  leverage: t.leverage && ratio(t.leverage.numerator, t.leverage.denominator),
  nearestLiquidationDistance: t.nearestLiquidationDistance,
  complete: t.complete,
  positionCount,
  warnings,
});

const account = (a: AccountRisk & { account?: string }) => ({
  account: a.account ?? null,
  protocol: a.protocol,
  chainId: a.chainId,
  venue: a.venue,
  healthFactor: a.healthFactor === null ? null : formatUnits(a.healthFactor, 18),
  collateralUsd: usd(a.collateralUsd),
  debtUsd: usd(a.debtUsd),
  liquidationThreshold: a.liquidationThresholdBps === null ? null : Number(a.liquidationThresholdBps) / 10_000,
  collateralDropToLiquidation: a.collateralDropToLiquidation,
  liquidatableNow: a.liquidatableNow,
});

const blockRefs = (blocks: BlockRef[]) => blocks.map((b) => ({ chainId: b.chainId, number: b.number, timestamp: b.timestamp }));

const breakdowns = (items: TaggedItem[], keyOf: (i: TaggedItem) => string) =>
  breakdownBy(items, keyOf).map((b) => ({ key: b.key, positionCount: b.positionCount, totals: totals(b.totals, b.positionCount, []) }));

export function createResolvers(deps: ExposureDeps) {
  const assets = assetDirectory(deps.config);
  const asset = (chainId: number, address: Address) => {
    const known = assets.get(chainId, address);
    return { chainId, address, symbol: known?.symbol ?? null, decimals: known?.decimals ?? null };
  };
  const tokens = (amount: bigint | null, chainId: number, address: Address) => {
    const decimals = assets.get(chainId, address)?.decimals;
    return amount === null || decimals === undefined ? null : formatUnits(amount, decimals);
  };

  const position = ({ row, risk, mark }: AssessedPosition) => ({
    id: row.positionId,
    chainId: row.chainId,
    protocol: row.protocol,
    venue: row.venue,
    positionKey: row.positionKey,
    account: row.account,
    market: asset(row.chainId, row.market),
    side: row.isLong ? "LONG" : "SHORT",
    status: row.status,
    sizeUsd: usd(row.sizeUsd),
    sizeInTokens: tokens(risk.sizeInTokens, row.chainId, row.market),
    notionalUsd: usd(risk.notionalUsd),
    collateral: {
      token: asset(row.chainId, row.collateralToken),
      amount: tokens(risk.collateralAmount, row.chainId, row.collateralToken),
      usd: usd(risk.collateralUsd),
    },
    entryPrice: usd(row.entryPrice),
    markPrice: mark && { usd: formatUsd(mark.price), updatedAt: mark.updatedAt, feed: mark.feed, stale: mark.stale },
    leverage: risk.leverage,
    unrealizedPnlUsd: usd(risk.unrealizedPnlUsd),
    realisedPnlUsd: usd(row.realisedPnlUsd),
    equityUsd: usd(risk.equityUsd),
    pendingFeesUsd: usd(risk.pendingFeesUsd),
    liquidationPrice: usd(risk.liquidationPrice),
    liquidationDistance: risk.liquidationDistance,
    liquidatableNow: risk.liquidatableNow,
    openedBlock: row.openedBlock,
    openedAt: row.openedAt,
    updatedBlock: row.updatedBlock,
    updatedAt: row.updatedAt,
    warnings: risk.warnings,
  });

  return {
    BigInt: BigIntScalar,
    Query: {
      chains: async () =>
        (await chainHeads(deps)).map((h) => ({ chainId: h.chainId, name: h.name, blockNumber: h.number, blockTimestamp: h.timestamp })),
      wallet: async (_: unknown, args: { address: string; atBlock?: bigint | null; chainId?: number | null }) => {
        const w = await walletExposure(deps, args.address, args.atBlock ?? null, args.chainId ?? null);
        return {
          address: w.address,
          blocks: blockRefs(w.blocks),
          positions: w.positions.map(position),
          accounts: w.accounts.map(account),
          totals: totals(w.totals, w.positions.length, w.warnings),
        };
      },
      portfolios: () => Object.entries(deps.config.portfolios).map(([name, wallets]) => ({ name, wallets })),
      portfolio: async (
        _: unknown,
        args: { name?: string | null; wallets?: string[] | null; atBlock?: bigint | null; chainId?: number | null },
      ) => {
        const p = await portfolioExposure(deps, { name: args.name, wallets: args.wallets }, args.atBlock ?? null, args.chainId ?? null);
        const c = concentration(p.items, p.totals.grossNotionalUsd);
        return {
          name: p.name,
          wallets: p.wallets.map((w) => w.address),
          blocks: blockRefs(p.blocks),
          totals: totals(p.totals, p.positions.length, p.warnings),
          byAsset: breakdowns(p.items, (i) => i.asset),
          byProtocol: breakdowns(p.items, (i) => i.protocol),
          byChain: breakdowns(p.items, (i) => String(i.chainId)),
          byWallet: p.wallets.map((w) => ({ key: w.address, positionCount: w.positions.length, totals: totals(w.totals, w.positions.length, []) })),
          concentration: {
            largestPosition: c.largestPosition && { ...c.largestPosition, notionalUsd: formatUsd(c.largestPosition.notionalUsd) },
            largestAsset: c.largestAsset && { ...c.largestAsset, grossUsd: formatUsd(c.largestAsset.grossUsd) },
          },
          positions: p.positions.map(position),
          accounts: p.accounts.map(account),
        };
      },
    },
  };
}
