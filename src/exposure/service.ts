import { and, desc, eq, inArray, lte, sql } from "ponder";
import { type Address, type PublicClient } from "viem";
import type { ExposureConfig } from "../config/exposure-config";
import type { AccountRisk, AssessContext, MarkPrice, PositionRisk, PositionRow, PriceBook } from "../core/adapter";
import type { TaggedItem } from "../core/breakdown";
import { rowsOf, type PonderSchema, type ReadonlyDb } from "../core/db";
import { exposureTotals, totalsOf, type ExposureItem, type ExposureTally, type ExposureTotals } from "../core/exposure";
import { latestPerKey } from "../core/history";
import { lookupCache, lookupMany, type Lookups, type sharedLookups } from "../core/memo";
import { assetDirectory } from "../core/assets";
import { inBatches } from "../core/batches";
import { allFields, lazyFields, once } from "../core/lazy";
import { isStale } from "../core/marks";
import { feedDirectory } from "../prices/feeds";
import { parseWallet, UnavailableError, userError } from "../core/errors";
import { adapterFor } from "../protocols";
import { installRevertMarks, REVERT_TABLE } from "./revert-marks";

export type ExposureDeps = {
  db: ReadonlyDb;
  schema: PonderSchema;
  config: ExposureConfig;
  publicClients: Record<string, PublicClient>;
  /** Lookups (prices, protocol parameters at a block) kept across queries; without it, each query reads its own. */
  sharedLookups?: ReturnType<typeof sharedLookups>;
};

/** A block an answer is for; `version`: of the indexed data it was resolved against (see chainHeads). */
export type BlockRef = { chainId: number; name: string; number: bigint; timestamp: bigint; version?: string; reverts?: number };
export type AssessedPosition = { row: PositionRow; risk: PositionRisk; mark: MarkPrice | undefined };
export type WalletExposure = {
  address: Address;
  blocks: BlockRef[];
  /** The positions as assessed: grouped by protocol, in row order. */
  assessed: AssessedPosition[];
  /** The same positions, largest notional first. */
  positions: AssessedPosition[];
  accounts: AccountRisk[];
  items: TaggedItem[];
  totals: ExposureTotals;
  warnings: string[];
};

export { userError };

/** Ponder's checkpoint string: 10 digits of timestamp, 16 of chain id, 16 of block number, ... */
const decodeCheckpoint = (checkpoint: string) => ({
  timestamp: BigInt(checkpoint.slice(0, 10)),
  chainId: Number(checkpoint.slice(10, 26)),
  number: BigInt(checkpoint.slice(26, 42)),
});

/**
 * Whether ponder's reorg-log sequence (`operation_id`, one per schema, drawn by every live write's
 * reorg-log row) exists, asked once per process; not while ponder has not made it.
 */
const reorgSequence = new WeakMap<ExposureDeps, boolean>();
async function hasReorgSequence(deps: ExposureDeps): Promise<boolean> {
  if (reorgSequence.get(deps)) return true;
  const [found] = rowsOf<{ exists: boolean }>(
    await deps.db.execute(sql`SELECT to_regclass(quote_ident(current_schema()) || '.operation_id') IS NOT NULL AS exists`),
  );
  if (found?.exists) reorgSequence.set(deps, true);
  return Boolean(found?.exists);
}

const rpcFailure = (chainId: number, what: string, error: unknown) =>
  new UnavailableError(`cannot read ${what} of chain ${chainId} from its RPC: ${(error as Error).message.split("\n")[0]}`);

/** A block's timestamp, from the chain's RPC. */
async function timeOfBlock(deps: ExposureDeps, chain: { chainId: number; name: string }, number: bigint): Promise<bigint> {
  try {
    return (await deps.publicClients[chain.name]!.getBlock({ blockNumber: number })).timestamp;
  } catch (error) {
    throw rpcFailure(chain.chainId, `block ${number}`, error);
  }
}

