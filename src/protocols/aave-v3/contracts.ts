import { factory } from "ponder";
import { AaveV3PoolAbi } from "../../../abis/AaveV3Pool";
import {
  AaveV3ATokenAbi,
  AaveV3PoolConfiguratorAbi,
  AaveV3ReserveInitializedEvent,
  AaveV3StableDebtTokenAbi,
  AaveV3VariableDebtTokenAbi,
} from "../../../abis/AaveV3Tokens";
import { contractChains, protocolDeployments, withReleases } from "../../config/contract-chains";
import type { ExposureConfig } from "../../config/exposure-config";
import { AAVE_RELEASES, type AaveRelease } from "./releases";

export type AaveV3Deployment = ReturnType<typeof protocolDeployments<"pool" | "poolConfigurator">>[number] & { release: AaveRelease };

/**
 * `protocols["aave-v3"]`: one { chain, pool, poolConfigurator, release, startBlock } per Pool (an
 * Aave market or a fork); release is the Aave v3 release the Pool runs ("3.0" ... "3.3").
 */
export const aaveV3Deployments = (config: ExposureConfig): AaveV3Deployment[] =>
  withReleases(config, "aave-v3", protocolDeployments(config, "aave-v3", "pool", "poolConfigurator"), AAVE_RELEASES, "the Aave v3 release the Pool runs");

export const aaveV3Contracts = (config: ExposureConfig) => {
  const deployments = aaveV3Deployments(config);
  const configurators = contractChains(deployments.map((d) => ({ chain: d.chain, address: d.poolConfigurator, startBlock: d.startBlock })));
  // Each reserve's tokens are proxies the configurator creates: ReserveInitialized names them.
  const tokens = (parameter: "aToken" | "stableDebtToken" | "variableDebtToken") =>
    Object.fromEntries(
      Object.entries(configurators).map(([chain, c]) => [
        chain,
        { address: factory({ address: c.address, event: AaveV3ReserveInitializedEvent, parameter }), startBlock: c.startBlock },
      ]),
    );
  return {
    AaveV3Pool: {
      abi: AaveV3PoolAbi,
      chain: contractChains(deployments.map((d) => ({ chain: d.chain, address: d.pool, startBlock: d.startBlock }))),
    },
    AaveV3PoolConfigurator: { abi: AaveV3PoolConfiguratorAbi, chain: configurators },
    AaveV3AToken: { abi: AaveV3ATokenAbi, chain: tokens("aToken") },
    AaveV3VariableDebtToken: { abi: AaveV3VariableDebtTokenAbi, chain: tokens("variableDebtToken") },
    AaveV3StableDebtToken: { abi: AaveV3StableDebtTokenAbi, chain: tokens("stableDebtToken") },
  };
};
