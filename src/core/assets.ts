import type { Address } from "viem";
import { perConfig, type AssetSettings, type ExposureConfig } from "../config/exposure-config";

const key = (chainId: number, address: string) => `${chainId}:${address.toLowerCase()}`;

/** Looks up configured assets by chain id and token address. */
export const assetDirectory = perConfig((config: ExposureConfig) => {
  // Per chain, by lowercase address: the hot lookups (once per position and field) build no key string.
  const byAddress = new Map<number, Map<string, AssetSettings>>();
  const byChain = new Map<number, AssetSettings[]>();
  for (const asset of config.assets) {
    const chainId = config.chains[asset.chain]!.id;
    if (!byAddress.has(chainId)) byAddress.set(chainId, new Map());
    byAddress.get(chainId)!.set(asset.address.toLowerCase(), asset);
    byChain.set(chainId, [...(byChain.get(chainId) ?? []), asset]);
  }
  const get = (chainId: number, address: Address): AssetSettings | undefined => {
    const onChain = byAddress.get(chainId);
    return onChain?.get(address) ?? onChain?.get(address.toLowerCase());
  };
  const symbol = (chainId: number, address: Address): string => get(chainId, address)?.symbol ?? key(chainId, address);
  return {
    /** The configured assets of one chain. */
    onChain: (chainId: number): AssetSettings[] => byChain.get(chainId) ?? [],
    get,
    /** The symbol net notional is grouped by; unknown tokens keep their chain-qualified address. */
    symbol,
    /**
     * Two tokens the config names as one asset (the same symbol: a synthetic index and its wrapped
     * token, say), so a price move of one is a move of the other; a token is always its own asset.
     */
    sameAsset: (chainId: number, a: Address, b: Address): boolean => symbol(chainId, a) === symbol(chainId, b),
  };
});
