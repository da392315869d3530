import { zeroAddress, type Abi, type Address, type PublicClient } from "viem";
import { GmxV1FastPriceFeedAbi, GmxV1VaultAbi, GmxV1VaultPriceFeedAbi } from "../../../abis/GmxV1Vault";
import { ruleFor, type GmxV1Deployment } from "./contracts";
import { vaultPrice, type FastPriceInputs, type VaultPriceInputs } from "./price-feed";
import type { GmxV1VaultParams } from "./risk";

// What a GMX v1 Vault's checks depend on that no event reports: its fees and leverage cap, the
// VaultUtils release, the min-profit rule, and its min and max price per token with the
// VaultPriceFeed / FastPriceFeed inputs behind them. Read at a block in one multicall.

/** One token as the Vault prices it at the block (prices USD 1e30 per whole token; null: the read failed). */
export type TokenReading = {
  minPrice: bigint | null;
  maxPrice: bigint | null;
  minProfitBasisPoints: bigint;
  /** The price feed's inputs, when they could be read and ./price-feed.ts reproduces the Vault's two prices from them. */
  inputs: VaultPriceInputs | null;
};

export type VaultReading = GmxV1VaultParams & {
  minProfitTime: bigint;
  vaultUtils: Address;
  priceFeed: Address;
  /** FastPriceFeed when VaultPriceFeed uses one (isSecondaryPriceEnabled), else the zero address. */
  secondaryPriceFeed: Address;
  tokens: Record<string, TokenReading>;
};

type Call = { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] };
/** What is asked of the client (ponder's context.client is a viem client with public actions). */
type Client = Pick<PublicClient, "multicall">;

