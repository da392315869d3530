import type { Address } from "viem";
import type { AccountRisk, MarkPrice, PositionRow, PriceBook } from "../core/adapter";
import { parseWallet } from "../core/errors";
import { assetDirectory } from "../core/assets";
import { ExposureTally } from "../core/exposure";
import { once } from "../core/lazy";
import { lookupCache, type Lookups } from "../core/memo";
import { adapterFor } from "../protocols";
import { markKey, prepareRule, type Rule } from "./prepared-rule";
import {
  blockMap,
  byProtocol,
  concat,
  eachWallet,
  loadWallets,
  priceBook,
  unknownProtocol,
  walletAnswer,
  type AssessedPosition,
  type BlockRef,
  type ExposureDeps,
  type LoadedWallet,
  type WalletExposure,
} from "./service";

// Wallets' answers block after block (the alert engine's read). A wallet asked for `fresh` is read
// from the history at the block, with its protocols' rules prepared there. Otherwise its rows and
// prepared rules are kept from its last read, and only the marks the block moved are new: a block
// that only moves prices runs again just the rules that read a moved mark, with no reads.

/**
 * Rows whose figures one prepared rule works out, with the marks it reads (its rows' markets and
 * collateral) and its last answer: one margined protocol's rows, or one isolated protocol's rows on
 * the same market and collateral.
 */
type Unit = {
  rows: PositionRow[];
  /** Each row's asset symbol, for its tally. */
  assets: string[];
  rule: Rule;
  reads: string[];
  /** Its answer at the wallet's marks when it last ran; positions and the tally are made when first read. */
  last: { assessed: () => AssessedPosition[]; accounts: AccountRisk[]; tally: () => ExposureTally } | null;
};

type KeptWallet = {
  address: Address;
  chainId: number;
  /**
   * Its positions' marks (markets and collateral tokens) on the chain, by lowercase asset; replaced,
   * not changed, when a block moves one (answers made before keep theirs).
   */
  marks: Map<string, MarkPrice | undefined>;
  units: Unit[];
  warnings: string[];
};

const readsMoved = (unit: Unit, moved: Set<string>) => {
  for (const key of unit.reads) if (moved.has(key)) return true;
  return false;
};