/** Whether this process has installed the revert marks (src/exposure/revert-marks.ts); retried while ponder has no tables. */
const marksInstalled = new WeakMap<ExposureDeps, Promise<boolean>>();
const marksFailures = new WeakMap<ExposureDeps, number>();
/** Failures in a row after which the cause is reported (once): a passing lock does not last that long. */
const MARKS_FAILURES_REPORTED = 10;
function revertMarks(deps: ExposureDeps): Promise<boolean> {
  let installed = marksInstalled.get(deps);
  if (!installed) {
    installed = installRevertMarks(deps.db).catch((error: Error) => {
      const failures = (marksFailures.get(deps) ?? 0) + 1;
      marksFailures.set(deps, failures);
      if (failures === MARKS_FAILURES_REPORTED) {
        console.warn(`[exposure] cannot install the revert marks (answers may name a reverted block until the next one is indexed): ${error.message}`);
      }
      return false;
    });
    marksInstalled.set(deps, installed);
    // Not yet (no tables) or failed (a lock held by indexing): asked again on a later call.
    void installed.then((done) => done || setTimeout(() => marksInstalled.delete(deps), 1_000).unref());
  }
  return installed;
}

/**
 * Latest indexed block per chain, read from ponder's own checkpoint table, each with the version of
 * the indexed data: every chain's checkpoint and the last value of ponder's reorg-log sequence. A new
 * block changes the checkpoints; a live write draws from the sequence, which never goes back, so a
 * reorg's new branch differs from the dropped one even at the same height. Lookups at a block are
 * shared between queries of the same version. (One sequence read, not a max over every reorg-log
 * table: that statement took milliseconds to plan on each query.)
 *
 * After a revert and until ponder indexes the next block, its checkpoint is ahead of its tables: the
 * head is then the block before the first one reverted (src/exposure/revert-marks.ts), and `reverts`
 * counts the reverts seen, so a reader can tell its reads straddled one.
 */
export async function chainHeads(deps: ExposureDeps): Promise<BlockRef[]> {
  const versioned = deps.sharedLookups !== undefined && (await hasReorgSequence(deps));
  const sequence = versioned ? sql`(SELECT last_value FROM operation_id)` : sql`NULL`;
  const marked = await revertMarks(deps);
  const mark = marked ? sql`r.first_lost_block::text AS first_lost, coalesce(r.reverts, 0)::text AS reverts` : sql`NULL AS first_lost, '0' AS reverts`;
  const join = marked ? sql`LEFT JOIN ${sql.raw(REVERT_TABLE)} r ON r.chain_id = c.chain_id` : sql``;
  type Row = { chain_name: string; latest_checkpoint: string; sequence: unknown; first_lost: string | null; reverts: string };
  const rows = rowsOf<Row>(
    await deps.db.execute(
      sql`SELECT c.chain_name, c.latest_checkpoint, ${sequence} AS sequence, ${mark} FROM _ponder_checkpoint c ${join}`,
    ),
  );
  const version = versioned
    ? `${rows.map((r) => `${r.latest_checkpoint}:${r.first_lost ?? ""}`).sort().join(",")}|${rows[0]?.sequence ?? "-"}`
    : undefined;
  const heads = rows.map(async (r) => {
    const head = { name: r.chain_name, ...decodeCheckpoint(r.latest_checkpoint), version, reverts: Number(r.reverts) };
    if (r.first_lost === null || BigInt(r.first_lost) > head.number) return head;
    const number = BigInt(r.first_lost) - 1n;
    return { ...head, number, timestamp: await timeOfBlock(deps, head, number) };
  });
  return (await Promise.all(heads)).sort((a, b) => a.chainId - b.chainId);
}

/** The lookups of an answer at these blocks: shared with other queries while the data's version holds. */
export const lookupsAt = (deps: ExposureDeps, blocks: BlockRef[]): Lookups =>
  deps.sharedLookups && blocks.every((b) => b.version !== undefined && b.version === blocks[0]!.version)
    ? deps.sharedLookups(blocks[0]?.version)
    : lookupCache();

/** When an answer is for: the indexed head (null), a block of one chain, or a unix time (each chain's last block at or before it). */
export type At = { block: bigint } | { timestamp: bigint } | null;

/** The last block at or before `timestamp`, by bisection over block timestamps (which never decrease). */
async function blockAtTime(deps: ExposureDeps, head: BlockRef, timestamp: bigint): Promise<BlockRef> {
  if (timestamp >= head.timestamp) return head;
  const timeOf = (number: bigint) => timeOfBlock(deps, head, number);
  const first = await timeOf(0n);
  if (timestamp < first) throw userError(`atTimestamp ${timestamp} is before chain ${head.chainId}'s first block (${first})`);
  let [low, lowTime, high] = [0n, first, head.number]; // timeOf(low) <= timestamp < timeOf(high)
  while (high - low > 1n) {
    const middle = (low + high) / 2n;
    const time = await timeOf(middle);
    if (time <= timestamp) [low, lowTime] = [middle, time];
    else high = middle;
  }
  return { ...head, number: low, timestamp: lowTime };
}

