import { parseAbi, parseUnits, type Address } from "viem";
import { DeriveSubAccountsAbi } from "../../../abis/DeriveSubAccounts";
import { DerivePerpAssetAbi } from "../../../abis/DerivePerpAsset";
import { LyraForwardFeedAbi } from "../../../abis/LyraForwardFeed";
import { LyraRateFeedAbi } from "../../../abis/LyraRateFeed";
import { LyraVolFeedAbi } from "../../../abis/LyraVolFeed";
import { contractChains, protocolDeployments } from "../../config/contract-chains";
import { address, ConfigError, perConfig, type ExposureConfig } from "../../config/exposure-config";
import { VOL_SHOCK_DIRECTIONS, type PmrmCollateralParams, type PmrmLibParams, type PmrmScenario, type VolShockDirection } from "./portfolio-margin";
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
  /** Portfolio managers (PMRM_2_1), one per underlying market. */
  portfolioManagers: PortfolioManagerSettings[];
  /** LyraVolFeeds (SVI curves per expiry), one per underlying; options of other underlyings use defaultVolatility. */
  volFeeds: LyraFeedSettings[];
  /** LyraForwardFeeds (forward and settlement per expiry), one per underlying; options of other underlyings use forward = spot. */
  forwardFeeds: ForwardFeedSettings[];
  /** LyraRateFeeds (interest rate per expiry, for portfolio margin), one per underlying; others: rate 0. */
  rateFeeds: LyraFeedSettings[];
};

/** A LyraForwardFeed: its heartbeat (BaseLyraFeed) and settlementHeartbeat (how old settlement data may be). */
export type ForwardFeedSettings = LyraFeedSettings & { settlementHeartbeatSeconds: bigint };

/** A Lyra feed and the token it prices; data older than heartbeatSeconds is stale (BaseLyraFeed._checkNotStale). */
export type LyraFeedSettings = { address: Address; underlying: Address; heartbeatSeconds: bigint };

/** One PMRM_2_1 (one underlying) with its default PMRMLib_2's parameters and its margin scenarios. */
export type PortfolioManagerSettings = {
  address: Address;
  underlying: Address;
  scenarios: PmrmScenario[];
  lib: PmrmLibParams;
  /** PMRMLib_2.collaterals, by asset address (lowercase). */
  collaterals: Map<string, PmrmCollateralParams>;
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
  if (typeof text !== "string" || !/^-?\d+(\.\d{1,18})?$/.test(text) || (lo >= 0n && text.startsWith("-"))) {
    throw new ConfigError(`config ${where}: expected a decimal such as "0.15", got ${JSON.stringify(value)}`);
  }
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

/** PMRM_2.setScenarios and PMRMLib_2's setters, with their bounds (dteFloor in seconds). */
function parsePortfolioManager(raw: any, where: string): PortfolioManagerSettings {
  if (typeof raw !== "object" || raw === null) throw new ConfigError(`config ${where}: expected { address, underlying, scenarios, basisContingency, otherContingency, margin, volShock, skewShock, collaterals }`);
  const group = (key: string, fields: Record<string, [bigint, bigint]>) =>
    Object.fromEntries(Object.entries(fields).map(([f, [lo, hi]]) => [f, wad(raw[key]?.[f], `${where}.${key}.${f}`, lo, hi)]));
  const U = E18;
  const scenarios = raw.scenarios;
  if (!Array.isArray(scenarios) || scenarios.length === 0 || scenarios.length > 40) throw new ConfigError(`config ${where}.scenarios: expected 1 to 40 scenarios (PMRM_2.setScenarios)`);
  const seen = new Set<VolShockDirection>();
  const parsedScenarios = scenarios.map((s: any, j: number): PmrmScenario => {
    const at = `${where}.scenarios[${j}]`;
    const volShock = s?.volShock as VolShockDirection;
    if (!VOL_SHOCK_DIRECTIONS.includes(volShock)) throw new ConfigError(`config ${at}.volShock: expected one of ${VOL_SHOCK_DIRECTIONS.join(", ")}`);
    const scenario = { spotShock: wad(s.spotShock, `${at}.spotShock`, 0n, 10n ** 30n), volShock, dampeningFactor: wad(s.dampeningFactor ?? "1", `${at}.dampeningFactor`, 0n, 10n ** 30n) };
    if (volShock === "linear" || volShock === "abs") {
      if (seen.has(volShock) || scenario.spotShock !== U) throw new ConfigError(`config ${at}: at most one ${volShock} scenario, with spotShock 1 (PMRM_2.setScenarios)`);
      seen.add(volShock);
    }
    return scenario;
  });
  const basis = group("basisContingency", { scenarioSpotUp: [U + 1n, 3n * U - 1n], scenarioSpotDown: [0n, U - 1n], basisContAddFactor: [0n, 20n * U], basisContMultFactor: [0n, 20n * U] });
  const other = group("otherContingency", {
    pegLossThreshold: [0n, 100n * U], pegLossFactor: [0n, 10n * U], confThreshold: [0n, U], confMargin: [0n, 20n * U],
    MMPerpPercent: [0n, 3n * U], IMPerpPercent: [0n, 3n * U], MMOptionPercent: [0n, 2n * U], IMOptionPercent: [0n, 2n * U],
  });
  const margin = group("margin", {
    imFactor: [U / 2n, 10n * U], mmFactor: [U / 10n, 10n * U], shortRateMultScale: [0n, 10n * U], longRateMultScale: [0n, 10n * U],
    shortRateAddScale: [0n, 10n * U], longRateAddScale: [0n, 10n * U], shortBaseStaticDiscount: [0n, 4n * U], longBaseStaticDiscount: [0n, 4n * U],
  });
  const dteFloorDays = raw.volShock?.dteFloorDays;
  if (typeof dteFloorDays !== "number" || !(dteFloorDays >= 0 && dteFloorDays <= 400)) throw new ConfigError(`config ${where}.volShock.dteFloorDays: expected days in [0, 400]`);
  const volShock = {
    ...group("volShock", { volRangeUp: [0n, 10n * U], volRangeDown: [0n, 10n * U], shortTermPower: [-(10n ** 30n), 10n * U], longTermPower: [-(10n ** 30n), 10n * U], minVolUpShock: [0n, 20n * U] }),
    dteFloor: BigInt(Math.round(dteFloorDays * 86_400)),
  };
  const skewShock = group("skewShock", {
    linearBaseCap: [0n, 10n * U], absBaseCap: [0n, 10n * U], linearCBase: [-10n * U, 10n * U], absCBase: [-10n * U, 10n * U],
    minKStar: [0n, 10n * U], widthScale: [0n, 10n * U], volParamStatic: [0n, 10n * U], volParamScale: [-20n * U, 20n * U],
  });
  const collaterals = new Map<string, PmrmCollateralParams>();
  for (const [j, c] of (Array.isArray(raw.collaterals) ? raw.collaterals : []).entries()) {
    const at = `${where}.collaterals[${j}]`;
    const params = { isRiskCancelling: c?.isRiskCancelling === true, MMHaircut: wad(c?.MMHaircut, `${at}.MMHaircut`, 0n, U), IMHaircut: wad(c?.IMHaircut, `${at}.IMHaircut`, 0n, U) };
    if (params.MMHaircut + params.IMHaircut > U) throw new ConfigError(`config ${at}: MMHaircut + IMHaircut exceeds 1 (PMRMLib_2.setCollateralParameters)`);
    collaterals.set(address(c?.asset, `${at}.asset`).toLowerCase(), params);
  }
  return {
    address: address(raw.address, `${where}.address`),
    underlying: address(raw.underlying, `${where}.underlying`),
    scenarios: parsedScenarios,
    lib: { basis, other, margin, volShock, skewShock } as PmrmLibParams,
    collaterals,
  };
}

const seconds = (value: unknown, where: string): number => {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) throw new ConfigError(`config ${where}: expected seconds (a positive integer)`);
  return value as number;
};

