import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer } from "node:net";
import pg from "pg";
import { chainClients } from "../chain/clients";
import { writeExposureConfig } from "../chain/exposure-config";

export type DatabaseKind = "pglite" | "postgres";
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ROOT = resolve(import.meta.dirname, "../..");

export type IndexerOptions = {
  configPath: string;
  database: DatabaseKind;
  /** Ponder schema; reuse one (with the same pgliteDir) to restart on the same tables. */
  schema?: string;
  pgliteDir?: string;
  /** The app to run (a copy of this one, say); this project by default. */
  root?: string;
  /** Postgres other than the shared one (a private cluster a test may restart). */
  databaseUrl?: string;
  /** `serve`: an API replica over tables another process indexes. */
  command?: "start" | "serve";
  /** Extra environment for the ponder process. */
  env?: NodeJS.ProcessEnv;
};

export type Indexer = {
  url: string;
  schema: string;
  pgliteDir?: string;
  query<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string }[] }>;
  /** Resolves once the indexer's latest checkpoint on the chain reaches `block`. */
  waitForBlock(block: bigint, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  logs(): string;
};

export const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;

/** Runs `ponder start` on the project as a user would, against PGlite or Postgres. */
export async function startIndexer(opts: IndexerOptions): Promise<Indexer> {
  const schema = opts.schema ?? `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const pgliteDir = opts.database === "pglite" ? (opts.pgliteDir ?? mkdtempSync(join(tmpdir(), "exposure-pglite-"))) : undefined;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EXPOSURE_CONFIG: opts.configPath,
    PONDER_TELEMETRY_DISABLED: "true",
    PONDER_LOG_LEVEL: process.env.PONDER_LOG_LEVEL ?? "info",
    ...opts.env,
  };
  delete env.DATABASE_URL;
  delete env.DATABASE_PRIVATE_URL;
  if (opts.database === "postgres") env.DATABASE_URL = opts.databaseUrl ?? POSTGRES_URL;
  else env.PGLITE_DIR = pgliteDir;

  let output = "";
  const root = opts.root ?? ROOT;
  const child: ChildProcess = spawn(join(root, "node_modules/.bin/ponder"), [opts.command ?? "start", "--schema", schema, "--port", String(port)], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;

  const query = async (q: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${url}/exposure`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: q, variables }),
    });
    return res.json() as Promise<any>;
  };

  const indexer: Indexer = {
    url,
    schema,
    pgliteDir,
    query,
    async waitForBlock(block, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`indexer exited (${child.exitCode}):\n${output.slice(-3000)}`);
        try {
          const r = await query("{ chains { blockNumber } }");
          if (r.data && BigInt(r.data.chains[0]?.blockNumber ?? -1) >= block) return;
        } catch {
          // not serving yet
        }
        if (Date.now() > deadline) throw new Error(`indexer did not reach block ${block} in ${timeoutMs} ms:\n${output.slice(-3000)}`);
        await sleep(150);
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
      await exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
    logs: () => output,
  };
  return indexer;
}

/** Writes `config` to a temporary file, runs the indexer on it and waits until it has the chain's head. */
export async function indexFixtureChain(config: object, database: DatabaseKind, rpcUrl: string): Promise<Indexer> {
  const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
  writeExposureConfig(configPath, config);
  const indexer = await startIndexer({ configPath, database });
  await indexer.waitForBlock(await chainClients(rpcUrl).publicClient.getBlockNumber({ cacheTime: 0 }), 120_000);
  return indexer;
}

/** Stops what a suite started: the indexer, its Postgres schema, the chain. */
export async function stopAll(database: DatabaseKind, indexer: Indexer | undefined, anvil: { stop(): Promise<void> } | undefined) {
  await indexer?.stop();
  if (indexer) await dropSchema(database, indexer.schema);
  await anvil?.stop();
}

/** Every row of the indexed tables, sorted, for comparing two runs. */
export async function dumpTables(database: DatabaseKind, schema: string, pgliteDir?: string, url = POSTGRES_URL): Promise<Record<string, unknown[]>> {
  const tables = [
    "position",
    "position_event",
    "price_update",
    "gmx_v1_funding_rate",
    "gmx_v1_vault_params",
    "gmx_v1_vault_params_current",
    "gmx_v1_min_profit_level",
    "aave_v3_reserve",
    "aave_v3_reserve_current",
    "aave_v3_emode_category",
    "aave_v3_user_emode",
    "aave_v3_token",
    "gmx_v2_market",
    "gmx_v2_market_value",
    "gmx_v2_market_params",
    "gmx_v2_oracle_price",
    "gmx_v2_order",
  ];
  const out: Record<string, unknown[]> = {};
  if (database === "postgres") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const t of tables) out[t] = (await client.query(`SELECT * FROM "${schema}"."${t}" ORDER BY id`)).rows;
    } finally {
      await client.end();
    }
    return out;
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite(pgliteDir!);
  try {
    for (const t of tables) out[t] = (await db.query(`SELECT * FROM "${schema}"."${t}" ORDER BY id`)).rows;
  } finally {
    await db.close();
  }
  return out;
}

/** Drops ponder's schema and the alert store's beside it (`<schema>_alerts`). */
export async function dropSchema(database: DatabaseKind, schema: string) {
  if (database !== "postgres") return;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS "${schema}_alerts" CASCADE`);
  } finally {
    await client.end();
  }
}
