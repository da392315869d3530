import { zeroHash, type Address, type Hex, type PublicClient } from "viem";
import { GmxV2ReadAbi } from "../../../abis/GmxV2EventEmitter";
import {
  accrualClockKeys,
  IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR,
  impactPoolKeys,
  marketParamKeys,
  SKIP_BORROWING_FEE_FOR_SMALLER_SIDE,
  stableFundingFactorKey,
  USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE,
  virtualInventoryForPositionsKey,
  virtualTokenIdKey,
} from "./keys";
import { gmxV2ReleaseRules, type GmxV2Release } from "./releases";
import type { GmxV2MarketParams } from "./risk";

type Reader = Pick<PublicClient, "multicall">;

/** A deployment's DataStore and the Multicall3-compatible contract its reads go through. */
export type DataStoreAt = { dataStore: Address; multicall: Address };

type Read = { functionName: "getUint" | "getInt" | "getBool" | "getBytes32"; key: Hex };

/** DataStore getters at a block, in one multicall (one RPC call however many keys). */
async function readDataStore(client: Reader, store: DataStoreAt, blockNumber: bigint, reads: Read[]): Promise<unknown[]> {
  if (reads.length === 0) return [];
  const contracts = reads.map((r) => ({ abi: GmxV2ReadAbi, address: store.dataStore, functionName: r.functionName, args: [r.key] }) as const);
  return client.multicall({ contracts, allowFailure: false, blockNumber, multicallAddress: store.multicall });
}

/**
 * A market's parameters as the liquidation check reads them (DataStore getUint, getBool, getBytes32),
 * keyed as `release` keys them, with that release. A flag the release does not have is false, a factor 0.
 */
export async function readMarketParams(
  client: Reader,
  store: DataStoreAt,
  market: { marketToken: Address; indexToken: Address },
  release: GmxV2Release,
  blockNumber: bigint,
): Promise<GmxV2MarketParams> {
  const keys = Object.entries(marketParamKeys(market.marketToken, release));
  const rules = gmxV2ReleaseRules(release);
  // Keys only some releases have: read where the release has them, else their "absent" value.
  const optional: Record<"useOpenInterestInTokensForBalance" | "ignoreOpenInterestForUsageFactor" | "stableFundingFactor", Read | null> = {
    useOpenInterestInTokensForBalance: rules.openInterestInTokensForBalance ? { functionName: "getBool", key: USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE } : null,
    ignoreOpenInterestForUsageFactor: rules.kinkUsage === "reserveOrOpenInterest" ? { functionName: "getBool", key: IGNORE_OPEN_INTEREST_FOR_USAGE_FACTOR } : null,
    stableFundingFactor: rules.stableOrUncappedFunding ? { functionName: "getUint", key: stableFundingFactorKey(market.marketToken) } : null,
  };
  const optionalReads = Object.entries(optional).filter((e): e is [keyof typeof optional, Read] => e[1] !== null);
  const values = await readDataStore(client, store, blockNumber, [
    ...keys.map(([, key]): Read => ({ functionName: "getUint", key })),
    { functionName: "getBool", key: SKIP_BORROWING_FEE_FOR_SMALLER_SIDE },
    { functionName: "getBytes32", key: virtualTokenIdKey(market.indexToken) },
    ...optionalReads.map(([, read]) => read),
  ]);
  const uints = Object.fromEntries(keys.map(([name], i) => [name, values[i] as bigint])) as Omit<GmxV2MarketParams, "release" | "skipBorrowingFeeForSmallerSide" | "virtualTokenId" | keyof typeof optional>;
  const [skipBorrowingFeeForSmallerSide, virtualTokenId] = values.slice(keys.length, keys.length + 2) as [boolean, Hex];
  const read = Object.fromEntries(optionalReads.map(([name], i) => [name, values[keys.length + 2 + i]]));
  return {
    ...uints,
    release,
    useOpenInterestInTokensForBalance: (read.useOpenInterestInTokensForBalance as boolean | undefined) ?? false,
    ignoreOpenInterestForUsageFactor: (read.ignoreOpenInterestForUsageFactor as boolean | undefined) ?? false,
    stableFundingFactor: (read.stableFundingFactor as bigint | undefined) ?? 0n,
    skipBorrowingFeeForSmallerSide,
    virtualTokenId: virtualTokenId === zeroHash ? null : virtualTokenId,
  };
}

/** The index token's virtual inventory as the DataStore holds it (USD, or index tokens when balanced in tokens). */
export async function readVirtualInventory(client: Reader, store: DataStoreAt, params: GmxV2MarketParams, blockNumber: bigint): Promise<bigint> {
  if (params.virtualTokenId === null) return 0n;
  const key = virtualInventoryForPositionsKey(params.virtualTokenId, params.useOpenInterestInTokensForBalance);
  const [value] = await readDataStore(client, store, blockNumber, [{ functionName: "getInt", key }]);
  return value as bigint;
}

/**
 * The market's accrual clock and position impact pool as the DataStore holds them at a block
 * (timestamps in seconds; no event reports the clock, nor a distribution of nothing).
 */
export async function readAccrualClock(client: Reader, store: DataStoreAt, market: Address, blockNumber: bigint) {
  const keys = accrualClockKeys(market);
  const pool = impactPoolKeys(market);
  const values = await readDataStore(client, store, blockNumber, [
    { functionName: "getUint", key: keys.borrowingUpdatedAtLong },
    { functionName: "getUint", key: keys.borrowingUpdatedAtShort },
    { functionName: "getUint", key: keys.fundingUpdatedAt },
    { functionName: "getInt", key: keys.savedFundingFactorPerSecond },
    { functionName: "getUint", key: pool.amount },
    { functionName: "getUint", key: pool.distributedAt },
    { functionName: "getUint", key: pool.lentAmount },
  ]);
  const [borrowingUpdatedAtLong, borrowingUpdatedAtShort, fundingUpdatedAt, savedFundingFactorPerSecond, amount, distributedAt, lentAmount] = values as bigint[];
  return {
    borrowingUpdatedAtLong: borrowingUpdatedAtLong!,
    borrowingUpdatedAtShort: borrowingUpdatedAtShort!,
    fundingUpdatedAt: fundingUpdatedAt!,
    savedFundingFactorPerSecond: savedFundingFactorPerSecond!,
    impactPool: { amount: amount!, distributedAt: distributedAt!, lentAmount: lentAmount! },
  };
}

/**
 * A market with an impact factor but no exponent: every live GMX v2 market has an exponent (1 or
 * more), so a zero means the DataStore was read with another release's keys (a missing key reads 0).
 */
export function releaseMismatch(m: GmxV2MarketParams): string | null {
  const unkeyed = (factor: bigint, exponent: bigint) => factor > 0n && exponent === 0n;
  if (unkeyed(m.positionImpactFactorPositive, m.positionImpactExponentFactorPositive) || unkeyed(m.positionImpactFactorNegative, m.positionImpactExponentFactorNegative)) {
    return "price impact exponent reads 0 while its factor does not: the deployment's configured release likely keys it differently; impact and liquidation price unreliable";
  }
  return null;
}
