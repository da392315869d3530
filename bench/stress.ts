// `npm run bench:stress`: a 49-point joint ETH x BTC stress (7 moves each, +10 vol points) and a 50-step
// ETH ladder over 200 wallets (GMX v1 perps, Aave v3 accounts, Derive options; test/support/random-portfolio.ts),
// in process with the protocol parameters in memory: the stress path as the API runs it after its reads, beside the
// straightforward path (every wallet assessed from scratch at every point) on the same portfolio in the same run.
// Options: --wallets N (default 200), --runs N (default 15; the median is shown, after 2 unmeasured runs),
// --only TEXT (the shapes whose name contains it; --no-baseline skips the straightforward path, for profiling).
import { assessRows, type AssessedPosition } from "../src/exposure/service";
import { bookOf, ladderSteps, stressPoints } from "../src/exposure/stress";
import { stressScenarios } from "../graphql/resolvers";
import { assetDirectory } from "../src/core/assets";
import { exposureTotals, sumKnown } from "../src/core/exposure";
import { shockedPrices, type Shock } from "../src/core/stress";
import { randomPortfolio } from "../test/support/random-portfolio";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const WALLETS = Number(arg("wallets", "200"));
const RUNS = Number(arg("runs", "15"));
const p = randomPortfolio(7, WALLETS);
const positions = p.wallets.reduce((n, w) => n + w.rows.length, 0);

const moves = ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"];
const grid: Shock[][] = stressScenarios(
  [
    { asset: "ETH", moves },
    { asset: "BTC", moves },
  ],
  { grid: true },
);
const ladder: Shock[][] = Array.from({ length: 50 }, (_, i) => i + 1)
  .flatMap((pct) => [-pct, pct])
  .map((pct) => [{ asset: "ETH", move: (BigInt(pct) * 10n ** 18n) / 100n }]);
/** What the query asks of each point, as the resolvers read it: the stress its totals and what is liquidatable, the ladder what is liquidatable. */
const shapes = [
  { name: "stress 49 points (ETH x BTC, +0.1 vol)", scenarios: grid, shift: 0.1, totals: true },
  { name: "ladder 50 steps (ETH)", scenarios: ladder, shift: 0, totals: false },
];
const liquidatable = (positions: AssessedPosition[]) => {
  const hit = positions.filter((a) => a.risk.liquidatableNow === true);
  return [hit.length, sumKnown(hit.map((a) => a.risk.notionalUsd)), sumKnown(hit.map((a) => a.risk.collateralUsd))];
};

type Shape = (typeof shapes)[number];
/** The shapes as one query asks them: one book (the wallets prepared and assessed at the base) for all. */
async function fast(asked: Shape[]) {
  const book = await bookOf(p.deps, null, p.wallets, p.blocks, p.lookups);
  for (const s of asked) {
    if (!s.totals) await ladderSteps(book, s.scenarios);
    else for (const x of (await stressPoints(book, s.scenarios, s.shift)).points) [x.exposure.totals.equityUsd, x.liquidatable];
  }
}
const symbolOf = assetDirectory(p.deps.config).symbol;
async function straightforward(s: Shape) {
  const at = (shocks: Shock[], shift: number) =>
    Promise.all(p.wallets.map((w) => assessRows(p.deps, w.address, w.rows, shockedPrices(w.prices, shocks, symbolOf), p.blocks, { lookups: p.lookups, volatilityShift: shift })));
  await at([], 0);
  for (const shocks of s.scenarios) {
    const wallets = await at(shocks, s.shift);
    [s.totals && exposureTotals(wallets.flatMap((w) => w.items)).equityUsd, liquidatable(wallets.flatMap((w) => w.assessed))];
  }
}

async function median(run: () => Promise<void>, runs: number) {
  for (let i = 0; i < 2; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

console.log(`bench:stress — ${WALLETS} wallets, ${positions} positions; median of ${RUNS} runs; node ${process.version}`);
console.log("shape | stress path ms | straightforward ms (baseline) | speed-up");
let baseline = 0;
const chosen = shapes.filter((s) => s.name.includes(arg("only", "")));
const withBaseline = !process.argv.includes("--no-baseline");
for (const s of chosen) {
  const f = await median(() => fast([s]), RUNS);
  const b = withBaseline ? await median(() => straightforward(s), Math.max(3, Math.ceil(RUNS / 5))) : NaN;
  baseline += b;
  console.log(`${s.name} | ${f.toFixed(1)} | ${b.toFixed(1)} | ${(b / f).toFixed(1)}x`);
}
if (chosen.length > 1) {
  const f = await median(() => fast(chosen), RUNS);
  console.log(`both in one query (one book) | ${f.toFixed(1)} | ${baseline.toFixed(1)} | ${(baseline / f).toFixed(1)}x; target < 300 ms`);
}
