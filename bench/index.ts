// `npm run bench:index`: indexing throughput of the exposure indexer against a baseline ponder app that
// stores the same events raw, on the same generated chain, on PGlite and on Postgres, in one run.
// Options: --events N (default 200000), --databases pglite,postgres, --repeat N (default 2: each app N times,
// in alternating order, medians reported), --profile DIR (a CPU profile, ponder's /metrics and its debug log, each line
// stamped with the ms since spawn, of each app there),
// --refresh-cost (also runs the exposure app without GMX v1's per-block parameter refresh and reports its share),
// --rpc-latency MS (also a cold backfill on PGlite through an RPC MS farther away, with and without GMX v1's read-ahead).
import { PGlite } from "@electric-sql/pglite";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createTestClient, http } from "viem";
import { startAnvil } from "../test/chain/anvil";
import { anvilAccount, chainClients, deploy, send } from "../test/chain/clients";
import { pickArtifacts } from "../test/chain/compile";
import { deployFixtures, setPrice } from "../test/chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../test/chain/exposure-config";
import { dropSchema, freePort, POSTGRES_URL } from "../test/support/indexer";
import { machineCpuMs, processCpuMs, processMemoryMb } from "./proc";

const ROOT = resolve(import.meta.dirname, "..");
const PONDER = resolve(ROOT, "node_modules/ponder/dist/esm/bin/ponder.js");
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const EVENTS = Number(arg("events", "200000"));
// `--databases none` with `--rpc-latency`: only the cold comparison.
const DATABASES = arg("databases", "pglite,postgres")
  .split(",")
  .filter((d): d is "pglite" | "postgres" => d === "pglite" || d === "postgres");
