import { zeroAddress, type Address } from "viem";
import { GmxV1FastPriceFeedAbi, GmxV1VaultAbi, GmxV1VaultPriceFeedAbi } from "../../../abis/GmxV1Vault";
import { ruleFor, type GmxV1Deployment } from "./contracts";
import { vaultPrice, type FastPriceInputs, type VaultPriceInputs } from "./price-feed";
import type { GmxV1VaultParams } from "./risk";

// What a GMX v1 Vault's checks depend on that no event reports: its fees and leverage cap, the
// VaultUtils release, the min-profit rule, and its min and max price per token with the
// VaultPriceFeed / FastPriceFeed inputs behind them. Read at a block in three multicalls (the price
// feed's and fast feed's addresses come from the one before).

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
  tokens: Record<string, TokenReading>;
};

type Call = { address: Address; abi: readonly unknown[]; functionName: string; args?: readonly unknown[] };
type Client = { multicall(args: any): Promise<{ status: "success" | "failure"; result?: unknown }[]> };

async function multicall(client: Client, multicallAddress: Address, blockNumber: bigint, calls: Call[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const results = await client.multicall({ contracts: calls, allowFailure: true, blockNumber, multicallAddress });
  return results.map((r) => (r.status === "success" ? r.result : undefined));
}

/** Reads `tokens` of the Vault at the block (`timestamp` is the block's, for FastPriceFeed's staleness). */
export async function readVaultState(
  client: Client,
  deployment: GmxV1Deployment | undefined,
  vault: Address,
  tokens: Address[],
  blockNumber: bigint,
  timestamp: bigint,
): Promise<VaultReading> {
  const at = deployment?.multicall;
  if (!at) throw new Error(`GMX v1 Vault ${vault} is not configured`);
  const v = (functionName: string, args?: readonly unknown[]): Call => ({ address: vault, abi: GmxV1VaultAbi, functionName, args });
  const perToken = (fn: (t: Address) => Call[]) => tokens.flatMap(fn);

  const first = await multicall(client, at, blockNumber, [
    v("maxLeverage"),
    v("liquidationFeeUsd"),
    v("marginFeeBasisPoints"),
    v("minProfitTime"),
    v("vaultUtils"),
    v("priceFeed"),
    v("includeAmmPrice"),
    ...perToken((t) => [v("getMinPrice", [t]), v("getMaxPrice", [t]), v("minProfitBasisPoints", [t])]),
  ]);
  const [maxLeverage, liquidationFeeUsd, marginFeeBasisPoints, minProfitTime, vaultUtils, priceFeed, includeAmmPrice] = first;
  if (maxLeverage === undefined || liquidationFeeUsd === undefined || marginFeeBasisPoints === undefined) {
    throw new Error(`GMX v1 Vault ${vault}: maxLeverage, liquidationFeeUsd or marginFeeBasisPoints unreadable at block ${blockNumber}`);
  }
  const vaultPrices = tokens.map((_, i) => first.slice(7 + i * 3, 10 + i * 3) as [bigint?, bigint?, bigint?]);
  const inputs = await readPriceInputs(client, at, blockNumber, (priceFeed as Address | undefined) ?? zeroAddress, includeAmmPrice === true, tokens);

  const readTokens: Record<string, TokenReading> = {};
  tokens.forEach((token, i) => {
    const [minPrice, maxPrice, minProfitBps] = vaultPrices[i]!;
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
  const utils = ((vaultUtils as Address | undefined) ?? zeroAddress).toLowerCase() as Address;
  return {
    maxLeverage: maxLeverage as bigint,
    liquidationFeeUsd: liquidationFeeUsd as bigint,
    marginFeeBasisPoints: marginFeeBasisPoints as bigint,
    addsProfitOnLiquidation: ruleFor(deployment, utils) === "current",
    minProfitTime: (minProfitTime as bigint | undefined) ?? 0n,
    vaultUtils: utils,
    priceFeed: ((priceFeed as Address | undefined) ?? zeroAddress).toLowerCase() as Address,
    tokens: readTokens,
  };
}

/** VaultPriceFeed and FastPriceFeed inputs per token, or undefined when the feed's settings cannot be read. */
async function readPriceInputs(client: Client, at: Address, blockNumber: bigint, feed: Address, includeAmmPrice: boolean, tokens: Address[]) {
  if (feed === zeroAddress) return undefined;
  const f = (functionName: string, args?: readonly unknown[]): Call => ({ address: feed, abi: GmxV1VaultPriceFeedAbi, functionName, args });
  const PER_TOKEN = 7;
  const settings = await multicall(client, at, blockNumber, [
    f("isAmmEnabled"),
    f("isSecondaryPriceEnabled"),
    f("secondaryPriceFeed"),
    f("maxStrictPriceDeviation"),
    f("priceSampleSpace"),
    ...tokens.flatMap((t) => [
      f("getPrimaryPrice", [t, false]),
      f("getPrimaryPrice", [t, true]),
      f("spreadBasisPoints", [t]),
      f("strictStableTokens", [t]),
      f("adjustmentBasisPoints", [t]),
      f("isAdjustmentAdditive", [t]),
      f("getAmmPrice", [t]),
    ]),
  ]);
  const [isAmmEnabled, isSecondaryPriceEnabled, secondary, maxStrictPriceDeviation, sampleSpace] = settings;
  if (isSecondaryPriceEnabled === undefined || maxStrictPriceDeviation === undefined || sampleSpace === undefined) return undefined;
  const fast = isSecondaryPriceEnabled === true && secondary && secondary !== zeroAddress ? await readFastPrices(client, at, blockNumber, secondary as Address, tokens) : null;
  return tokens.map((_, i): VaultPriceInputs | undefined => {
    const [primaryMin, primaryMax, spreadBasisPoints, strictStable, adjustmentBasisPoints, isAdjustmentAdditive, ammPrice] = settings.slice(5 + i * PER_TOKEN, 5 + (i + 1) * PER_TOKEN);
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

async function readFastPrices(client: Client, at: Address, blockNumber: bigint, feed: Address, tokens: Address[]) {
  const f = (functionName: string, args?: readonly unknown[]): Call => ({ address: feed, abi: GmxV1FastPriceFeedAbi, functionName, args });
  const r = await multicall(client, at, blockNumber, [
    f("lastUpdatedAt"),
    f("priceDuration"),
    f("maxPriceUpdateDelay"),
    f("spreadBasisPointsIfInactive"),
    f("spreadBasisPointsIfChainError"),
    f("maxDeviationBasisPoints"),
    ...tokens.flatMap((t) => [f("prices", [t]), f("favorFastPrice", [t])]),
  ]);
  const [lastUpdatedAt, priceDuration, maxPriceUpdateDelay, spreadBasisPointsIfInactive, spreadBasisPointsIfChainError, maxDeviationBasisPoints] = r as (bigint | undefined)[];
  if ([lastUpdatedAt, priceDuration, maxPriceUpdateDelay, spreadBasisPointsIfInactive, spreadBasisPointsIfChainError, maxDeviationBasisPoints].includes(undefined)) return undefined;
  return tokens.map((_, i): FastPriceInputs | undefined => {
    const [price, favor] = r.slice(6 + i * 2, 8 + i * 2);
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
