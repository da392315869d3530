import type { Address } from "viem";
import { AaveV3PoolAbi } from "../../../abis/AaveV3Pool";
import { contractChains } from "../../config/contract-chains";
import { address, chainName, nonNegativeInt, type ExposureConfig } from "../../config/exposure-config";

export type AaveV3Deployment = { chain: string; pool: Address; startBlock: number };

/** `protocols["aave-v3"]`: a list of { chain, pool, startBlock }, one per Pool (Aave market or fork). */
export function aaveV3Deployments(config: ExposureConfig): AaveV3Deployment[] {
  const section = config.protocols["aave-v3"];
  if (section === undefined) return [];
  if (!Array.isArray(section)) throw new Error("config protocols.aave-v3: expected an array of { chain, pool, startBlock }");
  return section.map((entry: any, i) => ({
    chain: chainName(entry?.chain, config.chains, `protocols.aave-v3[${i}].chain`),
    pool: address(entry?.pool, `protocols.aave-v3[${i}].pool`),
    startBlock: nonNegativeInt(entry?.startBlock ?? 0, `protocols.aave-v3[${i}].startBlock`),
  }));
}

export const aaveV3Contracts = (config: ExposureConfig) => ({
  AaveV3Pool: {
    abi: AaveV3PoolAbi,
    chain: contractChains(aaveV3Deployments(config).map((d) => ({ chain: d.chain, address: d.pool, startBlock: d.startBlock }))),
  },
});
