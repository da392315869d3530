import { parseUnits, type Abi, type Address } from "viem";
import { anvilAccount, deploy, send } from "./clients.js";
import { pickArtifacts } from "./compile.js";
import type { Deployment, TokenSymbol } from "./deploy.js";

export type DeriveMarket = "ETH" | "BTC";

export type DeriveDeployment = {
  subAccounts: Address;
  /** The StandardManager fixture every BalanceAdjusted names (getMargin, startAuction). */
  manager: Address;
  /** Block of the SubAccounts deployment: the assets come after it. */
  startBlock: number;
  options: Record<DeriveMarket, Address>;
  perps: Record<DeriveMarket, Address>;
  /** Wrapped base assets (WrappedERC20Asset) of WETH and WBTC. */
  bases: Record<DeriveMarket, Address>;
  cash: Address;
  underlying: Record<DeriveMarket, Address>;
  cashToken: Address;
};

export type DeriveAbis = { subAccounts: Abi; option: Abi; perp: Abi; cash: Abi; manager: Abi };

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

// ---------------------------------------------------------------- margin parameters

/**
 * The fixture manager's StandardManager parameters, per market, as the exposure config takes them
 * (names of IStandardManager's OptionMarginParams, PerpMarginRequirements and BaseMarginParams).
 */
export const DERIVE_MARGIN_PARAMS = {
  option: {
    maxSpotReq: "0.15",
    minSpotReq: "0.1",
    mmCallSpotReq: "0.075",
    mmPutSpotReq: "0.075",
    MMPutMtMReq: "0.075",
    unpairedMMScale: "1.2",
    unpairedIMScale: "1.4",
    mmOffsetScale: "1.05",
  },
  perp: { mmPerpReq: "0.05", imPerpReq: "0.065" },
  base: { marginFactor: "0.8", IMScale: "0.9" },
} as const;

const w = (s: string) => parseUnits(s, 18);

// ---------------------------------------------------------------- deployment

const deriveArtifacts = () =>
  pickArtifacts([
    "FixtureDeriveSubAccounts",
    "FixtureDeriveOptionAsset",
    "FixtureDerivePerpAsset",
    "FixtureDeriveBaseAsset",
    "FixtureDeriveCashAsset",
    "FixtureDeriveStandardManager",
  ] as const);

export async function deriveAbis(): Promise<DeriveAbis> {
  const a = await deriveArtifacts();
  return {
    subAccounts: a.FixtureDeriveSubAccounts.abi,
    option: a.FixtureDeriveOptionAsset.abi,
    perp: a.FixtureDerivePerpAsset.abi,
    cash: a.FixtureDeriveCashAsset.abi,
    manager: a.FixtureDeriveStandardManager.abi,
  };
}

/**
 * Deploys SubAccounts (owner and keeper: anvil account 0), an option, a perp and a wrapped base asset
 * on each of WETH and WBTC, a cash asset on USDC, and the StandardManager fixture over them (the
 * manager BalanceAdjusted names), over a GMX v1 fixture deployment's tokens and feeds.
 */
export async function deployDeriveFixture(d: Deployment): Promise<DeriveDeployment> {
  const a = await deriveArtifacts();
  const owner = anvilAccount(0);
  const subAccounts = await deploy(d.rpcUrl, owner, a.FixtureDeriveSubAccounts, [owner.address]);

  const underlying = {} as Record<DeriveMarket, Address>;
  const options = {} as Record<DeriveMarket, Address>;
  const perps = {} as Record<DeriveMarket, Address>;
  const bases = {} as Record<DeriveMarket, Address>;
  for (const market of DERIVE_MARKETS) {
    const token = d.tokens[DERIVE_UNDERLYING[market]];
    underlying[market] = token.address;
    options[market] = (await deploy(d.rpcUrl, owner, a.FixtureDeriveOptionAsset, [underlying[market]])).address;
    perps[market] = (await deploy(d.rpcUrl, owner, a.FixtureDerivePerpAsset, [underlying[market], subAccounts.address, token.feed, token.feedDecimals])).address;
    bases[market] = (await deploy(d.rpcUrl, owner, a.FixtureDeriveBaseAsset, [underlying[market]])).address;
  }
  const cash = await deploy(d.rpcUrl, owner, a.FixtureDeriveCashAsset, [d.tokens.USDC.address]);
  const manager = await deploy(d.rpcUrl, owner, a.FixtureDeriveStandardManager, [subAccounts.address, cash.address]);
  const { option, perp, base } = DERIVE_MARGIN_PARAMS;
  for (const market of DERIVE_MARKETS) {
    const token = d.tokens[DERIVE_UNDERLYING[market]];
    const optionParams = Object.fromEntries(Object.entries(option).map(([k, v]) => [k, w(v)]));
    const args = {
      option: options[market],
      perp: perps[market],
      base: bases[market],
      feed: token.feed,
      feedDecimals: token.feedDecimals,
      optionParams,
      mmPerpReq: w(perp.mmPerpReq),
      imPerpReq: w(perp.imPerpReq),
      marginFactor: w(base.marginFactor),
      IMScale: w(base.IMScale),
    };
    await send(d.rpcUrl, owner, { address: manager.address, abi: a.FixtureDeriveStandardManager.abi, functionName: "addMarket", args: [args] });
  }
  await send(d.rpcUrl, owner, { address: subAccounts.address, abi: a.FixtureDeriveSubAccounts.abi, functionName: "setManager", args: [manager.address] });

  return {
    subAccounts: subAccounts.address,
    manager: manager.address,
    startBlock: Number(subAccounts.blockNumber),
    options,
    perps,
    bases,
    cash: cash.address,
    underlying,
    cashToken: d.tokens.USDC.address,
  };
}
