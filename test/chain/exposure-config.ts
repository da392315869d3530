import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Deployment, TokenSymbol } from "./deploy";
import { DERIVE_MARGIN_PARAMS, DERIVE_PMRM_PARAMS, type DeriveDeployment, type DeriveMarket } from "./derive-deploy";

/** Asset symbols the API groups exposure by (wrapped tokens count as their underlying). */
export const ASSET_SYMBOL: Record<TokenSymbol, string> = { WETH: "ETH", WBTC: "BTC", USDC: "USDC", LINK: "LINK" };

/** The exposure config (see README, "Configuration") for the fixture deployments on anvil. */
export function fixtureExposureConfig(
  d: Deployment,
  opts: {
    heartbeatSeconds?: number;
    /** Extra settings of the GMX v1 deployment (liquidationRule, vaultUtilsRules, paramsRefreshBlocks). */
    gmxV1?: Record<string, unknown>;
    aave?: { pool: string; configurator: string; release: string; startBlock: number };
    /** The GMX v2 fixture is EventEmitter, DataStore and Reader at one address. */
    gmxV2?: { address: string; startBlock: number; release?: string; referralStorage?: string };
    /** Tokens whose mark comes from the GMX v2 fixture's OraclePriceUpdate instead of their Chainlink feed. */
    gmxV2Marks?: TokenSymbol[];
    /** portfolioManager: a FixtureDerivePortfolioManager with DERIVE_PMRM_PARAMS, for one market. */
    derive?: {
      deployment: DeriveDeployment;
      defaultVolatility: number;
      portfolioManager?: { address: string; market: DeriveMarket };
      volFeed?: { address: string; market: DeriveMarket; heartbeatSeconds: number };
      forwardFeed?: { address: string; market: DeriveMarket; heartbeatSeconds: number };
    };
    morpho?: { address: string; startBlock: number };
    /** FixtureGTrade: its address, start block and pair index → asset address. */
    gtrade?: { diamond: string; startBlock: number; pairs: Record<string, string> };
    portfolios?: Record<string, string[]>;
  } = {},
) {
  const tokens = Object.entries(d.tokens) as [TokenSymbol, Deployment["tokens"][TokenSymbol]][];
  return {
    chains: { anvil: { id: d.chainId, rpc: d.rpcUrl, pollingInterval: 100 } },
    assets: tokens.map(([symbol, t]) => ({ chain: "anvil", address: t.address, symbol: ASSET_SYMBOL[symbol], decimals: t.decimals })),
    priceFeeds: tokens.map(([symbol, t]) =>
      opts.gmxV2 && opts.gmxV2Marks?.includes(symbol)
        ? { chain: "anvil", asset: t.address, source: "gmx-v2", address: opts.gmxV2.address, heartbeatSeconds: opts.heartbeatSeconds ?? 86_400 }
        : {
            chain: "anvil",
            asset: t.address,
            address: t.feed,
            decimals: t.feedDecimals,
            heartbeatSeconds: opts.heartbeatSeconds ?? 86_400,
            startBlock: d.startBlock,
          },
    ),
    protocols: {
      "gmx-v1": [{ chain: "anvil", vault: d.vault, startBlock: d.startBlock, multicall: d.multicall, ...opts.gmxV1 }],
      ...(opts.aave
        ? {
            "aave-v3": [
              { chain: "anvil", pool: opts.aave.pool, poolConfigurator: opts.aave.configurator, release: opts.aave.release, startBlock: opts.aave.startBlock },
            ],
          }
        : {}),
      ...(opts.gmxV2
        ? {
            "gmx-v2": [
              {
                chain: "anvil",
                eventEmitter: opts.gmxV2.address,
                dataStore: opts.gmxV2.address,
                reader: opts.gmxV2.address,
                multicall: d.multicall,
                // The fixture keys the impact exponent per side, as gmx-synthetics does since 2025-11.
                release: opts.gmxV2.release ?? "2025-11",
                startBlock: opts.gmxV2.startBlock,
                ...(opts.gmxV2.referralStorage ? { referralStorage: opts.gmxV2.referralStorage } : {}),
              },
            ],
          }
        : {}),
      ...(opts.derive ? { derive: [deriveSection(opts.derive)] } : {}),
      ...(opts.morpho ? { "morpho-blue": [{ chain: "anvil", morpho: opts.morpho.address, startBlock: opts.morpho.startBlock }] } : {}),
      ...(opts.gtrade ? { gtrade: [{ chain: "anvil", ...opts.gtrade }] } : {}),
    },
    portfolios: Object.fromEntries(Object.entries(opts.portfolios ?? {}).map(([name, wallets]) => [name, { wallets }])),
  };
}

/** protocols.derive for the fixture: SubAccounts, the option, perp and base assets per underlying, USDC cash, the manager's parameters. */
const deriveSection = ({ deployment: x, defaultVolatility, portfolioManager: pm, volFeed, forwardFeed }: NonNullable<Parameters<typeof fixtureExposureConfig>[1]>["derive"] & {}) => ({
  chain: "anvil",
  subAccounts: x.subAccounts,
  startBlock: x.startBlock,
  defaultVolatility,
  options: (["ETH", "BTC"] as const).map((m) => ({ address: x.options[m], underlying: x.underlying[m] })),
  perps: (["ETH", "BTC"] as const).map((m) => ({ address: x.perps[m], underlying: x.underlying[m] })),
  bases: (["ETH", "BTC"] as const).map((m) => ({ address: x.bases[m], underlying: x.underlying[m] })),
  cash: [{ address: x.cash, token: x.cashToken }],
  standardManager: {
    address: x.manager,
    markets: (["ETH", "BTC"] as const).map((m) => ({ underlying: x.underlying[m], ...DERIVE_MARGIN_PARAMS })),
  },
  portfolioManagers: pm ? [portfolioManagerSection(x, pm)] : [],
  volFeeds: volFeed ? [{ address: volFeed.address, underlying: x.underlying[volFeed.market], heartbeatSeconds: volFeed.heartbeatSeconds }] : [],
  forwardFeeds: forwardFeed ? [{ address: forwardFeed.address, underlying: x.underlying[forwardFeed.market], heartbeatSeconds: forwardFeed.heartbeatSeconds }] : [],
});

/** protocols.derive[].portfolioManagers for the fixture manager: DERIVE_PMRM_PARAMS by the config's names. */
const portfolioManagerSection = (x: DeriveDeployment, pm: { address: string; market: DeriveMarket }) => {
  const { scenarios, basis, other, margin, baseCollateral } = DERIVE_PMRM_PARAMS;
  return {
    address: pm.address,
    underlying: x.underlying[pm.market],
    scenarios: scenarios.map((s) => ({ ...s, volShock: s.volShock.toLowerCase() })),
    basisContingency: basis,
    otherContingency: other,
    margin,
    // The fixture values expired options only, where vol and skew shocks change no mark; any valid values do.
    volShock: { volRangeUp: "0.45", volRangeDown: "0.3", shortTermPower: "0.3", longTermPower: "0.13", dteFloorDays: 1, minVolUpShock: "0.5" },
    skewShock: { linearBaseCap: "0.15", absBaseCap: "0.2", linearCBase: "0.1", absCBase: "0.1", minKStar: "0.05", widthScale: "2", volParamStatic: "1", volParamScale: "-0.5" },
    collaterals: [{ asset: x.bases[pm.market], ...baseCollateral }],
  };
};

export function writeExposureConfig(path: string, config: object) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}
