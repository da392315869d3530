import { formatUnits, type Address } from "viem";
import { assetDirectory } from "../src/core/assets";
import { formatUsd, ratio } from "../src/core/fixed";
import { chainHeads, walletExposure, type AssessedPosition, type ExposureDeps } from "./exposure-service";
import { BigIntScalar } from "./scalars";

const usd = (value: bigint | null | undefined) => (value === null || value === undefined ? null : formatUsd(value));

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
        const t = w.totals;
        return {
          address: w.address,
          blocks: w.blocks.map((b) => ({ chainId: b.chainId, number: b.number, timestamp: b.timestamp })),
          positions: w.positions.map(position),
          accounts: w.accounts.map((a) => ({
            protocol: a.protocol,
            chainId: a.chainId,
            venue: a.venue,
            healthFactor: a.healthFactor === null ? null : formatUnits(a.healthFactor, 18),
            collateralUsd: usd(a.collateralUsd),
            debtUsd: usd(a.debtUsd),
            liquidationThreshold: a.liquidationThresholdBps === null ? null : Number(a.liquidationThresholdBps) / 10_000,
            collateralDropToLiquidation: a.collateralDropToLiquidation,
            liquidatableNow: a.liquidatableNow,
          })),
          totals: {
            grossNotionalUsd: usd(t.grossNotionalUsd),
            netNotional: t.netNotional.map((n) => ({ asset: n.asset, longUsd: usd(n.longUsd), shortUsd: usd(n.shortUsd), netUsd: usd(n.netUsd) })),
            totalCollateralUsd: usd(t.totalCollateralUsd),
            unrealizedPnlUsd: usd(t.unrealizedPnlUsd),
            pendingFeesUsd: usd(t.pendingFeesUsd),
            equityUsd: usd(t.equityUsd),
            leverage: t.leverage && ratio(t.leverage.numerator, t.leverage.denominator),
            nearestLiquidationDistance: t.nearestLiquidationDistance,
            complete: t.complete,
            positionCount: w.positions.length,
            warnings: w.warnings,
          },
        };
      },
    },
  };
}
