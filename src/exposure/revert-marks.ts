import { rowsOf, type ReadonlyDb } from "../core/db";

// When ponder reverts blocks (a reorg, or a lagging RPC answer it takes for one), it deletes their
// rows but leaves `_ponder_checkpoint` at the old head until the next block is indexed
// (ponder runtime/omnichain.js, the "reorg" case). Between the two, the tables hold less than the
// checkpoint says. Two triggers of ours mark that window in the database, where every reader sees it:
// - ponder's revert deletes reorg-log rows above the finalized checkpoint (database/actions.js,
//   revertOmnichain; finalizing deletes those at or below it, after raising it): the first block
//   they held is marked lost, and the chain's revert count goes up;
// - the next write of the chain's checkpoint commits with that block's rows (the "block" case), so it
//   clears the mark.

export const REVERT_TABLE = "exposure_reverted";

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

const installScript = (schema: string, reorgTables: string[]) => {
  const s = ident(schema);
  return `
SET TRANSACTION READ WRITE;
CREATE TABLE IF NOT EXISTS ${s}.${REVERT_TABLE} (
  chain_id bigint PRIMARY KEY, first_lost_block numeric, reverts bigint NOT NULL);
CREATE OR REPLACE FUNCTION ${s}.exposure_mark_revert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The join keeps indexed chains: rows of a block not yet committed carry ponder's all-nines checkpoint.
  INSERT INTO ${s}.${REVERT_TABLE} AS r (chain_id, first_lost_block, reverts)
  SELECT substring(gone.checkpoint, 11, 16)::bigint, min(substring(gone.checkpoint, 27, 16)::numeric), 1
  FROM gone JOIN ${s}._ponder_checkpoint c ON c.chain_id = substring(gone.checkpoint, 11, 16)::bigint
  WHERE gone.checkpoint > (SELECT max(finalized_checkpoint) FROM ${s}._ponder_checkpoint)
  GROUP BY 1
  ON CONFLICT (chain_id) DO UPDATE SET first_lost_block = least(r.first_lost_block, excluded.first_lost_block), reverts = r.reverts + 1;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION ${s}.exposure_clear_revert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ${s}.${REVERT_TABLE} SET first_lost_block = NULL WHERE chain_id = NEW.chain_id AND first_lost_block IS NOT NULL;
  RETURN NULL;
END $$;
${reorgTables
  .map(
    (t) => `CREATE OR REPLACE TRIGGER exposure_revert_mark AFTER DELETE ON ${s}.${ident(t)}
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION ${s}.exposure_mark_revert();`,
  )
  .join("\n")}
CREATE OR REPLACE TRIGGER exposure_revert_clear AFTER UPDATE ON ${s}._ponder_checkpoint FOR EACH ROW
  WHEN (OLD.finalized_checkpoint IS NOT DISTINCT FROM NEW.finalized_checkpoint) EXECUTE FUNCTION ${s}.exposure_clear_revert();`;
};

/** The raw client under ponder's drizzle handle: a node-postgres pool or a PGlite instance. */
type RawClient = { exec?(text: string): Promise<unknown>; query(text: string): Promise<unknown> };

/**
 * Installs the table and triggers (idempotent) once ponder has made its tables; false before that.
 * The script runs as one statement list, so as one implicit transaction: all of it or none (the
 * API's Postgres connections are read-only by default, hence READ WRITE).
 */
export async function installRevertMarks(db: ReadonlyDb): Promise<boolean> {
  const found = rowsOf<{ schema: string; tables: string[] | null; checkpoint: boolean }>(
    await db.execute(
      `SELECT current_schema() AS schema, to_regclass('_ponder_checkpoint') IS NOT NULL AS checkpoint,
        (SELECT array_agg(tablename::text ORDER BY tablename) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE '\\_reorg\\_\\_%') AS tables`,
    ),
  )[0];
  if (!found?.checkpoint || !found.tables?.length) return false;
  const client = (db as unknown as { $client: RawClient }).$client;
  const script = installScript(found.schema, found.tables);
  // Several statements go as one simple query: PGlite's exec, node-postgres's query without parameters.
  await (client.exec ? client.exec(script) : client.query(script));
  return true;
}

