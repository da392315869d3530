import { MorphoBlueAbi } from "../../../abis/MorphoBlue";
import { blockChains, contractChains, protocolDeployments } from "../../config/contract-chains";
import { nonNegativeInt, perConfig, type ExposureConfig } from "../../config/exposure-config";

export type MorphoBlueDeployment = ReturnType<typeof protocolDeployments<"morpho">>[number] & {
  /** Blocks between reads of each market's oracle price and borrow rate (1: every block). */
  sampleBlocks: number;
};

/** `protocols["morpho-blue"]`: one { chain, morpho, startBlock, sampleBlocks? } per Morpho Blue deployment. */
export const morphoBlueDeployments = perConfig((config: ExposureConfig): MorphoBlueDeployment[] => {
  const raw = (config.protocols["morpho-blue"] ?? []) as Record<string, unknown>[];
  return protocolDeployments(config, "morpho-blue", "morpho").map((d, i) => {
    const sampleBlocks = nonNegativeInt(raw[i]?.sampleBlocks ?? 1, `protocols.morpho-blue[${i}].sampleBlocks`);
    if (sampleBlocks === 0) throw new Error(`config protocols.morpho-blue[${i}].sampleBlocks: expected at least 1 (oracle prices have no events)`);
    return { ...d, sampleBlocks };
  });
});

export const morphoBlueContracts = (config: ExposureConfig) => ({
  MorphoBlue: {
    abi: MorphoBlueAbi,
    chain: contractChains(morphoBlueDeployments(config).map((d) => ({ chain: d.chain, address: d.morpho, startBlock: d.startBlock }))),
  },
});

/** The block source that samples oracle prices and borrow rates (per chain, the smallest sampleBlocks). */
export const morphoBlueBlocks = (config: ExposureConfig) => ({
  MorphoBlueSample: {
    chain: blockChains(morphoBlueDeployments(config).map((d) => ({ chain: d.chain, startBlock: d.startBlock, interval: d.sampleBlocks }))),
  },
});
