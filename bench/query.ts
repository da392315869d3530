// `npm run bench:query`: API latency with 1,000,000 open positions over 100,000 wallets in Postgres,
// under load from autocannon (the most it holds) and loadtest (steady rates below it), against ponder's own /graphql reading the same rows.
// Options: --positions N (default 1000000), --duration S per run (default 20; three runs per scenario, after a 2 s warm-up), --connections C (default 8),
// --only TEXT (just the scenarios whose name contains it), --profile DIR (a CPU profile of the API there),
// --keep (leave the Postgres schema for inspection; its name is printed), --reuse SCHEMA (measure a kept schema again: no fill),
// --soak MINUTES (then the measured scenarios in turn, a minute each at half the rate each held, with the API's memory each minute),
// --gc-trace (the API runs with V8's GC trace: each steady load also reports the bytes its young collections promoted per second).
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { loadTest } from "loadtest";
import { benchWallet, BIG_WALLETS, log as logAs, millionPositions, WALLETS } from "./million";
import { processCpuMs, processMemoryMb } from "./proc";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const POSITIONS = Number(arg("positions", "1000000"));
const DURATION = Number(arg("duration", "20"));
const CONNECTIONS = Number(arg("connections", "8"));
const ONLY = arg("only", "");
const PROFILE = arg("profile", "");
const REUSE = arg("reuse", "");
const SOAK_MINUTES = Number(arg("soak", "0"));
const GC_LOG = process.argv.includes("--gc-trace") ? join(mkdtempSync(join(tmpdir(), "bench-query-")), "api-gc.log") : "";
const log = (msg: string) => logAs("bench:query", msg);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallet = benchWallet;

