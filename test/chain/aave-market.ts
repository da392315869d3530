// A real Aave v3.0 market on anvil, deployed from the compiled artifacts of @aave/core-v3 (1.19.3):
// nothing of Aave's is copied into this tree; the JSON artifacts are read from node_modules and the
// Pool's external logic libraries are linked into its bytecode here.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { maxUint256, parseUnits, zeroAddress, type Abi, type Address, type Hex } from "viem";
import { anvilAccount, deploy, read, send } from "./clients.js";
import { fixtureAbis, type Deployment } from "./deploy.js";
import { AAVE_LP_ACCOUNT_INDEX, AAVE_SYMBOLS, fundGas, RAY, type AaveSymbol } from "./aave-deploy.js";

export type AaveArtifact = {
  contractName: string;
  abi: Abi;
  bytecode: Hex;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
};

const ARTIFACTS = join(dirname(createRequire(import.meta.url).resolve("@aave/core-v3/package.json")), "artifacts/contracts");

const PATHS = {
  PoolAddressesProvider: "protocol/configuration/PoolAddressesProvider.sol",
  ACLManager: "protocol/configuration/ACLManager.sol",
  Pool: "protocol/pool/Pool.sol",
  PoolConfigurator: "protocol/pool/PoolConfigurator.sol",
  DefaultReserveInterestRateStrategy: "protocol/pool/DefaultReserveInterestRateStrategy.sol",
  AToken: "protocol/tokenization/AToken.sol",
  StableDebtToken: "protocol/tokenization/StableDebtToken.sol",
  VariableDebtToken: "protocol/tokenization/VariableDebtToken.sol",
  AaveOracle: "misc/AaveOracle.sol",
  AaveProtocolDataProvider: "misc/AaveProtocolDataProvider.sol",
  SupplyLogic: "protocol/libraries/logic/SupplyLogic.sol",
  BorrowLogic: "protocol/libraries/logic/BorrowLogic.sol",
  LiquidationLogic: "protocol/libraries/logic/LiquidationLogic.sol",
  EModeLogic: "protocol/libraries/logic/EModeLogic.sol",
  BridgeLogic: "protocol/libraries/logic/BridgeLogic.sol",
  PoolLogic: "protocol/libraries/logic/PoolLogic.sol",
  FlashLoanLogic: "protocol/libraries/logic/FlashLoanLogic.sol",
  ConfiguratorLogic: "protocol/libraries/logic/ConfiguratorLogic.sol",
} as const;

export type AaveContractName = keyof typeof PATHS;

const cache = new Map<AaveContractName, AaveArtifact>();

/** One compiled contract of @aave/core-v3, as Hardhat wrote it. */
export function aaveArtifact(name: AaveContractName): AaveArtifact {
  let artifact = cache.get(name);
  if (!artifact) {
    artifact = JSON.parse(readFileSync(join(ARTIFACTS, PATHS[name], `${name}.json`), "utf8")) as AaveArtifact;
    cache.set(name, artifact);
  }
  return artifact;
}

/** Writes each library's address over its placeholders (Hardhat's linkReferences give byte offsets). */
export function linkBytecode(artifact: AaveArtifact, libraries: Record<string, Address>): Hex {
  let code = artifact.bytecode.slice(2);
  for (const refs of Object.values(artifact.linkReferences)) {
    for (const [library, places] of Object.entries(refs)) {
      const address = libraries[library];
      if (!address) throw new Error(`${artifact.contractName} needs library ${library}`);
      for (const { start, length } of places) {
        code = code.slice(0, start * 2) + address.slice(2).toLowerCase() + code.slice((start + length) * 2);
      }
    }
  }
  return `0x${code}`;
}

/** Risk parameters (bps) of each reserve, as an Aave v3 market lists them. */
export const MARKET_RESERVES: Record<
  AaveSymbol,
  { ltv: number; liquidationThreshold: number; liquidationBonus: number; reserveFactor: number; liquidationProtocolFee: number; stableBorrowing: boolean; seed: string }
