import { describe, expect, it } from "vitest";
import type { PriceBook } from "../../src/core/adapter";
import { assetDirectory } from "../../src/core/assets";
import { shockedPrices, type Shock } from "../../src/core/stress";
import { keptWallets, type KeptWalletReads } from "../../src/exposure/kept-wallets";
import { assessRows, type WalletExposure } from "../../src/exposure/service";
import { randomPortfolio } from "../support/random-portfolio";

// The alert engine reprices a kept wallet when a block only moved marks: it must answer exactly what
// reading the wallet anew at those marks answers. Random wallets of GMX v1 perps, Aave accounts and
// Derive options (in memory), moved one asset at a time and all at once.

const p = randomPortfolio(17, 60);
const block = p.blocks[0]!;
const symbolOf = assetDirectory(p.deps.config).symbol;
const addresses = p.wallets.map((w) => w.address.toLowerCase());
const tokens = p.deps.config.assets;

/** Reads where every mark is the portfolio's, moved by `shocks`. */
function readsAt(shocks: Shock[]): KeptWalletReads {
  const moved = (prices: PriceBook) => shockedPrices(prices, shocks, symbolOf);
  return {
    lookups: () => p.lookups,
    wallets: async (wanted) => p.wallets.filter((w) => wanted.some((a) => a.toLowerCase() === w.address.toLowerCase())).map((w) => ({ ...w, prices: moved(w.prices) })),
    marks: async () => moved(p.wallets[0]!.prices),
  };
}

/** The API's own answer for each wallet at the shocked marks (assessRows: every protocol's rule over the wallet's rows). */
const reference = (shocks: Shock[]) =>
  Promise.all(p.wallets.map((w) => assessRows(p.deps, w.address, w.rows, shockedPrices(w.prices, shocks, symbolOf), p.blocks, { lookups: p.lookups })));

/** What an answer says, position by position and account by account (in a stable order). */
const figures = (w: WalletExposure) => ({
  positions: w.assessed.map((a) => ({ id: a.row.positionId, risk: a.risk, mark: a.mark })).sort((x, y) => x.id.localeCompare(y.id)),
  accounts: [...w.accounts].sort((x, y) => `${x.protocol}${x.venue}`.localeCompare(`${y.protocol}${y.venue}`)),
  totals: { gross: w.totals.grossNotionalUsd, equity: w.totals.equityUsd, collateral: w.totals.totalCollateralUsd, leverage: w.totals.leverage, nearest: w.totals.nearestLiquidationDistance },
});

/** The assets (lowercase) of these symbols: what the block's price updates name. */
const assetsOf = (symbols: string[]) => tokens.filter((a) => symbols.includes(a.symbol)).map((a) => a.address.toLowerCase());

describe("a kept wallet repriced at new marks", () => {
  const steps: { name: string; shocks: Shock[] }[] = [
    { name: "ETH up 7%", shocks: [{ asset: "ETH", move: 7n * 10n ** 16n }] },
    { name: "then BTC down 12%", shocks: [{ asset: "ETH", move: 7n * 10n ** 16n }, { asset: "BTC", move: -12n * 10n ** 16n }] },
    { name: "then every asset moved", shocks: [{ asset: "ETH", move: -25n * 10n ** 16n }, { asset: "BTC", move: 30n * 10n ** 16n }, { asset: "USDC", move: -1n * 10n ** 16n }, { asset: "LINK", move: 50n * 10n ** 16n }] },
  ];

  it("answers what reading it anew at those marks answers, step after step", async () => {
    let reads = readsAt([]);
    const kept = keptWallets(p.deps, { lookups: () => reads.lookups(), wallets: (...a) => reads.wallets(...a), marks: (...a) => reads.marks(...a) });
    await kept.at(addresses, block, new Set(addresses), []);
    let before: Shock[] = [];
    for (const step of steps) {
      reads = readsAt(step.shocks);
      const moved = step.shocks.filter((s) => !before.some((b) => b.asset === s.asset && b.move === s.move)).map((s) => s.asset);
      expect(assetsOf(moved).length).toBe(moved.length);
      const repriced = await kept.at(addresses, block, new Set(), assetsOf(moved));
      const anew = await keptWallets(p.deps, reads).at(addresses, block, new Set(addresses), []);
      expect(repriced.map(figures), step.name).toEqual(anew.map(figures));
      expect(repriced.map(figures), step.name).toEqual((await reference(step.shocks)).map(figures));
      before = step.shocks;
    }
  });

  it("is not the answer before the move: the comparison sees a stale mark", async () => {
    const kept = keptWallets(p.deps, readsAt([]));
    await kept.at(addresses, block, new Set(addresses), []);
    // Told nothing moved, it keeps the old figures; a fresh read at ETH +7% differs.
    const stale = await kept.at(addresses, block, new Set(), []);
    const anew = await keptWallets(p.deps, readsAt(steps[0]!.shocks)).at(addresses, block, new Set(addresses), []);
    expect(stale.map(figures)).not.toEqual(anew.map(figures));
  });
});