// Steps 1 and 2: the tables, and one million positions in them.
const m = await millionPositions("bench:query", POSITIONS, REUSE, { fifty: Array.from({ length: 50 }, (_, i) => wallet(BIG_WALLETS + i)) });
const { db, anvil, schema, until, withinBound } = m;
// 3. The API alone (ponder serve) over those tables, and the load.
const server = m.ponder("serve", 42_601, { profile: PROFILE, gcLog: GC_LOG });
const base = "http://127.0.0.1:42601";
await until(async () => (await fetch(`${base}/exposure`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ chains { blockNumber } }"}' })).ok, "the API");

// Each request asks for the next of many wallets of the same shape, so no answer is served hot from
// one wallet's rows (and a cache per wallet would not flatter the figures). The wallet is a variable,
// as a client asking for many wallets sends it: the query text is the same for all of them.
const ROTATION = 1_000;
const smallWallets = Array.from({ length: ROTATION }, (_, k) => wallet(BIG_WALLETS + ((k * 97) % (WALLETS - BIG_WALLETS))));
const bigWallets = Array.from({ length: BIG_WALLETS }, (_, k) => wallet(k));
const gql = (path: string, query: string, wallets: string[] = [""]) => ({
  path,
  bodies: wallets.map((w) => JSON.stringify(w ? { query, variables: { w } } : { query })),
});
const walletQuery = `query ($w: String!) { wallet(address: $w) { positions { id notionalUsd liquidationPrice liquidationDistance } totals { grossNotionalUsd equityUsd complete } } }`;
const moves = Array.from({ length: 21 }, (_, i) => `"${((i - 10) / 20).toFixed(2)}"`).join(",");
const stressQuery = `query ($w: String!) { stress(wallets: [$w], shocks: [{ asset: "ETH", moves: [${moves}] }]) { points { pnlUsd } } }`;
// Issue 28's shape: a 49-point joint ETH x BTC grid with a vol shift, and a 50-step ETH ladder, over 200 wallets (~2,000 positions) in one request.
const gridMoves = ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"].map((m) => `"${m}"`).join(",");
const stressLadderQuery = `query ($ws: [String!]) {
  stress(wallets: $ws, shocks: [{ asset: "ETH", moves: [${gridMoves}] }, { asset: "BTC", moves: [${gridMoves}] }], grid: true, volatilityShift: 0.1) {
    points { pnlUsd totals { grossNotionalUsd equityUsd } liquidatableNotionalUsd }
  }
  ladder(wallets: $ws, asset: "ETH", steps: 50) { move liquidatableCount liquidatableNotionalUsd liquidatableCollateralUsd }
}`;
const walletGroups = Array.from({ length: 20 }, (_, k) => Array.from({ length: 200 }, (_, i) => smallWallets[(k * 200 + i) % ROTATION]!));
const rawQuery = (limit: number) => `query ($w: String) { positions(where: { account: $w }, limit: ${limit}) { items { id sizeUsd } } }`;
const scenarios = [
  { name: "wallet, 10 positions", target: 20, ...gql("/exposure", walletQuery, smallWallets) },
  { name: "wallet, 200 positions", target: 20, ...gql("/exposure", walletQuery, bigWallets) },
  {
    name: "atRisk(0.05), first page of 50",
    target: 50,
    ...gql("/exposure", `{ atRisk(maxDistance: 0.05) { items { id liquidationPrice liquidationDistance } pageInfo { hasNextPage endCursor } } }`),
  },
  { name: "portfolio, 50 wallets", target: null, ...gql("/exposure", `{ portfolio(name: "fifty") { totals { grossNotionalUsd equityUsd } } }`) },
  { name: "stress, 21 points", target: null, ...gql("/exposure", stressQuery, smallWallets) },
  { name: "stress 49-point grid + ladder 50 steps, 200 wallets", target: 300, path: "/exposure", bodies: walletGroups.map((ws) => JSON.stringify({ query: stressLadderQuery, variables: { ws } })) },
  { name: "baseline: ponder /graphql, 10 rows", target: null, ...gql("/graphql", rawQuery(50), smallWallets) },
  { name: "baseline: ponder /graphql, 200 rows", target: null, ...gql("/graphql", rawQuery(200), bigWallets) },
];

type Load = {
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  errors: number;
  apiCpuMs?: number;
  apiP99AtMostMs?: number;
  apiMajorGcs?: number;
  apiPromotedMbPerS?: number;
};
type Api = { url: string; process: ChildProcess };
const cpuMs = (child: ChildProcess) => processCpuMs(child.pid!);

/**
 * Waits until the APIs are idle: requests a saturating run left queued go on being answered after
 * its clients have gone, and would queue a following run's behind them.
 */
async function settle(apis: Api[]) {
  for (let i = 0; i < 120; i++) {
    const before = apis.map((a) => cpuMs(a.process));
    await sleep(250);
    if (apis.every((a, k) => cpuMs(a.process) - before[k]! < 25)) return;
  }
  throw new Error("the API stayed busy for 30 s after a saturating run");
}

const percentile = (sorted: number[], q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1));

/**
 * The most the API holds: each of the connections sends its next request as soon as the last is
 * answered (autocannon), with the API processes' CPU time per answered request.
 */
async function saturate(s: (typeof scenarios)[number], apis: Api[], duration = DURATION): Promise<Load> {
  const times: number[] = []; // every response time as autocannon's clients report them, for exact percentiles
  let next = 0;
  const cpuBefore = apis.map((a) => cpuMs(a.process));
  // Several API replicas: one autocannon per replica at once, the connections split between them.
  const results = await Promise.all(apis.map(({ url }) => autocannon({
    url: `${url}${s.path}`,
    connections: Math.max(1, Math.round(CONNECTIONS / apis.length)),
    duration,
    requests: [
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        setupRequest: (request: Record<string, unknown>) => ({ ...request, body: s.bodies[next++ % s.bodies.length] }),
      },
    ],
    setupClient: (client: any) => client.on("response", (_status: number, _bytes: number, ms: number) => times.push(ms)),
  } as any)));
  times.sort((a, b) => a - b);
  const at = (q: number) => percentile(times, q);
  const errors = results.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
  const apiCpuMs = apis.reduce((sum, a, i) => sum + cpuMs(a.process) - cpuBefore[i]!, 0) / Math.max(1, times.length);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), rps: Math.round(times.length / duration), errors, apiCpuMs: Number(apiCpuMs.toFixed(2)) };
}

