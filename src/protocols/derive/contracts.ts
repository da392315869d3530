import type { Address } from "viem";
import { DeriveSubAccountsAbi } from "../../../abis/DeriveSubAccounts";
import { contractChains, protocolDeployments } from "../../config/contract-chains";
import { address, ConfigError, perConfig, type ExposureConfig } from "../../config/exposure-config";

export type DeriveAssetKind = "option" | "perp" | "cash";
/** An asset contract of a Derive deployment and the token it tracks (underlying, or the cash token). */
export type DeriveAsset = { address: Address; kind: DeriveAssetKind; token: Address };

export type DeriveDeployment = {
  chain: string;
  subAccounts: Address;
  startBlock: number;
  /** Implied volatility used when no vol feed is indexed (0.6 = 60%); the API marks it as assumed. */
  defaultVolatility: number;
  assets: DeriveAsset[];
};

const DEFAULT_VOLATILITY = 0.6;

/**
 * `protocols.derive`: one { chain, subAccounts, startBlock, defaultVolatility?, options, perps, cash } per
 * deployment; options/perps are [{ address, underlying }], cash is [{ address, token }].
 */
export const deriveDeployments = perConfig((config: ExposureConfig): DeriveDeployment[] => {
  const raw = (config.protocols.derive ?? []) as any[];
  return protocolDeployments(config, "derive", "subAccounts").map((d, i) => {
    const where = `protocols.derive[${i}]`;
    const entry = raw[i] ?? {};
    const list = (key: string, kind: DeriveAssetKind, tokenKey: "underlying" | "token"): DeriveAsset[] => {
      const items = entry[key] ?? [];
      if (!Array.isArray(items)) throw new ConfigError(`config ${where}.${key}: expected an array of { address, ${tokenKey} }`);
      return items.map((item: any, j: number) => ({
        kind,
        address: address(item?.address, `${where}.${key}[${j}].address`),
        token: address(item?.[tokenKey], `${where}.${key}[${j}].${tokenKey}`),
      }));
    };
    const vol = entry.defaultVolatility ?? DEFAULT_VOLATILITY;
    if (typeof vol !== "number" || !(vol > 0) || vol > 10) {
      throw new ConfigError(`config ${where}.defaultVolatility: expected a volatility between 0 and 10 (0.6 = 60%), got ${JSON.stringify(vol)}`);
    }
    return {
      ...d,
      defaultVolatility: vol,
      assets: [...list("options", "option", "underlying"), ...list("perps", "perp", "underlying"), ...list("cash", "cash", "token")],
    };
  });
});

/** The configured asset contract behind a balance, by chain id, SubAccounts and asset address. */
export const deriveAssetDirectory = perConfig((config: ExposureConfig) => {
  const byKey = new Map<string, { deployment: DeriveDeployment; asset: DeriveAsset }>();
  for (const deployment of deriveDeployments(config)) {
    const chainId = config.chains[deployment.chain]!.id;
    for (const asset of deployment.assets) {
      byKey.set(`${chainId}:${deployment.subAccounts.toLowerCase()}:${asset.address.toLowerCase()}`, { deployment, asset });
    }
  }
  return (chainId: number, subAccounts: string, asset: string) => byKey.get(`${chainId}:${subAccounts.toLowerCase()}:${asset.toLowerCase()}`);
});

export const deriveContracts = (config: ExposureConfig) => ({
  DeriveSubAccounts: {
    abi: DeriveSubAccountsAbi,
    chain: contractChains(deriveDeployments(config).map((d) => ({ chain: d.chain, address: d.subAccounts, startBlock: d.startBlock }))),
  },
});
