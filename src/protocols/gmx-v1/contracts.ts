import { GmxV1VaultAbi } from "../../../abis/GmxV1Vault";
import { contractChains, protocolDeployments } from "../../config/contract-chains";
import type { ExposureConfig } from "../../config/exposure-config";

/** `protocols["gmx-v1"]`: one { chain, vault, startBlock } per Vault (GMX itself or a fork). */
export const gmxV1Deployments = (config: ExposureConfig) => protocolDeployments(config, "gmx-v1", "vault");

export const gmxV1Contracts = (config: ExposureConfig) => ({
  GmxV1Vault: {
    abi: GmxV1VaultAbi,
    chain: contractChains(gmxV1Deployments(config).map((d) => ({ chain: d.chain, address: d.vault, startBlock: d.startBlock }))),
  },
});
