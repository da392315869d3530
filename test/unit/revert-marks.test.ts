import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { onchainTable, type PgTable } from "ponder";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { installRevertMarks } from "../../src/exposure/revert-marks";
import { chainHeads, type ExposureDeps } from "../../src/exposure/service";
import { sharedLookups } from "../../src/core/memo";
import type { ReadonlyDb } from "../../src/core/db";
import { healthCheck } from "../../graphql/health";

// The revert marks against ponder's own statements: its reorg-log triggers, block commit, revert,
// finalization and crash recovery (ponder/dist/esm/database/actions.js, the release we run), on a
// table laid out as ponder lays out its tables and reorg logs.

type Qb = { wrap: (...a: unknown[]) => unknown; transaction: (...a: unknown[]) => Promise<unknown> };
type Actions = {
  createTriggers(qb: Qb, o: { tables: PgTable[] }): Promise<void>;
  dropTriggers(qb: Qb, o: { tables: PgTable[] }): Promise<void>;
  commitBlock(qb: Qb, o: { table: PgTable; checkpoint: string; preBuild: { ordering: string } }): Promise<void>;
  revertOmnichain(qb: Qb, o: { tables: PgTable[]; checkpoint: string }): Promise<number[]>;
  finalizeOmnichain(qb: Qb, o: { tables: PgTable[]; checkpoint: string; namespaceBuild: { schema: string } }): Promise<void>;
  crashRecovery(qb: Qb, o: { table: PgTable }): Promise<void>;
};
type Checkpoints = { encodeCheckpoint(c: Record<string, number | bigint>): string };
const ponderModule = (path: string) => import(/* @vite-ignore */ new URL(`../../node_modules/ponder/dist/esm/${path}`, import.meta.url).href);

