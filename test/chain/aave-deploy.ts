import { createTestClient, http, maxUint256, parseUnits, type Abi, type Address } from "viem";
import { anvilAccount, deploy, fixtureChain, send } from "./clients.js";
import { pickArtifacts } from "./compile.js";
import type { Deployment } from "./deploy.js";

export type AaveSymbol = "WETH" | "WBTC" | "USDC";

export type AaveDeployment = {
  pool: Address;
  oracle: Address;
  /** Block of the pool deployment: the oracle, its sources and every reserve come after it. */
  startBlock: number;
  reserves: Record<AaveSymbol, { address: Address; decimals: number; feed: Address }>;
};

export type AaveAbis = { pool: Abi; oracle: Abi; token: Abi };

export const AAVE_SYMBOLS: readonly AaveSymbol[] = ["WETH", "WBTC", "USDC"];

/** Anvil account that seeds each reserve's liquidity. */
export const AAVE_LP_ACCOUNT_INDEX = 19;
/** Anvil account the simulator liquidates with. */
export const AAVE_LIQUIDATOR_ACCOUNT_INDEX = 20;

export const RAY = 10n ** 27n;

/** Risk parameters (bps) as an Aave v3 market would list them. */
export const AAVE_RESERVE_CONFIG: Record<
  AaveSymbol,
  {
    ltv: number;
    liquidationThreshold: number;
    liquidationBonus: number;
    reserveFactor: number;
    eModeCategory: number;
    /** fixture rate strategy: variableRate = base + slope * utilisation (ray) */
    baseVariableBorrowRate: bigint;
    variableRateSlope: bigint;
    /** seeded by the LP account */
    seed: string;
  }
> = {
  WETH: {
    ltv: 8000,
    liquidationThreshold: 8250,
    liquidationBonus: 10500,
    reserveFactor: 1000,
    eModeCategory: 1,
    baseVariableBorrowRate: (5n * RAY) / 100n,
    variableRateSlope: (50n * RAY) / 100n,
    seed: "300",
  },
  WBTC: {
    ltv: 7000,
    liquidationThreshold: 7500,
    liquidationBonus: 10650,
    reserveFactor: 1000,
    eModeCategory: 0,
    baseVariableBorrowRate: (4n * RAY) / 100n,
    variableRateSlope: (40n * RAY) / 100n,
    seed: "15",
  },
  USDC: {
    ltv: 7700,
    liquidationThreshold: 8000,
    liquidationBonus: 10450,
    reserveFactor: 1000,
    eModeCategory: 0,
    baseVariableBorrowRate: (8n * RAY) / 100n,
    variableRateSlope: (60n * RAY) / 100n,
    seed: "1000000",
  },
};

export const AAVE_EMODE = { id: 1, ltv: 9000, liquidationThreshold: 9300, liquidationBonus: 10100, label: "ETH correlated" } as const;

const CONTRACT_NAMES = ["FixtureAaveV3Pool", "FixtureAaveOracle", "MockToken"] as const;
const aaveArtifacts = () => pickArtifacts(CONTRACT_NAMES);

export async function fixtureAaveAbis(): Promise<AaveAbis> {
  const a = await aaveArtifacts();
  return { pool: a.FixtureAaveV3Pool.abi, oracle: a.FixtureAaveOracle.abi, token: a.MockToken.abi };
}

/** Gives an anvil account ETH for gas (accounts past index 9 start empty). */
export async function fundGas(rpcUrl: string, address: Address): Promise<void> {
  const testClient = createTestClient({ mode: "anvil", chain: fixtureChain(rpcUrl), transport: http(rpcUrl) });
  await testClient.setBalance({ address, value: 100n * 10n ** 18n });
}

/**
 * Deploys the Aave v3 fixture pool and oracle from the deployer (account 0) on the chain of a GMX v1
 * fixture deployment, reusing its WETH/WBTC/USDC tokens and Chainlink feeds, then seeds liquidity
 * from the LP account (19).
 */
export async function deployAaveFixture(d: Deployment): Promise<AaveDeployment> {
  const artifacts = await aaveArtifacts();
  const deployer = anvilAccount(0);
  const rpcUrl = d.rpcUrl;
  const poolAbi = artifacts.FixtureAaveV3Pool.abi;
  const oracleAbi = artifacts.FixtureAaveOracle.abi;
  const tokenAbi = artifacts.MockToken.abi;

  // pool first so startBlock covers the oracle wiring and every configuration event
  const pool = await deploy(rpcUrl, deployer, artifacts.FixtureAaveV3Pool, []);
  const oracle = await deploy(rpcUrl, deployer, artifacts.FixtureAaveOracle, []);
  const poolCall = (functionName: string, args: readonly unknown[]) =>
    send(rpcUrl, deployer, { address: pool.address, abi: poolAbi, functionName, args });

  await poolCall("setPriceOracle", [oracle.address]);

  const reserves = {} as AaveDeployment["reserves"];
  for (const symbol of AAVE_SYMBOLS) {
    const t = d.tokens[symbol];
    if (t.feedDecimals !== 8) throw new Error(`${symbol} feed has ${t.feedDecimals} decimals; Aave's USD base unit needs 8`);
    reserves[symbol] = { address: t.address, decimals: t.decimals, feed: t.feed };
    await send(rpcUrl, deployer, { address: oracle.address, abi: oracleAbi, functionName: "setAssetSource", args: [t.address, t.feed] });
  }

  // the category must exist before an asset is assigned to it (as in Aave's configurator)
  const e = AAVE_EMODE;
  await poolCall("configureEModeCategory", [e.id, e.ltv, e.liquidationThreshold, e.liquidationBonus]);
  await poolCall("setEModeCategoryLabel", [e.id, e.label]);

  for (const symbol of AAVE_SYMBOLS) {
    const r = reserves[symbol];
    const c = AAVE_RESERVE_CONFIG[symbol];
    await poolCall("initReserve", [r.address, r.decimals]);
    await poolCall("configureReserve", [
      r.address,
      BigInt(c.ltv),
      BigInt(c.liquidationThreshold),
      BigInt(c.liquidationBonus),
      BigInt(c.reserveFactor),
      c.eModeCategory,
      true,
    ]);
    await poolCall("setInterestRateParams", [r.address, c.baseVariableBorrowRate, c.variableRateSlope]);
  }

  // seed liquidity
  const lp = anvilAccount(AAVE_LP_ACCOUNT_INDEX);
  await fundGas(rpcUrl, lp.address);
  for (const symbol of AAVE_SYMBOLS) {
    const r = reserves[symbol];
    const amount = parseUnits(AAVE_RESERVE_CONFIG[symbol].seed, r.decimals);
    await send(rpcUrl, deployer, { address: r.address, abi: tokenAbi, functionName: "mint", args: [lp.address, amount] });
    await send(rpcUrl, lp, { address: r.address, abi: tokenAbi, functionName: "approve", args: [pool.address, maxUint256] });
    await send(rpcUrl, lp, { address: pool.address, abi: poolAbi, functionName: "supply", args: [r.address, amount, lp.address, 0] });
  }

  return { pool: pool.address, oracle: oracle.address, startBlock: Number(pool.blockNumber), reserves };
}
