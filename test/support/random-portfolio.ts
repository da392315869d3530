// Random wallets of GMX v1 perps, Aave v3 accounts and Derive options, held in memory: positions as
// rows, protocol parameters as the lookups the adapters read them through (so no database is asked),
// and the marks. For comparing a stress answer with the straightforward one, and for timing it.
import type { Address } from "viem";
import { parseExposureConfig, type ExposureConfig } from "../../src/config/exposure-config";
import type { MarkPrice, PositionRow, PriceBook } from "../../src/core/adapter";
import type { Lookups } from "../../src/core/memo";
import type { BlockRef, ExposureDeps, LoadedWallet } from "../../src/exposure/service";
import { vaultPrice, type VaultPriceInputs } from "../../src/protocols/gmx-v1/price-feed";
import type { VaultReading } from "../../src/protocols/gmx-v1/vault-state";
import { derivePositionId, subaccountPositionPrefix } from "../../src/protocols/derive/normalise";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { createRng, type Rng } from "../chain/rng";

const CHAIN_ID = 31337;
const BLOCK: BlockRef = { chainId: CHAIN_ID, name: "anvil", number: 1_000n, timestamp: 1_700_000_000n };
const E30 = 10n ** 30n;
const RAY = 10n ** 27n;
const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;

const TOKENS = {
  WETH: { address: addr(0xe1), feed: addr(0xf1), decimals: 18, feedDecimals: 8, usd: 3_000 },
  WBTC: { address: addr(0xe2), feed: addr(0xf2), decimals: 8, feedDecimals: 8, usd: 60_000 },
  USDC: { address: addr(0xe3), feed: addr(0xf3), decimals: 6, feedDecimals: 8, usd: 1 },
  LINK: { address: addr(0xe4), feed: addr(0xf4), decimals: 18, feedDecimals: 8, usd: 15 },
} as const;
const VAULT = addr(0xa1);
const POOL = addr(0xa2);
const SUBACCOUNTS = addr(0xa3);
const MANAGER = addr(0xa4);
const OPTIONS = { ETH: addr(0xb1), BTC: addr(0xb2) };

function config(): ExposureConfig {
  const deployment = { chainId: CHAIN_ID, rpcUrl: "http://127.0.0.1:1", startBlock: 1, vault: VAULT, tokens: TOKENS } as any;
  const derive = {
    subAccounts: SUBACCOUNTS,
    manager: MANAGER,
    startBlock: 1,
    options: OPTIONS,
    perps: { ETH: addr(0xb3), BTC: addr(0xb4) },
    bases: { ETH: addr(0xb6), BTC: addr(0xb7) },
    underlying: { ETH: TOKENS.WETH.address, BTC: TOKENS.WBTC.address },
    cash: addr(0xb5),
    cashToken: TOKENS.USDC.address,
  } as any;
  return parseExposureConfig(fixtureExposureConfig(deployment, { aave: { pool: POOL, configurator: addr(0xc0), release: "3.0", startBlock: 1 }, derive: { deployment: derive, defaultVolatility: 0.6 } }));
}

/** Aave ReserveConfiguration bits: ltv, liquidation threshold and bonus (bps), decimals, active. */
const reserveConfiguration = (ltv: bigint, threshold: bigint, decimals: number) =>
  ltv | (threshold << 16n) | (10_500n << 32n) | (BigInt(decimals) << 48n) | (1n << 56n);

const row = (r: Partial<PositionRow> & Pick<PositionRow, "positionId" | "protocol" | "venue" | "account" | "market" | "collateralToken" | "isLong">): PositionRow => ({
  chainId: CHAIN_ID,
  positionKey: `0x${"0".repeat(64)}`,
  sizeUsd: null,
  sizeInTokens: null,
  collateralUsd: null,
  collateralAmount: null,
  entryPrice: null,
  realisedPnlUsd: null,
  protocolState: {},
  status: "open",
  openedBlock: 1n,
  openedAt: 1n,
  updatedBlock: 1n,
  updatedAt: 1n,
  ...r,
});

/** A move of up to +-`pct`% from `usd` (USD 1e30). */
const near = (rng: Rng, usd: number, pct: number) => (BigInt(usd) * E30 * BigInt(10_000 + rng.int(-pct * 100, pct * 100))) / 10_000n;

