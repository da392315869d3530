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

// ---------------------------------------------------------------- portfolio margin (PMRM_2 with PMRMLib_2)

/** IPMRM_2.VolShockDirection, in its order (the fixture takes the index as uint8). */
export const PMRM_VOL_SHOCKS = ["None", "Up", "Down", "Linear", "Abs"] as const;
export type PmrmVolShock = (typeof PMRM_VOL_SHOCKS)[number];

/**
 * Parameters of FixtureDerivePortfolioManager in decimal strings (18-decimal fixed point on chain),
 * named as IPMRM_2.Scenario and IPMRMLib_2's BasisContingencyParameters, OtherContingencyParameters,
 * MarginParameters and CollateralParameters (the latter for the market's wrapped base asset).
 */
export type DerivePmrmParams = {
  scenarios: readonly { spotShock: string; volShock: PmrmVolShock; dampeningFactor: string }[];
  basis: { scenarioSpotUp: string; scenarioSpotDown: string; basisContAddFactor: string; basisContMultFactor: string };
  other: {
    pegLossThreshold: string;
    pegLossFactor: string;
    confThreshold: string;
    confMargin: string;
    MMPerpPercent: string;
    IMPerpPercent: string;
    MMOptionPercent: string;
    IMOptionPercent: string;
  };
  margin: {
    imFactor: string;
    mmFactor: string;
    shortRateMultScale: string;
    longRateMultScale: string;
    shortRateAddScale: string;
    longRateAddScale: string;
    shortBaseStaticDiscount: string;
    longBaseStaticDiscount: string;
  };
  baseCollateral: { isRiskCancelling: boolean; MMHaircut: string; IMHaircut: string };
};

const PMRM_SPOT_SHOCKS = ["0.8", "0.85", "0.9", "0.95", "1", "1.05", "1.1", "1.15", "1.2"] as const;

/**
 * A Derive-like PMRM setup: a grid of spot shocks 0.8..1.2 under None, Up and Down vol shocks (the
 * ±20% rows dampened to 0.9), then one Linear and one Abs skew scenario at spot 1 (29 scenarios).
 */
export const DERIVE_PMRM_PARAMS: DerivePmrmParams = {
  scenarios: [
    ...PMRM_SPOT_SHOCKS.flatMap((spotShock) =>
      (["None", "Up", "Down"] as const).map((volShock) => ({ spotShock, volShock, dampeningFactor: spotShock === "0.8" || spotShock === "1.2" ? "0.9" : "1" })),
    ),
    { spotShock: "1", volShock: "Linear", dampeningFactor: "1" },
    { spotShock: "1", volShock: "Abs", dampeningFactor: "1" },
  ],
  basis: { scenarioSpotUp: "1.05", scenarioSpotDown: "0.95", basisContAddFactor: "0.25", basisContMultFactor: "0.01" },
  other: {
    pegLossThreshold: "0.98",
    pegLossFactor: "2",
    confThreshold: "0.6",
    confMargin: "0.5",
    MMPerpPercent: "0.02",
    IMPerpPercent: "0.03",
    MMOptionPercent: "0.01",
    IMOptionPercent: "0.02",
  },
  margin: {
    imFactor: "1.3",
    mmFactor: "1",
    shortRateMultScale: "1.5",
    longRateMultScale: "1.5",
    shortRateAddScale: "0.05",
    longRateAddScale: "0.05",
    shortBaseStaticDiscount: "1.05",
    longBaseStaticDiscount: "0.95",
  },
  baseCollateral: { isRiskCancelling: true, MMHaircut: "0.02", IMHaircut: "0.03" },
};

const wadAll = <K extends string>(o: Record<K, string>) => Object.fromEntries(Object.entries<string>(o).map(([k, v]) => [k, w(v)])) as Record<K, bigint>;

