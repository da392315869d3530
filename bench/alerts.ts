// `npm run bench:alerts`: the alert engine over 1,000,000 open positions (bench/million.ts) and 1,000
// rules, in process against Postgres: the evaluation pass of each new block, by what the block holds
// (nothing, one price update, position events, every price), beside the full pass (every rule at all
// its wallets, what the engine did at every block before it evaluated only what a block touches) in
// the same run. New blocks are written straight into the tables, as the indexer would file them.
// Options: --positions N (default 1000000), --blocks N per kind of block (default 10), --keep, --reuse SCHEMA,
// --soak MINUTES: then the kinds of block in turn for that long, with the heap after a full collection
// and the RSS each minute (whether what the engine keeps stays flat).
import { drizzle } from "drizzle-orm/node-postgres";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import pg from "pg";
import type { Address } from "viem";
import * as ponderSchema from "../ponder.schema";
import type { AlertRule } from "../src/alerts/config";
import { alertEngine, type AlertEvent } from "../src/alerts/engine";
import { openAlertStore } from "../src/alerts/store";
import { loadExposureConfig } from "../src/config/exposure-config";
import { assetDirectory } from "../src/core/assets";
import type { ReadonlyDb } from "../src/core/db";
import { blockChanges, holdingsOf } from "../src/exposure/block-changes";
import { feedDirectory } from "../src/prices/feeds";
import { keptWallets } from "../src/exposure/kept-wallets";
import type { BlockRef, ExposureDeps } from "../src/exposure/service";
import { POSTGRES_URL } from "../test/support/indexer";
import { benchWallet, BIG_WALLETS, log as logAs, millionPositions, WALLETS } from "./million";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const POSITIONS = Number(arg("positions", "1000000"));
const BLOCKS = Number(arg("blocks", "10"));
const REUSE = arg("reuse", "");
const SOAK_MINUTES = Number(arg("soak", "0"));
const log = (msg: string) => logAs("bench:alerts", msg);
/** The default sweep; blocks here are a second apart. */
const SWEEP_SECONDS = 60;

const m = await millionPositions("bench:alerts", POSITIONS, REUSE);
const { db, d, schema } = m;
const chainId = d.chainId;

// 1,000 rules: 900 on one wallet each (a bot per wallet), 100 on ten wallets each (a desk's book:
// one wallet of 200 positions and nine of about 10), over the three metrics a position book has.
const smallWallet = (k: number) => benchWallet(BIG_WALLETS + ((k * 7919) % (WALLETS - BIG_WALLETS)));
const METRICS = [
  { metric: "liquidationDistance", fireAt: "0.05", clearAt: "0.08" },
  { metric: "leverage", fireAt: "20", clearAt: "15" },
  { metric: "grossNotionalUsd", fireAt: "400000", clearAt: "300000" },
] as const;
const rules: AlertRule[] = [
  ...Array.from({ length: 900 }, (_, k): AlertRule => ({ id: `single-${k}`, wallets: [smallWallet(k)], ...METRICS[k % 3]! })),
  ...Array.from({ length: 100 }, (_, g): AlertRule => ({
    id: `book-${g}`,
    wallets: [benchWallet(g), ...Array.from({ length: 9 }, (_, i) => smallWallet(900 + g * 9 + i))],
    ...METRICS[g % 3]!,
  })),
];
const watched = new Set(rules.flatMap((r) => r.wallets.map((w) => w.toLowerCase())));

// The engine reads the tables through drizzle, as the API does.
const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8, options: `-c search_path="${schema}"` });
const config = loadExposureConfig(m.configPath);
const deps: ExposureDeps = { db: drizzle(pool, { schema: ponderSchema }) as unknown as ReadonlyDb, schema: ponderSchema, config, publicClients: {} };
process.env.DATABASE_SCHEMA = schema;
const store = await openAlertStore({ DATABASE_URL: POSTGRES_URL });
await store.query(`TRUNCATE alert, alert_block, alert_event, alert_delivery`);

