import { encodePacked, keccak256, type Address } from "viem";
import type { PositionRow } from "../../core/adapter";

export const AAVE_V3 = "aave-v3";

export type AaveSide = "supply" | "borrow";

/** One row per user, reserve and side: deposits are long exposure, debts short. */
export const aaveV3PositionId = (chainId: number, pool: string, user: string, asset: string, side: AaveSide) =>
  `${chainId}:${AAVE_V3}:${pool.toLowerCase()}:${user.toLowerCase()}:${asset.toLowerCase()}:${side}`;

export const aaveV3PositionKey = (user: Address, asset: Address, side: AaveSide) =>
  keccak256(encodePacked(["address", "address", "bool"], [user, asset, side === "supply"]));

export type AaveV3State = { scaledBalance: bigint; usingAsCollateral: boolean };

export const encodeState = (s: AaveV3State): Record<string, string> => ({
  scaledBalance: s.scaledBalance.toString(),
  usingAsCollateral: String(s.usingAsCollateral),
});

export const decodeState = (row: Pick<PositionRow, "protocolState">): AaveV3State => ({
  scaledBalance: BigInt(row.protocolState.scaledBalance ?? "0"),
  usingAsCollateral: row.protocolState.usingAsCollateral === "true",
});
