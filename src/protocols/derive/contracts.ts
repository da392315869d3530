import { parseAbi, parseUnits, type Address } from "viem";
import { DeriveSubAccountsAbi } from "../../../abis/DeriveSubAccounts";
import { contractChains, protocolDeployments } from "../../config/contract-chains";
import { address, ConfigError, perConfig, type ExposureConfig } from "../../config/exposure-config";
import type { MarketMarginParams } from "./standard-margin";

export type DeriveAssetKind = "option" | "perp" | "cash" | "base";
/** An asset contract of a Derive deployment and the token it tracks (underlying, or the cash token); "base" is a WrappedERC20Asset. */
export type DeriveAsset = { address: Address; kind: DeriveAssetKind; token: Address };

export type DeriveDeployment = {
  chain: string;
  subAccounts: Address;
  startBlock: number;
  /** Implied volatility used when no vol feed is indexed (0.6 = 60%); the API marks it as assumed. Null: no volatility, options unpriced. */
  defaultVolatility: number | null;
  assets: DeriveAsset[];
  /** StandardManager parameters; null when the deployment's margin is not configured. */
  standardManager: StandardManagerSettings | null;
};

/** One market of a StandardManager: its underlying token and the manager's parameters, named as the contract names them. */
export type StandardMarketSettings = { underlying: Address } & MarketMarginParams;
export type StandardManagerSettings = {
  /** The manager BalanceAdjusted names for its accounts; accounts under another manager (PMRM) are not margined. Null: every account. */
  address: Address | null;
  markets: StandardMarketSettings[];
  depeg: { threshold: bigint; depegFactor: bigint } | null;
};

/** PerpAsset.positions(accountId): PositionDetail (src/interfaces/IPerpAsset.sol). */
export const DerivePerpPositionsAbi = parseAbi([
  "function positions(uint256 accountId) view returns (uint256 lastMarkPrice, int256 funding, int256 pnl, int256 lastAggregatedFunding, uint256 lastFundingPaid)",
]);

/** An 18-decimal parameter from a number or decimal string, within [lo, hi] (the setter's own bounds). */
function wad(value: unknown, where: string, lo: bigint, hi: bigint): bigint {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== "string" || !/^\d+(\.\d{1,18})?$/.test(text)) throw new ConfigError(`config ${where}: expected a decimal such as "0.15", got ${JSON.stringify(value)}`);
  const parsed = parseUnits(text, 18);
  if (parsed < lo || parsed > hi) throw new ConfigError(`config ${where}: ${text} is outside [${Number(lo) / 1e18}, ${Number(hi) / 1e18}] (the manager's setter rejects it)`);
  return parsed;
}

const E18 = 10n ** 18n;

/** StandardManager.setOptionMarginParams / setPerpMarginRequirements / setBaseAssetMarginFactor / setDepegParameters bounds. */
function parseStandardManager(raw: any, where: string): StandardManagerSettings | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || !Array.isArray(raw.markets)) throw new ConfigError(`config ${where}: expected { address?, markets: [...], depeg? }`);
  const markets = raw.markets.map((m: any, j: number): StandardMarketSettings => {
    const at = `${where}.markets[${j}]`;
    const o = m?.option ?? {};
    const f = (obj: any, key: string, lo: bigint, hi: bigint, base: string) => wad(obj?.[key], `${at}.${base}.${key}`, lo, hi);
    const perp = { mmPerpReq: f(m?.perp, "mmPerpReq", 1n, E18 - 1n, "perp"), imPerpReq: f(m?.perp, "imPerpReq", 1n, E18 - 1n, "perp") };
    if (perp.mmPerpReq > perp.imPerpReq) throw new ConfigError(`config ${at}.perp: mmPerpReq exceeds imPerpReq`);
    return {
      underlying: address(m?.underlying, `${at}.underlying`),
      option: {
        maxSpotReq: f(o, "maxSpotReq", 0n, (12n * E18) / 10n, "option"),
        minSpotReq: f(o, "minSpotReq", 0n, (12n * E18) / 10n, "option"),
        mmCallSpotReq: f(o, "mmCallSpotReq", 0n, E18, "option"),
        mmPutSpotReq: f(o, "mmPutSpotReq", 0n, E18, "option"),
        MMPutMtMReq: f(o, "MMPutMtMReq", 0n, E18, "option"),
        unpairedMMScale: f(o, "unpairedMMScale", E18, 3n * E18, "option"),
        unpairedIMScale: f(o, "unpairedIMScale", E18, 3n * E18, "option"),
        mmOffsetScale: f(o, "mmOffsetScale", E18, 3n * E18, "option"),
      },
      perp,
      base: { marginFactor: f(m?.base, "marginFactor", 0n, E18, "base"), IMScale: f(m?.base, "IMScale", 0n, E18, "base") },
    };
  });
  const depeg = raw.depeg
    ? { threshold: wad(raw.depeg.threshold, `${where}.depeg.threshold`, 0n, E18), depegFactor: wad(raw.depeg.depegFactor, `${where}.depeg.depegFactor`, 0n, 3n * E18) }
    : null;
  return { address: raw.address === undefined || raw.address === null ? null : address(raw.address, `${where}.address`), markets, depeg };
}

const DEFAULT_VOLATILITY = 0.6;

/**
 * `protocols.derive`: one { chain, subAccounts, startBlock, defaultVolatility?, options, perps, bases, cash,
 * standardManager? } per deployment; options/perps/bases are [{ address, underlying }], cash is [{ address, token }].
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
    const vol = entry.defaultVolatility === undefined ? DEFAULT_VOLATILITY : entry.defaultVolatility;
    if (vol !== null && (typeof vol !== "number" || !(vol > 0) || vol > 10)) {
      throw new ConfigError(`config ${where}.defaultVolatility: expected a volatility between 0 and 10 (0.6 = 60%), got ${JSON.stringify(vol)}`);
    }
    return {
      ...d,
      defaultVolatility: vol,
      assets: [
        ...list("options", "option", "underlying"),
        ...list("perps", "perp", "underlying"),
        ...list("bases", "base", "underlying"),
        ...list("cash", "cash", "token"),
      ],
      standardManager: parseStandardManager(entry.standardManager, `${where}.standardManager`),
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