async function multicall(client: Client, multicallAddress: Address, blockNumber: bigint, calls: Call[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const results = await client.multicall({ contracts: calls, allowFailure: true, blockNumber, multicallAddress });
  return results.map((r) => (r.status === "success" ? r.result : undefined));
}

type Sources = { priceFeed: Address; secondary: Address };
const NO_SOURCES: Sources = { priceFeed: zeroAddress, secondary: zeroAddress };
const lower = (a: unknown) => ((a as Address | undefined) ?? zeroAddress).toLowerCase() as Address;

const vaultCalls = (vault: Address, tokens: Address[]): Call[] => {
  const v = (functionName: string, args?: readonly unknown[]): Call => ({ address: vault, abi: GmxV1VaultAbi, functionName, args });
  return [
    ...["maxLeverage", "liquidationFeeUsd", "marginFeeBasisPoints", "minProfitTime", "vaultUtils", "priceFeed", "includeAmmPrice"].map((f) => v(f)),
    ...tokens.flatMap((t) => [v("getMinPrice", [t]), v("getMaxPrice", [t]), v("minProfitBasisPoints", [t])]),
  ];
};

const FEED_SETTINGS = ["isAmmEnabled", "isSecondaryPriceEnabled", "secondaryPriceFeed", "maxStrictPriceDeviation", "priceSampleSpace"];
const FEED_PER_TOKEN = 7;
const feedCalls = (feed: Address, tokens: Address[]): Call[] => {
  if (feed === zeroAddress) return [];
  const f = (functionName: string, args?: readonly unknown[]): Call => ({ address: feed, abi: GmxV1VaultPriceFeedAbi, functionName, args });
  return [
    ...FEED_SETTINGS.map((name) => f(name)),
    ...tokens.flatMap((t) => [
      f("getPrimaryPrice", [t, false]),
      f("getPrimaryPrice", [t, true]),
      f("spreadBasisPoints", [t]),
      f("strictStableTokens", [t]),
      f("adjustmentBasisPoints", [t]),
      f("isAdjustmentAdditive", [t]),
      f("getAmmPrice", [t]),
    ]),
  ];
};

const FAST_SETTINGS = ["lastUpdatedAt", "priceDuration", "maxPriceUpdateDelay", "spreadBasisPointsIfInactive", "spreadBasisPointsIfChainError", "maxDeviationBasisPoints"];
const fastCalls = (fast: Address, tokens: Address[]): Call[] => {
  if (fast === zeroAddress) return [];
  const f = (functionName: string, args?: readonly unknown[]): Call => ({ address: fast, abi: GmxV1FastPriceFeedAbi, functionName, args });
  return [...FAST_SETTINGS.map((name) => f(name)), ...tokens.flatMap((t) => [f("prices", [t]), f("favorFastPrice", [t])])];
};

const sourceCalls = (vault: Address, tokens: Address[], sources: Sources) => [
  vaultCalls(vault, tokens),
  feedCalls(sources.priceFeed, tokens),
  fastCalls(sources.secondary, tokens),
];

/** Per Vault (chain:vault): multicalls started before their block was indexed (readVaultStateAhead), each taken by that block's reading. */
const started = new Map<string, Map<string, { blockNumber: bigint; flat: Promise<unknown[] | undefined> }>>();
const vaultScope = (deployment: GmxV1Deployment, vault: Address) => `${deployment.chain}:${vault.toLowerCase()}`;
const readKey = (tokens: Address[], sources: Sources, blockNumber: bigint) =>
  `${tokens.join(",")}:${sources.priceFeed}:${sources.secondary}:${blockNumber}`.toLowerCase();

/** The results of the multicall started for this block and these feeds, if one was and it answered. */
async function takeStarted(scope: string, tokens: Address[], sources: Sources, blockNumber: bigint) {
  const reads = started.get(scope);
  const found = reads?.get(readKey(tokens, sources, blockNumber));
  // Reads for this or earlier blocks are this one or can no longer be taken (the feeds changed).
  for (const [key, read] of reads ?? []) if (read.blockNumber <= blockNumber) reads!.delete(key);
  return found && (await found.flat);
}

/**
 * Starts the multicalls `readVaultState` will make at these blocks, with the feeds known now; a
 * reading that finds other feeds, or whose early read failed, reads again itself. Only for blocks
 * that exist and cannot be reverted (./read-ahead.ts).
 */
export function readVaultStateAhead(client: Client, deployment: GmxV1Deployment | undefined, vault: Address, tokens: Address[], blocks: bigint[], known: Sources) {
  if (!deployment?.multicall) return;
  const scope = vaultScope(deployment, vault);
  const reads = started.get(scope) ?? new Map();
  started.set(scope, reads);
  for (const blockNumber of blocks) {
    const key = readKey(tokens, known, blockNumber);
    if (reads.has(key)) continue;
    const flat = multicall(client, deployment.multicall, blockNumber, sourceCalls(vault, tokens, known).flat()).catch(() => undefined);
    reads.set(key, { blockNumber, flat });
  }
}

/**
 * The Vault's, its price feed's and the fast feed's reads in one multicall, addressed to the feeds the
 * last reading found (`known`); when the Vault or the feed now names another, again with those (at
 * most three rounds, as reading them one after the other would take).
 */
async function readSources(client: Client, scope: string, at: Address, blockNumber: bigint, vault: Address, tokens: Address[], known: Sources) {
  let sources = known;
  for (;;) {
    const groups = sourceCalls(vault, tokens, sources);
    const flat = (await takeStarted(scope, tokens, sources, blockNumber)) ?? (await multicall(client, at, blockNumber, groups.flat()));
    const v = flat.slice(0, groups[0]!.length);
    const f = flat.slice(groups[0]!.length, groups[0]!.length + groups[1]!.length);
    const s = flat.slice(groups[0]!.length + groups[1]!.length);
    const priceFeed = lower(v[5]);
    if (priceFeed !== sources.priceFeed) {
      sources = { priceFeed, secondary: zeroAddress };
      continue;
    }
    // getPriceV1 asks the secondary feed only when it is enabled.
    const secondary = f[1] === true ? lower(f[2]) : zeroAddress;
    if (secondary !== sources.secondary) {
      sources = { priceFeed, secondary };
      continue;
    }
    return { sources, v, f, s };
  }
}

/**
 * Reads `tokens` of the Vault at the block (`timestamp` is the block's, for FastPriceFeed's
 * staleness); `known` are the feeds the last reading found, so one multicall usually does.
 */
export async function readVaultState(
  client: Client,
  deployment: GmxV1Deployment | undefined,
  vault: Address,
  tokens: Address[],
  blockNumber: bigint,
  timestamp: bigint,
  known: Sources = NO_SOURCES,
): Promise<VaultReading> {
  const at = deployment?.multicall;
  if (!at) throw new Error(`GMX v1 Vault ${vault} is not configured`);
  const { sources, v, f, s } = await readSources(client, vaultScope(deployment, vault), at, blockNumber, vault, tokens, known);
  const [maxLeverage, liquidationFeeUsd, marginFeeBasisPoints, minProfitTime, vaultUtils, , includeAmmPrice] = v;
  if (maxLeverage === undefined || liquidationFeeUsd === undefined || marginFeeBasisPoints === undefined) {
    throw new Error(`GMX v1 Vault ${vault}: maxLeverage, liquidationFeeUsd or marginFeeBasisPoints unreadable at block ${blockNumber}`);
  }
  const inputs = priceInputs(f, s, sources, includeAmmPrice === true, tokens);

  const readTokens: Record<string, TokenReading> = {};
  tokens.forEach((token, i) => {
    const [minPrice, maxPrice, minProfitBps] = v.slice(7 + i * 3, 10 + i * 3) as [bigint?, bigint?, bigint?];
    const modelled = inputs?.[i];
    // Kept only when they give the Vault's own prices: then a stressed mark can be priced the same way.
    const reproduces =
      modelled !== undefined && minPrice === vaultPrice(modelled, false, timestamp) && maxPrice === vaultPrice(modelled, true, timestamp);
    readTokens[token.toLowerCase()] = {
      minPrice: minPrice ?? null,
      maxPrice: maxPrice ?? null,
      minProfitBasisPoints: minProfitBps ?? 0n,
      inputs: reproduces ? modelled : null,
    };
  });
  const utils = lower(vaultUtils);
  return {
    maxLeverage: maxLeverage as bigint,
    liquidationFeeUsd: liquidationFeeUsd as bigint,
    marginFeeBasisPoints: marginFeeBasisPoints as bigint,
    addsProfitOnLiquidation: ruleFor(deployment, utils) === "current",
    minProfitTime: (minProfitTime as bigint | undefined) ?? 0n,
    vaultUtils: utils,
    priceFeed: sources.priceFeed,
    secondaryPriceFeed: sources.secondary,
    tokens: readTokens,
  };
}

/** VaultPriceFeed and FastPriceFeed inputs per token from their reads, or undefined when the feed's settings could not be read. */
function priceInputs(f: unknown[], s: unknown[], sources: Sources, includeAmmPrice: boolean, tokens: Address[]) {
  if (sources.priceFeed === zeroAddress) return undefined;
  const [isAmmEnabled, , , maxStrictPriceDeviation, sampleSpace] = f;
  if (f[1] === undefined || maxStrictPriceDeviation === undefined || sampleSpace === undefined) return undefined;
  const fast = sources.secondary === zeroAddress ? null : fastInputs(s, tokens);
  return tokens.map((_, i): VaultPriceInputs | undefined => {
    const at = FEED_SETTINGS.length + i * FEED_PER_TOKEN;
    const [primaryMin, primaryMax, spreadBasisPoints, strictStable, adjustmentBasisPoints, isAdjustmentAdditive, ammPrice] = f.slice(at, at + FEED_PER_TOKEN);
    if (primaryMin === undefined || primaryMax === undefined || spreadBasisPoints === undefined) return undefined;
    const secondaryInputs = fast === null ? null : fast?.[i];
    if (secondaryInputs === undefined) return undefined;
    return {
      primaryMin: primaryMin as bigint,
      primaryMax: primaryMax as bigint,
      sampleSpace: sampleSpace as bigint,
      // getPriceV1 asks for the AMM price only when the Vault includes it and the feed enables it.
      ammPrice: includeAmmPrice && isAmmEnabled === true ? ((ammPrice as bigint | undefined) ?? 0n) : 0n,
      secondary: secondaryInputs,
      spreadBasisPoints: spreadBasisPoints as bigint,
      strictStable: strictStable === true,
      maxStrictPriceDeviation: maxStrictPriceDeviation as bigint,
      adjustmentBasisPoints: (adjustmentBasisPoints as bigint | undefined) ?? 0n,
      isAdjustmentAdditive: isAdjustmentAdditive === true,
    };
  });
}

function fastInputs(r: unknown[], tokens: Address[]) {
  const settings = r.slice(0, FAST_SETTINGS.length) as (bigint | undefined)[];
  if (settings.includes(undefined)) return undefined;
  const [lastUpdatedAt, priceDuration, maxPriceUpdateDelay, spreadBasisPointsIfInactive, spreadBasisPointsIfChainError, maxDeviationBasisPoints] = settings as bigint[];
  return tokens.map((_, i): FastPriceInputs | undefined => {
    const [price, favor] = r.slice(FAST_SETTINGS.length + i * 2, FAST_SETTINGS.length + i * 2 + 2);
    if (price === undefined || favor === undefined) return undefined;
    return {
      price: price as bigint,
      lastUpdatedAt: lastUpdatedAt!,
      priceDuration: priceDuration!,
      maxPriceUpdateDelay: maxPriceUpdateDelay!,
      spreadBasisPointsIfInactive: spreadBasisPointsIfInactive!,
      spreadBasisPointsIfChainError: spreadBasisPointsIfChainError!,
      maxDeviationBasisPoints: maxDeviationBasisPoints!,
      favorFastPrice: favor === true,
    };
  });
}

// The reading is stored with its tokens as JSON: bigints as decimal strings.
const toJson = (value: unknown): unknown =>
  typeof value === "bigint"
    ? `${value}n`
    : Array.isArray(value)
      ? value.map(toJson)
      : value !== null && typeof value === "object"
        ? Object.fromEntries(Object.entries(value).map(([k, x]) => [k, toJson(x)]))
        : value;
const fromJson = (value: unknown): unknown =>
  typeof value === "string" && /^-?\d+n$/.test(value)
    ? BigInt(value.slice(0, -1))
    : Array.isArray(value)
      ? value.map(fromJson)
      : value !== null && typeof value === "object"
        ? Object.fromEntries(Object.entries(value).map(([k, x]) => [k, fromJson(x)]))
        : value;

export const encodeTokens = (tokens: Record<string, TokenReading>) => toJson(tokens) as Record<string, unknown>;
export const decodeTokens = (stored: unknown): Record<string, TokenReading> => (fromJson(stored ?? {}) as Record<string, TokenReading>);
