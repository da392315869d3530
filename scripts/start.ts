// `npm start`: a local demo end to end. Starts anvil, deploys the GMX v1, GMX v2, Aave v3, Derive, Morpho Blue and gTrade fixtures,
// runs the scenario simulators, indexes into embedded PGlite with `ponder start`, serves GraphQL, and keeps
// prices moving so the answers change live. Ctrl-C stops everything.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { deployAaveMarket } from "../test/chain/aave-market";
import { simulateAaveMarket } from "../test/chain/aave-market-simulate";
import { startAnvil } from "../test/chain/anvil";
import { chainClients, read } from "../test/chain/clients";
import { deployFixtures, fixtureAbis, setPrice, TOKEN_SYMBOLS } from "../test/chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../test/chain/exposure-config";
import { deployDeriveFixture } from "../test/chain/derive-deploy";
import { simulateDerive } from "../test/chain/derive-simulate";
import { deployGmxV2Fixture } from "../test/chain/gmx-v2-deploy";
import { GmxV2Keeper, simulateGmxV2 } from "../test/chain/gmx-v2-simulate";
import { BTC, deployGTradeDemo, ETH } from "../test/chain/gtrade-deploy";
import { deployMorphoBlue, syncOracles } from "../test/chain/morpho-deploy";
import { simulateMorphoBlue } from "../test/chain/morpho-simulate";
import { createRng } from "../test/chain/rng";
import { simulate } from "../test/chain/simulate";

const ROOT = resolve(import.meta.dirname, "..");
const LOCAL = resolve(ROOT, ".local");
const PORT = Number(process.env.PORT ?? 42069);
const ANVIL_PORT = Number(process.env.ANVIL_PORT ?? 8545);
const log = (msg: string) => console.log(`[exposure-demo] ${msg}`);

const anvil = await startAnvil({ port: ANVIL_PORT, chainId: 31337 });
log(`anvil on ${anvil.rpcUrl}`);
const deployment = await deployFixtures(anvil.rpcUrl);
log(`GMX v1 fixture Vault at ${deployment.vault}`);
const aave = await deployAaveMarket(deployment);
log(`Aave v3.0 market (@aave/core-v3 contracts): Pool at ${aave.pool}, PoolConfigurator at ${aave.configurator}`);
const gmxV2 = await deployGmxV2Fixture(deployment.rpcUrl, deployment.tokens);
log(`GMX v2 fixture (EventEmitter, DataStore, Reader) at ${gmxV2.address}`);
const summary = await simulate(deployment, { wallets: 12, steps: 120, seed: 7 });
log(`GMX v1: ${summary.transactions} transactions over ${summary.wallets.length} wallets: ${JSON.stringify(summary.counts)}`);
// Aave wallets start at the GMX ones, so some wallets hold perps and loans together.
const lending = await simulateAaveMarket(deployment, aave, { wallets: 8, operations: 80, seed: 7, firstAccountIndex: 1 });
log(`Aave v3: ${lending.wallets.length} wallets: ${JSON.stringify(lending.counts)}`);
// GMX v2 trades from the same first wallets, so one wallet shows v1 and v2 perps side by side.
const v2 = await simulateGmxV2(deployment, gmxV2, { seed: 7, steps: 80, wallets: 6, firstAccountIndex: 1 });
log(`GMX v2: ${v2.wallets.length} wallets: ${JSON.stringify(v2.counts)}`);
const keeper = await GmxV2Keeper.create(deployment, gmxV2);
// Derive options last: its scenario moves time past an expiry, which the price refresh below follows.
const derive = await deployDeriveFixture(deployment);
const options = await simulateDerive(deployment, derive, { seed: 7, steps: 40, wallets: 6, firstAccountIndex: 1 });
log(`Derive: ${options.accounts.length} subaccounts over ${options.wallets.length} wallets: ${JSON.stringify(options.counts)}`);

// Morpho Blue (the real contract, compiled from @morpho-org/morpho-blue): borrowers from the same first wallets.
const morpho = await deployMorphoBlue(deployment);
const morphoRun = await simulateMorphoBlue(deployment, morpho, { seed: 7, operations: 60, wallets: 4, firstAccountIndex: 1 });
log(`Morpho Blue at ${morpho.morpho}: ${morphoRun.wallets.length} wallets: ${JSON.stringify(morphoRun.counts)}`);
// gTrade v10 (fixture diamond): one trade per wallet from the same first wallets, borrowing and funding running.
const gtrade = await deployGTradeDemo(deployment, { wallets: 6, firstAccountIndex: 1 });
log(`gTrade v10 fixture diamond at ${gtrade.address}: ${gtrade.wallets.length} trades`);

// The simulators warp time by hours: answer every feed again so no price starts out stale.
const { aggregator } = await fixtureAbis();
const latest = {} as Record<(typeof TOKEN_SYMBOLS)[number], bigint>;
for (const symbol of TOKEN_SYMBOLS) {
  const feed = deployment.tokens[symbol].feed;
  latest[symbol] = await read<bigint>(deployment.rpcUrl, { address: feed, abi: aggregator, functionName: "latestAnswer" });
  await (symbol === "LINK" ? setPrice(deployment, symbol, latest[symbol]) : keeper.setPrice(symbol, latest[symbol]));
}
await syncOracles(deployment, morpho);

