import { encodePacked, keccak256, type Address } from "viem";
import type { PositionRow } from "../../core/adapter";

export const AAVE_V3 = "aave-v3";

/** One row per user, reserve and token: the aToken deposit is long exposure, each debt token short. */
export type AaveSide = "supply" | "borrow" | "stable-borrow";

export const aaveV3PositionId = (chainId: number, pool: string, user: string, asset: string, side: AaveSide) =>
  `${chainId}:${AAVE_V3}:${pool.toLowerCase()}:${user.toLowerCase()}:${asset.toLowerCase()}:${side}`;

export const aaveV3PositionKey = (user: Address, asset: Address, side: AaveSide) =>
  side === "stable-borrow"
    ? keccak256(encodePacked(["address", "address", "string"], [user, asset, "stable"]))
    : keccak256(encodePacked(["address", "address", "bool"], [user, asset, side === "supply"]));

/**
 * scaledBalance: the token's own stored balance (ScaledBalanceTokenBase's scaled balance; for the
 * StableDebtToken the principal). stableRate and stableTimestamp: the user's stable rate (ray) and
 * last update, from which StableDebtToken.balanceOf compounds.
 */
export type AaveV3State = { scaledBalance: bigint; usingAsCollateral: boolean; stableRate: bigint; stableTimestamp: bigint };

export const EMPTY_STATE: AaveV3State = { scaledBalance: 0n, usingAsCollateral: false, stableRate: 0n, stableTimestamp: 0n };

export const encodeState = (s: AaveV3State): Record<string, string> => ({
  scaledBalance: s.scaledBalance.toString(),
  usingAsCollateral: String(s.usingAsCollateral),
  ...(s.stableTimestamp !== 0n || s.stableRate !== 0n ? { stableRate: s.stableRate.toString(), stableTimestamp: s.stableTimestamp.toString() } : {}),
});

export const decodeState = (row: Pick<PositionRow, "protocolState">): AaveV3State => ({
  scaledBalance: BigInt(row.protocolState.scaledBalance ?? "0"),
  usingAsCollateral: row.protocolState.usingAsCollateral === "true",
  stableRate: BigInt(row.protocolState.stableRate ?? "0"),
  stableTimestamp: BigInt(row.protocolState.stableTimestamp ?? "0"),
});

/** The side a position row holds, from its id (the last segment). */
export const sideOf = (row: Pick<PositionRow, "positionId">): AaveSide => row.positionId.slice(row.positionId.lastIndexOf(":") + 1) as AaveSide;
