import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import type { HDAccount } from "viem/accounts";
import { fundGas } from "../chain/aave-deploy";
import { aaveArtifact, deployAaveMarket, type AaveMarket } from "../chain/aave-market";
import { simulateAaveMarket } from "../chain/aave-market-simulate";
import { anvilAccount, chainClients, send } from "../chain/clients";
import { deployFixtures, fixtureAbis, setPrice, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import { deployGmxV2Fixture } from "../chain/gmx-v2-deploy";
import { GmxV2Keeper, simulateGmxV2 } from "../chain/gmx-v2-simulate";
import { simulate } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { dropSchema, dumpTables, startIndexer, type Indexer } from "../support/indexer";

/** A 5x GMX long and an Aave USDC deposit for `trader`: seven transactions. */
async function openOnBothProtocols(d: Deployment, a: AaveMarket, trader: HDAccount) {
  const abis = await fixtureAbis();
  const owner = anvilAccount(0);
  const weth = d.tokens.WETH.address;
  const usdc = d.tokens.USDC.address;
  await send(d.rpcUrl, owner, { address: weth, abi: abis.token, functionName: "mint", args: [trader.address, 10n ** 18n] });
  await send(d.rpcUrl, trader, { address: weth, abi: abis.token, functionName: "transfer", args: [d.vault, 10n ** 18n] });
  await send(d.rpcUrl, trader, { address: d.vault, abi: abis.vault, functionName: "increasePosition", args: [trader.address, weth, weth, 15_000n * 10n ** 30n, true] });
  await send(d.rpcUrl, owner, { address: usdc, abi: abis.token, functionName: "mint", args: [trader.address, 1_000n * 10n ** 6n] });
  await send(d.rpcUrl, trader, { address: usdc, abi: abis.token, functionName: "approve", args: [a.pool, 1_000n * 10n ** 6n] });
  await send(d.rpcUrl, trader, { address: a.pool, abi: aaveArtifact("Pool").abi, functionName: "supply", args: [usdc, 1_000n * 10n ** 6n, trader.address, 0] });
}

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
    const a = await deployAaveMarket(d);
    const g = await deployGmxV2Fixture(d.rpcUrl, d.tokens);
    await simulate(d, { wallets: 4, steps: 25, seed: 5 });
    await simulateAaveMarket(d, a, { wallets: 3, operations: 12, seed: 5 });
    await simulateGmxV2(d, g, { seed: 5, steps: 20, wallets: 3 });
    const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    const gmxV2 = { address: g.address, startBlock: g.startBlock };
    writeExposureConfig(configPath, fixtureExposureConfig(d, { aave: { pool: a.pool, configurator: a.configurator, release: a.release, startBlock: a.startBlock }, gmxV2, gmxV2Marks: ["WBTC"] }));
    return { d, a, g, configPath, rpc: chainClients(d.rpcUrl).publicClient };
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

  /** Runs a fresh indexer over the chain as it is now and returns its tables (`whileServing` asks its API first). */
  const freshTables = async (configPath: string, head: bigint, whileServing?: (fresh: Indexer) => Promise<void>) => {
    const fresh = await start({ configPath, database });
    await fresh.waitForBlock(head, 120_000);
    await whileServing?.(fresh);
    await fresh.stop();
    return dumpTables(database, fresh.schema, fresh.pgliteDir);
  };

  it("follows a reorg: rows of the dropped blocks are gone, the new blocks' are in", async () => {
    const { d, a, g, configPath, rpc } = await setUp();
    // A position opened before the fork that a trade on the new branch changes: after the reorg its
    // handler must find the row as it stood at the fork, not as new (issue 26).
    const keeper = await GmxV2Keeper.create(d, g);
    const preFork = { account: anvilAccount(47).address, market: "ETH" as const, collateralToken: g.markets.ETH.shortToken, isLong: false };
    await keeper.open(preFork, 2_000n * 10n ** 6n, 10_000n * 10n ** 30n);
    const live = await start({ configPath, database });
    await live.waitForBlock(await rpc.getBlockNumber({ cacheTime: 0 }), 120_000);

    // A fresh trader whose whole history lives on the branch that gets dropped.
    const trader = anvilAccount(45);
    await fundGas(d.rpcUrl, trader.address);
    const wallets = [1, 2, 3].map((i) => anvilAccount(i).address).concat(preFork.account, trader.address);
    const keysBefore = await Promise.all(wallets.map((w) => positionKeys(live, w)));
    const forkPoint = await rpc.getBlockNumber({ cacheTime: 0 });
    const snapshot = await rpc.request({ method: "evm_snapshot" as any, params: [] as any });
    await openOnBothProtocols(d, a, trader);
    await keeper.open({ account: trader.address, market: "ETH", collateralToken: g.markets.ETH.shortToken, isLong: true }, 10n ** 9n, 5_000n * 10n ** 30n);
    const droppedHead = await rpc.getBlockNumber({ cacheTime: 0 });
    // Ponder follows reorgs shallower than its finality depth (30 blocks on an unknown chain).
    expect(droppedHead - forkPoint).toBeLessThan(30n);
    await live.waitForBlock(droppedHead);
    const keysOnDroppedBranch = await Promise.all(wallets.map((w) => positionKeys(live, w)));
    expect(keysOnDroppedBranch.at(-1)!.length).toBe(3); // a GMX v1 long, an Aave deposit and a GMX v2 long
    expect(keysOnDroppedBranch).not.toEqual(keysBefore);

    expect(await rpc.request({ method: "evm_revert" as any, params: [snapshot] as any })).toBe(true);
    // A different, longer branch: other prices, then one trade on the position from before the fork.
    const blocksToOutgrow = Number(droppedHead - (await rpc.getBlockNumber({ cacheTime: 0 }))) + 3;
    for (let i = 0; i < blocksToOutgrow; i++) {
      await setPrice(d, "WETH", 2_900_00000000n - BigInt(i) * 1_00000000n);
    }
    await keeper.increase(preFork, 0n, 1_000n * 10n ** 30n);
    const head = await rpc.getBlockNumber({ cacheTime: 0 });
    expect(head).toBeGreaterThan(droppedHead);
    await live.waitForBlock(head);
    expect(live.logs()).toContain("Reorged block");
    expect(await Promise.all(wallets.map((w) => positionKeys(live, w)))).toEqual(keysBefore);
    // Prices and parameters looked up on the dropped branch are shared between queries while the
    // indexed data is unchanged; after the reorg every figure must come from the new branch.
    const answers = (indexer: Indexer) =>
      Promise.all(
        wallets.map(async (w) =>
          (await indexer.query(`{ wallet(address: "${w}") { positions { id notionalUsd liquidationPrice liquidationDistance equityUsd markPrice { usd } } totals { grossNotionalUsd equityUsd } } }`)).data,
        ),
      );
    const liveAnswers = await answers(live);
    expect(liveAnswers.flatMap((a) => a.wallet.positions).length).toBeGreaterThan(3);

    await live.stop();
    const afterReorg = await dumpTables(database, live.schema, live.pgliteDir);
    expect(afterReorg).toEqual(await freshTables(configPath, head, async (fresh) => expect(await answers(fresh)).toEqual(liveAnswers)));
    expect(afterReorg.price_update!.length).toBeGreaterThan(0);
    expect(afterReorg.aave_v3_reserve!.length).toBeGreaterThan(0);
    expect(afterReorg.gmx_v2_market_value!.length).toBeGreaterThan(0);
  }, 300_000);

  it("recovers from kill -9 during indexing and restarts on the same tables", async () => {
    const { d, a, g, configPath, rpc } = await setUp();
    const first = await start({ configPath, database });
    await first.waitForBlock(await rpc.getBlockNumber({ cacheTime: 0 }), 120_000);
    // Trades arrive while it indexes live; kill it without warning in the middle.
    const trading = simulate(d, { wallets: 5, steps: 30, seed: 77 })
      .then(() => simulateAaveMarket(d, a, { wallets: 2, operations: 12, seed: 77 }))
      .then(() => simulateGmxV2(d, g, { seed: 77, steps: 15, wallets: 2, firstAccountIndex: 6 }));
    await new Promise((r) => setTimeout(r, 1_500));
    await first.kill();
    await trading;
    const head = await rpc.getBlockNumber({ cacheTime: 0 });

    const restarted = await start({ configPath, database, schema: first.schema, pgliteDir: first.pgliteDir });
    await restarted.waitForBlock(head, 120_000);
    expect(restarted.logs()).toContain("crash recovery");
    await restarted.stop();
    const recovered = await dumpTables(database, restarted.schema, restarted.pgliteDir);
    expect(recovered).toEqual(await freshTables(configPath, head));
    expect(recovered.position_event!.length).toBeGreaterThan(0);
    expect(recovered.gmx_v2_market_params!.length).toBeGreaterThan(0);
  }, 400_000);
});