function gmxV1Rows(rng: Rng, account: Address, n: number): PositionRow[] {
  return Array.from({ length: n }, (_, k) => {
    const symbol = rng.pick(["WETH", "WBTC", "LINK"] as const);
    const isLong = rng.chance(0.5);
    const size = BigInt(rng.int(1_000, 200_000)) * E30;
    return row({
      positionId: `gmx-v1:${account}:${k}`,
      protocol: "gmx-v1",
      venue: VAULT,
      account,
      market: TOKENS[symbol].address,
      collateralToken: isLong ? TOKENS[symbol].address : TOKENS.USDC.address,
      isLong,
      sizeUsd: size,
      // Leverage 1.5x to 40x: some positions sit near liquidation, some far.
      collateralUsd: (size * 10n) / BigInt(rng.int(15, 400)),
      entryPrice: near(rng, TOKENS[symbol].usd, 20),
      protocolState: { entryFundingRate: String(rng.int(0, 500)), reserveAmount: "0" },
    });
  });
}

function aaveRows(rng: Rng, account: Address): PositionRow[] {
  const base = { protocol: "aave-v3", venue: POOL, account };
  const supply = rng.pick(["WETH", "WBTC"] as const);
  const borrow = rng.pick(["USDC", "WETH", "LINK"] as const);
  const supplied = (BigInt(rng.int(1, 50)) * 10n ** BigInt(TOKENS[supply].decimals)) / (supply === "WBTC" ? 10n : 1n);
  // Debt worth 20% to 85% of the deposit: health factors from safe to nearly liquidatable.
  const debtUsd = (supplied * BigInt(TOKENS[supply].usd) * BigInt(rng.int(20, 85))) / (100n * 10n ** BigInt(TOKENS[supply].decimals));
  const borrowed = (debtUsd * 10n ** BigInt(TOKENS[borrow].decimals)) / BigInt(TOKENS[borrow].usd) + 1n;
  return [
    row({ ...base, positionId: `aave:${account}:s`, market: TOKENS[supply].address, collateralToken: TOKENS[supply].address, isLong: true, protocolState: { scaledBalance: String(supplied), usingAsCollateral: "true" } }),
    row({ ...base, positionId: `aave:${account}:b`, market: TOKENS[borrow].address, collateralToken: TOKENS[borrow].address, isLong: false, protocolState: { scaledBalance: String(borrowed), usingAsCollateral: "false" } }),
  ];
}

/** An option in the wallet's own subaccount (`accountId`), under the configured StandardManager. */
function deriveRow(rng: Rng, account: Address, accountId: bigint): PositionRow {
  const underlying = rng.pick(["ETH", "BTC"] as const);
  const spot = underlying === "ETH" ? TOKENS.WETH.usd : TOKENS.WBTC.usd;
  const expiry = BLOCK.timestamp + BigInt(rng.int(1, 90) * 86_400);
  const strike = BigInt(Math.round(spot * (0.7 + 0.6 * rng.next()))) * 10n ** 8n; // 1e18 strike / 1e10
  const isCall = rng.chance(0.5);
  const subId = expiry | (strike << 32n) | ((isCall ? 1n : 0n) << 95n);
  return row({
    positionId: derivePositionId(CHAIN_ID, SUBACCOUNTS, accountId, `${OPTIONS[underlying]}:${subId}`),
    protocol: "derive",
    venue: SUBACCOUNTS,
    account,
    market: underlying === "ETH" ? TOKENS.WETH.address : TOKENS.WBTC.address,
    collateralToken: TOKENS.USDC.address,
    isLong: true,
    protocolState: {
      kind: "option",
      accountId: String(accountId),
      asset: OPTIONS[underlying],
      subId: String(subId),
      balance: String(BigInt(rng.int(-20, 20) || 1) * 10n ** 18n),
      manager: MANAGER,
    },
  });
}