const procMb = (child: ChildProcess, field: "VmRSS" | "VmHWM") => Math.round(processMemoryMb(child.pid!, field));

/** The API's heap in use, from its /metrics (prom-client's default gauges, which ponder registers). */
async function heapUsedMb(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m ? Math.round(Number(m[1]) / 2 ** 20) : NaN;
}

/**
 * The API's memory over a long run: the measured scenarios in turn, a minute each, at half the most
 * each held; its heap in use sampled every 2 s (the lowest of a minute is what outlived collections)
 * and its RSS at the end of each minute.
 */
async function soakApi(minutes: number) {
  const measured = rows.filter((r) => !r.name.startsWith("baseline"));
  const out: { minute: number; name: string; load: Load; heapMb: number; rssMb: number }[] = [];
  for (let minute = 1; minute <= minutes; minute++) {
    const row = measured[(minute - 1) % measured.length]!;
    const s = scenarios.find((x) => x.name === row.name)!;
    let lowest = Infinity;
    const sampler = setInterval(() => void heapUsedMb().then((mb) => (lowest = Math.min(lowest, mb)), () => {}), 2_000);
    const load = await steady(s, Math.max(1, Math.round(row.max.rps * 0.5)), 60);
    clearInterval(sampler);
    out.push({ minute, name: row.name, load, heapMb: lowest, rssMb: procMb(server, "VmRSS") });
    log(`soak minute ${minute}: ${row.name}: ${show(load)}; heap low-water ${lowest} MB, RSS ${out.at(-1)!.rssMb} MB`);
  }
  return { minutes: out, peakRssMb: procMb(server, "VmHWM") };
}

/**
 * From the API's /metrics: its own count of answered requests on `path` by duration bucket (ponder's
 * request histogram, 2XX), and its major garbage collections so far (prom-client's GC histogram).
 */
async function apiCounts(path: string): Promise<{ buckets: Map<string, number>; majorGcs: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const buckets = new Map<string, number>();
  for (const m of text.matchAll(/^ponder_http_server_request_duration_ms_bucket\{le="([^"]+)",method="POST",path="([^"]+)",status="2XX"\} (\S+)$/gm)) {
    if (m[2] === path) buckets.set(m[1]!, Number(m[3]));
  }
  return { buckets, majorGcs: Number(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/m.exec(text)?.[1] ?? NaN) };
}

/**
 * The bucket bound under which the API itself answered 99% of a run's requests (from the parsed
 * request to the response handed to the socket): what the client's p99 adds beyond it is queueing
 * outside the handlers (the event loop held up by a garbage collection, the CPU taken by others).
 */
function apiP99AtMostMs(before: Map<string, number>, after: Map<string, number>): number | undefined {
  const delta = [...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)] as const);
  const total = delta.find(([le]) => le === "+Inf")?.[1] ?? 0;
  return total > 0 ? Number(delta.find(([, n]) => n >= 0.99 * total)?.[0]) : undefined;
}

const sameLength = (bodies: string[]) => bodies.every((b) => Buffer.byteLength(b) === Buffer.byteLength(bodies[0]!));

/**
 * Latency under a steady load: requests go out at a fixed rate whether or not earlier ones were
 * answered (loadtest's requestsPerSecond, open loop), so queueing behind a slow answer is counted.
 * (autocannon's rate limit sends each second's quota in a burst at the start of the second.)
 */
