import { parseUnits, type Abi, type Address, type TransactionReceipt } from "viem";
import { anvilAccount, chainClients, deploy, send } from "./clients.js";
import { pickArtifacts } from "./compile.js";

export type TokenSymbol = "WETH" | "WBTC" | "USDC" | "LINK";
export type FeedKind = "chainlink" | "ocr";

export type TokenInfo = {
  address: Address;
  decimals: number;
  feed: Address;
  feedDecimals: number;
  feedKind: FeedKind;
};

export type Deployment = {
  chainId: number;
  rpcUrl: string;
  /** Block of the vault deployment: everything else in the fixture comes after it. */
  startBlock: number;
  deployer: Address;
  vault: Address;
  /** The Vault's VaultPriceFeed, its FastPriceFeed (not the secondary feed until a test sets it) and VaultUtils. */
  vaultPriceFeed: Address;
  fastPriceFeed: Address;
  vaultUtils: Address;
  /** Multicall3-compatible reader the indexer reads the Vault's parameters through. */
  multicall: Address;
  tokens: Record<TokenSymbol, TokenInfo>;
};

export type FixtureAbis = { token: Abi; aggregator: Abi; ocrAggregator: Abi; vault: Abi; vaultPriceFeed: Abi; fastPriceFeed: Abi; vaultUtils: Abi };

const CONTRACT_NAMES = [
  "MockToken",
  "MockAggregator",
  "MockOcrAggregator",
  "FixtureGmxV1Vault",
  "FixtureGmxV1VaultPriceFeed",
  "FixtureGmxV1FastPriceFeed",
  "FixtureGmxV1VaultUtils",
  "FixtureMulticall",
] as const;
const fixtureArtifacts = () => pickArtifacts(CONTRACT_NAMES);

export async function fixtureAbis(): Promise<FixtureAbis> {
  const a = await fixtureArtifacts();
  return {
    token: a.MockToken.abi,
    aggregator: a.MockAggregator.abi,
    ocrAggregator: a.MockOcrAggregator.abi,
    vault: a.FixtureGmxV1Vault.abi,
    vaultPriceFeed: a.FixtureGmxV1VaultPriceFeed.abi,
    fastPriceFeed: a.FixtureGmxV1FastPriceFeed.abi,
    vaultUtils: a.FixtureGmxV1VaultUtils.abi,
  };
}

export const FEED_DECIMALS = 8;
/** Vault settings used by the fixture (GMX v1 mainnet-like). */
export const VAULT_SETTINGS = {
  marginFeeBasisPoints: 10n,
  liquidationFeeUsd: 5n * 10n ** 30n,
  maxLeverage: 1_000_000n, // 100x in GMX's bps scale
} as const;

const TOKEN_SPECS: Record<TokenSymbol, { name: string; decimals: number; price: string; feedKind: FeedKind; pool: string }> = {
  WETH: { name: "Wrapped Ether", decimals: 18, price: "3000", feedKind: "chainlink", pool: "20000" },
  WBTC: { name: "Wrapped BTC", decimals: 8, price: "60000", feedKind: "chainlink", pool: "1000" },
  USDC: { name: "USD Coin", decimals: 6, price: "1", feedKind: "chainlink", pool: "100000000" },
  LINK: { name: "ChainLink Token", decimals: 18, price: "15", feedKind: "ocr", pool: "1000000" },
};

export const TOKEN_SYMBOLS = Object.keys(TOKEN_SPECS) as TokenSymbol[];

/**
 * Deploys vault, tokens and feeds from anvil account 0 and funds the pool. The VaultPriceFeed starts
 * with no spread, one sampled round and no secondary price (the Vault's price is the feed's answer);
 * `addsProfitOnLiquidation` deploys the current VaultUtils rule instead of the earlier one.
 */
