import pg from "pg";

// The alert outbox: rules' open alerts, every alert event, one delivery row per event and webhook,
// and the blocks evaluated (with hashes, to notice reorgs). It lives beside ponder's tables: in
// Postgres a schema of its own (`<ponder schema>_alerts`), with PGlite a second embedded database
// next to ponder's. Each evaluated block is written in one transaction, so a crash loses nothing.

export type Sql = {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
};

export type AlertStore = Sql & {
  /**
   * Claims the right to evaluate and deliver: one process per store (a Postgres advisory lock, held
   * until the process ends; PGlite has one process). False while another process holds it.
   */
  claimWriter(): Promise<boolean>;
  close(): Promise<void>;
};

const TABLES = `
CREATE TABLE IF NOT EXISTS alert_block (
  chain_id integer NOT NULL, block_number bigint NOT NULL, block_hash text NOT NULL, PRIMARY KEY (chain_id, block_number));
CREATE TABLE IF NOT EXISTS alert (
  id text PRIMARY KEY, rule_id text NOT NULL, subject text NOT NULL, wallet text NOT NULL, chain_id integer NOT NULL,
  status text NOT NULL, fired_block bigint NOT NULL, fired_event text NOT NULL, resolved_block bigint, resolved_event text,
  reading text, figures text NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS alert_open ON alert (rule_id, subject, chain_id) WHERE status = 'firing';
CREATE INDEX IF NOT EXISTS alert_by_status ON alert (status, fired_block, id);
CREATE TABLE IF NOT EXISTS alert_event (
  seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, alert_id text NOT NULL, kind text NOT NULL,
  chain_id integer NOT NULL, block_number bigint NOT NULL, payload text NOT NULL);
CREATE TABLE IF NOT EXISTS alert_delivery (
  event_seq bigint NOT NULL, event_id text NOT NULL, webhook text NOT NULL, status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0, next_attempt_at bigint NOT NULL, last_error text, delivered_at bigint,
  PRIMARY KEY (event_id, webhook));
CREATE INDEX IF NOT EXISTS alert_delivery_due ON alert_delivery (webhook, status, event_seq);
CREATE TABLE IF NOT EXISTS alert_rule (id text PRIMARY KEY, definition text NOT NULL, created_at bigint NOT NULL);
`;

/** The ponder schema this process serves (`--schema` or DATABASE_SCHEMA), which names ours. */
export function ponderSchema(argv = process.argv, env = process.env): string {
  const i = argv.indexOf("--schema");
  return (i > 0 ? argv[i + 1] : undefined) ?? env.DATABASE_SCHEMA ?? "public";
}

async function openPostgres(url: string, schema: string): Promise<AlertStore> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // A database restart ends every connection: an idle one's error must not end the process (the pool reconnects).
  pool.on("error", () => {});
  pool.on("connect", (client) => void client.query(`SET search_path TO "${schema}"`));
  const setup = await pool.connect();
  try {
    await setup.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await setup.query(`SET search_path TO "${schema}"`);
    await setup.query(TABLES);
  } finally {
    setup.release();
  }
  // One writer per schema: the lock is held by a dedicated connection for the process's life.
  const lock = new pg.Client({ connectionString: url });
  // Lost with a database restart: this process goes on evaluating (events and deliveries are keyed
  // by id, so a second writer can repeat a delivery, never create a second event).
  lock.on("error", () => {});
  await lock.connect();
  const claimWriter = async () =>
    (await lock.query("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [`exposure-alerts:${schema}`])).rows[0].locked === true;
  const sql = (run: (text: string, params?: unknown[]) => Promise<{ rows: any[] }>): Sql => ({
    query: async (text, params) => (await run(text, params)).rows,
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const out = await work(sql((t, p) => client.query(t, p)));
        await client.query("COMMIT");
        return out;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  });
  return {
    ...sql((t, p) => pool.query(t, p)),
    claimWriter,
    close: async () => {
      await lock.end();
      await pool.end();
    },
  };
}

async function openPglite(directory: string): Promise<AlertStore> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite(directory);
  await db.exec(TABLES);
  const wrap = (q: { query: (t: string, p?: unknown[]) => Promise<{ rows: any[] }> }): Sql => ({
    query: async (text, params) => (await q.query(text, params)).rows,
    transaction: async (work) => (await db.transaction((tx) => work(wrap(tx))))!,
  });
  return { ...wrap(db), claimWriter: async () => true, close: () => db.close() };
}

/** The store of the database ponder uses: Postgres when DATABASE_URL is set, else PGlite beside PGLITE_DIR. */
export function openAlertStore(env = process.env): Promise<AlertStore> {
  if (env.DATABASE_URL) return openPostgres(env.DATABASE_URL, `${ponderSchema()}_alerts`);
  return openPglite(`${env.PGLITE_DIR ?? ".ponder/pglite"}-alerts`);
}