async function steady(s: (typeof scenarios)[number], rate: number, seconds = DURATION): Promise<Load> {
  let next = 0;
  const before = await apiCounts(s.path);
  const gcLogFrom = GC_LOG ? statSync(GC_LOG).size : 0;
  const result = await loadTest({
    url: `${base}${s.path}`,
    method: "POST",
    contentType: "application/json",
    // As HTTP clients send a body they hold: with its length (loadtest would otherwise send it chunked).
    headers: sameLength(s.bodies) ? { "content-length": String(Buffer.byteLength(s.bodies[0]!)) } : {},
    agentKeepAlive: true,
    requestsPerSecond: rate,
    maxSeconds: seconds,
    body: "BODY",
    indexParam: "BODY",
    indexParamCallback: () => s.bodies[next++ % s.bodies.length]!,
  });
  // Milliseconds (rounded) -> responses.
  const times = Object.entries(result.histogramMs as Record<string, number>)
    .flatMap(([ms, count]) => Array<number>(count).fill(Number(ms)))
    .sort((a, b) => a - b);
  const at = (q: number) => percentile(times, q);
  const after = await apiCounts(s.path);
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    rps: Math.round(result.totalRequests / seconds),
    errors: result.totalErrors,
    apiP99AtMostMs: apiP99AtMostMs(before.buckets, after.buckets),
    apiMajorGcs: after.majorGcs - before.majorGcs,
    ...(GC_LOG ? { apiPromotedMbPerS: Number((promotedBytes(GC_LOG, gcLogFrom) / 2 ** 20 / seconds).toFixed(2)) } : {}),
  };
}

/** What the API's young collections promoted to its old generation, from its GC trace past byte `from`. */
function promotedBytes(log: string, from: number): number {
  const text = readFileSync(log).subarray(from).toString();
  let bytes = 0;
  for (const m of text.matchAll(/ gc=s .*? promoted=(\d+)/g)) bytes += Number(m[1]);
  return bytes;
}

/** Steady loads, as fractions of the most this API held in the same run. */
const STEADY_SHARES = [0.25, 0.5];
type Row = { name: string; max: Load; steady: (Load & { offered: number })[]; target: number | null };
const rows: Row[] = [];
const show = (l: Load) =>
  `p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, ${l.rps} req/s, ${l.errors} errors${l.apiCpuMs === undefined ? "" : `, API CPU ${l.apiCpuMs} ms/request`}` +
  (l.apiP99AtMostMs === undefined ? "" : `; inside the API, p99 ≤ ${l.apiP99AtMostMs} ms`) +
  (l.apiMajorGcs === undefined ? "" : `, ${l.apiMajorGcs} major GCs`) +
  (l.apiPromotedMbPerS === undefined ? "" : `, ${l.apiPromotedMbPerS} MB/s promoted`);
const api: Api = { url: base, process: server };
for (const s of scenarios.filter((x) => x.name.includes(ONLY))) {
  for (const body of [s.bodies[0]!, s.bodies[s.bodies.length - 1]!]) {
    const started = performance.now();
    const check = await (await fetch(`${base}${s.path}`, { method: "POST", headers: { "content-type": "application/json" }, body })).json();
    if (check.errors) throw new Error(`${s.name}: ${JSON.stringify(check.errors)}`);
    log(`${s.name}: a first request alone took ${(performance.now() - started).toFixed(0)} ms`);
  }
  // Unmeasured warm-up: the API compiles its hot paths and opens its database connections.
  await saturate(s, [api], 2);
  await settle([api]);
  const max = await saturate(s, [api]);
  await settle([api]);
  log(`${s.name}: at most ${show(max)}`);
  // Latency is read at steady loads below the most this API held in this run: a service at its limit
  // answers in (connections / throughput) plus queueing, whatever its own speed.
  const held: Row["steady"] = [];
  for (const share of STEADY_SHARES) {
    const offered = Math.max(1, Math.round(max.rps * share));
    held.push({ ...(await steady(s, offered)), offered });
    log(`${s.name}: at a steady ${offered} req/s (${share * 100}% of the most held): ${show(held.at(-1)!)}`);
  }
  rows.push({ name: s.name, max, steady: held, target: s.target });
}