const PROFILE = arg("profile", "");
const REPEAT = Number(arg("repeat", "2"));
const REFRESH_COST = process.argv.includes("--refresh-cost");
const RPC_LATENCY_MS = Number(arg("rpc-latency", "0"));
if (PROFILE) mkdirSync(PROFILE, { recursive: true });
const PAIRS_PER_TX = 1_000; // 2,000 events per transaction
const POSITIONS = 20_000;
const WALLETS = 5_000;
const log = (msg: string) => console.log(`[bench:index] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** An HTTP JSON-RPC endpoint in front of `target` that answers each request `ms` later than `target` would. */
async function slowRpc(target: string, ms: number) {
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on("data", (chunk: Buffer) => body.push(chunk));
    req.on("end", async () => {
      await sleep(ms);
      try {
        const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.concat(body) });
        res.writeHead(answer.status, { "content-type": "application/json" }).end(Buffer.from(await answer.arrayBuffer()));
      } catch (error) {
        res.writeHead(502).end(String(error));
      }
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

// ------------------------------------------------------------------ the chain
const anvil = await startAnvil();
const d = await deployFixtures(anvil.rpcUrl);
const { BenchGmxV1Vault } = await pickArtifacts(["BenchGmxV1Vault"] as const);
const owner = anvilAccount(0);
const vault = await deploy(anvil.rpcUrl, owner, BenchGmxV1Vault, []);
const tokens = [d.tokens.WETH.address, d.tokens.WBTC.address, d.tokens.LINK.address];
const generated = Date.now();
let answer = 3_000n * 10n ** 8n;
for (let start = 0; start < EVENTS / 2; start += PAIRS_PER_TX) {
  const count = Math.min(PAIRS_PER_TX, EVENTS / 2 - start);
  await send(anvil.rpcUrl, owner, {
    address: vault.address,
    abi: BenchGmxV1Vault.abi,
    functionName: "emitBatch",
    args: [BigInt(start), BigInt(count), BigInt(POSITIONS), BigInt(WALLETS), tokens, d.tokens.USDC.address],
  });
  answer += start % 2 === 0 ? 10n ** 8n : -(10n ** 8n);
  await setPrice(d, "WETH", answer); // the price handlers run too
}
// ponder indexes the last 30 blocks of an unknown chain (its finality window for id 31337) one by one, as
// live blocks; empty blocks past them make the whole history a backfill, as it is on a real chain.
const FINALITY_BLOCKS = 30;
await createTestClient({ mode: "anvil", transport: http(anvil.rpcUrl) }).mine({ blocks: FINALITY_BLOCKS + 1 });
const head = await chainClients(anvil.rpcUrl).publicClient.getBlockNumber({ cacheTime: 0 });
log(`chain: ${EVENTS} position events (+${Math.ceil(EVENTS / 2 / PAIRS_PER_TX)} price updates) in ${head} blocks, generated in ${((Date.now() - generated) / 1000).toFixed(1)} s`);

// ------------------------------------------------------------------ the two apps
const work = mkdtempSync(join(tmpdir(), "bench-index-"));
const exposureConfig = join(work, "exposure.config.json");
const config = fixtureExposureConfig(d) as any;
const gmxV1 = { chain: "anvil", vault: vault.address, startBlock: Number(vault.blockNumber), multicall: d.multicall };
config.protocols["gmx-v1"] = [gmxV1];
writeExposureConfig(exposureConfig, config);
// The same app with GMX v1's parameters read only at blocks with position events (paramsRefreshBlocks 0).
const noRefreshConfig = join(work, "exposure-no-refresh.config.json");
writeExposureConfig(noRefreshConfig, { ...config, protocols: { ...config.protocols, "gmx-v1": [{ ...gmxV1, paramsRefreshBlocks: 0 }] } });
// A remote RPC: the same chain behind a proxy that holds each request RPC_LATENCY_MS before anvil sees it.
const remoteRpc = RPC_LATENCY_MS > 0 ? await slowRpc(anvil.rpcUrl, RPC_LATENCY_MS) : null;
const remoteConfig = (readAheadBlocks?: number) => {
  const path = join(work, `exposure-remote-${readAheadBlocks ?? "default"}.config.json`);
  const gmx = readAheadBlocks === undefined ? gmxV1 : { ...gmxV1, readAheadBlocks };
  writeExposureConfig(path, { ...config, chains: { anvil: { ...config.chains.anvil, rpc: remoteRpc?.url } }, protocols: { ...config.protocols, "gmx-v1": [gmx] } });
  return path;
};
const configOf: Record<App, string> = {
  baseline: exposureConfig,
  exposure: exposureConfig,
  "exposure-no-refresh": noRefreshConfig,
  "remote": remoteRpc ? remoteConfig() : exposureConfig,
  "remote-no-read-ahead": remoteRpc ? remoteConfig(0) : exposureConfig,
};
const targets = join(work, "targets.json");
writeFileSync(
  targets,
  JSON.stringify({ chainId: d.chainId, rpc: anvil.rpcUrl, vault: vault.address, feeds: Object.values(d.tokens).map((t) => t.feed), startBlock: 0 }),
);

// Both apps share one PGlite database (each in its own schema), as they share Postgres: ponder's sync
// cache (RPC data, schema ponder_sync) is then warm for every measured run once a first, unmeasured run
// of each app has filled it (the apps watch different contracts), so the figures compare indexing work,
// not who fetched from anvil first.
const pgliteDir = join(work, "pglite");

/** Drops an app's tables after its run, so the next run starts as the first did. */
async function dropAppSchema(database: "pglite" | "postgres", schema: string) {
  if (database === "postgres") return dropSchema(database, schema);
  const db = new PGlite(pgliteDir);
  await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.close();
}

type Run = { app: string; database: string; seconds: number; cpuSeconds: number; machineCpuSeconds: number; peakMb: number };

/**
 * Runs one app until its checkpoint reaches the head: wall time from spawn, the app's own CPU time,
 * the whole machine's busy CPU time (Postgres, anvil and this script included), peak resident memory.
 */
type App = "baseline" | "exposure" | "exposure-no-refresh" | "remote" | "remote-no-read-ahead";
const APPS: App[] = REFRESH_COST ? ["baseline", "exposure", "exposure-no-refresh"] : ["baseline", "exposure"];

/** `pglite`: the app's PGlite directory (its sync cache with it); the shared one by default. */
async function run(app: App, database: "pglite" | "postgres", pglite = pgliteDir): Promise<Run> {
  // A port the OS reports free: ponder moves to the next port when its own is taken, and the bench
  // would then wait on the first for ever (a Postgres run of 2026-12-07 did).
  const port = await freePort();
  const schema = `bench_${app.replaceAll("-", "_")}_${Date.now()}`;
  const env = {
    ...process.env,
    PONDER_TELEMETRY_DISABLED: "true",
    ...(PROFILE ? { PONDER_LOG_LEVEL: "debug" } : {}),
    DATABASE_URL: database === "postgres" ? POSTGRES_URL : "",
    PGLITE_DIR: pglite,
    EXPOSURE_CONFIG: configOf[app],
    BENCH_TARGETS: targets,
  };
  const profile = PROFILE ? ["--cpu-prof", "--cpu-prof-dir", join(resolve(PROFILE), `${app}-${database}`)] : [];
  const args = [...profile, PONDER, ...(app === "baseline" ? ["--root", resolve(ROOT, "bench/baseline")] : []), "start", "--schema", schema, "--port", String(port)];
  const started = Date.now();
  const machineBefore = machineCpuMs();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  // Each line stamped with the ms since spawn: the log then shows where the run's time went (start, backfill, indexes, live blocks).
  const stamp = (b: Buffer) => String(b).split("\n").filter(Boolean).map((line) => `${Date.now() - started} ${line}\n`).join("");
  child.stdout.on("data", (b) => (output += stamp(b)));
  child.stderr.on("data", (b) => (output += stamp(b)));
  let peakMb = 0;
  const peak = () => {
    try {
      const mb = processMemoryMb(child.pid!, "VmHWM");
      if (!Number.isNaN(mb)) peakMb = Math.max(peakMb, mb);
    } catch {
      // process gone
    }
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} on ${database} exited early:\n${output.slice(-3000)}`);
    if (Date.now() - started > 15 * 60_000) {
      child.kill("SIGKILL");
      throw new Error(`${app} on ${database} did not reach block ${head} in 15 minutes:\n${output.slice(-3000)}`);
    }
    try {
      const status = await (await fetch(`http://127.0.0.1:${port}/status`)).json();
      if ((status.anvil?.block?.number ?? 0) >= Number(head)) break;
    } catch {
      // not serving yet
    }
    peak();
    await sleep(100);
  }
  const seconds = (Date.now() - started) / 1000;
  const cpuSeconds = processCpuMs(child.pid!) / 1000;
  const machineCpuSeconds = (machineCpuMs() - machineBefore) / 1000;
  peak();
  // ponder's own counters (cache misses, time per handler and per database method) beside the profile.
  if (PROFILE) writeFileSync(join(resolve(PROFILE), `${app}-${database}.log`), `${output}${Math.round(seconds * 1000)} (bench) head reached\n`);
  if (PROFILE) writeFileSync(join(resolve(PROFILE), `${app}-${database}.metrics.txt`), await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  // Once a ponder start on Postgres did not exit on SIGTERM after its run (2026-12-05): measured, so kill it.
  await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
  await exited;
  if (pglite === pgliteDir) await dropAppSchema(database, schema);
  return { app, database, seconds, cpuSeconds, machineCpuSeconds, peakMb };
}

