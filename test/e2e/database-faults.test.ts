import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { chainClients } from "../chain/clients";
import { deployFixtures, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import { simulate } from "../chain/simulate";
import { ADMIN_TOKEN, evaluatedBlock, until, watchPosition, webhookReceiver, type Watched } from "../support/alert-watch";
import { DATABASES } from "../support/databases";
import { dumpTables, startIndexer, type Indexer } from "../support/indexer";
import { startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres";

// Postgres restarts under the indexer, the API and the alert engine. A cluster of the test's own:
// the shared server at 5432 is never restarted.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!DATABASES.includes("postgres"))("database restarts (a private Postgres cluster)", () => {
  let cluster: PrivatePostgres | undefined;
  let anvil: AnvilHandle | undefined;
  let hook: ReturnType<typeof webhookReceiver> | undefined;
  const started: Indexer[] = [];
  afterAll(async () => {
    for (const indexer of started) await indexer.stop();
    await cluster?.remove();
    await hook?.close();
    await anvil?.stop();
  });

  it("resumes indexing from its checkpoint, answers errors while down and recovers by itself, delivers every alert once", async () => {
    cluster = await startPrivatePostgres();
    anvil = await startAnvil();
    const d: Deployment = await deployFixtures(anvil.rpcUrl);
    const rpc = chainClients(d.rpcUrl).publicClient;
    const { wallets } = await simulate(d, { wallets: 6, steps: 40, seed: 5 });
    hook = webhookReceiver();
    const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    writeExposureConfig(configPath, { ...fixtureExposureConfig(d), alerts: await hook.alertsConfig() });
    const schema = `dbf_${Date.now().toString(36)}`;
    const start = async () => {
      const indexer = await startIndexer({ configPath, database: "postgres", databaseUrl: cluster!.url, schema, env: { ALERTS_ADMIN_TOKEN: ADMIN_TOKEN } });
      started.push(indexer);
      return indexer;
    };

    // 1. A restart in the middle of the backfill. Ponder exits on a lost connection; started again
    // (as a supervisor would), it goes on from its checkpoint.
    let indexer = await start();
    await sleep(4_000);
    await cluster.restart();
    const head = await rpc.getBlockNumber({ cacheTime: 0 });
    const survived = await Promise.race([indexer.waitForBlock(head, 60_000).then(() => true), sleep(20_000).then(() => false)]).catch(() => false);
    if (!survived) {
      await indexer.stop();
      indexer = await start();
      await indexer.waitForBlock(head, 120_000);
    }

    // 2. An alert rule on the one ETH position of its wallet, so the price path below fixes its events.
    const found = await indexer.query(`query ($w: [String!]) { portfolio(wallets: $w) { positions { id account side liquidationPrice market { symbol } } } }`, { w: wallets });
    const eth = (found.data.portfolio.positions as Watched[]).filter((p) => p.market.symbol === "ETH");
    const watched = eth.find((p) => p.liquidationPrice !== null && eth.filter((q) => q.account === p.account).length === 1)!;
    const moveTo = await watchPosition(indexer, d, watched);
    await until(indexer, async () => (await evaluatedBlock(indexer)) >= (await rpc.getBlockNumber({ cacheTime: 0 })), "the engine at the head");

    // 3. The database goes down while the API serves and the alert engine runs; blocks are mined
    // meanwhile. `ponder start` exits when its database goes away (a supervisor starts it again);
    // an API replica (`ponder serve`) stays up, answers errors, and recovers by itself.
    const api = await startIndexer({ configPath, database: "postgres", databaseUrl: cluster.url, schema, command: "serve", env: { ALERTS_ADMIN_TOKEN: ADMIN_TOKEN } });
    started.push(api);
    const fired = await moveTo(0.04);
    await indexer.waitForBlock(fired);
    await api.waitForBlock(fired);
    await cluster.stop();
    const resolved = await moveTo(0.09);
    const asked = Date.now();
    const down = await fetch(`${api.url}/exposure`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ chains { blockNumber } }" }) }).catch((e) => {
      throw new Error(`the API replica did not answer (${e.message}):\n${api.logs().slice(-4000)}`);
    });
    const downBody = await down.text();
    expect(Date.now() - asked).toBeLessThan(15_000); // an answer, not a hang
    expect(down.status === 200 ? JSON.parse(downBody).errors?.length : down.status).toBeTruthy();
    expect(downBody).not.toContain("postgres://");
    expect((await fetch(`${api.url}/exposure/health`)).status).toBe(503);
    const refired = await moveTo(0.03);
    await sleep(1_000);
    const indexerSurvivedOutage = (await indexer.query("{ chains { blockNumber } }").then(() => true, () => false));
    await cluster.start();
    if (!indexerSurvivedOutage) {
      await indexer.stop();
      indexer = await start();
    }

    // The replica answers again once the database is back, without a restart.
    await until(api, async () => (await api.query(`{ chains { blockNumber } }`)).data?.chains?.length === 1, "the API replica to recover", 60_000);
    const cleared = await moveTo(0.2);
    await indexer.waitForBlock(cleared, 120_000);
    const ours = () => hook!.eventsOf("near");
    await until(indexer, () => ours().length >= 4, "four alert events");
    await sleep(1_500); // nothing more may follow
    expect(ours().map((e) => [e.kind, BigInt(e.block.number)])).toEqual([
      ["fire", fired],
      ["resolve", resolved],
      ["fire", refired],
      ["resolve", cleared],
    ]);
    // A delivery may be repeated (same id, same body) when its acknowledgement was lost; never a second event.
    expect(hook.conflictingDeliveries()).toEqual([]);

    await api.stop();
    expect(api.logs()).not.toContain("s3cret");
    // 4. The tables equal a fault-free run's over the same chain (on the same cluster, its own schema).
    await indexer.stop();
    const restarted = await dumpTables("postgres", schema, undefined, cluster.url);
    const cleanConfig = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    writeExposureConfig(cleanConfig, fixtureExposureConfig(d));
    const clean = await startIndexer({ configPath: cleanConfig, database: "postgres", databaseUrl: cluster.url });
    started.push(clean);
    await clean.waitForBlock(cleared, 120_000);
    await clean.stop();
    expect(restarted).toEqual(await dumpTables("postgres", clean.schema, undefined, cluster.url));
    expect(restarted.position_event!.length).toBeGreaterThan(0);
    console.log(`ponder start ${survived ? "survived" : "exited and was started again after"} the restart during the backfill; ${indexerSurvivedOutage ? "survived" : "exited in"} the outage`);
  }, 480_000);
});
