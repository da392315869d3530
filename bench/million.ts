// The million-position Postgres schema bench:query and bench:alerts measure: the fixture's chain
// indexed by ponder (its feeds and Vault settings), then one million open GMX v1 positions and their
// opening events written straight into the tables. A kept schema (--keep) can be measured again (--reuse).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import type { Address } from "viem";
import { startAnvil, type AnvilHandle } from "../test/chain/anvil";
import { chainClients } from "../test/chain/clients";
import { deployFixtures, setPrice, type Deployment } from "../test/chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../test/chain/exposure-config";
import { POSTGRES_URL } from "../test/support/indexer";
import { LEVEL_ALWAYS_LONG } from "../src/core/at-risk";
import { liquidationLevel } from "../src/protocols/gmx-v1/risk";

const ROOT = resolve(import.meta.dirname, "..");
const PONDER = resolve(ROOT, "node_modules/ponder/dist/esm/bin/ponder.js");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const log = (bench: string, msg: string) => console.log(`[${bench}] ${msg}`);

/** Wallets 0-99 hold 200 positions each, of every market; the other 99,900 about 10 each, of one market. */
export const BIG_WALLETS = 100;
export const WALLETS = 100_000;
export const benchWallet = (i: number) => `0x${(0x10000 + i).toString(16).padStart(40, "0")}` as Address;

export type Million = {
  name: string;
  db: pg.Client;
  anvil: AnvilHandle;
  d: Deployment;
  schema: string;
  configPath: string;
  /** The fixture chain's head once deployed (the indexed data's last block). */
  head: bigint;
  /** How many positions are within 5% of liquidation at the starting marks. */
  withinBound: number;
  /** ponder over the schema, in a child process (`profile`: a CPU profile of a `serve` there). */
  /** `profile`: a CPU profile of an API process there; `gcLog`: its V8 GC trace (--trace-gc-nvp) and output in that file. */
  ponder(command: "start" | "serve", port: number, options?: { profile?: string; gcLog?: string }): ChildProcess;
  until(check: () => Promise<boolean>, what: string): Promise<void>;
};

