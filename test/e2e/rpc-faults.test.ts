import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestClient, http as httpTransport } from "viem";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients, fixtureChain, send } from "../chain/clients";
import { deployFixtures, fixtureAbis, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import { openPosition } from "../chain/gmx-v1-positions";
import { simulate } from "../chain/simulate";
import { ADMIN_TOKEN, evaluatedBlock, until, watchPosition, webhookReceiver, type Watched } from "../support/alert-watch";
import { DATABASES } from "../support/databases";
import { ALL_FAULTS, startFaultProxy, type FaultProxy } from "../support/fault-proxy";
import { dropSchema, dumpTables, startIndexer, type Indexer } from "../support/indexer";

const RPC_KEY = "rpc-key-9f8e7d6c5b4a"; // in the proxy's path, as providers put keys: must never be logged

/** Vault fees that change between trades, so a parameter read at the wrong block records a different value. */
async function tradeWithChangingFees(d: Deployment, seed: number) {
  const abis = await fixtureAbis();
  for (let i = 0; i < 4; i++) {
    await send(d.rpcUrl, anvilAccount(0), { address: d.vault, abi: abis.vault, functionName: "setFees", args: [BigInt(10 + seed + i), BigInt(i + 1) * 10n ** 30n, BigInt(40 + i) * 10_000n] });
    await simulate(d, { wallets: 3, steps: 6, seed: seed * 10 + i });
  }
}

describe.each(DATABASES)("indexing through a faulty RPC on %s", (database) => {
  let anvil: AnvilHandle | undefined;
  let proxy: FaultProxy | undefined;
  let hook: ReturnType<typeof webhookReceiver> | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const started: Indexer[] = [];
  afterEach(async () => {
    clearInterval(ticker);
    for (const indexer of started.splice(0)) {
      await indexer.stop();
      await dropSchema(database, indexer.schema);
    }
    await proxy?.close();
    await hook?.close();
    await anvil?.stop();
  });

  const configFile = (d: Deployment, rpc: string, alerts?: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    const config = fixtureExposureConfig(d);
    // No RPC cache: on Postgres it is shared by chain id, and the fault-free run must read the chain itself.
    writeExposureConfig(path, { ...config, chains: { anvil: { ...config.chains.anvil, rpc, disableCache: true } }, ...(alerts ? { alerts } : {}) });
    return path;
  };
  const start = async (configPath: string) => {
    const indexer = await startIndexer({ configPath, database, env: { ALERTS_ADMIN_TOKEN: ADMIN_TOKEN } });
    started.push(indexer);
    return indexer;
  };

  it("retries through errors, 429s, timeouts, broken bodies, dropped connections and a lagging node, delivers every alert once, and ends with a fault-free run's tables", async () => {
    anvil = await startAnvil();
    const d = await deployFixtures(anvil.rpcUrl);
    const rpc = chainClients(d.rpcUrl).publicClient;
    await tradeWithChangingFees(d, 1);
    proxy = await startFaultProxy(d.rpcUrl, { rate: 0.08, faults: ALL_FAULTS, seed: 26, lagBlocks: 3, holdMs: 11_000, maxTimeouts: 2 }, `/v2/${RPC_KEY}`);

    // Backfill, then live blocks, both through the proxy; the alert engine runs in the faulty run.
    hook = webhookReceiver();
    const faulty = await start(configFile(d, proxy.url, await hook.alertsConfig()));
    // Whether the indexed block ever goes back, for the docs.
    let highest = -1n;
    let deepestRegression = 0n;
    const watch = setInterval(async () => {
      const n = BigInt((await faulty.query("{ chains { blockNumber } }").catch(() => null))?.data?.chains?.[0]?.blockNumber ?? -1);
      if (n > highest) highest = n;
      else if (n >= 0n && highest - n > deepestRegression) deepestRegression = highest - n;
    }, 250);
    await faulty.waitForBlock(await rpc.getBlockNumber({ cacheTime: 0 }), 200_000);
    // Live, the chain makes a block a second, as a live chain goes on making blocks: after a lagging
    // answer, ponder indexes the blocks above the common ancestor again once the head moves on.
    const tester = createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: httpTransport(d.rpcUrl) });
    ticker = setInterval(() => void tester.mine({ blocks: 1 }).catch(() => {}), 1_000);
    await tradeWithChangingFees(d, 2);
    await faulty.waitForBlock(await rpc.getBlockNumber({ cacheTime: 0 }), 200_000);

    // Alerts through the faults: a rule on a position of its own, the oracle moved across its thresholds.
    // The lagging node included: after each step back, the engine waits for the blocks' rows (src/exposure/revert-marks.ts).
    // At about 3x, far from the rule's thresholds wherever the simulations left WETH.
    const opened = await openPosition(d, await fixtureAbis(), { accountIndex: 12, index: "WETH", isLong: true, collateralUsd: 2_000n, sizeUsd: 5_000n * 10n ** 30n, priceUsd: 3_000n });
    let mine: Watched | undefined;
    await until(faulty, async () => {
      const answer = await faulty.query(`query ($w: String!) { wallet(address: $w) { positions { id account side liquidationPrice market { symbol } } } }`, { w: opened.trader.address });
      mine = answer.data?.wallet?.positions?.[0];
      return mine !== undefined;
    }, "the new position in the index");
    const moveTo = await watchPosition(faulty, d, mine!);
    await until(faulty, async () => (await evaluatedBlock(faulty)) >= (await rpc.getBlockNumber({ cacheTime: 0 })), "the engine at the head", 120_000);
    const moves = [["fire", await moveTo(0.04)], ["resolve", await moveTo(0.09)], ["fire", await moveTo(0.03)], ["resolve", await moveTo(0.2)]];
    await until(faulty, async () => (await evaluatedBlock(faulty)) >= (moves.at(-1)![1] as bigint), "the engine past the last move", 120_000);
    for (const fault of ALL_FAULTS) expect([fault, proxy.counts[fault]]).not.toEqual([fault, 0]);

    // Freshness: as of the head, the API says so, by GraphQL and over HTTP.
    proxy.setRate(0);
    clearInterval(ticker);
    // Past the longest a faulted request is held: an answer faulted before the rate went to 0 has been
    // taken in and retried by then. One more block after it, for the same reason as the ticker's.
    await new Promise((r) => setTimeout(r, 12_000));
    await tester.mine({ blocks: 1 });
    const head = await rpc.getBlockNumber({ cacheTime: 0 });
    clearInterval(watch);
    const logs = faulty.logs();
    const count = (text: string) => logs.split(text).length - 1;
    console.log(
      `faults met: ${JSON.stringify(proxy.counts)}; deepest step back of the indexed block: ${deepestRegression}; ` +
        `ponder reverts: ${count("Reorged block")}; block evaluations dropped for a revert: ${count("reverted blocks while block")}`,
    );
    await faulty.waitForBlock(head, 60_000);
    // Every alert once, at the block of its move.
    await until(faulty, () => hook!.eventsOf("near").length >= moves.length, "the alert events", 60_000);
    await new Promise((r) => setTimeout(r, 1_500)); // nothing more may follow
    expect(hook.eventsOf("near").map((e) => [e.kind, BigInt(e.block.number)])).toEqual(moves);
    expect(hook.conflictingDeliveries()).toEqual([]);
    const health = await faulty.query(`{ health { status chains { indexedBlock headBlock lagBlocks staleFeeds { symbol } reasons } } }`);
    expect(health.errors).toBeUndefined();
    expect(health.data.health.chains[0]).toMatchObject({ indexedBlock: head.toString(), headBlock: head.toString(), lagBlocks: "0" });
    const http = await fetch(`${faulty.url}/exposure/health`);
    expect(http.status).toBe(health.data.health.status === "down" ? 503 : 200);
    expect((await http.json()).chains[0].indexedBlock).toBe(head.toString());
    // The chain's RPC stops answering: degraded, head unknown, still serving from the index.
    await proxy.close();
    await new Promise((r) => setTimeout(r, 1_100)); // past the health check's reuse window
    const blind = await (await fetch(`${faulty.url}/exposure/health`)).json();
    expect(blind.chains[0]).toMatchObject({ indexedBlock: head.toString(), headBlock: null });
    expect(blind.status).not.toBe("ok");
    expect(blind.chains[0].reasons).toContain("the chain's RPC did not answer: head unknown");

    await faulty.stop();
    expect(faulty.logs()).not.toContain(RPC_KEY);
    const withFaults = await dumpTables(database, faulty.schema, faulty.pgliteDir);

    const clean = await start(configFile(d, d.rpcUrl));
    await clean.waitForBlock(head, 200_000);
    await clean.stop();
    expect(withFaults).toEqual(await dumpTables(database, clean.schema, clean.pgliteDir));

    // Independently of both runs: every per-block reading is the chain's own at its block.
    const abis = await fixtureAbis();
    const params = withFaults.gmx_v1_vault_params as { block_number: unknown; max_leverage: unknown; liquidation_fee_usd: unknown; margin_fee_basis_points: unknown }[];
    expect(new Set(params.map((p) => String(p.max_leverage))).size).toBeGreaterThan(2);
    for (const p of params) {
      const at = (functionName: string) => rpc.readContract({ address: d.vault, abi: abis.vault, functionName, blockNumber: BigInt(String(p.block_number)) }) as Promise<bigint>;
      expect([String(p.max_leverage), String(p.liquidation_fee_usd), String(p.margin_fee_basis_points)]).toEqual(
        (await Promise.all([at("maxLeverage"), at("liquidationFeeUsd"), at("marginFeeBasisPoints")])).map(String),
      );
    }
    const prices = withFaults.price_update as { feed: string; answer: unknown; block_number: unknown }[];
    expect(prices.length).toBeGreaterThan(5);
    for (const u of prices) {
      const answer = await rpc.readContract({ address: u.feed as `0x${string}`, abi: abis.aggregator, functionName: "latestAnswer", blockNumber: BigInt(String(u.block_number)) });
      expect(String(u.answer)).toBe(String(answer));
    }
  }, 600_000);
});
