import type { Address } from "viem";
import type { HDAccount } from "viem/accounts";
import { anvilAccount, chainClients, read, send } from "./clients.js";
import { setPrice, type Deployment, type FixtureAbis, type TokenSymbol } from "./deploy.js";

// Opening GMX v1 fixture positions and moving the Vault's own price, shared by the tests of the
// Vault's prices and parameters.

const E30 = 10n ** 30n;
const BPS = 10_000n;

export type Opened = { trader: HDAccount; index: TokenSymbol; collateral: TokenSymbol; isLong: boolean };

/** Opens `sizeUsd` (1e30) on `collateralUsd` whole dollars at the index price `priceUsd`, for anvil account `accountIndex` (funded here). */
export async function openPosition(
  d: Deployment,
  abis: FixtureAbis,
  o: { accountIndex: number; index: TokenSymbol; isLong: boolean; collateralUsd: bigint; sizeUsd: bigint; priceUsd: bigint },
): Promise<Opened> {
  const trader = anvilAccount(o.accountIndex);
  await chainClients(d.rpcUrl).publicClient.request({ method: "anvil_setBalance" as any, params: [trader.address, "0x56BC75E2D63100000"] as any });
  const collateral: TokenSymbol = o.isLong ? o.index : "USDC";
  const t = d.tokens[collateral];
  const amount = collateral === "USDC" ? o.collateralUsd * 10n ** 6n : (o.collateralUsd * 10n ** BigInt(t.decimals)) / o.priceUsd;
  await send(d.rpcUrl, anvilAccount(0), { address: t.address, abi: abis.token, functionName: "mint", args: [trader.address, amount] });
  await send(d.rpcUrl, trader, { address: t.address, abi: abis.token, functionName: "transfer", args: [d.vault, amount] });
  await send(d.rpcUrl, trader, {
    address: d.vault,
    abi: abis.vault,
    functionName: "increasePosition",
    args: [trader.address, t.address, d.tokens[o.index].address, o.sizeUsd, o.isLong],
  });
  return { trader, index: o.index, collateral, isLong: o.isLong };
}

export const validateLiquidation = (d: Deployment, abis: FixtureAbis, o: Opened) =>
  read<readonly [bigint, bigint]>(d.rpcUrl, {
    address: d.vault,
    abi: abis.vault,
    functionName: "validateLiquidation",
    args: [o.trader.address, d.tokens[o.collateral].address, d.tokens[o.index].address, o.isLong, false],
  });

/**
 * Three Chainlink rounds far on the other side of `fast` (so the sampled extreme stays there), then
 * the fast price itself, deviating from them: the Vault's min price of a long is then
 * fast * (1 - spread), the max price of a short fast * (1 + spread).
 */
export async function setDeviatingFastPrice(d: Deployment, abis: FixtureAbis, o: Opened, fast: bigint) {
  const far = o.isLong ? (fast * 2n) / E30 + 1n : fast / E30 / 2n + 1n;
  for (const k of [0n, 1n, 2n]) await setPrice(d, o.index, (far + k) * 10n ** 8n);
  await setFastPrice(d, abis, o.index, fast);
}

export const setFastPrice = (d: Deployment, abis: FixtureAbis, index: TokenSymbol, fast: bigint) =>
  send(d.rpcUrl, anvilAccount(0), { address: d.fastPriceFeed, abi: abis.fastPriceFeed, functionName: "setPrices", args: [[d.tokens[index].address as Address], [fast]] });

/**
 * The fast price at which the Vault's own price (with `spread` bps) reaches the liquidation price
 * `level`, and the one a unit past it on the safe side.
 */
export function fastPricesAround(level: bigint, isLong: boolean, spread: bigint) {
  const liquidating = isLong ? ((level + 1n) * BPS - 1n) / (BPS - spread) : (level * BPS + BPS + spread - 1n) / (BPS + spread);
  return { liquidating, safe: isLong ? liquidating + 1n : liquidating - 1n };
}
