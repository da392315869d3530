import type { Address } from "viem";
import { perConfig, type AssetSettings, type ExposureConfig } from "../config/exposure-config";

const key = (chainId: number, address: string) => `${chainId}:${address.toLowerCase()}`;

/** Looks up configured assets by chain id and token address. */
export const assetDirectory = perConfig((config: ExposureConfig) => {
  const byKey = new Map<string, AssetSettings>();
  const byChain = new Map<number, AssetSettings[]>();
  for (const asset of config.assets) {
    const chainId = config.chains[asset.chain]!.id;
    byKey.set(key(chainId, asset.address), asset);
    byChain.set(chainId, [...(byChain.get(chainId) ?? []), asset]);
  }
  return {
    /** The configured assets of one chain. */
    onChain: (chainId: number): AssetSettings[] => byChain.get(chainId) ?? [],
    get: (chainId: number, address: Address): AssetSettings | undefined => byKey.get(key(chainId, address)),
    /** The symbol net notional is grouped by; unknown tokens keep their chain-qualified address. */
    symbol: (chainId: number, address: Address): string => byKey.get(key(chainId, address))?.symbol ?? key(chainId, address),
  };
});
