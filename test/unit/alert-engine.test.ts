import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NO_ALERTS, type AlertRule } from "../../src/alerts/config";
import { alertEngine, type AlertEvent, type EngineDeps } from "../../src/alerts/engine";
import { openAlertStore, type AlertStore } from "../../src/alerts/store";
import { exposureTotals } from "../../src/core/exposure";
import type { BlockChanges } from "../../src/exposure/block-changes";
import type { WalletExposure } from "../../src/exposure/service";
import { createRng } from "../chain/rng";
import { taggedItem } from "../support/items";

// The engine evaluates a block at the wallets it touched (and a sweep slice). Here a random world
// whose readings move only through position events and prices is run twice: by the engine as it
// runs (a sweep too slow to matter), and with every wallet evaluated at every block (what the
// engine did before). Both must raise the same events at the same blocks.

const E30 = 10n ** 30n;
const CHAIN = { chainId: 1, name: "test" };
const MARKETS = ["0xaa", "0xbb", "0xcc"];
const SYMBOL: Record<string, string> = { "0xaa": "ETH", "0xbb": "BTC", "0xcc": "LINK" };
const wallet = (i: number) => `0x${(0x100 + i).toString(16).padStart(40, "0")}`;

type Position = { id: string; wallet: string; market: string; isLong: boolean; liquidationPrice: bigint; sizeUsd: bigint };
type BlockState = { prices: Map<string, bigint>; positions: Position[]; touched: Set<string>; priced: string[]; drift: bigint };

/**
 * A random history: each block moves some prices, opens or closes some positions; or, `drifting`,
 * nothing happens but time, which moves every liquidation price.
 */
function world(seed: number, blocks: number, drifting = false): BlockState[] {
  const rng = createRng(seed);
  let prices = new Map(MARKETS.map((m) => [m, 1_000n * E30]));
  let positions: Position[] = [];
  let next = 0;
  const open = (w: string): Position => {
    const market = MARKETS[rng.int(0, 2)]!;
    const isLong = rng.int(0, 1) === 0;
    const gap = BigInt(rng.int(20, 200));
    const price = prices.get(market)!;
    return { id: `p${next++}`, wallet: w, market, isLong, liquidationPrice: isLong ? price - (price * gap) / 1000n : price + (price * gap) / 1000n, sizeUsd: BigInt(rng.int(1, 50)) * 1_000n * E30 };
  };
  for (let i = 0; i < 12; i++) for (let k = rng.int(1, 3); k > 0; k--) positions.push(open(wallet(i)));
  const states: BlockState[] = [];
  for (let b = 0; b < blocks; b++) {
    const touched = new Set<string>();
    const priced: string[] = [];
    if (b > 0 && !drifting) {
      prices = new Map(prices);
      for (const m of MARKETS) {
        if (rng.int(0, 2) !== 0) continue;
        prices.set(m, (prices.get(m)! * BigInt(rng.int(900, 1100))) / 1000n);
        priced.push(m);
      }
      if (rng.int(0, 3) === 0) {
        const w = wallet(rng.int(0, 11));
        positions = [...positions, open(w)];
        touched.add(w);
      }
      if (rng.int(0, 3) === 0 && positions.length > 0) {
        const gone = positions[rng.int(0, positions.length - 1)]!;
        positions = positions.filter((p) => p !== gone);
        touched.add(gone.wallet);
      }
    }
    states.push({ prices, positions, touched, priced, drift: drifting ? BigInt(b) * 2n : 0n });
  }
  return states;
}

/** A wallet's answer in the world at a block: each position's distance to liquidation, and its notional. */
function exposureIn(state: BlockState, address: string): WalletExposure {
  const mine = state.positions.filter((p) => p.wallet === address);
  const positions = mine.map((p) => {
    // Time-driven drift: the liquidation price creeps towards the mark, as accruing fees move it.
    const liq = p.isLong ? p.liquidationPrice + state.drift * E30 : p.liquidationPrice - state.drift * E30;
    const price = state.prices.get(p.market)!;
    const distance = Number(((p.isLong ? price - liq : liq - price) * 1_000_000n) / price) / 1e6;
    return {
      row: { positionId: p.id, protocol: "gmx-v1", chainId: CHAIN.chainId, market: p.market, isLong: p.isLong },
      risk: { liquidationDistance: distance, liquidationPrice: liq, notionalUsd: p.sizeUsd, liquidatableNow: distance <= 0 },
      mark: { price },
    };
  });
  const items = mine.map((p) => taggedItem({ positionId: p.id, wallet: address as `0x${string}`, asset: SYMBOL[p.market]!, notionalUsd: p.sizeUsd }));
  return { address, positions, assessed: positions, accounts: [], items, totals: exposureTotals(items), blocks: [], warnings: [] } as unknown as WalletExposure;
}

const stores: AlertStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