// Blocks after the indexed head, each a second apart from the last oracle answer on record (so every mark is fresh).
const tokens = { WETH: d.tokens.WETH, WBTC: d.tokens.WBTC, LINK: d.tokens.LINK };
const { rows: [latest] } = await db.query(`SELECT max(updated_at)::text AS t, max(block_number)::text AS n FROM "${schema}".price_update`);
const firstBlock = (BigInt(latest.n) > m.head ? BigInt(latest.n) : m.head) + 1n;
const timeOf = (n: bigint) => BigInt(latest.t) + (n - firstBlock) + 1n;
let head = firstBlock;
const symbolOf = assetDirectory(config).symbol;
/** Each evaluation's answers and how many wallets it read anew; positions are counted after the timing (answers make them when read). */
const evaluated: { answers: { assessed: unknown[] }[]; read: number }[] = [];
const kept = keptWallets(deps);
/** Events raised, counted (a soak would otherwise keep every one). */
let raised = 0;
const engineDeps = {
  settings: { ...config.alerts, sweepSeconds: SWEEP_SECONDS },
  store,
  rules: async () => rules,
  heads: async () => [{ chainId, name: "anvil", number: head }],
  block: async (_: string, n: bigint) => ({ hash: `0x${n.toString(16).padStart(64, "0")}`, timestamp: timeOf(n) }),
  chainTip: async () => head,
  exposuresAt: async (wallets: string[], at: BlockRef, fresh: Set<string>, pricedAssets: string[]) => {
    const answers = await kept.at(wallets, at, fresh, pricedAssets);
    evaluated.push({ answers, read: wallets.filter((w) => fresh.has(w)).length });
    return answers;
  },
  changesAt: (c: number, n: bigint) => blockChanges(deps, c, n),
  holdingsOf: (c: number, wallets: string[]) => holdingsOf(deps, c, wallets),
  symbolOf: (c: number, market: string) => symbolOf(c, market as Address),
  publish: (e: AlertEvent[]) => {
    raised += e.length;
  },
  log: (msg: string) => log(msg),
};

// What the blocks hold, written as the handlers would file it (without ponder's live-query triggers: no ponder runs here).
await db.query("SET session_replication_role = replica");
const feedOf = (token: { address: Address }) => feedDirectory(config).byAsset(chainId, token.address)!;
const priceNow = new Map<string, bigint>();
async function setPrice(token: { address: Address }, n: bigint, move: bigint) {
  const asset = token.address.toLowerCase();
  if (!priceNow.has(asset)) {
    const { rows: [p] } = await db.query(`SELECT price::text FROM "${schema}".price_update WHERE chain_id = $1 AND asset = $2 ORDER BY block_number DESC LIMIT 1`, [chainId, asset]);
    priceNow.set(asset, BigInt(p.price));
  }
  const price = (priceNow.get(asset)! * (10_000n + move)) / 10_000n;
  priceNow.set(asset, price);
  const feed = feedOf(token);
  await db.query(
    `INSERT INTO "${schema}".price_update (id, chain_id, asset, feed, answer, price, round_id, updated_at, block_number, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)`,
    [`bench:${asset}:${n}`, chainId, asset, feed.address.toLowerCase(), (price / 10n ** 22n).toString(), price.toString(), n.toString(), timeOf(n).toString(), n.toString()],
  );
}
/** Position events at block n: `count` watched wallets add collateral to one of their positions. */
async function addCollateral(n: bigint, count: number) {
  const wallets = [...watched].slice(Number(n % 100n) * count, Number(n % 100n) * count + count);
  await db.query(
    `INSERT INTO "${schema}".position_event
     SELECT DISTINCT ON (account) e.id || ':' || $1, 'increase', $1::numeric, 0, e.transaction_hash, $2::numeric, 0, 1e30, e.price, 0, e.position_id, e.chain_id, e.protocol,
       e.venue, e.position_key, e.account, e.market, e.collateral_token, e.is_long, e.size_usd, e.size_in_tokens, e.collateral_usd + 1e30, e.collateral_amount,
       e.entry_price, e.realised_pnl_usd, e.protocol_state, e.liquidation_level, e.status, e.opened_block, e.opened_at, $1::numeric, $2::numeric
     FROM "${schema}".position_event e WHERE e.account = ANY($3) AND e.block_number = 1 ORDER BY account, position_id`,
    [n.toString(), timeOf(n).toString(), wallets],
  );
}
const kinds: { name: string; write(n: bigint): Promise<void> }[] = [
  { name: "no change (sweep slice only)", write: async () => {} },
  { name: "one price update (LINK)", write: (n) => setPrice(tokens.LINK, n, n % 2n === 0n ? 30n : -30n) },
  { name: "one price update (WETH)", write: (n) => setPrice(tokens.WETH, n, n % 2n === 0n ? 30n : -30n) },
  { name: "position events of 10 watched wallets", write: (n) => addCollateral(n, 10) },
  {
    name: "every price (WETH, WBTC, LINK)",
    write: async (n) => {
      for (const t of Object.values(tokens)) await setPrice(t, n, n % 2n === 0n ? 30n : -30n);
    },
  },
];

