import { zeroHash, type Address, type PublicClient } from "viem";
import { GmxV2ReadAbi } from "../../../abis/GmxV2EventEmitter";
import { marketParamKeys, USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE, virtualInventoryForPositionsKey, virtualTokenIdKey } from "./keys";
import { gmxV2ReleaseRules, type GmxV2Release } from "./releases";
import type { GmxV2MarketParams } from "./risk";

type Reader = Pick<PublicClient, "readContract">;

/**
 * A market's parameters as the liquidation check reads them (DataStore getUint, getBool, getBytes32),
 * keyed as `release` keys them, with that release. A flag the release does not have is false.
 */
export async function readMarketParams(
  client: Reader,
  dataStore: Address,
  market: { marketToken: Address; indexToken: Address },
  release: GmxV2Release,
  blockNumber: bigint,
): Promise<GmxV2MarketParams> {
  const at = { abi: GmxV2ReadAbi, address: dataStore, blockNumber } as const;
  const keys = Object.entries(marketParamKeys(market.marketToken, release));
  const [values, useOpenInterestInTokensForBalance, virtualTokenId] = await Promise.all([
    Promise.all(keys.map(([, key]) => client.readContract({ ...at, functionName: "getUint", args: [key] }))),
    gmxV2ReleaseRules(release).openInterestInTokensForBalance
      ? client.readContract({ ...at, functionName: "getBool", args: [USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE] })
      : false,
    client.readContract({ ...at, functionName: "getBytes32", args: [virtualTokenIdKey(market.indexToken)] }),
  ]);
  const uints = Object.fromEntries(keys.map(([name], i) => [name, values[i]!])) as Omit<
    GmxV2MarketParams,
    "release" | "useOpenInterestInTokensForBalance" | "virtualTokenId"
  >;
  return { ...uints, release, useOpenInterestInTokensForBalance, virtualTokenId: virtualTokenId === zeroHash ? null : virtualTokenId };
}

/** The index token's virtual inventory as the DataStore holds it (USD, or index tokens when balanced in tokens). */
export const readVirtualInventory = (client: Reader, dataStore: Address, params: GmxV2MarketParams, blockNumber: bigint): Promise<bigint> =>
  params.virtualTokenId === null
    ? Promise.resolve(0n)
    : client.readContract({
        abi: GmxV2ReadAbi,
        address: dataStore,
        functionName: "getInt",
        args: [virtualInventoryForPositionsKey(params.virtualTokenId, params.useOpenInterestInTokensForBalance)],
        blockNumber,
      });

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
