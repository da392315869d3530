import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients } from "../chain/clients";
import { deployFixtures, setPrice, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import { simulate } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { dropSchema, dumpTables, startIndexer, type Indexer } from "../support/indexer";

// Both runs must end with identical tables: the interrupted or reorged one and a fresh one over the final chain.
describe.each(DATABASES)("indexing consistency on %s", (database) => {
  let anvil: AnvilHandle | undefined;
  const started: Indexer[] = [];

  afterEach(async () => {
    for (const indexer of started.splice(0)) {
      await indexer.stop();
      await dropSchema(database, indexer.schema);
    }
    await anvil?.stop();
  });

  const setUp = async () => {
    anvil = await startAnvil();
    const d = await deployFixtures(anvil.rpcUrl);
    await simulate(d, { wallets: 4, steps: 25, seed: 5 });
    const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    writeExposureConfig(configPath, fixtureExposureConfig(d));
    return { d, configPath, rpc: chainClients(d.rpcUrl).publicClient };
  };
  const start = async (opts: Parameters<typeof startIndexer>[0]) => {
    const indexer = await startIndexer(opts);
    started.push(indexer);
    return indexer;
  };
  const positionKeys = async (indexer: Indexer, account: string) =>
    ((await indexer.query(`{ wallet(address: "${account}") { positions { positionKey } } }`)).data.wallet.positions as { positionKey: string }[])
      .map((p) => p.positionKey)
      .sort();

  /** Runs a fresh indexer over the chain as it is now and returns its tables. */
  const freshTables = async (configPath: string, head: bigint) => {
    const fresh = await start({ configPath, database });
    await fresh.waitForBlock(head, 120_000);
    await fresh.stop();
    return dumpTables(database, fresh.schema, fresh.pgliteDir);
  };

  it("follows a reorg: rows of the dropped blocks are gone, the new blocks' are in", async () => {
    const { d, configPath, rpc } = await setUp();
    const live = await start({ configPath, database });
    await live.waitForBlock(await rpc.getBlockNumber(), 120_000);

    const wallets = [1, 2, 3, 4, 5].map((i) => anvilAccount(i).address);
    const keysBefore = await Promise.all(wallets.map((w) => positionKeys(live, w)));
    const snapshot = await rpc.request({ method: "evm_snapshot" as any, params: [] as any });
    const dropped = await simulate(d, { wallets: 5, steps: 10, seed: 101 });
    const droppedHead = await rpc.getBlockNumber();
    await live.waitForBlock(droppedHead);
    const keysOnDroppedBranch = await Promise.all(wallets.map((w) => positionKeys(live, w)));
    expect(dropped.openPositions.length).toBeGreaterThan(0);
    expect(keysOnDroppedBranch).not.toEqual(keysBefore);

    expect(await rpc.request({ method: "evm_revert" as any, params: [snapshot] as any })).toBe(true);
    // A different, longer branch: other prices, no trades.
    const blocksToOutgrow = Number(droppedHead - (await rpc.getBlockNumber())) + 3;
    for (let i = 0; i < blocksToOutgrow; i++) {
      await setPrice(d, "WETH", 2_900_00000000n - BigInt(i) * 1_00000000n);
    }
    const head = await rpc.getBlockNumber();
    expect(head).toBeGreaterThan(droppedHead);
    await live.waitForBlock(head);
    expect(live.logs()).toContain("Reorged block");
    expect(await Promise.all(wallets.map((w) => positionKeys(live, w)))).toEqual(keysBefore);

    await live.stop();
    const afterReorg = await dumpTables(database, live.schema, live.pgliteDir);
    expect(afterReorg).toEqual(await freshTables(configPath, head));
    expect(afterReorg.price_update!.length).toBeGreaterThan(0);
  });

  it("recovers from kill -9 during indexing and restarts on the same tables", async () => {
    const { d, configPath, rpc } = await setUp();
    const first = await start({ configPath, database });
    await first.waitForBlock(await rpc.getBlockNumber(), 120_000);
    // Trades arrive while it indexes live; kill it without warning in the middle.
    const trading = simulate(d, { wallets: 5, steps: 30, seed: 77 });
    await new Promise((r) => setTimeout(r, 1_500));
    await first.kill();
    await trading;
    const head = await rpc.getBlockNumber();

    const restarted = await start({ configPath, database, schema: first.schema, pgliteDir: first.pgliteDir });
    await restarted.waitForBlock(head, 120_000);
    expect(restarted.logs()).toContain("crash recovery");
    await restarted.stop();
    const recovered = await dumpTables(database, restarted.schema, restarted.pgliteDir);
    expect(recovered).toEqual(await freshTables(configPath, head));
    expect(recovered.position_event!.length).toBeGreaterThan(0);
  });
});
