import { encodePacked, keccak256, type Address, type Hex } from "viem";
import type { PositionRow } from "../../core/adapter";

export const MORPHO_BLUE = "morpho-blue";

/**
 * One row per wallet, market and side: lent loan tokens (supply shares), borrowed loan tokens
 * (borrow shares), and collateral. The market's id (MarketParamsLib.id) is in protocolState.
 */
export type MorphoSide = "supply" | "borrow" | "collateral";

export const morphoBluePositionId = (chainId: number, morpho: Address, id: Hex, user: Address, side: MorphoSide) =>
  `${chainId}:${MORPHO_BLUE}:${morpho.toLowerCase()}:${id}:${user.toLowerCase()}:${side}`;

export const morphoBluePositionKey = (id: Hex, user: Address, side: MorphoSide) => keccak256(encodePacked(["bytes32", "address", "string"], [id, user, side]));

/** A market of one Morpho deployment (table ids). */
export const morphoBlueMarketKey = (chainId: number, morpho: Address, id: Hex) => `${chainId}:${morpho.toLowerCase()}:${id}`;

/** `amount`: supply or borrow shares, or collateral in token units, as Morpho's `position(id, user)` holds it. */
export type MorphoBlueState = { marketId: Hex; amount: bigint };

export const encodeState = (s: MorphoBlueState): Record<string, string> => ({ marketId: s.marketId, amount: s.amount.toString() });

export const decodeState = (row: Pick<PositionRow, "protocolState">): MorphoBlueState => ({
  marketId: row.protocolState.marketId as Hex,
  amount: BigInt(row.protocolState.amount ?? "0"),
});

/** The side a position row holds, from its id (the last segment). */
export const sideOf = (row: Pick<PositionRow, "positionId">): MorphoSide => row.positionId.slice(row.positionId.lastIndexOf(":") + 1) as MorphoSide;