export async function deployFixtures(rpcUrl: string, opts: { addsProfitOnLiquidation?: boolean } = {}): Promise<Deployment> {
  const artifacts = await fixtureArtifacts();
  const deployer = anvilAccount(0);
  const chainId = await chainClients(rpcUrl).publicClient.getChainId();

  // the reader before the vault, so the indexer can read from the start block on
  const multicall = await deploy(rpcUrl, deployer, artifacts.FixtureMulticall, []);
  // vault next so startBlock also covers the feeds' initial answers and token mints
  const vault = await deploy(rpcUrl, deployer, artifacts.FixtureGmxV1Vault, []);
  const vaultAbi = artifacts.FixtureGmxV1Vault.abi;
  const tokenAbi = artifacts.MockToken.abi;
  const vaultPriceFeed = await deploy(rpcUrl, deployer, artifacts.FixtureGmxV1VaultPriceFeed, []);
  const priceFeedAbi = artifacts.FixtureGmxV1VaultPriceFeed.abi;
  const fastPriceFeed = await deploy(rpcUrl, deployer, artifacts.FixtureGmxV1FastPriceFeed, []);
  const vaultUtils = await deploy(rpcUrl, deployer, artifacts.FixtureGmxV1VaultUtils, [vault.address, opts.addsProfitOnLiquidation ?? false]);
  const gov = (address: Address, abi: Abi, functionName: string, args: unknown[]) => send(rpcUrl, deployer, { address, abi, functionName, args });
  await gov(vault.address, vaultAbi, "setPriceFeed", [vaultPriceFeed.address]);
  await gov(vault.address, vaultAbi, "setVaultUtils", [vaultUtils.address]);
  await gov(vaultPriceFeed.address, priceFeedAbi, "setPriceSampleSpace", [1n]);
  await gov(vaultPriceFeed.address, priceFeedAbi, "setIsSecondaryPriceEnabled", [false]);

  const tokens = {} as Record<TokenSymbol, TokenInfo>;
  for (const symbol of TOKEN_SYMBOLS) {
    const spec = TOKEN_SPECS[symbol];
    const token = await deploy(rpcUrl, deployer, artifacts.MockToken, [spec.name, symbol, spec.decimals]);
    const answer = parseUnits(spec.price, FEED_DECIMALS);
    const feed =
      spec.feedKind === "ocr"
        ? await deploy(rpcUrl, deployer, artifacts.MockOcrAggregator, [FEED_DECIMALS, answer])
        : await deploy(rpcUrl, deployer, artifacts.MockAggregator, [FEED_DECIMALS, answer]);
    tokens[symbol] = {
      address: token.address,
      decimals: spec.decimals,
      feed: feed.address,
      feedDecimals: FEED_DECIMALS,
      feedKind: spec.feedKind,
    };
  }

  const { marginFeeBasisPoints, liquidationFeeUsd, maxLeverage } = VAULT_SETTINGS;
  await send(rpcUrl, deployer, {
    address: vault.address,
    abi: vaultAbi,
    functionName: "setFees",
    args: [marginFeeBasisPoints, liquidationFeeUsd, maxLeverage],
  });

  for (const symbol of TOKEN_SYMBOLS) {
    const t = tokens[symbol];
    await gov(vaultPriceFeed.address, priceFeedAbi, "setTokenConfig", [t.address, t.feed, BigInt(t.feedDecimals), false]);
    await gov(vault.address, vaultAbi, "setTokenConfig", [t.address]);
    // pool liquidity pays profits and liquidation fees
    const amount = parseUnits(TOKEN_SPECS[symbol].pool, t.decimals);
    await send(rpcUrl, deployer, { address: t.address, abi: tokenAbi, functionName: "mint", args: [vault.address, amount] });
    await send(rpcUrl, deployer, { address: vault.address, abi: vaultAbi, functionName: "directPoolDeposit", args: [t.address] });
  }

  return {
    chainId,
    rpcUrl,
    startBlock: Number(vault.blockNumber),
    deployer: deployer.address,
    vault: vault.address,
    vaultPriceFeed: vaultPriceFeed.address,
    fastPriceFeed: fastPriceFeed.address,
    vaultUtils: vaultUtils.address,
    multicall: multicall.address,
    tokens,
  };
}

/** Pushes a new feed answer (feed decimals, e.g. 3100_00000000n) via setAnswer or OCR transmit. */
export async function setPrice(d: Deployment, symbol: TokenSymbol, answer: bigint): Promise<TransactionReceipt> {
  const abis = await fixtureAbis();
  const token = d.tokens[symbol];
  const ocr = token.feedKind === "ocr";
  return send(d.rpcUrl, anvilAccount(0), {
    address: token.feed,
    abi: ocr ? abis.ocrAggregator : abis.aggregator,
    functionName: ocr ? "transmit" : "setAnswer",
    args: [answer],
  });
}
