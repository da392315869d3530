import { AaveV3PoolAbi } from "../../../abis/AaveV3Pool";
import { contractChains, protocolDeployments } from "../../config/contract-chains";
import type { ExposureConfig } from "../../config/exposure-config";

/** `protocols["aave-v3"]`: one { chain, pool, startBlock } per Pool (an Aave market or a fork). */
export const aaveV3Deployments = (config: ExposureConfig) => protocolDeployments(config, "aave-v3", "pool");

export const aaveV3Contracts = (config: ExposureConfig) => ({
  AaveV3Pool: {
    abi: AaveV3PoolAbi,
    chain: contractChains(aaveV3Deployments(config).map((d) => ({ chain: d.chain, address: d.pool, startBlock: d.startBlock }))),
  },
});