const configPath = resolve(LOCAL, "exposure.config.json");
const activeWallets = [...new Set([...summary.wallets, ...lending.wallets, ...v2.wallets, ...options.wallets, ...morphoRun.wallets, ...gtrade.wallets])];
writeExposureConfig(configPath, {
  ...fixtureExposureConfig(deployment, {
    aave: { pool: aave.pool, configurator: aave.configurator, release: aave.release, startBlock: aave.startBlock },
    gmxV2: { address: gmxV2.address, startBlock: gmxV2.startBlock },
    derive: { deployment: derive, defaultVolatility: 0.6 },
    morpho: { address: morpho.morpho, startBlock: morpho.startBlock },
    gtrade: { diamond: gtrade.address, startBlock: Number(gtrade.startBlock), pairs: { [BTC]: deployment.tokens.WBTC.address, [ETH]: deployment.tokens.WETH.address } },
    // The dashboard's default selection: every wallet with activity.
    portfolios: { demo: activeWallets },
  }),
  // A rule to watch as prices move (add a webhook to be told; see README, "Alerts").
  alerts: { rules: [{ id: "near-liquidation", wallets: activeWallets, metric: "liquidationDistance", fireAt: "0.15", clearAt: "0.2" }] },
});
// The chain is new on every start, so the demo database (and its alert outbox) is too.
for (const dir of ["pglite", "pglite-alerts"]) rmSync(resolve(LOCAL, dir), { recursive: true, force: true });

const ponder = spawn(resolve(ROOT, "node_modules/.bin/ponder"), ["start", "--schema", "demo", "--port", String(PORT)], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, EXPOSURE_CONFIG: configPath, PGLITE_DIR: resolve(LOCAL, "pglite"), DATABASE_URL: "", PONDER_TELEMETRY_DISABLED: "true" },
});

let ticker: NodeJS.Timeout | undefined;
const shutdown = async (code: number) => {
  clearInterval(ticker);
  ponder.kill("SIGTERM");
  await anvil.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
ponder.on("exit", (code) => {
  log(`ponder exited with ${code}`);
  void shutdown(code ?? 1);
});

const url = `http://127.0.0.1:${PORT}/exposure`;
// Prefer a wallet with GMX v1 and v2 perps and an Aave account at once.
const v2Holders = new Set(v2.openPositions.map((p) => p.account));
const optionAssets = new Set(Object.values(derive.options).map((a) => a.toLowerCase()));
const optionHolders = new Set(
  options.accounts.filter((a) => options.holdings.some((h) => h.accountId === a.accountId && optionAssets.has(h.asset.toLowerCase()))).map((a) => a.owner),
);
const wallet =
  summary.openPositions.find((p) => lending.wallets.includes(p.account) && v2Holders.has(p.account) && optionHolders.has(p.account))?.account ??
  summary.openPositions.find((p) => lending.wallets.includes(p.account) && v2Holders.has(p.account))?.account ??
  summary.openPositions.find((p) => v2Holders.has(p.account))?.account ??
  summary.openPositions[0]?.account ??
  summary.wallets[0];
const exampleQuery = `{
  wallet(address: "${wallet}") {
    positions { protocol market { symbol } side sizeInTokens notionalUsd netNotionalUsd collateral { usd } leverage
                markPrice { usd stale } unrealizedPnlUsd equityUsd liquidationPrice liquidationDistance
                option { type strike expiry expired volatility volatilityAssumed delta gamma vega theta } }
    accounts { protocol marketId healthFactor collateralUsd debtUsd collateralDropToLiquidation }
    totals { grossNotionalUsd netNotional { asset netUsd } optionGreeks { asset delta gamma vega theta }
             totalCollateralUsd equityUsd leverage nearestLiquidationDistance complete }
  }
}`;

// The demo's backfill reads the GMX v1 Vault at every block: about 2-3 minutes on 2 cores.
const readyBy = Date.now() + 10 * 60_000;
for (;;) {
  try {
    const ready = await fetch(`http://127.0.0.1:${PORT}/ready`);
    if (ready.ok) break;
  } catch {
    // not listening yet
  }
  if (Date.now() > readyBy) {
    log("the indexer did not become ready in 10 minutes");
    await shutdown(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}

// /ready means the backfill reached the finalized block; the last blocks arrive through live sync.
const head = await chainClients(anvil.rpcUrl).publicClient.getBlockNumber({ cacheTime: 0 });
for (;;) {
  const status = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ chains { blockNumber } }" }) });
  const indexed = (await status.json()).data?.chains?.[0]?.blockNumber;
  if (indexed !== undefined && BigInt(indexed) >= head) break;
  await new Promise((r) => setTimeout(r, 200));
}

const answer = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: exampleQuery }) });
log(`GraphQL (GraphiQL in a browser): ${url}`);
log(`dashboard: http://127.0.0.1:${PORT}/dashboard?portfolio=demo`);
log(`example query:\n${exampleQuery}`);
log(`its answer now:\n${JSON.stringify(await answer.json(), null, 2)}`);
log(`wallets with activity: ${activeWallets.join(", ")}`);
log(`alerts (rule near-liquidation: a position within 15% of liquidation): { alerts(status: "firing") { items { subject wallet firedBlock reading } } }`);
log("prices keep moving every 5 s; Ctrl-C to stop");

// Small seeded random walk of ETH and BTC so live indexing shows.
const rng = createRng(11);
const answers = { WETH: latest.WETH, WBTC: latest.WBTC };
ticker = setInterval(() => {
  const moves = (["WETH", "WBTC"] as const).map((symbol) => {
    const moveBps = BigInt(Math.round((rng.next() - 0.5) * 100));
    answers[symbol] = (answers[symbol] * (10_000n + moveBps)) / 10_000n;
    // The feed and GMX v2's oracle move together, as GMX's keepers would report the same market.
    return keeper.setPrice(symbol, answers[symbol]);
  });
  // Morpho's market oracles follow the feeds, as Chainlink-based Morpho oracles do.
  Promise.all(moves)
    .then(() => syncOracles(deployment, morpho))
    .catch((e) => log(`price move failed: ${e.message}`));
}, 5_000);
