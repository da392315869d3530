import { describe, expect, it } from "vitest";
import { assessRows, type WalletExposure } from "../../src/exposure/service";
import { bookOf, ladderSteps, stressPoints } from "../../src/exposure/stress";
import { stressScenarios } from "../../graphql/resolvers";
import { assetDirectory } from "../../src/core/assets";
import { exposureTotals, sumKnown } from "../../src/core/exposure";
import { abs } from "../../src/core/fixed";
import { shockedPrices, type Shock } from "../../src/core/stress";
import { randomPortfolio, type RandomPortfolio } from "../support/random-portfolio";

const moves = (n: number, step: number) => Array.from({ length: n }, (_, i) => ((i - (n - 1) / 2) * step).toFixed(2));
/** Every ETH x BTC pair of moves (a joint grid), and the ladder's 1% steps on one asset. */
const grid = (n: number, step: number): Shock[][] =>
  stressScenarios(
    [
      { asset: "ETH", moves: moves(n, step) },
      { asset: "BTC", moves: moves(n, step) },
    ],
    { grid: true },
  );
const ladder = (asset: string, steps: number): Shock[][] =>
  Array.from({ length: steps }, (_, i) => i + 1)
    .flatMap((pct) => [-pct, pct])
    .map((pct) => [{ asset, move: (BigInt(pct) * 10n ** 18n) / 100n }]);

/** The straightforward answer: every wallet assessed from scratch at every point with the shocked marks. */
async function straightforward(p: RandomPortfolio, scenarios: Shock[][], volatilityShift: number) {
  const symbolOf = assetDirectory(p.deps.config).symbol;
  const at = (shocks: Shock[], shift: number) =>
    Promise.all(p.wallets.map((w) => assessRows(p.deps, w.address, w.rows, shockedPrices(w.prices, shocks, symbolOf), p.blocks, { lookups: p.lookups, volatilityShift: shift })));
  return { base: await at([], 0), points: await Promise.all(scenarios.map((s) => at(s, volatilityShift))) };
}

/** What the protocols would liquidate across the wallets' answers, added up position by position. */
function liquidatableIn(wallets: WalletExposure[]) {
  const hit = wallets.flatMap((w) => w.positions).filter((x) => x.risk.liquidatableNow === true);
  return {
    count: hit.length,
    notionalUsd: sumKnown(hit.map((x) => (x.risk.notionalUsd === null ? null : abs(x.risk.notionalUsd)))),
    collateralUsd: sumKnown(hit.map((x) => x.risk.collateralUsd)),
  };
}

/** A wallet's answer as plain data: every figure, warning and account, and its totals. */
const plain = (w: WalletExposure) => ({ address: w.address, positions: w.positions, accounts: w.accounts, warnings: w.warnings, items: w.items, totals: w.totals });

describe("stress reassesses only what a point moves, with the same answer", () => {
  it.each([
    { seed: 1, wallets: 40, scenarios: grid(7, 0.1), shift: 0.1, what: "49-point ETH x BTC grid with a vol shift" },
    { seed: 2, wallets: 40, scenarios: ladder("ETH", 50), shift: 0, what: "50-step ETH ladder" },
    { seed: 3, wallets: 25, scenarios: [...ladder("LINK", 10), ...stressScenarios([{ asset: "USDC", prices: ["0.5", "1.5"] }]), ...grid(3, 0.45)], shift: -0.3, what: "LINK ladder, exact USDC prices, wide grid, negative vol shift" },
    { seed: 4, wallets: 30, scenarios: [[{ asset: "DOGE", move: 10n ** 17n }], []], shift: 0.2, what: "a symbol no wallet holds, and an empty point" },
  ])("seed $seed: $what", async ({ seed, wallets, scenarios, shift }) => {
    const p = randomPortfolio(seed, wallets);
    // One book for the stress and the ladder, as a query asking both has.
    const book = await bookOf(p.deps, null, p.wallets, p.blocks, p.lookups);
    const fast = await stressPoints(book, scenarios, shift);
    const slow = await straightforward(p, scenarios, shift);
    // A ladder asks each point what is liquidatable alone (without a volatility shift): on a book of
    // its own, and on the stress's (whose answers it reuses where the two show a unit the same).
    const ladder = await ladderSteps(await bookOf(p.deps, null, p.wallets, p.blocks, p.lookups), scenarios);
    const unshifted = shift === 0 ? slow : await straightforward(p, scenarios, 0);
    expect(ladder).toEqual(unshifted.points.map(liquidatableIn));
    expect(await ladderSteps(book, scenarios)).toEqual(ladder);

    expect(fast.base.exposure.wallets.map(plain)).toEqual(slow.base.map(plain));
    expect(fast.base.liquidatable).toEqual(liquidatableIn(slow.base));
    expect(fast.points).toHaveLength(scenarios.length);
    let liquidatable = 0;
    for (const [i, point] of fast.points.entries()) {
      expect(point.shocks).toBe(scenarios[i]);
      expect(point.exposure.wallets.map(plain)).toEqual(slow.points[i]!.map(plain));
      expect(point.exposure.totals).toEqual(exposureTotals(slow.points[i]!.flatMap((w) => w.items)));
      expect(point.liquidatable).toEqual(liquidatableIn(slow.points[i]!));
      liquidatable += point.liquidatable.count;
    }
    // The portfolios are near enough to liquidation for the points to change answers (not only to reuse them).
    if (seed !== 4) expect(liquidatable).toBeGreaterThan(fast.base.liquidatable.count * scenarios.length);
  });

  it("the random portfolios hold every kind the stress treats differently", () => {
    const p = randomPortfolio(1, 40);
    const protocols = new Set(p.wallets.flatMap((w) => w.rows.map((r) => r.protocol)));
    expect([...protocols].sort()).toEqual(["aave-v3", "derive", "gmx-v1"]);
  });
});