/** One block through the engine: its rows written, then one tick timed. */
async function block(engine: ReturnType<typeof alertEngine>, write: (n: bigint) => Promise<void>) {
  await write(head);
  const started = performance.now();
  await engine.tick();
  const ms = performance.now() - started;
  const seen = evaluated.reduce(
    (a, e) => ({ wallets: a.wallets + e.answers.length, positions: a.positions + e.answers.reduce((n, w) => n + w.assessed.length, 0), read: a.read + e.read }),
    { wallets: 0, positions: 0, read: 0 },
  );
  evaluated.length = 0;
  head++;
  return { ms, ...seen };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The full pass: an engine new to every rule evaluates each at all its wallets (three engines, three blocks).
const full: Awaited<ReturnType<typeof block>>[] = [];
let engine = alertEngine(engineDeps);
for (let i = 0; i < 3; i++) {
  engine = alertEngine(engineDeps);
  full.push(await block(engine, async () => {}));
  log(`full pass: ${full.at(-1)!.ms.toFixed(0)} ms, ${full.at(-1)!.wallets} wallets, ${full.at(-1)!.positions} positions`);
}
const fullMs = median(full.map((f) => f.ms));
const results: { name: string; ms: number; max: number; wallets: number; positions: number; read: number }[] = [];
for (const kind of kinds) {
  const runs: Awaited<ReturnType<typeof block>>[] = [];
  for (let i = 0; i < BLOCKS; i++) runs.push(await block(engine, kind.write));
  results.push({ name: kind.name, ms: median(runs.map((r) => r.ms)), max: Math.max(...runs.map((r) => r.ms)), wallets: median(runs.map((r) => r.wallets)), positions: median(runs.map((r) => r.positions)), read: median(runs.map((r) => r.read)) });
  log(`${kind.name}: median ${results.at(-1)!.ms.toFixed(0)} ms over ${BLOCKS} blocks (${runs.map((r) => r.ms.toFixed(0)).join(", ")})`);
}

// The soak: live heap (after a full collection) and RSS each minute.
type Sample = { minute: number; blocks: number; heapMb: number; rssMb: number; medianMs: number };
const soak: Sample[] = [];
if (SOAK_MINUTES > 0) {
  v8.setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const sample = (minute: number, ms: number[]) => {
    gc();
    const { heapUsed, rss } = process.memoryUsage();
    soak.push({ minute, blocks: ms.length, heapMb: heapUsed / 1e6, rssMb: rss / 1e6, medianMs: ms.length ? median(ms) : 0 });
    log(`soak minute ${minute}: ${ms.length} blocks, heap ${soak.at(-1)!.heapMb.toFixed(0)} MB, RSS ${soak.at(-1)!.rssMb.toFixed(0)} MB`);
  };
  sample(0, []);
  const started = performance.now();
  for (let minute = 1, k = 0; minute <= SOAK_MINUTES; minute++) {
    const ms: number[] = [];
    while (performance.now() - started < minute * 60_000) ms.push((await block(engine, kinds[k++ % kinds.length]!.write)).ms);
    sample(minute, ms);
  }
}

const { rows: [{ n: openPositions }] } = await db.query(`SELECT count(*)::int AS n FROM "${schema}".position WHERE status = 'open'`);
await store.close();
await pool.end();
if (process.argv.includes("--keep") || REUSE) log(`schema kept: ${schema}`);
else await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${schema}_alerts" CASCADE`);
await db.end();
await m.anvil.stop();

console.log(`\nbench:alerts — ${openPositions} open positions, ${rules.length} rules over ${watched.size} wallets (${full[0]!.positions} positions), Postgres; median of ${BLOCKS} blocks per kind; every watched wallet read anew every ${SWEEP_SECONDS} s of chain time (blocks 1 s apart); node ${process.version}`);
console.log(`block holds | evaluation pass ms (median, max) | wallets evaluated (read anew) | their positions | full pass ms (baseline: every rule at all its wallets) | target < 200 ms`);
for (const r of results) {
  console.log(`${r.name} | ${r.ms.toFixed(1)}, ${r.max.toFixed(1)} | ${r.wallets} (${r.read}) | ${r.positions} | ${fullMs.toFixed(1)} | ${r.ms < 200 ? "met" : "MISSED"}`);
}
console.log(`full pass: ${full.map((f) => f.ms.toFixed(1)).join(", ")} ms over ${full[0]!.wallets} wallets, ${full[0]!.positions} positions; ${raised} alert events raised in the run`);
if (soak.length > 0) {
  const [first, last] = [soak[1] ?? soak[0]!, soak.at(-1)!];
  const heaps = soak.slice(1).map((s) => s.heapMb);
  console.log(
    `soak: ${SOAK_MINUTES} min, ${soak.reduce((n, s) => n + s.blocks, 0)} blocks (the kinds above in turn); heap after a full collection ${soak[0]!.heapMb.toFixed(0)} MB before, ` +
      `${first.heapMb.toFixed(0)} MB after minute 1 (baseline), ${last.heapMb.toFixed(0)} MB after minute ${last.minute} (min ${Math.min(...heaps).toFixed(0)}, max ${Math.max(...heaps).toFixed(0)}); ` +
      `RSS ${first.rssMb.toFixed(0)} → ${last.rssMb.toFixed(0)} MB; median block ${first.medianMs.toFixed(0)} → ${last.medianMs.toFixed(0)} ms`,
  );
}
console.log(`peak RSS of this process (the engine and what it keeps of the watched wallets): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
