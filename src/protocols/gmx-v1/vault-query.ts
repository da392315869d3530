import type { Address } from "viem";
import type { ExposureConfig } from "../../config/exposure-config";
import { assetDirectory } from "../../core/assets";
import type { PonderSchema, ReadonlyDb } from "../../core/db";
import { vaultReadingAt } from "./assess";
import { gmxV1Deployment } from "./contracts";

/**
 * A GMX v1 Vault's reading in force at `block` (./vault-state.ts): its parameters and per-token min
 * and max price. `changedAtBlock` is the block the values were first read at; `readAtBlock` the last
 * re-read at or before `block` that confirmed them (every `paramsRefreshBlocks` since the start block,
 * up to the indexed head). Null when the Vault is not configured or nothing was read yet.
 */
export async function gmxV1VaultAt(db: ReadonlyDb, schema: PonderSchema, config: ExposureConfig, chainId: number, vault: Address, block: bigint) {
  const deployment = gmxV1Deployment(config, chainId, vault);
  if (!deployment) return null;
  const reading = await vaultReadingAt(db, schema.gmxV1VaultParams, chainId, deployment.vault.toLowerCase() as Address, block);
  if (!reading) return null;
  const every = BigInt(deployment.paramsRefreshBlocks);
  const lastRefresh = every > 0n ? BigInt(deployment.startBlock) + ((block - BigInt(deployment.startBlock)) / every) * every : reading.blockNumber;
  const assets = assetDirectory(config);
  return {
    chainId,
    vault: deployment.vault,
    changedAtBlock: reading.blockNumber,
    readAtBlock: lastRefresh > reading.blockNumber ? lastRefresh : reading.blockNumber,
    maxLeverage: reading.maxLeverage,
    liquidationFeeUsd: reading.liquidationFeeUsd,
    marginFeeBasisPoints: reading.marginFeeBasisPoints,
    liquidationRule: reading.addsProfitOnLiquidation ? "current" : "earlier",
    minProfitTime: reading.minProfitTime,
    vaultUtils: reading.vaultUtils,
    priceFeed: reading.priceFeed,
    tokens: Object.entries(reading.tokens).map(([token, t]) => ({
      token,
      symbol: assets.symbol(chainId, token as Address),
      minPrice: t.minPrice,
      maxPrice: t.maxPrice,
      minProfitBasisPoints: t.minProfitBasisPoints,
      modelled: t.inputs !== null,
    })),
  };
}