describe("revert marks (ponder's revert, finalization and crash recovery)", () => {
  const pglite = new PGlite();
  // As ponder makes its handles: snake_case columns.
  const db = drizzle(pglite, { casing: "snake_case" });
  // ponder's query builder, as much of it as its actions use: wrap runs on the drizzle handle.
  const qbOf = (d: typeof db): Qb => ({
    wrap: (...a) => (a.find((x) => typeof x === "function") as (d: unknown) => unknown)(d),
    transaction: (...a) => d.transaction((tx) => (a.find((x) => typeof x === "function") as (q: Qb) => Promise<unknown>)(qbOf(tx as unknown as typeof db))),
  });
  const qb = qbOf(db);
  const item = onchainTable("item", (t) => ({ id: t.text().primaryKey(), value: t.bigint().notNull() }));
  const CHAIN = 31337;
  const timeOf = (block: number) => 1_700_000_000n + BigInt(block) * 2n;
  let actions: Actions;
  let checkpoint: (block: number) => string;
  const deps = {
    db,
    sharedLookups: sharedLookups(),
    publicClients: { anvil: { getBlock: async ({ blockNumber }: { blockNumber: bigint }) => ({ timestamp: timeOf(Number(blockNumber)) }) } },
  } as unknown as ExposureDeps;
  const head = async () => (await chainHeads(deps))[0]!;

  /** A live block as ponder indexes it: rows, the reorg log's block commit and the checkpoint, in one transaction. */
  const indexBlock = (block: number, writes: [id: string, value: bigint][]) =>
    qb.transaction(async (tx: Qb) => {
      await tx.wrap((d: typeof db) =>
        Promise.all(writes.map(([id, value]) => d.insert(item).values({ id, value }).onConflictDoUpdate({ target: item.id, set: { value } }))),
      );
      await actions.commitBlock(tx, { table: item, checkpoint: checkpoint(block), preBuild: { ordering: "omnichain" } });
      await tx.wrap((d: typeof db) => d.execute(`UPDATE _ponder_checkpoint SET latest_checkpoint = '${checkpoint(block)}'`));
    });
  /** ponder's "reorg" case: its triggers off, the revert, its triggers on again (runtime/omnichain.js). */
  const revertTo = async (block: number) => {
    await actions.dropTriggers(qb, { tables: [item] });
    await actions.revertOmnichain(qb, { tables: [item], checkpoint: checkpoint(block) });
    await actions.createTriggers(qb, { tables: [item] });
  };
  const values = async () => (await pglite.query<{ id: string; value: string }>("SELECT id, value::text FROM item ORDER BY id")).rows;

  beforeAll(async () => {
    actions = await ponderModule("database/actions.js");
    const { encodeCheckpoint } = (await ponderModule("utils/checkpoint.js")) as Checkpoints;
    // A block's own checkpoint, as ponder writes it for a committed block.
    checkpoint = (block) =>
      encodeCheckpoint({ blockTimestamp: timeOf(block), chainId: BigInt(CHAIN), blockNumber: BigInt(block), transactionIndex: 9999999999999999n, eventType: 5, eventIndex: 9999999999999999n });
    await pglite.exec(`
      CREATE TABLE _ponder_checkpoint (chain_name text PRIMARY KEY, chain_id bigint NOT NULL, safe_checkpoint varchar(75) NOT NULL,
        latest_checkpoint varchar(75) NOT NULL, finalized_checkpoint varchar(75) NOT NULL);
      CREATE SEQUENCE operation_id AS integer INCREMENT BY 1;
      CREATE TABLE item (id text PRIMARY KEY, value bigint NOT NULL);
      CREATE TABLE _reorg__item (id text, value bigint, operation_id integer PRIMARY KEY DEFAULT nextval('operation_id'),
        operation integer NOT NULL, checkpoint varchar(75) NOT NULL);`);
    await pglite.query("INSERT INTO _ponder_checkpoint VALUES ('anvil', $1, $2, $2, $2)", [CHAIN, checkpoint(10)]);
    expect(await installRevertMarks(db as unknown as ReadonlyDb)).toBe(true);
    await actions.createTriggers(qb, { tables: [item] });
  });
  afterAll(() => pglite.close());

  it("are not installed before ponder has made its tables", async () => {
    const empty = new PGlite();
    expect(await installRevertMarks(drizzle(empty) as unknown as ReadonlyDb)).toBe(false);
    await empty.close();
  });

  it("are reported once when they keep failing, and the heads are read without them", async () => {
    const other = new PGlite();
    await other.exec(`
      CREATE TABLE _ponder_checkpoint (chain_name text PRIMARY KEY, chain_id bigint NOT NULL, safe_checkpoint varchar(75) NOT NULL,
        latest_checkpoint varchar(75) NOT NULL, finalized_checkpoint varchar(75) NOT NULL);
      CREATE TABLE _reorg__item (id text, checkpoint varchar(75) NOT NULL);
      CREATE FUNCTION exposure_mark_revert() RETURNS integer LANGUAGE sql AS 'SELECT 1';`);
    await other.query("INSERT INTO _ponder_checkpoint VALUES ('anvil', $1, $2, $2, $2)", [CHAIN, checkpoint(10)]);
    const failing = { ...deps, db: drizzle(other, { casing: "snake_case" }) } as unknown as ExposureDeps;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      for (let i = 0; i < 12; i++) {
        expect(await chainHeads(failing)).toMatchObject([{ number: 10n, reverts: 0 }]);
        vi.advanceTimersByTime(1_000); // the next call tries again
      }
      expect(warn.mock.calls).toEqual([[expect.stringMatching(/cannot install the revert marks .*: cannot change return type of existing function$/)]]);
    } finally {
      vi.useRealTimers();
      warn.mockRestore();
      await other.close();
    }
  });

  it("put the head before the first reverted block until ponder indexes a block again, and count the reverts", async () => {
    await indexBlock(11, [["a", 1n]]);
    await indexBlock(12, [["a", 2n], ["b", 5n]]);
    await indexBlock(13, [["b", 6n]]);
    await indexBlock(14, []);
    const before = await head();
    expect(before).toMatchObject({ number: 14n, timestamp: timeOf(14), reverts: 0 });

    // A revert to block 11 (ponder drops its own triggers first; ours stay): rows of 12 and 13 are gone,
    // the checkpoint still says 14.
    await revertTo(11);
    expect(await values()).toEqual([{ id: "a", value: "1" }]);
    const reverted = await head();
    expect(reverted).toMatchObject({ number: 11n, timestamp: timeOf(11), reverts: 1 });
    expect(reverted.version).not.toBe(before.version);

    // Finalizing deletes log rows too, at or below the finalized checkpoint: not a revert.
    await actions.finalizeOmnichain(qb, { tables: [item], checkpoint: checkpoint(11), namespaceBuild: { schema: "public" } });
    expect(await head()).toMatchObject({ number: 11n, reverts: 1 });

    // The next indexed block commits with its checkpoint: the tables match it again.
    await indexBlock(12, [["a", 2n]]);
    expect(await head()).toMatchObject({ number: 12n, timestamp: timeOf(12), reverts: 1 });
    await indexBlock(13, []);
    expect(await head()).toMatchObject({ number: 13n, reverts: 1 });

    // A revert of blocks that wrote nothing removes no row: the tables hold all the checkpoint says.
    await revertTo(12);
    expect(await head()).toMatchObject({ number: 13n, reverts: 1 });
  });

  it("mark what crash recovery removes until ponder writes its checkpoint", async () => {
    await indexBlock(14, [["c", 7n]]);
    await indexBlock(15, [["c", 8n]]);
    // ponder's start after a crash (database/index.js): its triggers off, every unfinalized row
    // reverted, the checkpoint left as it was until indexing writes it.
    await actions.dropTriggers(qb, { tables: [item] });
    await actions.crashRecovery(qb, { table: item });
    await actions.createTriggers(qb, { tables: [item] });
    expect(await values()).toEqual([{ id: "a", value: "1" }]);
    expect(await head()).toMatchObject({ number: 11n, reverts: 2 });

    // The marked head's time comes from the RPC: with it down, health names the RPC, not the database.
    const rpcDown = { ...deps, publicClients: { anvil: { getBlock: async () => Promise.reject(new Error("connection refused")) } } } as unknown as ExposureDeps;
    expect(await healthCheck(rpcDown, null)()).toMatchObject({
      status: "down",
      reasons: [`cannot read block 11 of chain ${CHAIN} from its RPC: connection refused`],
    });
    await indexBlock(12, [["a", 2n]]);
    expect(await head()).toMatchObject({ number: 12n, reverts: 2 });
  });
});
