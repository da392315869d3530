import type { Address } from "viem";
import { perConfig, type AssetSettings, type ExposureConfig } from "../config/exposure-config";

const key = (chainId: number, address: string) => `${chainId}:${address.toLowerCase()}`;

/** Looks up configured assets by chain id and token address. */
export const assetDirectory = perConfig((config: ExposureConfig) => {
  const byKey = new Map<string, AssetSettings>();
  for (const asset of config.assets) byKey.set(key(config.chains[asset.chain]!.id, asset.address), asset);
  return {
    get: (chainId: number, address: Address): AssetSettings | undefined => byKey.get(key(chainId, address)),
    /** The symbol net notional is grouped by; unknown tokens keep their chain-qualified address. */
    symbol: (chainId: number, address: Address): string => byKey.get(key(chainId, address))?.symbol ?? key(chainId, address),
  };
});