/** The parameters as the fixture's structs take them (18-decimal bigints, volShock as its index). */
export function pmrmParamsOnChain(params: DerivePmrmParams) {
  return {
    scenarios: params.scenarios.map((s) => ({ spotShock: w(s.spotShock), volShock: PMRM_VOL_SHOCKS.indexOf(s.volShock), dampeningFactor: w(s.dampeningFactor) })),
    basis: wadAll(params.basis),
    other: wadAll(params.other),
    margin: wadAll(params.margin),
    baseCollateral: {
      isEnabled: true,
      isRiskCancelling: params.baseCollateral.isRiskCancelling,
      MMHaircut: w(params.baseCollateral.MMHaircut),
      IMHaircut: w(params.baseCollateral.IMHaircut),
    },
  };
}

export type DerivePortfolioManagerDeployment = { address: Address; abi: Abi; blockNumber: number };

/**
 * Deploys FixtureDerivePortfolioManager (owner: anvil account 0) for one market of a Derive fixture
 * deployment: that market's option and perp, its underlying's feed as spot, the deployment's cash. Sets
 * the scenarios and parameters and registers the market's wrapped base asset as collateral priced by
 * the same feed. No account is put under it: the caller does that with SubAccounts.setAccountManager.
 */
export async function deployDerivePortfolioManager(
  d: Deployment,
  derive: DeriveDeployment,
  market: DeriveMarket,
  params: DerivePmrmParams = DERIVE_PMRM_PARAMS,
): Promise<DerivePortfolioManagerDeployment> {
  const { FixtureDerivePortfolioManager: artifact } = await pickArtifacts(["FixtureDerivePortfolioManager"] as const);
  const owner = anvilAccount(0);
  const token = d.tokens[DERIVE_UNDERLYING[market]];
  const manager = await deploy(d.rpcUrl, owner, artifact, [derive.subAccounts, derive.cash, derive.options[market], derive.perps[market], token.feed, token.feedDecimals]);
  const onChain = pmrmParamsOnChain(params);
  const call = (functionName: string, args: readonly unknown[]) => send(d.rpcUrl, owner, { address: manager.address, abi: artifact.abi, functionName, args });
  await call("setScenarios", [onChain.scenarios]);
  await call("setBasisContingencyParams", [onChain.basis]);
  await call("setOtherContingencyParams", [onChain.other]);
  await call("setMarginParams", [onChain.margin]);
  await call("setCollateral", [derive.bases[market], token.feed, token.feedDecimals, onChain.baseCollateral]);
  return { address: manager.address, abi: artifact.abi, blockNumber: Number(manager.blockNumber) };
}

/** An SVI curve as FixtureLyraVolFeed.setVolData takes it (ILyraVolFeed.VolDetails, 18 decimals). */
export type SviVolDetails = {
  SVI_a: bigint;
  SVI_b: bigint;
  SVI_rho: bigint;
  SVI_m: bigint;
  SVI_sigma: bigint;
  SVI_fwd: bigint;
  SVI_refTau: bigint;
  confidence: bigint;
  timestamp: bigint;
};

/** A FixtureLyraVolFeed and a function that publishes an expiry's curve (one VolDataUpdated). */
export async function deployLyraVolFeed(d: Deployment) {
  const { FixtureLyraVolFeed: artifact } = await pickArtifacts(["FixtureLyraVolFeed"] as const);
  const owner = anvilAccount(0);
  const feed = await deploy(d.rpcUrl, owner, artifact, []);
  const publish = (expiry: bigint, details: SviVolDetails) => send(d.rpcUrl, owner, { address: feed.address, abi: artifact.abi, functionName: "setVolData", args: [expiry, details] });
  return { address: feed.address, publish };
}

/** A FixtureLyraForwardFeed and a function that publishes an expiry's data (one ForwardDataUpdated). */
export async function deployLyraForwardFeed(d: Deployment) {
  const { FixtureLyraForwardFeed: artifact } = await pickArtifacts(["FixtureLyraForwardFeed"] as const);
  const owner = anvilAccount(0);
  const feed = await deploy(d.rpcUrl, owner, artifact, []);
  const publish = (
    expiry: bigint,
    fwd: { fwdSpotDifference: bigint; confidence: bigint; timestamp: bigint },
    settlement: { settlementStartAggregate: bigint; currentSpotAggregate: bigint },
  ) => send(d.rpcUrl, owner, { address: feed.address, abi: artifact.abi, functionName: "setForwardData", args: [expiry, fwd, settlement] });
  return { address: feed.address, publish };
}
