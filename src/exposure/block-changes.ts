import { and, eq, inArray } from "ponder";
import type { Address } from "viem";
import type { ExposureDeps } from "./service";

// What a block changed, for the alert engine to evaluate only the wallets it touched: the accounts
// of its position events, and the assets whose price moved. Both from indexes on (chain, block).

/** A wallet and the assets (markets and collateral tokens, lowercase) it has held a position in. */
export type Holding = { account: string; assets: string[] };

export type BlockChanges = {
  /** Every wallet that has held a position that changed at the block (a Derive subaccount's previous owner too), with its assets. */
  holdings: Holding[];
  /** Assets (lowercase) with a new oracle answer at the block. */
  pricedAssets: string[];
};

type HoldingRow = { account: string; market: string; collateral_token: string };

/** The rows as one holding per account (lowercase), its assets deduplicated. */
function holdingsFrom(rows: HoldingRow[]): Holding[] {
  const byAccount = new Map<string, Set<string>>();
  for (const r of rows) {
    const account = r.account.toLowerCase();
    const assets = byAccount.get(account) ?? new Set<string>();
    byAccount.set(account, assets.add(r.market.toLowerCase()).add(r.collateral_token.toLowerCase()));
  }
  return [...byAccount].map(([account, assets]) => ({ account, assets: [...assets] }));
}

export async function blockChanges(deps: ExposureDeps, chainId: number, number: bigint): Promise<BlockChanges> {
  const { positionEvent: E, priceUpdate: U } = deps.schema;
  const changed = deps.db
    .select({ id: E.positionId })
    .from(E)
    .where(and(eq(E.chainId, chainId), eq(E.blockNumber, number)));
  const [holders, priced] = await Promise.all([
    deps.db
      .selectDistinct({ account: E.account, market: E.market, collateral_token: E.collateralToken })
      .from(E)
      .where(and(eq(E.chainId, chainId), inArray(E.positionId, changed))),
    deps.db
      .selectDistinct({ asset: U.asset })
      .from(U)
      .where(and(eq(U.chainId, chainId), eq(U.blockNumber, number))),
  ]);
  return { holdings: holdingsFrom(holders), pricedAssets: priced.map((p) => p.asset.toLowerCase()) };
}

/** The assets each of the accounts has ever held a position in on the chain (a superset of what it holds at any block). */
export async function holdingsOf(deps: ExposureDeps, chainId: number, accounts: string[]): Promise<Holding[]> {
  if (accounts.length === 0) return [];
  const { positionEvent: E } = deps.schema;
  const rows = await deps.db
    .selectDistinct({ account: E.account, market: E.market, collateral_token: E.collateralToken })
    .from(E)
    .where(and(eq(E.chainId, chainId), inArray(E.account, accounts.map((a) => a.toLowerCase() as Address))));
  return holdingsFrom(rows);
}
