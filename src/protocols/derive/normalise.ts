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

/** PerpAsset.positions(accountId) as read at the block (PnL and funding not yet settled into cash). */
export type PerpDetail = {
  lastMarkPrice: bigint;
  funding: bigint;
  pnl: bigint;
  lastFundingPaid: bigint;
  /** The perp's aggregated funding when funding was last applied to the account; null when indexed before it was kept. */
  lastAggregatedFunding: bigint | null;
};

export type DeriveState = {
  kind: DeriveAssetKind;
  accountId: bigint;
  asset: string;
  subId: bigint;
  balance: bigint;
  /** The manager BalanceAdjusted named (StandardManager or PMRM); "" when indexed before it was kept. */
  manager: string;
  /** Perps only; null when the perp asset could not be read. */
  perp: PerpDetail | null;
};

const PERP_FIELDS = ["lastMarkPrice", "funding", "pnl", "lastFundingPaid"] as const;

export const encodeState = (s: DeriveState): Record<string, string> => ({
  kind: s.kind,
  accountId: s.accountId.toString(),
  asset: s.asset,
  subId: s.subId.toString(),
  balance: s.balance.toString(),
  manager: s.manager,
  ...(s.perp ? Object.fromEntries(PERP_FIELDS.map((k) => [k, s.perp![k].toString()])) : {}),
  ...(s.perp?.lastAggregatedFunding != null ? { lastAggregatedFunding: s.perp.lastAggregatedFunding.toString() } : {}),
});

export const decodeState = (row: PositionRow): DeriveState => {
  const st = row.protocolState;
  return {
    kind: st.kind as DeriveAssetKind,
    accountId: BigInt(st.accountId ?? "0"),
    asset: st.asset ?? "",
    subId: BigInt(st.subId ?? "0"),
    balance: BigInt(st.balance ?? "0"),
    manager: st.manager ?? "",
    perp:
      st.lastMarkPrice === undefined
        ? null
        : ({
            ...Object.fromEntries(PERP_FIELDS.map((k) => [k, BigInt(st[k] ?? "0")])),
            lastAggregatedFunding: st.lastAggregatedFunding === undefined ? null : BigInt(st.lastAggregatedFunding),
          } as PerpDetail),
  };
};
