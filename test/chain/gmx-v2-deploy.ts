import { parseUnits, type Abi, type Address, type Hex } from "viem";
import { anvilAccount, deploy, read, send } from "./clients.js";
import {
  dataStoreKey,
  MIN_COLLATERAL_USD,
  maxPnlFactorForTradersKey,
  maxPositionImpactFactorForLiquidationsKey,
  maxPositionImpactFactorKey,
  minCollateralFactorForLiquidationKey,
  positionFeeFactorKey,
  positionImpactExponentFactorKey,
  positionImpactFactorKey,
  marketParamKeys,
  positionKey,
  type KeyArg,
} from "../../src/protocols/gmx-v2/keys";
import type { GmxV2AccrualParams } from "../../src/protocols/gmx-v2/risk";
import { toUnitPrice } from "../../src/protocols/gmx-v2/normalise";
import { pickArtifacts } from "./compile.js";
import { fixtureAbis, type TokenInfo, type TokenSymbol } from "./deploy.js";

export type GmxV2MarketName = "ETH" | "BTC";
export type GmxV2Market = { marketToken: Address; indexToken: Address; longToken: Address; shortToken: Address };

export type GmxV2Deployment = {
  /** FixtureGmxV2: EventEmitter, DataStore and Reader at one address. */
  address: Address;
  /** Block of the fixture deployment: markets, parameters and initial prices come after it. */
  startBlock: number;
  markets: Record<GmxV2MarketName, GmxV2Market>;
};

/** Market parameters as DataStore factors (1e30). */
export type GmxV2MarketParams = {
  minCollateralFactorForLiquidation: bigint;
  maxPositionImpactFactorForLiquidations: bigint;
  positionImpactFactor: { positive: bigint; negative: bigint };
  positionImpactExponentFactor: { positive: bigint; negative: bigint };
  maxPositionImpactFactor: { positive: bigint; negative: bigint };
  positionFeeFactor: { balanceImproved: bigint; balanceNotImproved: bigint };
  maxPnlFactorForTraders: { long: bigint; short: bigint };
};

export const GMX_V2_MARKET_NAMES: readonly GmxV2MarketName[] = ["ETH", "BTC"];

/** Tokens of each market, as symbols of the GMX v1 fixture deployment. */
export const GMX_V2_MARKET_TOKENS: Record<GmxV2MarketName, { index: TokenSymbol; long: TokenSymbol; short: TokenSymbol }> = {
  ETH: { index: "WETH", long: "WETH", short: "USDC" },
  BTC: { index: "WBTC", long: "WBTC", short: "USDC" },
};

const factor = (value: string) => parseUnits(value, 30);

export const GMX_V2_MIN_COLLATERAL_USD = factor("1");

/**
 * Impact: a $100k imbalance costs (1e5)^2 * factor / 2, i.e. $5 (positive) / $10 (negative) on ETH;
 * BTC's negative side uses exponent 1.9 (about $7.9 at $100k) so non-integer powers are exercised.
 */
export const GMX_V2_MARKET_PARAMS: Record<GmxV2MarketName, GmxV2MarketParams> = {
  ETH: {
    minCollateralFactorForLiquidation: factor("0.005"),
    maxPositionImpactFactorForLiquidations: factor("0.0025"),
    positionImpactFactor: { positive: factor("0.000000001"), negative: factor("0.000000002") },
    positionImpactExponentFactor: { positive: factor("2"), negative: factor("2") },
    maxPositionImpactFactor: { positive: factor("0.005"), negative: factor("0.005") },
    positionFeeFactor: { balanceImproved: factor("0.0004"), balanceNotImproved: factor("0.0006") },
    maxPnlFactorForTraders: { long: factor("0.9"), short: factor("0.9") },
  },
  BTC: {
    minCollateralFactorForLiquidation: factor("0.006"),
    maxPositionImpactFactorForLiquidations: factor("0.003"),
    positionImpactFactor: { positive: factor("0.000000001"), negative: factor("0.000000005") },
    positionImpactExponentFactor: { positive: factor("2"), negative: factor("1.9") },
    maxPositionImpactFactor: { positive: factor("0.005"), negative: factor("0.005") },
    positionFeeFactor: { balanceImproved: factor("0.0004"), balanceNotImproved: factor("0.0006") },
    maxPnlFactorForTraders: { long: factor("0.8"), short: factor("0.85") },
  },
};

