import type { Address } from "viem";
import { GmxV1VaultAbi } from "../../../abis/GmxV1Vault";
import { contractChains } from "../../config/contract-chains";
import { address, chainName, nonNegativeInt, type ExposureConfig } from "../../config/exposure-config";

export type GmxV1Deployment = { chain: string; vault: Address; startBlock: number };

/** `protocols["gmx-v1"]`: a list of { chain, vault, startBlock }, one per Vault (GMX itself or a fork). */
export function gmxV1Deployments(config: ExposureConfig): GmxV1Deployment[] {
  const section = config.protocols["gmx-v1"];
  if (section === undefined) return [];
  if (!Array.isArray(section)) throw new Error("config protocols.gmx-v1: expected an array of { chain, vault, startBlock }");
  return section.map((entry: any, i) => ({
    chain: chainName(entry?.chain, config.chains, `protocols.gmx-v1[${i}].chain`),
    vault: address(entry?.vault, `protocols.gmx-v1[${i}].vault`),
    startBlock: nonNegativeInt(entry?.startBlock ?? 0, `protocols.gmx-v1[${i}].startBlock`),
  }));
}

export const gmxV1Contracts = (config: ExposureConfig) => ({
  GmxV1Vault: {
    abi: GmxV1VaultAbi,
    chain: contractChains(gmxV1Deployments(config).map((d) => ({ chain: d.chain, address: d.vault, startBlock: d.startBlock }))),
  },
});