export async function resolveBlocks(deps: ExposureDeps, at: At, chainId: number | null): Promise<BlockRef[]> {
  const heads = await chainHeads(deps);
  if (heads.length === 0) throw new UnavailableError("the indexer has not indexed any block yet: try again shortly");
  if (chainId !== null && !heads.some((h) => h.chainId === chainId)) {
    throw userError(`chain ${chainId} is not indexed (indexed: ${heads.map((h) => h.chainId).join(", ")})`);
  }
  const scoped = chainId === null ? heads : heads.filter((h) => h.chainId === chainId);
  if (at === null) return scoped;
  if ("timestamp" in at) {
    if (at.timestamp < 0n) throw userError(`atTimestamp must not be negative, got ${at.timestamp}`);
    return Promise.all(scoped.map((head) => blockAtTime(deps, head, at.timestamp)));
  }
  const atBlock = at.block;
  if (scoped.length > 1) throw userError("atBlock needs chainId when more than one chain is indexed");
  const head = scoped[0]!;
  if (atBlock < 0n) throw userError(`atBlock must not be negative, got ${atBlock}`);
  if (atBlock > head.number) {
    throw userError(`block ${atBlock} is not indexed yet on chain ${head.chainId} (indexed up to ${head.number})`);
  }
  if (atBlock === head.number) return [head];
  try {
    const { timestamp } = await deps.publicClients[head.name]!.getBlock({ blockNumber: atBlock });
    return [{ ...head, number: atBlock, timestamp }];
  } catch (error) {
    throw rpcFailure(head.chainId, `block ${atBlock}`, error);
  }
}

/**
 * The statement of `build`, prepared once per process and name (the query text is built once and
 * the database plans it once per connection): for the reads every request makes.
 */
type Prepared = { execute(placeholders?: Record<string, unknown>): Promise<any> };
const preparedStatements = new WeakMap<ExposureDeps, Map<string, Prepared>>();
function prepared(deps: ExposureDeps, name: string, build: () => { prepare(name: string): Prepared }): Prepared {
  const known = preparedStatements.get(deps) ?? new Map<string, Prepared>();
  preparedStatements.set(deps, known);
  if (!known.has(name)) known.set(name, build().prepare(`exposure_${name}`));
  return known.get(name)!;
}

/** Open positions of the accounts now, on every chain, grouped by account (lowercase): one indexed statement. */
async function positionsAtHead(deps: ExposureDeps, accounts: Address[]): Promise<Map<string, PositionRow[]>> {
  const byAccount = new Map<string, PositionRow[]>(accounts.map((a) => [a.toLowerCase(), []]));
  const statement = prepared(deps, "open_positions", () => {
    const { position } = deps.schema;
    return deps.db
      .select()
      .from(position)
      .where(and(sql`${position.account} = ANY(${sql.placeholder("accounts")})`, eq(position.status, "open")));
  });
  const rows: PositionRow[] = await statement.execute({ accounts: [...byAccount.keys()] });
  for (const row of rows) byAccount.get(row.account.toLowerCase())?.push(row);
  return byAccount;
}

/** The rows of the chains being answered. */
const onChains = (rows: PositionRow[], blocks: BlockRef[]) => rows.filter((r) => blocks.some((b) => b.chainId === r.chainId));

/** Open positions of the accounts at the given blocks, from the history snapshots, grouped by account (lowercase): one statement per chain. */
async function positionsAt(deps: ExposureDeps, accounts: Address[], blocks: BlockRef[]): Promise<Map<string, PositionRow[]>> {
  const { positionEvent: E } = deps.schema;
  const byAccount = new Map<string, PositionRow[]>(accounts.map((a) => [a.toLowerCase(), []]));
  const lower = [...byAccount.keys()] as Address[];
  const perChain = await Promise.all(
    blocks.map(async (block): Promise<PositionRow[]> => {
      // Positions the wallets held at some point; each one's latest state decides whether it still
      // belongs to one (a Derive subaccount, say, may have changed hands since).
      const held = deps.db
        .select({ id: E.positionId })
        .from(E)
        .where(and(inArray(E.account, lower), eq(E.chainId, block.chainId), lte(E.blockNumber, block.number)));
      return deps.db
        .selectDistinctOn([E.positionId])
        .from(E)
        .where(and(inArray(E.positionId, held), eq(E.chainId, block.chainId), lte(E.blockNumber, block.number)))
        .orderBy(E.positionId, desc(E.blockNumber), desc(E.logIndex));
    }),
  );
  for (const row of perChain.flat()) if (row.status === "open") byAccount.get(row.account.toLowerCase())?.push(row);
  return byAccount;
}