/** Runs the engine over the world block by block; the events it raised, and the wallets it evaluated and read anew per block. */
async function run(states: BlockState[], rulesAt: (block: number) => AlertRule[], sweepSeconds: number, failing = new Set<number>(), reverting = new Set<number>()) {
  const opened = await openAlertStore({ PGLITE_DIR: join(mkdtempSync(join(tmpdir(), "alert-engine-")), "db") });
  stores.push(opened);
  // At the `failing` blocks, the block's transaction does all its work and then fails (rolled back), once.
  const store: AlertStore = {
    ...opened,
    transaction: (work) =>
      opened.transaction(async (tx) => {
        const result = await work(tx);
        if (failing.delete(head)) throw new Error(`injected failure at block ${head}`);
        return result;
      }),
  };
  let head = 0;
  // At the `reverting` blocks, the indexer reverts 3 blocks while the engine reads (once): its reads
  // there see the older tables, and the head steps back with the revert count up until the next block.
  let reverts = 0;
  let steppedBack: number | null = null;
  const events: AlertEvent[] = [];
  const evaluated: number[] = [];
  const fresh: number[] = [];
  const holdings = (positions: Position[], wallets: string[]) =>
    wallets.map((account) => ({ account, assets: positions.filter((p) => p.wallet === account).map((p) => p.market) }));
  const deps: EngineDeps = {
    settings: { ...NO_ALERTS, sweepSeconds },
    store,
    rules: async () => rulesAt(head),
    heads: async () => [{ ...CHAIN, number: BigInt(steppedBack ?? head), timestamp: BigInt(head), reverts }],
    block: async (_, n) => ({ hash: `0x${n.toString(16)}`, timestamp: n }),
    chainTip: async () => BigInt(head),
    exposuresAt: async (wallets, at, readAnew) => {
      evaluated[Number(at.number)] = wallets.length;
      fresh[Number(at.number)] = readAnew.size;
      let tables = Number(at.number);
      if (reverting.delete(tables)) {
        reverts++;
        steppedBack = tables = Math.max(0, tables - 3);
      }
      return wallets.map((w) => exposureIn(states[tables]!, w));
    },
    changesAt: async (_, n): Promise<BlockChanges> => {
      const s = states[Number(n)]!;
      // A closed position's holder is touched too: its events hold its market.
      const ever = [...states[Number(n) - 1]?.positions ?? [], ...s.positions];
      return { holdings: holdings(ever, [...s.touched]), pricedAssets: s.priced };
    },
    // Every position the world ever had: a superset of what a wallet holds at any block, as the read model's.
    holdingsOf: async (_, wallets) => holdings(states.flatMap((s) => s.positions), wallets),
    symbolOf: (_, market) => SYMBOL[market]!,
    publish: (e) => events.push(...e),
    log: () => {},
  };
  const engine = alertEngine(deps);
  for (head = 0; head < states.length; head++) {
    steppedBack = null;
    // As the engine's loop does: a failed tick is tried again.
    await engine.tick().catch(() => engine.tick());
  }
  return { events: events.map((e) => `${e.block.number} ${e.kind} ${e.rule} ${e.subject} ${e.wallet} ${e.value}`), evaluated, fresh };
}

const rules: AlertRule[] = [
  { id: "near", wallets: [0, 1, 2, 3, 4, 5].map(wallet) as `0x${string}`[], metric: "liquidationDistance", fireAt: "0.05", clearAt: "0.08" },
  { id: "eth-near", wallets: [4, 5, 6, 7, 8].map(wallet) as `0x${string}`[], metric: "liquidationDistance", asset: "ETH", fireAt: "0.08", clearAt: "0.1" },
  { id: "gross", wallets: [8, 9, 10, 11].map(wallet) as `0x${string}`[], metric: "grossNotionalUsd", fireAt: "60000", clearAt: "40000" },
];