/** Isolated positions by the marks they read: market and collateral. */
function byMarkets(rows: PositionRow[]): PositionRow[][] {
  const groups = new Map<string, PositionRow[]>();
  for (const row of rows) {
    const key = `${markKey(row.chainId, row.market)}|${markKey(row.chainId, row.collateralToken)}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

/**
 * What kept wallets read at a block: the wallets' rows and marks, and the marks of some assets; the
 * wallets of one read share `lookups()` (prices and protocol parameters at the block).
 */
export type KeptWalletReads = {
  lookups(): Lookups;
  wallets(addresses: Address[], block: BlockRef, lookups: Lookups): Promise<LoadedWallet[]>;
  marks(assets: Address[], block: BlockRef): Promise<PriceBook>;
};

const fromHistory = (deps: ExposureDeps): KeptWalletReads => ({
  lookups: () => lookupCache(),
  wallets: (addresses, block, lookups) => loadWallets(deps, addresses, [block], false, lookups),
  marks: (assets, block) => priceBook(deps, assets.map((asset) => ({ chainId: block.chainId, asset })), [block], lookupCache()),
});

export function keptWallets(deps: ExposureDeps, reads: KeptWalletReads = fromHistory(deps)) {
  /** By chain and wallet (lowercase): a wallet's answer at one chain's block holds that chain's positions. */
  const kept = new Map<string, KeptWallet>();
  const keyOf = (chainId: number, address: string) => `${chainId}:${address.toLowerCase()}`;
  const symbolOf = assetDirectory(deps.config).symbol;

  /** Reads the wallets at the block and prepares their rules there. */
  async function read(addresses: string[], block: BlockRef) {
    const lookups = reads.lookups();
    const loaded = await reads.wallets(addresses.map(parseWallet), block, lookups);
    await eachWallet(loaded, async ({ address, rows, prices }) => {
      const marks = new Map<string, MarkPrice | undefined>();
      for (const row of rows) for (const asset of [row.market, row.collateralToken]) marks.set(asset.toLowerCase(), prices(row.chainId, asset));
      const wallet: KeptWallet = { address, chainId: block.chainId, marks, units: [], warnings: [] };
      const ctx = { db: deps.db, schema: deps.schema, blockByChain: blockMap([block]), config: deps.config, lookups, prices: pricesOf(wallet) };
      for (const [protocol, group] of byProtocol(rows)) {
        const adapter = adapterFor(protocol);
        if (!adapter) {
          wallet.warnings.push(unknownProtocol(protocol, group.length));
          continue;
        }
        for (const unitRows of adapter.isolatedPositions ? byMarkets(group) : [group]) {
          const reads = [...new Set(unitRows.flatMap((r) => [markKey(r.chainId, r.market), markKey(r.chainId, r.collateralToken)]))];
          const assets = unitRows.map((r) => symbolOf(r.chainId, r.market));
          wallet.units.push({ rows: unitRows, assets, rule: await prepareRule(adapter, ctx, unitRows), reads, last: null });
        }
      }
      kept.set(keyOf(block.chainId, address), wallet);
    });
  }

  /** The wallet's marks as they are now (a later block's new marks make a new map). */
  const pricesOf =
    ({ chainId, marks }: KeptWallet): PriceBook =>
    (onChain, asset) =>
      onChain === chainId ? (marks.get(asset) ?? marks.get(asset.toLowerCase())) : undefined;

  /** The wallet's answer at its marks: each unit's last answer when it read no mark in `moved`. */
  async function answer(wallet: KeptWallet, block: BlockRef, moved: Set<string>): Promise<WalletExposure> {
    const prices = pricesOf(wallet);
    const accounts: AccountRisk[] = [];
    for (const unit of wallet.units) {
      if (unit.last === null || readsMoved(unit, moved)) {
        // Prepared rules answer synchronously; awaiting only a promise spares a turn per unit.
        const answered = unit.rule({ prices });
        const result = answered instanceof Promise ? await answered : answered;
        const positions = result.positions;
        const { rows, assets } = unit;
        unit.last = {
          assessed: once(() => {
            // A unit's rows mostly share one market: its mark is looked up once per run of rows.
            let market: string | undefined;
            let mark: MarkPrice | undefined;
            return rows.map((row, i) => {
              if (row.market !== market) mark = prices(row.chainId, (market = row.market));
              return { row, risk: positions[i]!, mark };
            });
          }),
          accounts: result.accounts,
          tally: once(() => {
            const t = new ExposureTally();
            t.addEach(assets, rows, positions);
            return t;
          }),
        };
      }
      for (const a of unit.last.accounts) accounts.push(a);
    }
    const units = wallet.units;
    const assessedOf = () => concat(units.map((unit) => unit.last!.assessed()));
    const tallyOf = () => {
      const t = new ExposureTally();
      for (const unit of units) t.merge(unit.last!.tally());
      return t;
    };
    return walletAnswer(deps, wallet.address, [block], assessedOf, accounts, wallet.warnings, tallyOf);
  }

  return {
    /**
     * The wallets' answers at the block, in order: those in `fresh` (and any not kept) read anew,
     * the others from what is kept, with the new marks of `pricedAssets` (lowercase) at the block.
     */
    async at(addresses: string[], block: BlockRef, fresh: Set<string>, pricedAssets: string[]): Promise<WalletExposure[]> {
      const lower = addresses.map((a) => a.toLowerCase());
      const toRead = new Set(lower.filter((a) => fresh.has(a) || !kept.has(keyOf(block.chainId, a))));
      await read([...toRead], block);
      // Wallets just read have the block's marks already.
      const reused = lower.filter((a) => !toRead.has(a));
      const moved = new Set(pricedAssets.map((asset) => markKey(block.chainId, asset)));
      if (reused.length > 0 && pricedAssets.length > 0) {
        const marks = await reads.marks(pricedAssets as Address[], block);
        for (const a of reused) {
          const wallet = kept.get(keyOf(block.chainId, a))!;
          const held = pricedAssets.filter((asset) => wallet.marks.has(asset));
          if (held.length === 0) continue;
          wallet.marks = new Map(wallet.marks);
          for (const asset of held) wallet.marks.set(asset, marks(block.chainId, asset as Address));
        }
      }
      return Promise.all(lower.map((a) => answer(kept.get(keyOf(block.chainId, a))!, block, moved)));
    },
  };
}
