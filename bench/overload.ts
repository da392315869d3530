// `npm run bench:overload`: the API at twice the rate it sustains, with admission control (the
// default limits) and without it (EXPOSURE_MAX_IN_FLIGHT=0, the baseline), same tables, same load.
// 1. ponder start indexes a fixture chain into Postgres, then stops; 2. autocannon (closed loop)
// finds the most the API sustains (R req/s) on a stress query; 3. 2R req/s are sent open loop
// at each server in turn, and the figures are printed side by side: answered, shed (503), failed or
// timed out, latency percentiles of all answers, the API's peak RSS.
// Options: --duration S (default 15 per run), --connections C (default 8), --factor F (default 2).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { Agent, request } from "node:http";
import pg from "pg";
import { startAnvil } from "../test/chain/anvil";
import { chainClients } from "../test/chain/clients";
import { deployFixtures } from "../test/chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../test/chain/exposure-config";
import { simulate } from "../test/chain/simulate";
import { POSTGRES_URL } from "../test/support/indexer";
import { processMemoryMb } from "./proc";

const ROOT = resolve(import.meta.dirname, "..");
const PONDER = resolve(ROOT, "node_modules/ponder/dist/esm/bin/ponder.js");
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const DURATION = Number(arg("duration", "15"));
const CONNECTIONS = Number(arg("connections", "8"));
const FACTOR = Number(arg("factor", "2"));
const log = (msg: string) => console.log(`[bench:overload] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const anvil = await startAnvil();
const d = await deployFixtures(anvil.rpcUrl);
const { wallets } = await simulate(d, { wallets: 20, steps: 120, seed: 3 });
const head = await chainClients(anvil.rpcUrl).publicClient.getBlockNumber({ cacheTime: 0 });
const configPath = join(mkdtempSync(join(tmpdir(), "bench-overload-")), "exposure.config.json");
writeExposureConfig(configPath, fixtureExposureConfig(d));
const schema = `bench_overload_${Date.now()}`;
const baseEnv = { ...process.env, PONDER_TELEMETRY_DISABLED: "true", DATABASE_URL: POSTGRES_URL, EXPOSURE_CONFIG: configPath };

const ponder = (command: "start" | "serve", port: number, env: NodeJS.ProcessEnv): ChildProcess =>
  spawn(process.execPath, [PONDER, command, "--schema", schema, "--port", String(port)], { cwd: ROOT, env, stdio: "ignore" });
async function until(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 1200; i++) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}
const stop = async (child: ChildProcess) => {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
};
const rssMb = (pid: number) => processMemoryMb(pid, "VmRSS") || 0;

const indexer = ponder("start", 42_700, baseEnv);
await until(async () => ((await (await fetch("http://127.0.0.1:42700/status")).json()).anvil?.block?.number ?? 0) >= Number(head), "the indexer");
await stop(indexer);
log(`indexed ${wallets.length} wallets' trades to block ${head} in schema ${schema}`);

const moves = Array.from({ length: 41 }, (_, i) => `"${((i - 20) / 40).toFixed(3)}"`).join(",");
const body = JSON.stringify({ query: `query ($w: [String!]) { stress(wallets: $w, shocks: [{ asset: "ETH", moves: [${moves}] }]) { points { pnlUsd } } }`, variables: { w: wallets } });
const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };

type Run = { label: string; sent: number; ok: number; shed: number; retryAfter: number; failed: number; p50: number; p99: number; max: number; peakRssMb: number };

/**
 * Open loop at `rate` for DURATION seconds: a request is sent on schedule whether or not earlier
 * ones were answered (loadtest's rps mode waits for a free client, so it did not hold the rate
 * against a slow server); a request unanswered in 30 s fails.
 */
async function openLoop(label: string, url: string, pid: number, rate: number): Promise<Run> {
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const target = new URL(url);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let retryAfter = 0; // 503s that say when to come back
  const one = () =>
    new Promise<void>((done) => {
      const began = performance.now();
      const finish = (status: number) => {
        latencies.push(performance.now() - began);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        done();
      };
      const req = request(target, { method: "POST", headers, agent, timeout: 30_000 }, (res) => {
        res.resume();
        if (res.statusCode === 503 && Number(res.headers["retry-after"]) > 0) retryAfter++;
        res.on("end", () => finish(res.statusCode ?? 0));
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => finish(0));
      req.end(body);
    });
  const pending: Promise<void>[] = [];
  const began = performance.now();
  for (let i = 0; i < rate * DURATION; i++) {
    const due = began + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(one());
  }
  await Promise.all(pending);
  clearInterval(sampler);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
  const count = (s: number) => statuses.get(s) ?? 0;
  return { label, sent: sorted.length, ok: count(200), shed: count(503), retryAfter, failed: sorted.length - count(200) - count(503), p50: pct(50), p99: pct(99), max: Math.round(sorted.at(-1)!), peakRssMb: Math.round(peak) };
}

async function serve(label: string, port: number, env: NodeJS.ProcessEnv) {
  const server = ponder("serve", port, env);
  const url = `http://127.0.0.1:${port}/exposure`;
  await until(async () => (await fetch(url, { method: "POST", headers, body })).status === 200, `ponder serve (${label})`);
  return { server, url };
}

// 2. The sustainable rate, closed loop, with admission on (it does not shed at this concurrency).
const first = await serve("admission", 42_701, baseEnv);
const held = (await autocannon({ url: first.url, connections: CONNECTIONS, duration: DURATION, method: "POST", headers: { "content-type": "application/json" }, body })) as any;
if (held.non2xx > 0 || held.errors > 0) log(`closed loop: ${held.non2xx} non-2xx answers, ${held.errors} errors`);
const sustainable = held.requests.total / DURATION;
if (sustainable < 0.5) throw new Error(`the API answered ${held.requests.total} requests in ${DURATION} s closed loop: the machine is too busy to measure; run again`);
log(`sustainable: ${sustainable.toFixed(1)} req/s closed loop with ${CONNECTIONS} connections (p99 ${(held as any).latency.p99} ms)`);
const rate = Math.max(1, Math.round(sustainable * FACTOR));

// 3. Twice that, open loop, against each.
const runs: Run[] = [];
runs.push(await openLoop(`admission (defaults)`, first.url, first.server.pid!, rate));
await stop(first.server);
const baseline = await serve("no admission", 42_702, { ...baseEnv, EXPOSURE_MAX_IN_FLIGHT: "0" });
runs.push(await openLoop(`baseline: no admission`, baseline.url, baseline.server.pid!, rate));
await stop(baseline.server);

log(`${rate} req/s open loop (${FACTOR}x sustainable) for ${DURATION} s, shared machine (figures vary run to run):`);
console.table(
  runs.map((r) => ({
    server: r.label,
    sent: r.sent,
    "200": r.ok,
    "503 shed": r.shed,
    "503 with Retry-After": r.retryAfter,
    "failed/timed out": r.failed,
    "p50 ms": r.p50,
    "p99 ms": r.p99,
    "max ms": r.max,
    "peak RSS MB": r.peakRssMb,
  })),
);

const db = new pg.Client({ connectionString: POSTGRES_URL });
await db.connect();
await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await db.end();
await anvil.stop();