/** Latest oracle answer at or before each block for the given assets: one statement per chain for those not looked up yet. */
export async function priceBook(
  deps: ExposureDeps,
  assets: { chainId: number; asset: Address }[],
  blocks: BlockRef[],
  lookups = lookupsAt(deps, blocks),
): Promise<PriceBook> {
  const { priceUpdate: U } = deps.schema;
  const feeds = feedDirectory(deps.config);
  const wanted = new Map<number, Set<string>>(blocks.map((b) => [b.chainId, new Set<string>()]));
  for (const a of assets) wanted.get(a.chainId)?.add(a.asset.toLowerCase());
  const marks = new Map<number, Map<string, MarkPrice>>(blocks.map((b) => [b.chainId, new Map()]));
  await Promise.all(
    blocks.map(async (block) => {
      const keyOf = (asset: string) => `mark:${block.chainId}:${block.number}:${asset}`;
      const byKey = new Map([...wanted.get(block.chainId)!].map((asset) => [keyOf(asset), asset]));
      const latest = await lookupMany(lookups, [...byKey.keys()], async (missing) => {
        const rows = await latestPerKey(deps.db, U, U.asset, missing.map((k) => byKey.get(k)!), [eq(U.chainId, block.chainId)], block.number);
        return new Map([...rows].map(([asset, r]) => [keyOf(asset), r]));
      });
      for (const [key, r] of latest) {
        if (r === undefined) continue;
        const asset = byKey.get(key)!;
        const updatedAt = BigInt(String(r.updated_at));
        const feed = feeds.byAsset(block.chainId, asset as Address);
        marks.get(block.chainId)!.set(asset, {
          price: BigInt(String(r.price)),
          updatedAt,
          feed: r.feed as Address,
          stale: feed === undefined || isStale(updatedAt, block.timestamp, feed.heartbeatSeconds),
        });
      }
    }),
  );
  return (chainId, asset) => {
    const onChain = marks.get(chainId);
    return onChain?.get(asset) ?? onChain?.get(asset.toLowerCase());
  };
}

/** The prices the positions need: their markets and collateral tokens. */
const priceBookFor = (deps: ExposureDeps, rows: PositionRow[], blocks: BlockRef[], lookups?: Lookups) =>
  priceBook(
    deps,
    rows.flatMap((r) => [r.market, r.collateralToken].map((asset) => ({ chainId: r.chainId, asset }))),
    blocks,
    lookups,
  );

/**
 * What each wallet held at the given blocks (the indexed head: `atHead`), and the prices its
 * positions need: every wallet's positions in one statement per chain. `lookups`: shared by the
 * wallets' reads at past blocks (else each wallet reads its own prices).
 */
export async function loadWallets(deps: ExposureDeps, accounts: Address[], blocks: BlockRef[], atHead: boolean, lookups?: Lookups): Promise<LoadedWallet[]> {
  const held = atHead ? await positionsAtHead(deps, accounts) : await positionsAt(deps, accounts, blocks);
  return eachWallet(accounts, async (address) => {
    const rows = onChains(held.get(address.toLowerCase())!, blocks);
    return { address, rows, prices: await priceBookFor(deps, rows, blocks, lookups) };
  });
}

/** How an assessment runs beyond its rows and prices: the volatility shift, and `lookups` to share with other assessments. */
type AssessOptions = { volatilityShift?: number; lookups?: Lookups };

/** The context protocols assess with, at the indexed head, with marks for `assets`. */
export async function contextAtHead(deps: ExposureDeps, assets: { chainId: number; asset: Address }[]): Promise<AssessContext> {
  const blocks = await chainHeads(deps);
  return {
    db: deps.db,
    schema: deps.schema,
    blockByChain: blockMap(blocks),
    prices: await priceBook(deps, assets, blocks),
    config: deps.config,
    lookups: lookupsAt(deps, blocks),
  };
}

