import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChainlinkAggregatorAbi } from "../../abis/ChainlinkAggregator";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { chainClients } from "../chain/clients";
import { deployFixtures, setPrice, type Deployment, type TokenSymbol } from "../chain/deploy";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { createRng } from "../chain/rng";
import { simulate, type SimulationSummary } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { indexFixtureChain, stopAll, type Indexer } from "../support/indexer";

const HOUR = 3_600;
const STEPS = 48;
const QUERY = `query ($wallets: [String!], $window: Int, $interval: Int) {
  risk(wallets: $wallets, window: $window, interval: $interval) {
    from to interval returnsCount assets { asset exposureUsd dailyVolatility } correlation
    oneDayVolatilityUsd valueAtRisk99Usd method warnings
  }
  portfolio(wallets: $wallets) { totals { netNotional { asset netUsd } } }
}`;

describe.each(DATABASES)("correlation, volatility and VaR on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let summary: SimulationSummary;
  let indexer: Indexer;

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    summary = await simulate(d, { wallets: 4, steps: 30, seed: 8 });
    // Two days of hourly prices: BTC follows ETH half the time, on its own otherwise.
    const rpc = chainClients(d.rpcUrl).publicClient;
    const rng = createRng(5);
    const answers = { ...summary.prices };
    for (let i = 0; i < STEPS; i++) {
      await rpc.request({ method: "evm_increaseTime" as any, params: [HOUR] as any });
      const common = (rng.next() - 0.5) * 0.04;
      answers.WETH = (answers.WETH * BigInt(Math.round((1 + common + (rng.next() - 0.5) * 0.01) * 1e6))) / 1_000_000n;
      answers.WBTC = (answers.WBTC * BigInt(Math.round((1 + (rng.chance(0.5) ? common : (rng.next() - 0.5) * 0.04)) * 1e6))) / 1_000_000n;
      await setPrice(d, "WETH", answers.WETH);
      await setPrice(d, "WBTC", answers.WBTC);
    }
    indexer = await indexFixtureChain(fixtureExposureConfig(d), database, d.rpcUrl);
  }, 240_000);

  afterAll(() => stopAll(database, indexer, anvil));

  it("matches correlations, volatilities and VaR computed here from the feeds' own events", async () => {
    const window = (STEPS - 1) * HOUR;
    const r = await indexer.query(QUERY, { wallets: summary.wallets, window, interval: HOUR });
    expect(r.errors).toBeUndefined();
    const risk = r.data.risk;
    expect(risk.returnsCount).toBe(STEPS - 1);
    const to = Number(risk.to);
    const grid = Array.from({ length: STEPS }, (_, i) => to - window + i * HOUR);

    // Independent: AnswerUpdated logs, sampled by hand, returns, Pearson, and the P&L-series standard deviation.
    const rpc = chainClients(d.rpcUrl).publicClient;
    const series = async (symbol: TokenSymbol) => {
      const logs = await rpc.getContractEvents({ address: d.tokens[symbol].feed, abi: ChainlinkAggregatorAbi, eventName: "AnswerUpdated", fromBlock: 0n });
      const points = logs.map((l: any) => ({ t: Number(l.args.updatedAt), p: Number(l.args.current) / 1e8 }));
      return grid.map((t) => points.filter((x) => x.t <= t).at(-1)!.p);
    };
    const prices: Record<string, number[]> = { ETH: await series("WETH"), BTC: await series("WBTC") };
    const assets = risk.assets.map((a: any) => a.asset);
    expect([...assets].sort()).toEqual(["BTC", "ETH"]);
    const ret = (p: number[]) => p.slice(1).map((x, i) => Math.log(x / p[i]!));
    const returns = assets.map((a: string) => ret(prices[a]!));
    const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    const sd = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + (v - mean(x)) ** 2, 0) / (x.length - 1));
    const [a, b] = returns;
    const cov = a.reduce((s: number, v: number, i: number) => s + (v - mean(a)) * (b[i] - mean(b)), 0) / (a.length - 1);
    expect(Math.abs(risk.correlation[0][1] - cov / (sd(a) * sd(b)))).toBeLessThan(1e-12);
    expect(risk.correlation[0][1]).toBeGreaterThan(0.2); // they share a common move half the time
    for (const [i, asset] of assets.entries()) {
      expect(Math.abs(risk.assets[i].dailyVolatility / (sd(returns[i]) * Math.sqrt(24)) - 1)).toBeLessThan(1e-12);
      const net = r.data.portfolio.totals.netNotional.find((n: any) => n.asset === asset);
      expect(risk.assets[i].exposureUsd).toBe(net.netUsd);
    }
    const w = risk.assets.map((x: any) => Number(x.exposureUsd));
    const pnl = a.map((_: number, t: number) => returns.reduce((s: number, rr: number[], i: number) => s + w[i] * rr[t]!, 0));
    const oneDay = sd(pnl) * Math.sqrt(24);
    expect(Math.abs(Number(risk.oneDayVolatilityUsd) - oneDay)).toBeLessThanOrEqual(0.005 + 1e-9 * oneDay);
    expect(Math.abs(Number(risk.valueAtRisk99Usd) - 2.3263478740408408 * oneDay)).toBeLessThanOrEqual(0.005 + 1e-9 * oneDay);
    expect(risk.method).toContain("VaR(99%, 1 day)");
    expect(risk.warnings).toEqual([]);
  });

  it("rejects a window shorter than three intervals and too many samples", async () => {
    const short = await indexer.query(QUERY, { wallets: summary.wallets, window: 2 * HOUR, interval: HOUR });
    expect(short.errors?.[0]?.message).toContain("at least 3 intervals");
    const many = await indexer.query(QUERY, { wallets: summary.wallets, window: 10_000_000, interval: 60 });
    expect(many.errors?.[0]?.message).toContain("at most 8760");
  });
});