type AccrualRates = Partial<Omit<GmxV2AccrualParams, "skipBorrowingFeeForSmallerSide" | "ignoreOpenInterestForUsageFactor" | "stableFundingFactor">>;

/**
 * Borrowing and funding rates (per second, 1e30), set only when a deployment asks for them (the
 * fixture tests assert exact fees across blocks): ETH borrows by the kink model for longs (6%/yr at
 * full usage, 40%/yr past 75%) and by reserved^1.1 for shorts, without funding (the scripted claimable
 * funding on ETH is set by hand); BTC the other way round, with funding on the skew. Adaptive funding
 * is tested on the fixture alone.
 */
export const GMX_V2_ACCRUAL_PARAMS: Record<GmxV2MarketName, AccrualRates> = {
  ETH: {
    optimalUsageFactorLong: factor("0.75"),
    baseBorrowingFactorLong: factor("0.0000000019"),
    aboveOptimalUsageBorrowingFactorLong: factor("0.0000000127"),
    openInterestReserveFactorLong: factor("0.5"),
    borrowingFactorShort: factor("0.000000003"),
    borrowingExponentFactorShort: factor("1.1"),
  },
  BTC: {
    borrowingFactorLong: factor("0.000000003"),
    borrowingExponentFactorLong: factor("1.2"),
    optimalUsageFactorShort: factor("0.8"),
    baseBorrowingFactorShort: factor("0.000000002"),
    aboveOptimalUsageBorrowingFactorShort: factor("0.00000002"),
    openInterestReserveFactorShort: factor("0.6"),
    fundingFactor: factor("0.000000002"),
    fundingExponentFactor: factor("1"),
    maxFundingFactorPerSecond: factor("0.00000001"),
  },
};

/** Pool amounts at deployment (whole tokens); the simulation moves them, thin pools cap traders' profits. */
export const GMX_V2_INITIAL_POOLS: Record<GmxV2MarketName, { long: string; short: string }> = {
  ETH: { long: "500", short: "1500000" },
  BTC: { long: "25", short: "1500000" },
};

// ---------------------------------------------------------------- DataStore keys (gmx-synthetics data/Keys.sol)

const address = (value: Address): KeyArg => ({ type: "address", value });
const flag = (value: boolean): KeyArg => ({ type: "bool", value });

/** The indexer's own keys, plus the accumulator keys only the fixture writes; the fixture test holds them against the contract. */
export const gmxV2Keys = {
  minCollateralUsd: MIN_COLLATERAL_USD,
  minCollateralFactorForLiquidation: minCollateralFactorForLiquidationKey,
  maxPositionImpactFactorForLiquidations: maxPositionImpactFactorForLiquidationsKey,
  positionImpactFactor: positionImpactFactorKey,
  positionImpactExponentFactor: positionImpactExponentFactorKey,
  maxPositionImpactFactor: maxPositionImpactFactorKey,
  positionFeeFactor: positionFeeFactorKey,
  maxPnlFactorForTraders: maxPnlFactorForTradersKey,
  openInterestInTokens: (market: Address, collateralToken: Address, isLong: boolean) =>
    dataStoreKey("OPEN_INTEREST_IN_TOKENS", address(market), address(collateralToken), flag(isLong)),
  poolAmount: (market: Address, token: Address) => dataStoreKey("POOL_AMOUNT", address(market), address(token)),
  openInterest: (market: Address, collateralToken: Address, isLong: boolean) =>
    dataStoreKey("OPEN_INTEREST", address(market), address(collateralToken), flag(isLong)),
  cumulativeBorrowingFactor: (market: Address, isLong: boolean) => dataStoreKey("CUMULATIVE_BORROWING_FACTOR", address(market), flag(isLong)),
  fundingFeeAmountPerSize: (market: Address, collateralToken: Address, isLong: boolean) =>
    dataStoreKey("FUNDING_FEE_AMOUNT_PER_SIZE", address(market), address(collateralToken), flag(isLong)),
  positionKey,
};