/** The rows grouped by protocol, in order of first appearance: the order positions are assessed in. */
export function byProtocol(rows: PositionRow[]): Map<string, PositionRow[]> {
  const groups = new Map<string, PositionRow[]>();
  for (const row of rows) {
    const group = groups.get(row.protocol);
    if (group) group.push(row);
    else groups.set(row.protocol, [row]);
  }
  return groups;
}

export const unknownProtocol = (protocol: string, count: number) => `${count} position(s) of unknown protocol '${protocol}' left out`;

export const blockMap = (blocks: BlockRef[]) => new Map(blocks.map((b) => [b.chainId, { number: b.number, timestamp: b.timestamp }]));

/** Runs each protocol's own risk rule over the rows (any wallets) with the given prices. */
export async function assessPositions(deps: ExposureDeps, rows: PositionRow[], prices: PriceBook, blocks: BlockRef[], options: AssessOptions = {}) {
  const warnings: string[] = [];
  const assessed: AssessedPosition[] = [];
  const accounts: AccountRisk[] = [];
  const ctx = {
    db: deps.db,
    schema: deps.schema,
    blockByChain: blockMap(blocks),
    prices,
    config: deps.config,
    volatilityShift: options.volatilityShift ?? 0,
    lookups: options.lookups ?? lookupsAt(deps, blocks),
  };
  // Protocols are independent: their lookups run side by side.
  const results = await Promise.all(
    [...byProtocol(rows)].map(async ([protocol, group]) => {
      const adapter = adapterFor(protocol);
      return { protocol, group, result: adapter ? await adapter.assess(ctx, group) : undefined };
    }),
  );
  for (const { protocol, group, result } of results) {
    if (!result) {
      warnings.push(unknownProtocol(protocol, group.length));
      continue;
    }
    group.forEach((row, i) => assessed.push({ row, risk: result.positions[i]!, mark: prices(row.chainId, row.market) }));
    accounts.push(...result.accounts);
  }
  return { assessed, accounts, warnings };
}

/** One wallet's answer: its positions assessed, accounts, totals and warnings. */
export async function assessRows(
  deps: ExposureDeps,
  account: Address,
  rows: PositionRow[],
  prices: PriceBook,
  blocks: BlockRef[],
  options: AssessOptions = {},
): Promise<WalletExposure> {
  const { assessed, accounts, warnings } = await assessPositions(deps, rows, prices, blocks, options);
  return walletAnswer(deps, account, blocks, () => assessed, accounts, warnings);
}

/**
 * A wallet's answer from its assessed positions (in assessment order) and accounts (`warnings`: the
 * assessment's own). The positions (sorted or not), items, totals and warnings are worked out when
 * first read (a stress point or an alert rule may need few of them); items and warnings follow the
 * assessment order. The totals come from `tallyOf` when given (the positions' own, added by parts).
 */
export function walletAnswer(
  deps: ExposureDeps,
  address: Address,
  blocks: BlockRef[],
  assessedOf: () => AssessedPosition[],
  accounts: AccountRisk[],
  assessWarnings: string[],
  tallyOf?: () => ExposureTally,
): WalletExposure {
  const d = derived(deps, assessedOf, () => accounts, () => {
    const all = [...assessWarnings];
    for (const { row, risk } of d.assessed()) for (const w of risk.warnings) all.push(`${row.positionId}: ${w}`);
    for (const a of accounts) for (const w of a.warnings) all.push(`${a.protocol} account at ${a.venue}: ${w}`);
    return all;
  }, tallyOf);
  return new WalletAnswer({ address, blocks, accounts }, d);
}

const WalletAnswer = lazyFields<Pick<WalletExposure, "address" | "blocks" | "accounts">, Pick<WalletExposure, "assessed" | "positions" | "items" | "totals" | "warnings">>(
  ["assessed", "positions", "items", "totals", "warnings"],
);

/**
 * What an answer (a wallet's or a portfolio's) derives from its positions in assessment order, its
 * accounts and its warnings, each made when first read: the sorted positions, one item per position
 * in the same order, and the totals.
 */