/** A Lyra feed: its address, the token it prices, and its heartbeat (older data is stale: BaseLyraFeed._checkNotStale). */
const parseFeed = (f: any, where: string): LyraFeedSettings => ({
  address: address(f?.address, `${where}.address`),
  underlying: address(f?.underlying, `${where}.underlying`),
  heartbeatSeconds: BigInt(seconds(f?.heartbeatSeconds, `${where}.heartbeatSeconds`)),
});

/** An optional list setting: absent is empty, anything but an array is an error. */
function listOf(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError(`config ${where}: expected an array`);
  return value;
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
      portfolioManagers: listOf(entry.portfolioManagers, `${where}.portfolioManagers`).map((pm: any, j: number) =>
        parsePortfolioManager(pm, `${where}.portfolioManagers[${j}]`),
      ),
      volFeeds: listOf(entry.volFeeds, `${where}.volFeeds`).map((f: any, j: number) => parseFeed(f, `${where}.volFeeds[${j}]`)),
      rateFeeds: listOf(entry.rateFeeds, `${where}.rateFeeds`).map((f: any, j: number) => parseFeed(f, `${where}.rateFeeds[${j}]`)),
      forwardFeeds: listOf(entry.forwardFeeds, `${where}.forwardFeeds`).map((f: any, j: number): ForwardFeedSettings => ({
        ...parseFeed(f, `${where}.forwardFeeds[${j}]`),
        // LyraForwardFeed.settlementHeartbeat's initial value: 5 minutes.
        settlementHeartbeatSeconds: BigInt(seconds(f?.settlementHeartbeatSeconds ?? 300, `${where}.forwardFeeds[${j}].settlementHeartbeatSeconds`)),
      })),
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

export const deriveContracts = (config: ExposureConfig) => {
  /** Ponder's chains for the contracts `pick` names in each deployment, followed from its start block. */
  const followed = (pick: (d: DeriveDeployment) => Address[]) =>
    contractChains(deriveDeployments(config).flatMap((d) => pick(d).map((address) => ({ chain: d.chain, address, startBlock: d.startBlock }))));
  const feeds = (list: LyraFeedSettings[]) => list.map((f) => f.address);
  return {
    DeriveSubAccounts: { abi: DeriveSubAccountsAbi, chain: followed((d) => [d.subAccounts]) },
    DeriveVolFeed: { abi: LyraVolFeedAbi, chain: followed((d) => feeds(d.volFeeds)) },
    // Each perp's funding index: funding accrued since an account's last application counts in its margin.
    DerivePerpAsset: { abi: DerivePerpAssetAbi, chain: followed((d) => d.assets.filter((a) => a.kind === "perp").map((a) => a.address)) },
    DeriveRateFeed: { abi: LyraRateFeedAbi, chain: followed((d) => feeds(d.rateFeeds)) },
    DeriveForwardFeed: { abi: LyraForwardFeedAbi, chain: followed((d) => feeds(d.forwardFeeds)) },
  };
};
