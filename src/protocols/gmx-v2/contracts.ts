import { GmxV2EventEmitterAbi } from "../../../abis/GmxV2EventEmitter";
import { contractChains, protocolDeployments } from "../../config/contract-chains";
import { perConfig, type ExposureConfig } from "../../config/exposure-config";

/**
 * `protocols["gmx-v2"]`: one { chain, eventEmitter, dataStore, reader, startBlock } per deployment.
 * Events come from the EventEmitter; market parameters from DataStore.getUint; market tokens from Reader.getMarket.
 */
export const gmxV2Deployments = (config: ExposureConfig) => protocolDeployments(config, "gmx-v2", "eventEmitter", "dataStore", "reader");

/** The deployment an EventEmitter belongs to, by chain id and emitter address. */
export const gmxV2DeploymentDirectory = perConfig((config: ExposureConfig) => {
  const byEmitter = new Map(
    gmxV2Deployments(config).map((d) => [`${config.chains[d.chain]!.id}:${d.eventEmitter.toLowerCase()}`, d]),
  );
  return (chainId: number, eventEmitter: string) => byEmitter.get(`${chainId}:${eventEmitter.toLowerCase()}`);
});

export const gmxV2Contracts = (config: ExposureConfig) => ({
  GmxV2EventEmitter: {
    abi: GmxV2EventEmitterAbi,
    chain: contractChains(gmxV2Deployments(config).map((d) => ({ chain: d.chain, address: d.eventEmitter, startBlock: d.startBlock }))),
  },
});