function derived<A>(deps: ExposureDeps, assessedOf: () => AssessedPosition[], accountsOf: () => A[], warningsOf: () => string[], tallyOf?: () => ExposureTally) {
  const assessed = once(assessedOf);
  const items = once(() => {
    const assets = assetDirectory(deps.config);
    return assessed().map((a) => exposureItem(assets, a));
  });
  return {
    assessed,
    positions: once(() => [...assessed()].sort(byNotionalDesc)),
    accounts: once(accountsOf),
    items,
    totals: once(() => (tallyOf ? totalsOf(tallyOf(), items) : exposureTotals(items()))),
    warnings: once(warningsOf),
  };
}

/** One wallet at given past blocks (`wallet` with atBlock / atTimestamp): positions, accounts and totals. */
async function assessWallet(deps: ExposureDeps, account: Address, blocks: BlockRef[]): Promise<WalletExposure> {
  const [loaded] = await loadWallets(deps, [account], blocks, false);
  return assessRows(deps, account, loaded!.rows, loaded!.prices, blocks);
}

const byNotionalDesc = (a: AssessedPosition, b: AssessedPosition) => {
  const x = a.risk.notionalUsd ?? a.row.sizeUsd ?? 0n;
  const y = b.risk.notionalUsd ?? b.row.sizeUsd ?? 0n;
  return x === y ? a.row.positionId.localeCompare(b.row.positionId) : x > y ? -1 : 1;
};

const optionGreeks = (o: NonNullable<PositionRisk["option"]>) =>
  o.delta === null || o.gamma === null || o.vega === null || o.theta === null ? null : { delta: o.delta, gamma: o.gamma, vega: o.vega, theta: o.theta };

/**
 * A position's exposure item. Its liquidation distance may be a search (margin accounts): read from
 * the risk when a figure needs it, through the prototype, so making an item costs no more than a
 * plain object (a stress point makes one per position it moves).
 */
class PositionItem implements TaggedItem {
  positionId: string;
  protocol: string;
  chainId: number;
  wallet: Address;
  asset: string;
  isLong: boolean;
  notionalUsd: bigint | null;
  netNotionalUsd?: bigint | null;
  greeks?: ExposureItem["greeks"];
  collateralUsd: bigint | null;
  unrealizedPnlUsd: bigint | null;
  pendingFeesUsd: bigint | null;
  equityUsd: bigint | null;
  #risk: PositionRisk;

  constructor({ row, risk }: AssessedPosition, asset: string) {
    this.positionId = row.positionId;
    this.protocol = row.protocol;
    this.chainId = row.chainId;
    this.wallet = row.account;
    this.asset = asset;
    this.isLong = row.isLong;
    this.notionalUsd = risk.notionalUsd;
    this.netNotionalUsd = risk.netNotionalUsd;
    this.greeks = risk.option === undefined ? undefined : optionGreeks(risk.option);
    this.collateralUsd = risk.collateralUsd;
    this.unrealizedPnlUsd = risk.unrealizedPnlUsd;
    this.pendingFeesUsd = risk.pendingFeesUsd;
    this.equityUsd = risk.equityUsd;
    this.#risk = risk;
  }

  get liquidationDistance() {
    return this.#risk.liquidationDistance;
  }

  get hasLiquidationPrice() {
    return this.#risk.liquidationPrice !== null;
  }
}

/** Each position's item per figures, made once: stress points reuse the items of the figures they share. */
const itemsMade = new WeakMap<PositionRisk, TaggedItem>();

function exposureItem(assets: ReturnType<typeof assetDirectory>, assessed: AssessedPosition): TaggedItem {
  let item = itemsMade.get(assessed.risk);
  if (!item) itemsMade.set(assessed.risk, (item = new PositionItem(assessed, assets.symbol(assessed.row.chainId, assessed.row.market))));
  return item;
}

export async function walletExposure(
  deps: ExposureDeps,
  address: string,
  at: At,
  chainId: number | null,
): Promise<WalletExposure> {
  const account = parseWallet(address);
  if (at !== null) return assessWallet(deps, account, await resolveBlocks(deps, at, chainId));
  // At the head the positions do not depend on the block: read them while the heads are read.
  const [blocks, all] = await Promise.all([resolveBlocks(deps, null, chainId), positionsAtHead(deps, [account])]);
  const rows = onChains(all.get(account.toLowerCase())!, blocks);
  return assessRows(deps, account, rows, await priceBookFor(deps, rows, blocks), blocks);
}

/** At most this many wallets per portfolio query: beyond it, ask for a named portfolio in pages. */
export const MAX_PORTFOLIO_WALLETS = 500;