/** The schema: filled anew (`positions` of them), or `reuse`d; `portfolios` go into the exposure config. */
export async function millionPositions(name: string, positions: number, reuse: string, portfolios: Record<string, Address[]> = {}): Promise<Million> {
  const db = new pg.Client({ connectionString: POSTGRES_URL });
  await db.connect();
  // A kept schema is served again on a chain of its own id: the fixture deploys to the same addresses.
  const reusedChainId = reuse ? Number((await db.query(`SELECT chain_id FROM "${reuse}".position LIMIT 1`)).rows[0].chain_id) : undefined;
  const anvil = await startAnvil({ chainId: reusedChainId });
  const d = await deployFixtures(anvil.rpcUrl);
  // The LINK feed is OCR-style: its starting answer has no event, so one transmission gives LINK positions a mark.
  if (!reuse) await setPrice(d, "LINK", 15n * 10n ** 8n);
  const head = await chainClients(anvil.rpcUrl).publicClient.getBlockNumber({ cacheTime: 0 });
  const configPath = join(mkdtempSync(join(tmpdir(), `${name}-`)), "exposure.config.json");
  writeExposureConfig(configPath, fixtureExposureConfig(d, { portfolios }));
  const schema = reuse || `${name.replace(":", "_")}_${Date.now()}`;
  const env = { ...process.env, PONDER_TELEMETRY_DISABLED: "true", DATABASE_URL: POSTGRES_URL, EXPOSURE_CONFIG: configPath };
  const ponder = (command: "start" | "serve", port: number, { profile = "", gcLog = "" } = {}) => {
    const profiling = profile && command === "serve" ? ["--cpu-prof", "--cpu-prof-dir", profile] : [];
    const tracing = gcLog ? ["--trace-gc-nvp"] : [];
    const output = gcLog ? openSync(gcLog, "w") : "ignore";
    return spawn(process.execPath, [...profiling, ...tracing, PONDER, command, "--schema", schema, "--port", String(port)], { cwd: ROOT, env, stdio: ["ignore", output, output] });
  };
  const until = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 1200; i++) {
      if (await check().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const m = { name, db, anvil, d, schema, configPath, head, ponder, until };
  if (reuse) {
    const { rows: [kept] } = await db.query(`SELECT venue FROM "${reuse}".position LIMIT 1`);
    if (kept.venue !== d.vault.toLowerCase()) throw new Error(`schema ${reuse} was filled for Vault ${kept.venue}, the fixture deployed ${d.vault}`);
    log(name, `reusing schema ${reuse} (chain ${d.chainId})`);
  } else await fill(m, positions);
  // Marks are the fixture's starting prices, which are every position's entry price here.
  const { rows: [{ n: withinBound }] } = await db.query(
    `SELECT count(*) AS n FROM "${schema}".position
     WHERE (is_long AND liquidation_level >= entry_price * 0.95) OR (NOT is_long AND liquidation_level <= entry_price * 1.05)`,
  );
  return { ...m, withinBound: Number(withinBound) };
}

/** Steps 1 and 2: the tables, and one million positions in them. */
async function fill(m: Omit<Million, "withinBound">, positions: number) {
  const { db, d, schema, head, ponder, until } = m;
  // 1. The indexer creates the tables and indexes the fixture's feeds and Vault settings, then stops.
  const indexer = ponder("start", 42_600);
  await until(async () => ((await (await fetch("http://127.0.0.1:42600/status")).json()).anvil?.block?.number ?? 0) >= Number(head), "the indexer");
  indexer.kill("SIGTERM");
  await new Promise((r) => indexer.once("exit", r));

  // 2. One million open GMX v1 positions written straight into the tables, with the Vault parameters they need.
  const filled = Date.now();
  // ponder's tables carry triggers for its live queries and reorg log; a bulk load is neither.
  await db.query("SET session_replication_role = replica");
  const vault = d.vault.toLowerCase();
  const tokens = [d.tokens.WETH.address, d.tokens.WBTC.address, d.tokens.LINK.address].map((t) => t.toLowerCase());
  await db.query(
    `INSERT INTO "${schema}".gmx_v1_vault_params (id, chain_id, vault, block_number, max_leverage, liquidation_fee_usd, margin_fee_basis_points)
     VALUES ($1, $2, $3, 0, 1000000, 5000000000000000000000000000000, 10) ON CONFLICT (id) DO NOTHING`,
    [`${d.chainId}:${vault}:0`, d.chainId, vault],
  );
  // Levels as the GMX v1 handlers file them for a fresh position (no funding due), in SQL for the bulk
  // load: Vault.validateLiquidation's boundary (see liquidationPrice in src/protocols/gmx-v1/risk.ts),
  // checked against that function on a sample below.
  await db.query(
    `INSERT INTO "${schema}".position (id, position_id, chain_id, protocol, venue, position_key, account, market, collateral_token, is_long,
       size_usd, size_in_tokens, collateral_usd, collateral_amount, entry_price, realised_pnl_usd, protocol_state, liquidation_level, status,
       opened_block, opened_at, updated_block, updated_at)
     SELECT 'bench:' || i, 'bench:' || i, $1, 'gmx-v1', $2, '0x' || lpad(to_hex(i), 64, '0'),
       '0x' || lpad(to_hex(65536 + CASE WHEN i < $3 * 200 THEN i % $3 ELSE $3 + (i - $3 * 200) % ($4 - $3) END), 40, '0'),
       market, market, is_long, size, NULL, collateral, NULL, price, 0,
       '{"entryFundingRate":"0","reserveAmount":"0"}'::json,
       CASE WHEN min_delta <= 0 THEN (CASE WHEN is_long THEN $7::numeric ELSE 0 END)
            WHEN is_long THEN NULLIF(GREATEST(price - div(min_delta * price + size - 1, size), 0), 0)
            ELSE price + div(min_delta * price + size - 1, size) END,
       'open', 1, 0, 1, 0
     FROM (
       SELECT i, market, is_long, size, collateral, price,
         collateral - GREATEST(size - div(size * 9990, 10000) + 5e30, div(size * 10000 + 999999, 1000000)) + 1 AS min_delta
       FROM (
         SELECT i, ($5::text[])[1 + i % 3] AS market, i % 2 = 0 AS is_long,
           (1000 + i % 50000)::numeric * 1e30 AS size, (100 + i % 5000)::numeric * 1e30 AS collateral,
           (CASE i % 3 WHEN 0 THEN 3000 WHEN 1 THEN 60000 ELSE 15 END)::numeric * 1e30 AS price
         FROM generate_series(0, $6 - 1) AS i
       ) AS terms
     ) AS checked`,
    [d.chainId, vault, BIG_WALLETS, WALLETS, tokens, positions, LEVEL_ALWAYS_LONG.toString()],
  );
  // Each position's history: the event that opened it, as the handlers file it (the alert engine reads history).
  await db.query(
    `INSERT INTO "${schema}".position_event (id, kind, block_number, log_index, transaction_hash, timestamp, size_delta_usd, collateral_delta_usd, price, fee_usd,
       position_id, chain_id, protocol, venue, position_key, account, market, collateral_token, is_long, size_usd, size_in_tokens, collateral_usd,
       collateral_amount, entry_price, realised_pnl_usd, protocol_state, liquidation_level, status, opened_block, opened_at, updated_block, updated_at)
     SELECT p.id || ':open', 'increase', 1, 0, '0x' || lpad('', 64, '0'), 0, p.size_usd, p.collateral_usd, p.entry_price, 0,
       p.position_id, p.chain_id, p.protocol, p.venue, p.position_key, p.account, p.market, p.collateral_token, p.is_long, p.size_usd, p.size_in_tokens,
       p.collateral_usd, p.collateral_amount, p.entry_price, p.realised_pnl_usd, p.protocol_state, p.liquidation_level, p.status, p.opened_block,
       p.opened_at, p.updated_block, p.updated_at
     FROM "${schema}".position p WHERE p.id LIKE 'bench:%'`,
  );
  const sample = await db.query(
    `SELECT size_usd, collateral_usd, entry_price, is_long, liquidation_level FROM "${schema}".position TABLESAMPLE SYSTEM (1) LIMIT 5000`,
  );
  const params = { maxLeverage: 1_000_000n, liquidationFeeUsd: 5n * 10n ** 30n, marginFeeBasisPoints: 10n, addsProfitOnLiquidation: false };
  for (const r of sample.rows) {
    const p = { size: BigInt(r.size_usd), collateral: BigInt(r.collateral_usd), averagePrice: BigInt(r.entry_price), entryFundingRate: 0n, isLong: r.is_long };
    const expected = liquidationLevel(p, params, 0n);
    if ((r.liquidation_level === null ? null : BigInt(r.liquidation_level)) !== expected) throw new Error(`bulk level ${r.liquidation_level} != ${expected} for ${JSON.stringify(r)}`);
  }
  log(m.name, `bulk levels equal liquidationLevel() on a sample of ${sample.rows.length}`);
  // Steady state: visibility map and statistics set now, not by autovacuum during the measurements.
  await db.query(`VACUUM ANALYZE "${schema}".position`);
  await db.query(`VACUUM ANALYZE "${schema}".position_event`);
  log(m.name, `${positions} positions over ${WALLETS} wallets written in ${((Date.now() - filled) / 1000).toFixed(1)} s`);
}