describe("the alert engine evaluates only what a block touched", () => {
  it("raises the same events as evaluating every wallet at every block, on random histories", async () => {
    for (const seed of [1, 2]) {
      const states = world(seed, 50);
      const incremental = await run(states, () => rules, 1_000);
      const everything = await run(states, () => rules, 1);
      expect(incremental.events.length).toBeGreaterThan(5);
      expect(incremental.events).toEqual(everything.events);
      // The full pass evaluates all 12 wallets at every block; the engine fewer on most blocks.
      expect(everything.evaluated.slice(1).every((n) => n === 12)).toBe(true);
      expect(incremental.evaluated.slice(1).filter((n) => n < 12).length).toBeGreaterThan(20);
    }
  });

  it("evaluates a rule added later at all its wallets at its first block, and resolves alerts of wallets a rule no longer watches", async () => {
    const states = world(4, 50);
    const added: AlertRule = { id: "added", wallets: [0, 2, 4, 6, 8, 10].map(wallet) as `0x${string}`[], metric: "liquidationDistance", fireAt: "0.1", clearAt: "0.12" };
    // `near` loses wallets 3-5 at block 30.
    const narrowed = { ...rules[0]!, wallets: rules[0]!.wallets.slice(0, 3) };
    // `added` is deleted at block 40.
    const rulesAt = (b: number) => (b < 20 ? rules : b < 30 ? [...rules, added] : b < 40 ? [narrowed, ...rules.slice(1), added] : [narrowed, ...rules.slice(1)]);
    const incremental = await run(states, rulesAt, 1_000);
    const everything = await run(states, rulesAt, 1);
    expect(incremental.events.some((e) => e.startsWith("20 fire added"))).toBe(true);
    expect(incremental.events).toEqual(everything.events);
    // A block whose transaction fails is evaluated again as if it had never run.
    const failing = new Set(incremental.events.map((e) => Number(e.split(" ")[0])).filter((b) => b > 0));
    expect(failing.size).toBeGreaterThan(5);
    expect((await run(states, rulesAt, 1_000, failing)).events).toEqual(incremental.events);
    expect(failing.size).toBe(0);
    // A block whose reads an indexer revert overtook is evaluated again once its rows are back (with
    // the next block, so not one before the rules change: they are the rules at the time of evaluation).
    const sameRulesNext = (b: number) => JSON.stringify(rulesAt(b)) === JSON.stringify(rulesAt(b + 1));
    const reverting = new Set(incremental.events.map((e) => Number(e.split(" ")[0])).filter((b) => b > 3 && b < states.length - 1 && sameRulesNext(b)));
    expect(reverting.size).toBeGreaterThan(5);
    const blocks = [...reverting];
    const overtaken = await run(states, rulesAt, 1_000, new Set(), reverting);
    expect(overtaken.events).toEqual(incremental.events);
    expect(reverting.size).toBe(0);
    // Each evaluated again with every watched wallet read anew, not repriced from reads that may lack rows.
    const watched = (b: number) => new Set(rulesAt(b).flatMap((r) => r.wallets)).size;
    expect(blocks.map((b) => overtaken.fresh[b])).toEqual(blocks.map(watched));
    expect(blocks.filter((b) => incremental.fresh[b]! < watched(b)).length).toBeGreaterThan(3);
    // What `added` had firing resolves at block 40, and nothing of it follows.
    const addedFiring = new Set<string>();
    for (const [b, kind, rule, subject] of incremental.events.map((x) => x.split(" "))) {
      if (rule !== "added" || Number(b) >= 40) continue;
      if (kind === "fire") addedFiring.add(subject!);
      else addedFiring.delete(subject!);
    }
    expect(addedFiring.size).toBeGreaterThan(0);
    const afterDeletion = incremental.events.filter((e) => e.split(" ")[2] === "added" && Number(e.split(" ")[0]) >= 40);
    expect(afterDeletion.map((e) => e.split(" ").slice(0, 4).join(" ")).sort()).toEqual([...addedFiring].map((subject) => `40 resolve added ${subject}`).sort());
    // What `near` had firing on the wallets it dropped resolves at block 30, as gone.
    const dropped = new Set(rules[0]!.wallets.slice(3));
    const firing = new Map<string, string>();
    for (const e of incremental.events.map((x) => x.split(" ")).filter(([b, , rule]) => Number(b) < 30 && rule === "near")) {
      if (e[1] === "fire") firing.set(e[3]!, e[4]!);
      else firing.delete(e[3]!);
    }
    const orphaned = [...firing].filter(([, w]) => dropped.has(w as `0x${string}`)).map(([subject]) => subject);
    expect(orphaned.length).toBeGreaterThan(0);
    expect(incremental.events.filter((e) => e.startsWith("30 resolve near")).map((e) => e.split(" ")[3])).toEqual(expect.arrayContaining(orphaned));
  });

  it("catches a time-driven change within the sweep's blocks", async () => {
    // Liquidation prices creep towards the marks with no event: only the sweep sees it.
    const states = world(5, 40, true);
    const swept = await run(states, () => rules, 5);
    const fired = new Map<string, number>();
    for (const [block, kind, rule, subject] of swept.events.map((e) => e.split(" "))) if (kind === "fire") fired.set(`${rule} ${subject}`, Number(block));
    // Each position's first block at or under its rule's fireAt, from the world itself.
    let crossings = 0;
    for (const rule of rules.filter((r) => r.metric === "liquidationDistance")) {
      for (const w of rule.wallets) {
        for (const p of states[0]!.positions.filter((x) => x.wallet === w && (rule.asset === undefined || SYMBOL[x.market] === rule.asset))) {
          const first = states.findIndex((s) => exposureIn(s, w).positions.find((x) => x.row.positionId === p.id)!.risk.liquidationDistance! <= Number(rule.fireAt));
          const at = fired.get(`${rule.id} ${p.id}`);
          if (first <= 0) {
            expect(at, p.id).toBe(first === 0 ? 0 : undefined);
            continue;
          }
          crossings++;
          expect(at! - first, `${rule.id} ${p.id} crossed at ${first}`).toBeGreaterThanOrEqual(0);
          expect(at! - first, `${rule.id} ${p.id} crossed at ${first}`).toBeLessThan(5);
        }
      }
    }
    expect(crossings).toBeGreaterThan(3);
  });
});
