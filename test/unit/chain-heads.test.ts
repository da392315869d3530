import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainHeads, type ExposureDeps } from "../../src/exposure/service";
import { sharedLookups } from "../../src/core/memo";

// The version chainHeads gives the indexed data decides when cached prices and parameters are read
// again; here on ponder's own objects (its checkpoint table and reorg-log sequence) in PGlite.
describe("chainHeads version", () => {
  const pglite = new PGlite();
  const db = drizzle(pglite);
  const deps = (withSharing = true) => ({ db, sharedLookups: withSharing ? sharedLookups() : undefined }) as unknown as ExposureDeps;
  // Ponder's checkpoint: 10 digits of timestamp, 16 of chain id, 16 of block number, then the event position.
  const checkpoint = (block: number) => `1700000000${"31337".padStart(16, "0")}${String(block).padStart(16, "0")}${"9".repeat(33)}`;
  const setHead = (block: number) => pglite.query("UPDATE _ponder_checkpoint SET latest_checkpoint = $1", [checkpoint(block)]);

  beforeAll(async () => {
    await pglite.exec("CREATE TABLE _ponder_checkpoint (chain_name text PRIMARY KEY, chain_id bigint, latest_checkpoint varchar(75))");
    await pglite.query("INSERT INTO _ponder_checkpoint VALUES ('anvil', 31337, $1)", [checkpoint(10)]);
  });
  afterAll(() => pglite.close());

  it("gives no version before ponder has made its reorg-log sequence, so nothing is shared", async () => {
    const [head] = await chainHeads(deps());
    expect(head).toMatchObject({ chainId: 31337, name: "anvil", number: 10n, timestamp: 1700000000n, version: undefined });
  });

  it("changes with the head, and with a live write at the same head (a reorg's new branch at the same height)", async () => {
    await pglite.exec("CREATE SEQUENCE operation_id AS integer INCREMENT BY 1; SELECT nextval('operation_id')");
    const withSharing = deps();
    const first = (await chainHeads(withSharing))[0]!.version;
    expect(first).toBeDefined();
    expect((await chainHeads(withSharing))[0]!.version).toBe(first);

    await pglite.query("SELECT nextval('operation_id')");
    const afterWrite = (await chainHeads(withSharing))[0]!.version;
    expect(afterWrite).not.toBe(first);

    // Block 11 writes; a reorg then reverts it (ponder deletes the rows, the sequence stays ahead): the
    // version at block 10 is then one no earlier answer had, so nothing cached on block 11's branch serves.
    await setHead(11);
    await pglite.query("SELECT nextval('operation_id')");
    const onBlock11 = (await chainHeads(withSharing))[0]!;
    expect(onBlock11.number).toBe(11n);
    await setHead(10);
    const reverted = (await chainHeads(withSharing))[0]!.version;
    expect(new Set([first, afterWrite, onBlock11.version, reverted]).size).toBe(4);
  });

  it("gives no version without shared lookups", async () => {
    expect((await chainHeads(deps(false)))[0]!.version).toBeUndefined();
  });
});
