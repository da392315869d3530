import type { Abi, Address } from "viem";
import { anvilAccount, deploy } from "./clients.js";
import { pickArtifacts } from "./compile.js";
import type { Deployment, TokenSymbol } from "./deploy.js";

export type DeriveMarket = "ETH" | "BTC";

export type DeriveDeployment = {
  subAccounts: Address;
  /** The manager every BalanceAdjusted names (the deployer; nothing calls it). */
  manager: Address;
  /** Block of the SubAccounts deployment: the assets come after it. */
  startBlock: number;
  options: Record<DeriveMarket, Address>;
  perps: Record<DeriveMarket, Address>;
  cash: Address;
  underlying: Record<DeriveMarket, Address>;
  cashToken: Address;
};

export type DeriveAbis = { subAccounts: Abi; option: Abi; perp: Abi; cash: Abi };

export type OptionDetails = { expiry: bigint; strike: bigint; isCall: boolean };

export const DERIVE_MARKETS: readonly DeriveMarket[] = ["ETH", "BTC"];

/** Token (and so feed) of each market's underlying in the GMX v1 fixture deployment. */
export const DERIVE_UNDERLYING: Record<DeriveMarket, TokenSymbol> = { ETH: "WETH", BTC: "WBTC" };

// ---------------------------------------------------------------- option subIds (Derive's OptionEncoding)

const STRIKE_UNIT = 10n ** 10n; // 18-decimal strikes are stored in 8 decimals
const MAX_EXPIRY = 2n ** 32n - 1n;
const MAX_STRIKE_UNITS = 2n ** 63n - 1n;

/** Bits 0-31 expiry, 32-94 strike / 1e10, 95 isCall. Written independently of the contract, which the fixture test holds it against. */
export function toSubId(expiry: bigint, strike18: bigint, isCall: boolean): bigint {
  if (expiry < 0n || expiry > MAX_EXPIRY) throw new Error(`expiry ${expiry} does not fit 32 bits`);
  if (strike18 < 0n || strike18 % STRIKE_UNIT !== 0n || strike18 / STRIKE_UNIT > MAX_STRIKE_UNITS) {
    throw new Error(`strike ${strike18} is not a multiple of 1e10 below 2^63 * 1e10`);
  }
  return expiry | ((strike18 / STRIKE_UNIT) << 32n) | ((isCall ? 1n : 0n) << 95n);
}

export function fromSubId(subId: bigint): OptionDetails {
  return {
    expiry: subId & MAX_EXPIRY,
    strike: ((subId >> 32n) & MAX_STRIKE_UNITS) * STRIKE_UNIT,
    isCall: subId >> 95n > 0n,
  };
}

// ---------------------------------------------------------------- deployment

const deriveArtifacts = () =>
  pickArtifacts(["FixtureDeriveSubAccounts", "FixtureDeriveOptionAsset", "FixtureDerivePerpAsset", "FixtureDeriveCashAsset"] as const);

export async function deriveAbis(): Promise<DeriveAbis> {
  const a = await deriveArtifacts();
  return {
    subAccounts: a.FixtureDeriveSubAccounts.abi,
    option: a.FixtureDeriveOptionAsset.abi,
    perp: a.FixtureDerivePerpAsset.abi,
    cash: a.FixtureDeriveCashAsset.abi,
  };
}

/**
 * Deploys SubAccounts (owner and keeper: anvil account 0, also named as manager), an option and a
 * perp asset on each of WETH and WBTC, and a cash asset on USDC, over a GMX v1 fixture deployment's tokens.
 */
export async function deployDeriveFixture(d: Deployment): Promise<DeriveDeployment> {
  const a = await deriveArtifacts();
  const owner = anvilAccount(0);
  const subAccounts = await deploy(d.rpcUrl, owner, a.FixtureDeriveSubAccounts, [owner.address]);

  const underlying = {} as Record<DeriveMarket, Address>;
  const options = {} as Record<DeriveMarket, Address>;
  const perps = {} as Record<DeriveMarket, Address>;
  for (const market of DERIVE_MARKETS) {
    underlying[market] = d.tokens[DERIVE_UNDERLYING[market]].address;
    options[market] = (await deploy(d.rpcUrl, owner, a.FixtureDeriveOptionAsset, [underlying[market]])).address;
    perps[market] = (await deploy(d.rpcUrl, owner, a.FixtureDerivePerpAsset, [underlying[market]])).address;
  }
  const cash = await deploy(d.rpcUrl, owner, a.FixtureDeriveCashAsset, [d.tokens.USDC.address]);

  return {
    subAccounts: subAccounts.address,
    manager: owner.address,
    startBlock: Number(subAccounts.blockNumber),
    options,
    perps,
    cash: cash.address,
    underlying,
    cashToken: d.tokens.USDC.address,
  };
}
