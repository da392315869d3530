import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Deployment, TokenSymbol } from "./deploy";
import { DERIVE_MARGIN_PARAMS, type DeriveDeployment } from "./derive-deploy";

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
    gmxV2?: { address: string; startBlock: number; release?: string };
    /** Tokens whose mark comes from the GMX v2 fixture's OraclePriceUpdate instead of their Chainlink feed. */
    gmxV2Marks?: TokenSymbol[];
    derive?: { deployment: DeriveDeployment; defaultVolatility: number };
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
              },
            ],
          }
        : {}),
      ...(opts.derive ? { derive: [deriveSection(opts.derive.deployment, opts.derive.defaultVolatility)] } : {}),
      ...(opts.morpho ? { "morpho-blue": [{ chain: "anvil", morpho: opts.morpho.address, startBlock: opts.morpho.startBlock }] } : {}),
      ...(opts.gtrade ? { gtrade: [{ chain: "anvil", ...opts.gtrade }] } : {}),
    },
    portfolios: Object.fromEntries(Object.entries(opts.portfolios ?? {}).map(([name, wallets]) => [name, { wallets }])),
  };
}

/** protocols.derive for the fixture: SubAccounts, the option, perp and base assets per underlying, USDC cash, the manager's parameters. */
const deriveSection = (x: DeriveDeployment, defaultVolatility: number) => ({
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
});

export function writeExposureConfig(path: string, config: object) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}