> = {
  WETH: { ltv: 8000, liquidationThreshold: 8250, liquidationBonus: 10500, reserveFactor: 1000, liquidationProtocolFee: 1000, stableBorrowing: true, seed: "300" },
  WBTC: { ltv: 7000, liquidationThreshold: 7500, liquidationBonus: 10650, reserveFactor: 2000, liquidationProtocolFee: 1500, stableBorrowing: false, seed: "15" },
  USDC: { ltv: 7700, liquidationThreshold: 8000, liquidationBonus: 10450, reserveFactor: 1000, liquidationProtocolFee: 1000, stableBorrowing: true, seed: "1000000" },
};

/** The ETH-correlated e-mode category (WETH only), priced by the reserves' own sources. */
export const MARKET_EMODE = { id: 1, ltv: 9000, liquidationThreshold: 9300, liquidationBonus: 10100, label: "ETH correlated" } as const;

/** Anvil account the reserves name as treasury (reserve factor mints and liquidation protocol fees). */
export const AAVE_TREASURY_ACCOUNT_INDEX = 18;

export type AaveMarketReserve = {
  address: Address;
  decimals: number;
  feed: Address;
  aToken: Address;
  stableDebtToken: Address;
  variableDebtToken: Address;
};

export type AaveMarket = {
  release: "3.0";
  provider: Address;
  pool: Address;
  configurator: Address;
  oracle: Address;
  dataProvider: Address;
  aclManager: Address;
  treasury: Address;
  /** Block of the addresses provider: every Pool and configurator event comes after it. */
  startBlock: number;
  reserves: Record<AaveSymbol, AaveMarketReserve>;
  /** What initReserves clones for each reserve, and the rate strategy every reserve shares. */
  implementations: { aToken: Address; stableDebtToken: Address; variableDebtToken: Address; strategy: Address };
};

/** Rate curve of every reserve (ray): DefaultReserveInterestRateStrategy's constructor, in order. */
const RATE_STRATEGY = [
  (80n * RAY) / 100n, // optimalUsageRatio
  0n, // baseVariableBorrowRate
  (4n * RAY) / 100n, // variableRateSlope1
  (75n * RAY) / 100n, // variableRateSlope2
  (2n * RAY) / 100n, // stableRateSlope1
  (75n * RAY) / 100n, // stableRateSlope2
  (2n * RAY) / 100n, // baseStableRateOffset
  (5n * RAY) / 100n, // stableRateExcessOffset
  (20n * RAY) / 100n, // optimalStableToTotalDebtRatio
] as const;

/**
 * Deploys Aave v3.0 from the deployer (account 0) on the chain of a GMX v1 fixture deployment,
 * listing its WETH, WBTC and USDC with their Chainlink feeds as AaveOracle sources, then seeds
 * liquidity from the LP account (19). Follows the order of Aave's own deploy scripts: addresses
 * provider, ACL, libraries, Pool and configurator proxies, oracle, token implementations, reserves.
 */
