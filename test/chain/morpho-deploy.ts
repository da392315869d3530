import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import solc from "solc-0.8.19";
import { encodeAbiParameters, keccak256, maxUint256, parseUnits, type Address, type Hex } from "viem";
import { fundGas } from "./aave-deploy.js";
import { anvilAccount, deploy, read, send } from "./clients.js";
import { compileCached, type Artifact } from "./compile.js";
import { fixtureAbis, type Deployment, type TokenSymbol } from "./deploy.js";

const ROOT = resolve(import.meta.dirname, "../..");
const PACKAGE_SOURCES = join(ROOT, "node_modules/@morpho-org/morpho-blue/src");

/** Anvil accounts of the Morpho fixture: the lender that seeds each market, the liquidator, the fee recipient. */
export const MORPHO_LP_ACCOUNT_INDEX = 24;
export const MORPHO_LIQUIDATOR_ACCOUNT_INDEX = 25;
export const MORPHO_FEE_RECIPIENT_ACCOUNT_INDEX = 26;

export const WAD = 10n ** 18n;
export const ORACLE_PRICE_SCALE = 10n ** 36n;

export type MarketParams = { loanToken: Address; collateralToken: Address; oracle: Address; irm: Address; lltv: bigint };

export type MorphoMarket = { id: Hex; name: string; params: MarketParams; loan: TokenSymbol; collateral: TokenSymbol; fee: bigint };

export type MorphoDeployment = {
  morpho: Address;
  irm: Address;
  reader: Address;
  feeRecipient: Address;
  startBlock: number;
  markets: MorphoMarket[];
};

/** The fixture's markets: loan and collateral tokens of the GMX v1 fixture, Morpho's enabled LLTVs, a fee on one. */
const MARKETS: { name: string; loan: TokenSymbol; collateral: TokenSymbol; lltv: bigint; fee: bigint; seed: string }[] = [
  { name: "WETH/USDC", loan: "USDC", collateral: "WETH", lltv: parseUnits("0.86", 18), fee: parseUnits("0.1", 18), seed: "2000000" },
  { name: "WBTC/WETH", loan: "WETH", collateral: "WBTC", lltv: parseUnits("0.77", 18), fee: 0n, seed: "600" },
];

// One compile per process.
let artifacts: Promise<Record<string, Artifact>> | undefined;

/**
 * Morpho Blue as released: the npm package's sources (Morpho.sol, its libraries and mocks) compiled
 * with solc 0.8.19 and the release build's settings (via-IR, 999999 runs), plus our test-only reader
 * on Morpho's periphery library. Nothing of Morpho's is copied into this repository.
 */
export function morphoArtifacts(): Promise<Record<string, Artifact>> {
  artifacts ??= (async () => {
    const sources: Record<string, { content: string }> = {};
    for (const file of await solidityFiles(PACKAGE_SOURCES)) {
      sources[`morpho-blue/${relative(PACKAGE_SOURCES, file)}`] = { content: await readFile(file, "utf8") };
    }
    const reader = join(import.meta.dirname, "morpho/MorphoBalancesReader.sol");
    sources["MorphoBalancesReader.sol"] = { content: await readFile(reader, "utf8") };
    const settings = { viaIR: true, optimizer: { enabled: true, runs: 999999 }, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } };
    return compileCached(solc, { language: "Solidity", sources, settings }, {});
  })();
  return artifacts;
}

async function solidityFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? solidityFiles(join(dir, e.name)) : e.name.endsWith(".sol") ? [join(dir, e.name)] : [])));
  return nested.flat();
}

export async function morphoArtifact(name: "Morpho" | "IrmMock" | "OracleMock" | "MorphoBalancesReader"): Promise<Artifact> {
  const artifact = (await morphoArtifacts())[name];
  if (!artifact) throw new Error(`Morpho compile lacks ${name}`);
  return artifact;
}

/** MarketParamsLib.id: keccak256 of the abi-encoded params. */
export const marketId = (p: MarketParams): Hex =>
  keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "address" }, { type: "address" }, { type: "uint256" }],
      [p.loanToken, p.collateralToken, p.oracle, p.irm, p.lltv],
    ),
  );