const results: Run[] = [];
for (const database of DATABASES) {
  for (const app of APPS) {
    const warm = await run(app, database);
    log(`${database}: sync cache filled by an unmeasured ${app} run (${warm.seconds.toFixed(1)} s)`);
  }
  for (let round = 0; round < REPEAT; round++) {
    // Alternating order, so a drift of the machine's speed during the run weighs on both apps alike.
    const order = round % 2 === 0 ? APPS : [...APPS].reverse();
    for (const app of order) {
      const r = await run(app, database);
      log(`${app} on ${database}: ${r.seconds.toFixed(1)} s, ${(EVENTS / r.seconds).toFixed(0)} events/s, CPU ${r.cpuSeconds.toFixed(1)} s (machine ${r.machineCpuSeconds.toFixed(1)} s), peak RSS ${r.peakMb.toFixed(0)} MB`);
      results.push(r);
    }
  }
}
if (remoteRpc) {
  // Cold: each run in a new PGlite directory, so every RPC answer comes through the slow proxy.
  const remote: Record<string, number[]> = {};
  for (let round = 0; round < REPEAT; round++) {
    const order: App[] = round % 2 === 0 ? ["remote", "remote-no-read-ahead"] : ["remote-no-read-ahead", "remote"];
    for (const app of order) {
      const r = await run(app, "pglite", mkdtempSync(join(work, "cold-")));
      log(`${app} on pglite, cold, RPC +${RPC_LATENCY_MS} ms: ${r.seconds.toFixed(1)} s`);
      (remote[app] ??= []).push(r.seconds);
    }
  }
  remoteRpc.close();
  const withReads = median(remote["remote"]!);
  const without = median(remote["remote-no-read-ahead"]!);
  console.log(
    `\nCold backfill on PGlite through an RPC ${RPC_LATENCY_MS} ms away (medians of ${REPEAT}): GMX v1 reads ahead ${withReads.toFixed(1)} s, without read-ahead (readAheadBlocks 0) ${without.toFixed(1)} s: ${(without / withReads).toFixed(2)}x`,
  );
}
await anvil.stop();

