import type { Address, PublicClient } from "viem";
import { GmxV2ReadAbi } from "../../../abis/GmxV2EventEmitter";
import { marketParamKeys } from "./keys";
import type { GmxV2Release } from "./releases";
import type { GmxV2MarketParams } from "./risk";

/** A market's parameters as the liquidation check reads them (DataStore.getUint), keyed as `release` keys them, with that release. */
export async function readMarketParams(
  client: Pick<PublicClient, "readContract">,
  dataStore: Address,
  market: Address,
  release: GmxV2Release,
  blockNumber: bigint,
): Promise<GmxV2MarketParams> {
  const keys = Object.entries(marketParamKeys(market, release));
  const values = await Promise.all(
    keys.map(([, key]) => client.readContract({ abi: GmxV2ReadAbi, address: dataStore, functionName: "getUint", args: [key], blockNumber })),
  );
  return { ...(Object.fromEntries(keys.map(([name], i) => [name, values[i]])) as Omit<GmxV2MarketParams, "release">), release };
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