export async function deployAaveMarket(d: Deployment): Promise<AaveMarket> {
  const rpcUrl = d.rpcUrl;
  const deployer = anvilAccount(0);
  const treasury = anvilAccount(AAVE_TREASURY_ACCOUNT_INDEX).address;
  const create = async (name: AaveContractName, args: readonly unknown[], libraries: Record<string, Address> = {}) =>
    deploy(rpcUrl, deployer, { abi: aaveArtifact(name).abi, bytecode: linkBytecode(aaveArtifact(name), libraries) }, args);
  const call = (name: AaveContractName, address: Address, functionName: string, args: readonly unknown[]) =>
    send(rpcUrl, deployer, { address, abi: aaveArtifact(name).abi, functionName, args });
  const get = (name: AaveContractName, address: Address, functionName: string) =>
    read<Address>(rpcUrl, { address, abi: aaveArtifact(name).abi, functionName });

  const provider = await create("PoolAddressesProvider", ["Exposure test market", deployer.address]);
  await call("PoolAddressesProvider", provider.address, "setACLAdmin", [deployer.address]);
  const acl = await create("ACLManager", [provider.address]);
  await call("PoolAddressesProvider", provider.address, "setACLManager", [acl.address]);
  for (const role of ["addPoolAdmin", "addRiskAdmin", "addEmergencyAdmin", "addAssetListingAdmin"]) {
    await call("ACLManager", acl.address, role, [deployer.address]);
  }

  const libraries: Record<string, Address> = {};
  for (const name of ["SupplyLogic", "BorrowLogic", "LiquidationLogic", "EModeLogic", "BridgeLogic", "PoolLogic", "ConfiguratorLogic"] as const) {
    libraries[name] = (await create(name, [])).address;
  }
  libraries.FlashLoanLogic = (await create("FlashLoanLogic", [], libraries)).address;

  // The provider deploys each proxy and initialises it with itself.
  const poolImpl = await create("Pool", [provider.address], libraries);
  await call("PoolAddressesProvider", provider.address, "setPoolImpl", [poolImpl.address]);
  const pool = await get("PoolAddressesProvider", provider.address, "getPool");
  const configuratorImpl = await create("PoolConfigurator", [], libraries);
  await call("PoolAddressesProvider", provider.address, "setPoolConfiguratorImpl", [configuratorImpl.address]);
  const configurator = await get("PoolAddressesProvider", provider.address, "getPoolConfigurator");

  const assets = AAVE_SYMBOLS.map((s) => d.tokens[s].address);
  for (const s of AAVE_SYMBOLS) {
    if (d.tokens[s].feedDecimals !== 8) throw new Error(`${s} feed has ${d.tokens[s].feedDecimals} decimals; Aave's USD base unit needs 8`);
  }
  const oracle = await create("AaveOracle", [provider.address, assets, AAVE_SYMBOLS.map((s) => d.tokens[s].feed), zeroAddress, zeroAddress, 10n ** 8n]);
  await call("PoolAddressesProvider", provider.address, "setPriceOracle", [oracle.address]);
  const dataProvider = await create("AaveProtocolDataProvider", [provider.address]);
  await call("PoolAddressesProvider", provider.address, "setPoolDataProvider", [dataProvider.address]);

  const aTokenImpl = await create("AToken", [pool]);
  const stableImpl = await create("StableDebtToken", [pool]);
  const variableImpl = await create("VariableDebtToken", [pool]);
  const strategy = await create("DefaultReserveInterestRateStrategy", [provider.address, ...RATE_STRATEGY]);

  const implementations = { aToken: aTokenImpl.address, stableDebtToken: stableImpl.address, variableDebtToken: variableImpl.address, strategy: strategy.address };
  const listing = { rpcUrl, configurator, treasury, implementations };
  for (const s of AAVE_SYMBOLS) await initReserve(listing, s, d.tokens[s].address, d.tokens[s].decimals);

  // The category exists before an asset joins it (setAssetEModeCategory checks its threshold).
  const e = MARKET_EMODE;
  await call("PoolConfigurator", configurator, "setEModeCategory", [e.id, e.ltv, e.liquidationThreshold, e.liquidationBonus, zeroAddress, e.label]);
  const reserves = {} as Record<AaveSymbol, AaveMarketReserve>;
  for (const s of AAVE_SYMBOLS) {
    const c = MARKET_RESERVES[s];
    const asset = d.tokens[s].address;
    await call("PoolConfigurator", configurator, "configureReserveAsCollateral", [asset, c.ltv, c.liquidationThreshold, c.liquidationBonus]);
    await call("PoolConfigurator", configurator, "setReserveBorrowing", [asset, true]);
    if (c.stableBorrowing) await call("PoolConfigurator", configurator, "setReserveStableRateBorrowing", [asset, true]);
    await call("PoolConfigurator", configurator, "setReserveFactor", [asset, c.reserveFactor]);
    await call("PoolConfigurator", configurator, "setLiquidationProtocolFee", [asset, c.liquidationProtocolFee]);
    if (s === "WETH") await call("PoolConfigurator", configurator, "setAssetEModeCategory", [asset, e.id]);
    reserves[s] = { address: asset, decimals: d.tokens[s].decimals, feed: d.tokens[s].feed, ...(await reserveTokens(rpcUrl, pool, asset)) };
  }

  const lp = anvilAccount(AAVE_LP_ACCOUNT_INDEX);
  await fundGas(rpcUrl, lp.address);
  const tokenAbi = (await fixtureAbis()).token;
  for (const s of AAVE_SYMBOLS) {
    const amount = parseUnits(MARKET_RESERVES[s].seed, d.tokens[s].decimals);
    await send(rpcUrl, deployer, { address: d.tokens[s].address, abi: tokenAbi, functionName: "mint", args: [lp.address, amount] });
    await send(rpcUrl, lp, { address: d.tokens[s].address, abi: tokenAbi, functionName: "approve", args: [pool, maxUint256] });
    await send(rpcUrl, lp, { address: pool, abi: aaveArtifact("Pool").abi, functionName: "supply", args: [d.tokens[s].address, amount, lp.address, 0] });
  }

  return {
    release: "3.0",
    provider: provider.address,
    pool,
    configurator,
    oracle: oracle.address,
    dataProvider: dataProvider.address,
    aclManager: acl.address,
    treasury,
    startBlock: Number(provider.blockNumber),
    reserves,
    implementations,
  };
}

