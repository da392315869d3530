import type { Address } from "viem";
import { GTradeDiamondAbi } from "../../../abis/GTradeDiamond";
import { contractChains, protocolDeployments } from "../../config/contract-chains";
import { address, ConfigError, perConfig, type ExposureConfig } from "../../config/exposure-config";

export type GTradeDeployment = ReturnType<typeof protocolDeployments<"diamond">>[number] & {
  /**
   * Pair index → the configured asset (token address on the chain) whose price book mark prices the pair's
   * base. Pairs not listed are indexed but have no mark: their figures that need one are null.
   */
  pairs: Map<number, Address>;
};

/** `pairs`: { "<pair index>": "<asset address listed in assets on the same chain>" }. */
function pairAssets(config: ExposureConfig, chain: string, value: unknown, where: string): Map<number, Address> {
  if (value === undefined) return new Map();
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ConfigError(`config ${where}: expected an object of pair index → asset address`);
  const pairs = new Map<number, Address>();
  for (const [key, raw] of Object.entries(value)) {
    if (!/^(0|[1-9][0-9]{0,4})$/.test(key) || Number(key) > 65_535) throw new ConfigError(`config ${where}: key ${JSON.stringify(key)} is not a pair index (an integer 0..65535)`);
    const asset = address(raw, `${where}.${key}`);
    if (!config.assets.some((a) => a.chain === chain && a.address.toLowerCase() === asset.toLowerCase())) {
      throw new ConfigError(`config ${where}.${key}: ${asset} is not listed in assets for chain ${chain}`);
    }
    pairs.set(Number(key), asset);
  }
  return pairs;
}

/** `protocols.gtrade`: one { chain, diamond, startBlock, pairs? } per GNSMultiCollatDiamond (v10). */
export const gTradeDeployments = perConfig((config: ExposureConfig): GTradeDeployment[] => {
  const raw = (config.protocols.gtrade ?? []) as Record<string, unknown>[];
  return protocolDeployments(config, "gtrade", "diamond").map((d, i) => ({ ...d, pairs: pairAssets(config, d.chain, raw[i]?.pairs, `protocols.gtrade[${i}].pairs`) }));
});

/** The deployment of a diamond on a chain. */
export const gTradeDeployment = (config: ExposureConfig, chainId: number, diamond: string): GTradeDeployment | undefined =>
  gTradeDeployments(config).find((d) => config.chains[d.chain]?.id === chainId && d.diamond.toLowerCase() === diamond.toLowerCase());

export const gTradeContracts = (config: ExposureConfig) => ({
  GTradeDiamond: {
    abi: GTradeDiamondAbi,
    chain: contractChains(gTradeDeployments(config).map((d) => ({ chain: d.chain, address: d.diamond, startBlock: d.startBlock }))),
  },
});