if (DATABASES.length > 0) {
  console.log(`\nbench:index — ${EVENTS} events, ${POSITIONS} positions over ${WALLETS} wallets, 3 markets; medians of ${REPEAT} run(s) per app; machine: ${process.platform} ${process.arch}, node ${process.version}`);
  console.log("database | app | seconds | events/s | app CPU s | machine CPU s | peak RSS MB | vs baseline: time | vs baseline: machine CPU | target time <= 1.3x");
}
for (const database of DATABASES) {
  const summary = (app: string) => {
    const runs = results.filter((r) => r.database === database && r.app === app);
    return {
      app,
      seconds: median(runs.map((r) => r.seconds)),
      cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
      machineCpuSeconds: median(runs.map((r) => r.machineCpuSeconds)),
      peakMb: Math.max(...runs.map((r) => r.peakMb)),
    };
  };
  const base = summary("baseline");
  for (const r of APPS.map(summary)) {
    const ratio = r.seconds / base.seconds;
    const verdict = r.app === "baseline" ? "-" : ratio <= 1.3 ? "met" : "MISSED";
    const cpuRatio = r.machineCpuSeconds / base.machineCpuSeconds;
    console.log(
      `${database} | ${r.app} | ${r.seconds.toFixed(1)} | ${(EVENTS / r.seconds).toFixed(0)} | ${r.cpuSeconds.toFixed(1)} | ${r.machineCpuSeconds.toFixed(1)} | ${r.peakMb.toFixed(0)} | ${ratio.toFixed(2)}x | ${cpuRatio.toFixed(2)}x | ${verdict}`,
    );
  }
}
if (REFRESH_COST) {
  // What the per-block re-read of GMX v1's parameters adds: the exposure app with it against without it.
  for (const database of DATABASES) {
    const seconds = (app: App) => median(results.filter((r) => r.database === database && r.app === app).map((r) => r.seconds));
    const cost = seconds("exposure") - seconds("exposure-no-refresh");
    console.log(`${database}: GMX v1 parameter refresh every block: ${cost.toFixed(1)} s, ${((100 * cost) / seconds("exposure")).toFixed(1)}% of the exposure app's time (target < 10%), over ${head} blocks`);
  }
}