/** What the adapters look up at the block, by their keys; anything else is a test error. */
function presetLookups(wallets: LoadedWallet[]): Lookups {
  const at = `${CHAIN_ID}:${BLOCK.number}`;
  // The Vault prices through a VaultPriceFeed with a spread on the volatile tokens (so a stressed mark
  // moves its min and max price), and the current VaultUtils rule.
  const priceInputs = (symbol: string, usd: number): VaultPriceInputs => ({
    primaryMin: BigInt(usd) * E30,
    primaryMax: BigInt(usd) * E30,
    sampleSpace: 1n,
    ammPrice: 0n,
    secondary: null,
    spreadBasisPoints: symbol === "USDC" ? 0n : 10n,
    strictStable: symbol === "USDC",
    maxStrictPriceDeviation: 0n,
    adjustmentBasisPoints: 0n,
    isAdjustmentAdditive: false,
  });
  const tokens = Object.fromEntries(
    Object.entries(TOKENS).map(([symbol, t]) => {
      const inputs = priceInputs(symbol, t.usd);
      const price = (maximise: boolean) => vaultPrice(inputs, maximise, BLOCK.timestamp);
      return [t.address.toLowerCase(), { minPrice: price(false), maxPrice: price(true), minProfitBasisPoints: 0n, inputs }];
    }),
  );
  const params = {
    maxLeverage: 500_000n,
    liquidationFeeUsd: 5n * E30,
    marginFeeBasisPoints: 10n,
    addsProfitOnLiquidation: true,
    minProfitTime: 0n,
    vaultUtils: addr(0xa5),
    priceFeed: addr(0xa6),
    secondaryPriceFeed: addr(0),
    tokens,
    blockNumber: 1n,
  } satisfies VaultReading & { blockNumber: bigint };
  const known = new Map<string, unknown>([[`gmx-v1:${at}:${VAULT.toLowerCase()}:params`, params]]);
  for (const [symbol, t] of Object.entries(TOKENS)) {
    known.set(`gmx-v1:${at}:${VAULT.toLowerCase()}:rate:${t.address.toLowerCase()}`, BigInt(600 + symbol.length));
    known.set(`aave-v3:${at}:${POOL.toLowerCase()}:reserve:${t.address.toLowerCase()}`, {
      liquidityIndex: RAY + RAY / 50n,
      variableBorrowIndex: RAY + RAY / 20n,
      liquidityRate: RAY / 40n,
      variableBorrowRate: RAY / 25n,
      lastUpdateTimestamp: BLOCK.timestamp - 3_600n,
      configuration: reserveConfiguration(symbol === "USDC" ? 7_700n : 8_000n, symbol === "USDC" ? 8_000n : 8_250n, t.decimals),
    });
  }
  // Derive margins a whole subaccount: its holdings at the block (here, the wallet's one option).
  for (const r of wallets.flatMap((w) => w.rows).filter((x) => x.protocol === "derive")) {
    known.set(`derive:holdings:${BLOCK.number}:${subaccountPositionPrefix(CHAIN_ID, SUBACCOUNTS, BigInt(r.protocolState.accountId!))}`, [r]);
  }
  return <T>(key: string, _load: () => Promise<T>) => {
    if (key.startsWith(`aave-v3:${at}:${POOL.toLowerCase()}:user-emode:`)) return Promise.resolve(undefined as T);
    if (!known.has(key)) return Promise.reject(new Error(`unexpected lookup ${key}`));
    return Promise.resolve(known.get(key) as T);
  };
}

const marks: PriceBook = (chainId, asset) => {
  if (chainId !== CHAIN_ID) return undefined;
  const t = Object.values(TOKENS).find((x) => x.address.toLowerCase() === asset.toLowerCase());
  return t && ({ price: BigInt(t.usd) * E30, updatedAt: BLOCK.timestamp, feed: t.feed, stale: false } satisfies MarkPrice);
};

export type RandomPortfolio = { deps: ExposureDeps; wallets: LoadedWallet[]; blocks: BlockRef[]; lookups: Lookups };

/**
 * `walletCount` wallets, each with 1..`maxPerps` GMX v1 positions, and by chance an Aave account
 * (a deposit and a debt) and a Derive option.
 */
export function randomPortfolio(seed: number, walletCount: number, maxPerps = 12): RandomPortfolio {
  const rng = createRng(seed);
  // No database: the stress path reads nothing from it once the lookups are preset.
  const deps: ExposureDeps = { db: null as never, schema: {} as never, config: config(), publicClients: {} };
  const wallets = Array.from({ length: walletCount }, (_, i): LoadedWallet => {
    const address = addr(0x10000 + i);
    const rows = [...gmxV1Rows(rng, address, rng.int(1, maxPerps)), ...(rng.chance(0.4) ? aaveRows(rng, address) : []), ...(rng.chance(0.3) ? [deriveRow(rng, address, BigInt(i + 1))] : [])];
    return { address, rows, prices: marks };
  });
  return { deps, wallets, blocks: [BLOCK], lookups: presetLookups(wallets) };
}