/** The oracle price a Chainlink-based Morpho oracle reports: loan-token units per collateral unit, at 1e36. */
export function oraclePriceFromFeeds(d: Deployment, collateral: TokenSymbol, loan: TokenSymbol, collateralAnswer: bigint, loanAnswer: bigint): bigint {
  const c = d.tokens[collateral];
  const l = d.tokens[loan];
  return (collateralAnswer * ORACLE_PRICE_SCALE * 10n ** BigInt(l.decimals)) / (loanAnswer * 10n ** BigInt(c.decimals));
}

export async function feedAnswer(d: Deployment, symbol: TokenSymbol): Promise<bigint> {
  const { aggregator } = await fixtureAbis();
  return read<bigint>(d.rpcUrl, { address: d.tokens[symbol].feed, abi: aggregator, functionName: "latestAnswer" });
}

/** Sets each market's OracleMock to the ratio of its tokens' feeds (as a Chainlink-based Morpho oracle reads them). */
export async function syncOracles(d: Deployment, m: MorphoDeployment): Promise<void> {
  const oracle = await morphoArtifact("OracleMock");
  for (const market of m.markets) {
    const price = oraclePriceFromFeeds(d, market.collateral, market.loan, await feedAnswer(d, market.collateral), await feedAnswer(d, market.loan));
    await send(d.rpcUrl, anvilAccount(0), { address: market.params.oracle, abi: oracle.abi, functionName: "setPrice", args: [price] });
  }
}

/**
 * Deploys the real Morpho Blue (owner: account 0) with Morpho's IrmMock (APR = utilisation) and an
 * OracleMock per market, on the chain of a GMX v1 fixture deployment and with its tokens; creates
 * the fixture's markets, sets a fee recipient and a fee, and seeds each market's supply from the LP.
 */
export async function deployMorphoBlue(d: Deployment): Promise<MorphoDeployment> {
  const deployer = anvilAccount(0);
  const morphoCode = await morphoArtifact("Morpho");
  const morpho = await deploy(d.rpcUrl, deployer, morphoCode, [deployer.address]);
  const irm = await deploy(d.rpcUrl, deployer, await morphoArtifact("IrmMock"), []);
  const reader = await deploy(d.rpcUrl, deployer, await morphoArtifact("MorphoBalancesReader"), []);
  const call = (functionName: string, args: unknown[]) => send(d.rpcUrl, deployer, { address: morpho.address, abi: morphoCode.abi, functionName, args });
  const feeRecipient = anvilAccount(MORPHO_FEE_RECIPIENT_ACCOUNT_INDEX).address;
  await call("enableIrm", [irm.address]);
  await call("setFeeRecipient", [feeRecipient]);

  const { token } = await fixtureAbis();
  const lp = anvilAccount(MORPHO_LP_ACCOUNT_INDEX);
  await fundGas(d.rpcUrl, lp.address);
  const markets: MorphoMarket[] = [];
  for (const spec of MARKETS) {
    const oracle = await deploy(d.rpcUrl, deployer, await morphoArtifact("OracleMock"), []);
    const params: MarketParams = {
      loanToken: d.tokens[spec.loan].address,
      collateralToken: d.tokens[spec.collateral].address,
      oracle: oracle.address,
      irm: irm.address,
      lltv: spec.lltv,
    };
    if (!(await read<boolean>(d.rpcUrl, { address: morpho.address, abi: morphoCode.abi, functionName: "isLltvEnabled", args: [spec.lltv] }))) {
      await call("enableLltv", [spec.lltv]);
    }
    const market = { id: marketId(params), name: spec.name, params, loan: spec.loan, collateral: spec.collateral, fee: spec.fee };
    markets.push(market);
  }
  const deployment = { morpho: morpho.address, irm: irm.address, reader: reader.address, feeRecipient, startBlock: Number(morpho.blockNumber), markets };
  await syncOracles(d, deployment);
  for (const market of markets) {
    await call("createMarket", [market.params]);
    if (market.fee !== 0n) await call("setFee", [market.params, market.fee]);
    const seed = parseUnits(MARKETS.find((s) => s.name === market.name)!.seed, d.tokens[market.loan].decimals);
    await send(d.rpcUrl, deployer, { address: market.params.loanToken, abi: token, functionName: "mint", args: [lp.address, seed] });
    await send(d.rpcUrl, lp, { address: market.params.loanToken, abi: token, functionName: "approve", args: [morpho.address, maxUint256] });
    await send(d.rpcUrl, lp, { address: morpho.address, abi: morphoCode.abi, functionName: "supply", args: [market.params, seed, 0n, lp.address, "0x"] });
  }
  return deployment;
}