/** Every DataStore entry a market's parameters set. */
export function marketParamEntries(market: Address, p: GmxV2MarketParams): [Hex, bigint][] {
  const k = gmxV2Keys;
  return [
    [k.minCollateralFactorForLiquidation(market), p.minCollateralFactorForLiquidation],
    [k.maxPositionImpactFactorForLiquidations(market), p.maxPositionImpactFactorForLiquidations],
    [k.positionImpactFactor(market, true), p.positionImpactFactor.positive],
    [k.positionImpactFactor(market, false), p.positionImpactFactor.negative],
    [k.positionImpactExponentFactor(market, true), p.positionImpactExponentFactor.positive],
    [k.positionImpactExponentFactor(market, false), p.positionImpactExponentFactor.negative],
    [k.maxPositionImpactFactor(market, true), p.maxPositionImpactFactor.positive],
    [k.maxPositionImpactFactor(market, false), p.maxPositionImpactFactor.negative],
    [k.positionFeeFactor(market, true), p.positionFeeFactor.balanceImproved],
    [k.positionFeeFactor(market, false), p.positionFeeFactor.balanceNotImproved],
    [k.maxPnlFactorForTraders(market, true), p.maxPnlFactorForTraders.long],
    [k.maxPnlFactorForTraders(market, false), p.maxPnlFactorForTraders.short],
  ];
}

// ---------------------------------------------------------------- prices

/** A Chainlink-style feed answer as a GMX unit price. */
export const feedUnitPrice = (answer: bigint, token: TokenInfo): bigint =>
  toUnitPrice(answer * 10n ** BigInt(30 - token.feedDecimals), token.decimals);

// ---------------------------------------------------------------- deployment

const gmxV2Artifacts = () => pickArtifacts(["FixtureGmxV2", "MockToken"] as const);

export async function gmxV2Abi(): Promise<Abi> {
  return (await gmxV2Artifacts()).FixtureGmxV2.abi;
}

/**
 * Deploys FixtureGmxV2 from anvil account 0 (owner and keeper) on the chain of a GMX v1 fixture
 * deployment, creates the ETH/USD and BTC/USD markets over its tokens, sets their parameters and
 * prices every market token at its Chainlink feed's current answer.
 */
export async function deployGmxV2Fixture(
  rpcUrl: string,
  tokens: Record<TokenSymbol, TokenInfo>,
  options: { accrual?: boolean } = {},
): Promise<GmxV2Deployment> {
  const artifacts = await gmxV2Artifacts();
  const owner = anvilAccount(0);
  const abi = artifacts.FixtureGmxV2.abi;

  const fixture = await deploy(rpcUrl, owner, artifacts.FixtureGmxV2, []);
  const call = (functionName: string, args: readonly unknown[]) => send(rpcUrl, owner, { address: fixture.address, abi, functionName, args });

  await call("setUint", [gmxV2Keys.minCollateralUsd, GMX_V2_MIN_COLLATERAL_USD]);

  const markets = {} as Record<GmxV2MarketName, GmxV2Market>;
  for (const name of GMX_V2_MARKET_NAMES) {
    const t = GMX_V2_MARKET_TOKENS[name];
    const marketToken = await deploy(rpcUrl, owner, artifacts.MockToken, [`GMX Market ${name}/USD`, "GM", 18]);
    const market = {
      marketToken: marketToken.address,
      indexToken: tokens[t.index].address,
      longToken: tokens[t.long].address,
      shortToken: tokens[t.short].address,
    };
    await call("createMarket", [market.marketToken, market.indexToken, market.longToken, market.shortToken]);
    for (const [key, value] of marketParamEntries(market.marketToken, GMX_V2_MARKET_PARAMS[name])) await call("setUint", [key, value]);
    if (options.accrual) {
      const keys = marketParamKeys(market.marketToken, "2025-11");
      for (const [param, value] of Object.entries(GMX_V2_ACCRUAL_PARAMS[name])) await call("setUint", [keys[param as keyof AccrualRates], value]);
    }
    const pools = GMX_V2_INITIAL_POOLS[name];
    await call("setPoolAmount", [market.marketToken, market.longToken, parseUnits(pools.long, tokens[t.long].decimals)]);
    await call("setPoolAmount", [market.marketToken, market.shortToken, parseUnits(pools.short, tokens[t.short].decimals)]);
    markets[name] = market;
  }

  const aggregator = (await fixtureAbis()).aggregator;
  for (const symbol of ["WETH", "WBTC", "USDC"] as const) {
    const token = tokens[symbol];
    const answer = await read<bigint>(rpcUrl, { address: token.feed, abi: aggregator, functionName: "latestAnswer" });
    const price = feedUnitPrice(answer, token);
    await call("setPrice", [token.address, price, price]);
  }

  return { address: fixture.address, startBlock: Number(fixture.blockNumber), markets };
}