type Listing = Pick<AaveMarket, "configurator" | "treasury" | "implementations"> & { rpcUrl: string };

/** PoolConfigurator.initReserves for one asset, with the market's token implementations and rate strategy. */
async function initReserve(m: Listing, symbol: string, asset: Address, decimals: number) {
  await send(m.rpcUrl, anvilAccount(0), {
    address: m.configurator,
    abi: aaveArtifact("PoolConfigurator").abi,
    functionName: "initReserves",
    args: [
      [
        {
          aTokenImpl: m.implementations.aToken,
          stableDebtTokenImpl: m.implementations.stableDebtToken,
          variableDebtTokenImpl: m.implementations.variableDebtToken,
          underlyingAssetDecimals: decimals,
          interestRateStrategyAddress: m.implementations.strategy,
          underlyingAsset: asset,
          treasury: m.treasury,
          incentivesController: zeroAddress,
          aTokenName: `Aave ${symbol}`,
          aTokenSymbol: `a${symbol}`,
          variableDebtTokenName: `Aave variable debt ${symbol}`,
          variableDebtTokenSymbol: `variableDebt${symbol}`,
          stableDebtTokenName: `Aave stable debt ${symbol}`,
          stableDebtTokenSymbol: `stableDebt${symbol}`,
          params: "0x",
        },
      ],
    ],
  });
}

async function reserveTokens(rpcUrl: string, pool: Address, asset: Address) {
  const data = await read<{ aTokenAddress: Address; stableDebtTokenAddress: Address; variableDebtTokenAddress: Address }>(rpcUrl, {
    address: pool,
    abi: aaveArtifact("Pool").abi,
    functionName: "getReserveData",
    args: [asset],
  });
  return { aToken: data.aTokenAddress, stableDebtToken: data.stableDebtTokenAddress, variableDebtToken: data.variableDebtTokenAddress };
}

/**
 * Lists one more asset on a deployed market (the deployer is pool and asset-listing admin): its
 * oracle source, the reserve and its collateral parameters.
 */
export async function listAaveReserve(
  m: AaveMarket,
  rpcUrl: string,
  r: { symbol: string; address: Address; decimals: number; feed: Address; ltv: number; liquidationThreshold: number; liquidationBonus: number },
): Promise<AaveMarketReserve> {
  const deployer = anvilAccount(0);
  await send(rpcUrl, deployer, { address: m.oracle, abi: aaveArtifact("AaveOracle").abi, functionName: "setAssetSources", args: [[r.address], [r.feed]] });
  await initReserve({ ...m, rpcUrl }, r.symbol, r.address, r.decimals);
  await send(rpcUrl, deployer, {
    address: m.configurator,
    abi: aaveArtifact("PoolConfigurator").abi,
    functionName: "configureReserveAsCollateral",
    args: [r.address, r.ltv, r.liquidationThreshold, r.liquidationBonus],
  });
  return { address: r.address, decimals: r.decimals, feed: r.feed, ...(await reserveTokens(rpcUrl, m.pool, r.address)) };
}