// Scale-out: a second API replica over the same tables, the same load split between the two.
let replicas: Load | null = null;
const walletScenario = scenarios[0]!;
if (walletScenario.name.includes(ONLY)) {
  const second = m.ponder("serve", 42_602, { profile: PROFILE });
  const secondBase = "http://127.0.0.1:42602";
  await until(async () => (await fetch(`${secondBase}/exposure`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ chains { blockNumber } }"}' })).ok, "the second API");
  const apis = [api, { url: secondBase, process: second }];
  await saturate(walletScenario, apis, 2);
  await settle(apis);
  replicas = await saturate(walletScenario, apis);
  log(`${walletScenario.name}, 2 API replicas: at most ${show(replicas)}`);
  second.kill("SIGTERM");
  await new Promise((r) => second.once("exit", r));
}

const soak = SOAK_MINUTES > 0 ? await soakApi(SOAK_MINUTES) : null;

server.kill("SIGTERM");
await new Promise((r) => server.once("exit", r));
if (process.argv.includes("--keep") || REUSE) log(`schema kept: ${schema}`);
else await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await db.end();
await anvil.stop();

if (soak) {
  const { minutes, peakRssMb } = soak;
  console.log(`\nsoak — ${SOAK_MINUTES} minutes, the scenarios above in turn, a minute each at 50% of the most each held; the API process (ponder serve)`);
  console.log("minute | scenario | req/s, p99 ms, errors | heap used, lowest of the minute (MB) | RSS at its end (MB)");
  for (const m of minutes) console.log(`${m.minute} | ${m.name} | ${m.load.rps}, ${m.load.p99}, ${m.load.errors} | ${m.heapMb} | ${m.rssMb}`);
  // The lowest heap of a minute is close to what survives a collection: the two halves of the run side by side.
  const span = (xs: number[]) => `${Math.min(...xs)}–${Math.max(...xs)}`;
  const half = Math.max(1, Math.floor(minutes.length / 2));
  const second = minutes.length > 1 ? minutes.slice(half) : minutes;
  console.log(`heap low-water, first half: ${span(minutes.slice(0, half).map((m) => m.heapMb))} MB; second half: ${span(second.map((m) => m.heapMb))} MB; RSS ${minutes[0]!.rssMb} → ${minutes.at(-1)!.rssMb} MB, peak ${peakRssMb} MB`);
}

const shares = STEADY_SHARES.map((x) => `${x * 100}%`);
console.log(`\nbench:query — ${POSITIONS} open positions, ${WALLETS} wallets, Postgres; most held: ${CONNECTIONS} connections (autocannon); steady: ${shares.join(" and ")} of that rate, open loop (loadtest); ${DURATION} s per run; node ${process.version}`);
console.log(`scenario | most held: req/s, p99 ms, API CPU ms/request | ${shares.map((x) => `steady ${x}: req/s, p50, p95, p99 ms (inside the API: p99 at most; its major GCs)`).join(" | ")} | errors | target p99 (${shares.join(" / ")})`);
for (const r of rows) {
  const verdict = r.target === null ? "-" : `${r.target} ms: ${r.steady.map((l) => (l.p99 < r.target! ? "met" : "MISSED")).join(" / ")}`;
  const errors = r.max.errors + r.steady.reduce((sum, l) => sum + l.errors, 0);
  const steadyColumns = r.steady.map((l) => `${l.rps} of ${l.offered}, ${l.p50}, ${l.p95}, ${l.p99} (≤ ${l.apiP99AtMostMs ?? "?"}; ${l.apiMajorGcs ?? "?"} GC)`).join(" | ");
  console.log(`${r.name} | ${r.max.rps}, ${r.max.p99}, ${r.max.apiCpuMs} | ${steadyColumns} | ${errors} | ${verdict}`);
}
if (replicas) {
  const one = rows.find((r) => r.name === walletScenario.name)!.max;
  console.log(`${walletScenario.name} on 2 API replicas (ponder serve x2, one Postgres, same cores): most held ${replicas.rps} req/s (1 replica: ${one.rps}), p99 ${replicas.p99} ms, API CPU ${replicas.apiCpuMs} ms/request, ${replicas.errors} errors`);
}
console.log(`atRisk(0.05): ${withinBound} of ${POSITIONS} open positions are within 5% of liquidation (so the feed pages them).`);
