import type { PositionRow } from "../../core/adapter";
import type { DeriveAssetKind } from "./contracts";

export const DERIVE = "derive";

export const subaccountId = (chainId: number, subAccounts: string, accountId: bigint) =>
  `${chainId}:${subAccounts.toLowerCase()}:${accountId}`;

/** One position per subaccount and (asset, subId): the positionKey is SubAccounts' assetAndSubId. */
export const derivePositionId = (chainId: number, subAccounts: string, accountId: bigint, assetAndSubId: string) =>
  `${chainId}:${DERIVE}:${subAccounts.toLowerCase()}:${accountId}:${assetAndSubId.toLowerCase()}`;

/** Prefix of every position id of one subaccount (ownership moves them together). */
export const subaccountPositionPrefix = (chainId: number, subAccounts: string, accountId: bigint) =>
  `${chainId}:${DERIVE}:${subAccounts.toLowerCase()}:${accountId}:`;

export type DeriveState = { kind: DeriveAssetKind; accountId: bigint; asset: string; subId: bigint; balance: bigint };

export const encodeState = (s: DeriveState): Record<string, string> => ({
  kind: s.kind,
  accountId: s.accountId.toString(),
  asset: s.asset,
  subId: s.subId.toString(),
  balance: s.balance.toString(),
});

export const decodeState = (row: PositionRow): DeriveState => ({
  kind: row.protocolState.kind as DeriveAssetKind,
  accountId: BigInt(row.protocolState.accountId ?? "0"),
  asset: row.protocolState.asset ?? "",
  subId: BigInt(row.protocolState.subId ?? "0"),
  balance: BigInt(row.protocolState.balance ?? "0"),
});