export type PortfolioExposure = {
  name: string | null;
  wallets: WalletExposure[];
  blocks: BlockRef[];
  /** The wallets' positions as assessed, wallet by wallet; `positions`: all of them, largest notional first. */
  assessed: AssessedPosition[];
  positions: AssessedPosition[];
  accounts: (AccountRisk & { account: Address })[];
  items: TaggedItem[];
  totals: ExposureTotals;
  warnings: string[];
};

export type WalletSelector = { name?: string | null; wallets?: string[] | null };

/** The wallets a `name` or `wallets` argument stands for, validated. */
export function selectWallets(deps: ExposureDeps, selector: WalletSelector): { name: string | null; addresses: Address[] } {
  const byName = selector.name !== undefined && selector.name !== null;
  const byList = selector.wallets !== undefined && selector.wallets !== null;
  if (byName === byList) throw userError("portfolio takes either name or wallets, not both or neither");
  let addresses: Address[];
  if (byName) {
    const configured = deps.config.portfolios[selector.name!];
    if (!configured) {
      const known = Object.keys(deps.config.portfolios);
      throw userError(`unknown portfolio '${selector.name!.slice(0, 64)}' (configured: ${known.length ? known.join(", ") : "none"})`);
    }
    addresses = configured;
  } else {
    addresses = [...new Set(selector.wallets!.map(parseWallet))];
  }
  if (addresses.length === 0) throw userError("portfolio needs at least one wallet");
  if (addresses.length > MAX_PORTFOLIO_WALLETS) throw userError(`portfolio has ${addresses.length} wallets; at most ${MAX_PORTFOLIO_WALLETS} per query`);
  return { name: byName ? selector.name! : null, addresses };
}

/** Runs `work` over wallets a few at a time, which keeps the database pool free for other queries. */
export const eachWallet = <W, T>(wallets: W[], work: (w: W) => Promise<T>): Promise<T[]> => inBatches(wallets, 8, work);

/** One answer for a group of wallets: a configured portfolio by name, or an explicit list. */
export async function portfolioExposure(
  deps: ExposureDeps,
  selector: WalletSelector,
  at: At,
  chainId: number | null,
): Promise<PortfolioExposure> {
  const { name, addresses } = selectWallets(deps, selector);
  const blocks = await resolveBlocks(deps, at, chainId);
  const loaded = await loadWallets(deps, addresses, blocks, at === null);
  const wallets = await eachWallet(loaded, (w) => assessRows(deps, w.address, w.rows, w.prices, blocks));
  return combine(deps, name, blocks, () => wallets);
}

/**
 * The wallets' answers as one; the combined figures are computed when first read (a stress point may
 * need few of them), its totals from `tally` when given (the positions' own, added up another way).
 */
export function combine(
  deps: ExposureDeps,
  name: string | null,
  blocks: BlockRef[],
  walletsOf: () => WalletExposure[],
  assessedOf?: () => AssessedPosition[],
  tally?: ExposureTally,
): PortfolioExposure {
  const wallets = once(walletsOf);
  const d = derived(
    deps,
    // The wallets' positions, in wallet order (`assessedOf`: the same without making each wallet's answer).
    assessedOf ?? (() => concat(wallets().map((w) => w.assessed))),
    () => concat(wallets().map((w) => w.accounts.map((a) => withAccount(a, w.address)))),
    () => concat(wallets().map((w) => w.warnings.map((x) => `${w.address}: ${x}`))),
    tally && (() => tally),
  );
  return new PortfolioAnswer({ name, blocks }, { ...d, wallets });
}

type LazyPortfolio = "wallets" | "assessed" | "positions" | "accounts" | "items" | "totals" | "warnings";
const PortfolioAnswer = lazyFields<Omit<PortfolioExposure, LazyPortfolio>, Pick<PortfolioExposure, LazyPortfolio>>(
  ["wallets", "assessed", "positions", "accounts", "items", "totals", "warnings"],
);

/** The account's figures, lazy ones included, with its wallet. */
const withAccount = (risk: AccountRisk, account: Address) => ({ ...(allFields(risk) as AccountRisk), account });

/** The arrays one after another (flatMap builds an intermediate per element: slower where points repeat it). */
export const concat = <T>(arrays: T[][]): T[] => ([] as T[]).concat(...arrays);

/** A wallet's open positions at the answer's blocks and the marks they need. */
export type LoadedWallet = { address: Address; rows: PositionRow[]; prices: PriceBook };
