import { numberToHex, pad, parseUnits, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GmxV1VaultAbi } from "../../abis/GmxV1Vault";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients, send } from "../chain/clients";
import { deployFixtures, fixtureAbis, setPrice, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { simulate } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { indexFixtureChain, stopAll, type Indexer } from "../support/indexer";

const INDEXES = ["WETH", "WBTC"] as const;
const PAGE = `query ($d: Float!, $first: Int, $after: String, $atBlock: BigInt, $chainId: Int, $protocol: String, $asset: String) {
  atRisk(maxDistance: $d, first: $first, after: $after, atBlock: $atBlock, chainId: $chainId, protocol: $protocol, asset: $asset) {
    blocks { number timestamp }
    items { id positionKey side liquidationPrice liquidationDistance liquidatableNow market { symbol } }
    pageInfo { hasNextPage endCursor }
    warnings
  }
}`;

type Item = { id: string; positionKey: Hex; side: string; liquidationPrice: string; liquidationDistance: number; liquidatableNow: boolean };
type OnChain = { key: Hex; account: Address; collateralToken: Address; indexToken: Address; isLong: boolean };

describe.each(DATABASES)("at-risk feed on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let indexer: Indexer;
  let wallets: Address[];
  const rpc = () => chainClients(d.rpcUrl).publicClient;
  const head = () => rpc().getBlockNumber({ cacheTime: 0 });

  const page = async (vars: Record<string, unknown>) => {
    const r = await indexer.query(PAGE, vars);
    expect(r.errors).toBeUndefined();
    return r.data.atRisk as { blocks: { number: string }[]; items: Item[]; pageInfo: { hasNextPage: boolean; endCursor: string | null }; warnings: string[] };
  };
  /** Every page of the feed, following endCursor. */
  const allPages = async (vars: Record<string, unknown>, first: number) => {
    const items: Item[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const p = await page({ ...vars, first, after });
      items.push(...p.items);
      if (!p.pageInfo.hasNextPage) return items;
      after = p.pageInfo.endCursor;
    }
    throw new Error("the feed did not end");
  };

  const feedAnswer = (symbol: (typeof INDEXES)[number], blockNumber: bigint) =>
    rpc().readContract({
      address: d.tokens[symbol].feed,
      abi: [{ type: "function", name: "latestAnswer", stateMutability: "view", inputs: [], outputs: [{ type: "int256" }] }] as const,
      functionName: "latestAnswer",
      blockNumber,
    });

  /** The Vault's own check at a block, with the index feeds' answers overridden (FeedBase keeps the answer in slot 0). */
  const vaultLiquidates = async (p: OnChain, blockNumber: bigint, answers?: Partial<Record<(typeof INDEXES)[number], bigint>>) => {
    const stateOverride = Object.entries(answers ?? {}).map(([symbol, answer]) => ({
      address: d.tokens[symbol as (typeof INDEXES)[number]].feed,
      stateDiff: [{ slot: pad("0x0"), value: pad(numberToHex(answer!)) }],
    }));
    const [state] = (await rpc().readContract({
      address: d.vault,
      abi: GmxV1VaultAbi,
      functionName: "validateLiquidation",
      args: [p.account, p.collateralToken, p.indexToken, p.isLong, false],
      blockNumber,
      stateOverride,
    })) as readonly [bigint, bigint];
    return state !== 0n;
  };

  /** Positions open at the block, from the Vault's logs and its getPosition: the independent source. */
  const openAt = async (blockNumber: bigint): Promise<OnChain[]> => {
    const logs = await rpc().getContractEvents({ address: d.vault, abi: GmxV1VaultAbi, eventName: "IncreasePosition", fromBlock: 0n, toBlock: blockNumber });
    const byKey = new Map<Hex, OnChain>();
    for (const l of logs) byKey.set(l.args.key!, { key: l.args.key!, ...(l.args as any) });
    const open: OnChain[] = [];
    for (const p of byKey.values()) {
      const [size] = await rpc().readContract({
        address: d.vault,
        abi: GmxV1VaultAbi,
        functionName: "getPosition",
        args: [p.account, p.collateralToken, p.indexToken, p.isLong],
        blockNumber,
      });
      if (size > 0n) open.push(p);
    }
    return open;
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    wallets = (await simulate(d, { wallets: 10, steps: 120, seed: 31 })).wallets;
    // Stricter fees after the positions were opened, then only a funding accrual: every stored level
    // must be re-filed without any position event.
    const { vault: vaultAbi } = await fixtureAbis();
    const call = (functionName: string, args: unknown[]) => send(d.rpcUrl, anvilAccount(0), { address: d.vault, abi: vaultAbi, functionName, args });
    await call("setFees", [30n, 5n * 10n ** 30n, 500_000n]);
    await call("accrueFunding", [d.tokens.USDC.address, 40n]);
    // Marks on a 100-unit grid, so mark x (1 -/+ 5%) is itself a feed answer the Vault can be asked at.
    for (const symbol of INDEXES) await setPrice(d, symbol, ((await feedAnswer(symbol, await head())) / 100n) * 100n);
    indexer = await indexFixtureChain(fixtureExposureConfig(d), database, d.rpcUrl);
  }, 300_000);

  afterAll(() => stopAll(database, indexer, anvil));

  it("lists exactly the positions the Vault liquidates at mark x (1 -/+ 5%), nearest first, the same in pages of 2 as in one", async () => {
    const block = await head();
    const one = await page({ d: 0.05, first: 1000 });
    expect(BigInt(one.blocks[0]!.number)).toBe(block);
    const paged = await allPages({ d: 0.05 }, 2);
    expect(paged.map((i) => i.id)).toEqual(one.items.map((i) => i.id));
    for (let i = 1; i < one.items.length; i++) expect(one.items[i]!.liquidationDistance).toBeGreaterThanOrEqual(one.items[i - 1]!.liquidationDistance);

    const open = await openAt(block);
    const marks = Object.fromEntries(await Promise.all(INDEXES.map(async (s) => [s, await feedAnswer(s, block)] as const)));
    const down = Object.fromEntries(INDEXES.map((s) => [s, (marks[s]! * 95n) / 100n]));
    const up = Object.fromEntries(INDEXES.map((s) => [s, (marks[s]! * 105n) / 100n]));
    const expected: Hex[] = [];
    const now: Hex[] = [];
    for (const p of open) {
      if (await vaultLiquidates(p, block, p.isLong ? down : up)) expected.push(p.key);
      if (await vaultLiquidates(p, block)) now.push(p.key);
    }
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(open.length);
    expect(one.items.map((i) => i.positionKey).sort()).toEqual(expected.sort());
    // Those the Vault would liquidate right now lead the feed.
    expect(one.items.slice(0, now.length).map((i) => i.positionKey).sort()).toEqual(now.sort());
    for (const item of one.items) expect(item.liquidatableNow).toBe(now.includes(item.positionKey));
  }, 240_000);

  it("filters by asset and protocol to subsets of the whole feed", async () => {
    const all = await page({ d: 0.2, first: 1000 });
    const eth = await page({ d: 0.2, first: 1000, asset: "ETH", protocol: "gmx-v1" });
    expect(eth.items.length).toBeGreaterThan(0);
    expect(eth.items.every((i: any) => i.market.symbol === "ETH")).toBe(true);
    expect(eth.items.map((i) => i.id)).toEqual(all.items.filter((i: any) => i.market.symbol === "ETH").map((i) => i.id));
    expect((await page({ d: 0.2, protocol: "aave-v3" })).items).toEqual([]);
  });

  it("answers a past block from history as it answered live, and atTimestamp as that block", async () => {
    const live = await page({ d: 0.1, first: 1000 });
    const block = BigInt(live.blocks[0]!.number);
    await setPrice(d, "WETH", ((await feedAnswer("WETH", block)) * 97n) / 100n);
    await setPrice(d, "WBTC", ((await feedAnswer("WBTC", block)) * 102n) / 100n);
    await send(d.rpcUrl, anvilAccount(0), { address: d.vault, abi: (await fixtureAbis()).vault, functionName: "accrueFunding", args: [d.tokens.WETH.address, 30n] });
    await indexer.waitForBlock(await head(), 60_000);

    const later = await page({ d: 0.1, first: 1000 });
    expect(later.items).not.toEqual(live.items);
    const past = await page({ d: 0.1, first: 1000, atBlock: block.toString(), chainId: d.chainId });
    expect(past.items).toEqual(live.items);

    const { timestamp } = await rpc().getBlock({ blockNumber: block });
    const q = `query ($b: BigInt, $t: BigInt) { b: atRisk(maxDistance: 0.1, atBlock: $b, first: 1000) { blocks { number } items { id liquidationDistance } }
      t: atRisk(maxDistance: 0.1, atTimestamp: $t, first: 1000) { blocks { number } items { id liquidationDistance } } }`;
    const r = await indexer.query(q, { b: block.toString(), t: timestamp.toString() });
    expect(r.errors).toBeUndefined();
    expect(r.data.t).toEqual(r.data.b);
  }, 120_000);

  it("pages, filters and orders a portfolio's positions as the whole list filtered and sorted here", async () => {
    const full = await indexer.query(`query ($w: [String!]) { portfolio(wallets: $w) { positions { id side notionalUsd liquidationDistance } } }`, { w: wallets });
    expect(full.errors).toBeUndefined();
    const all: { id: string; side: string; notionalUsd: string; liquidationDistance: number | null }[] = full.data.portfolio.positions;
    const floor = parseUnits("1000", 30);
    const expected = all
      .filter((p) => p.side === "SHORT" && parseUnits(p.notionalUsd, 30) >= floor)
      .sort((a, b) =>
        a.liquidationDistance === b.liquidationDistance
          ? (a.id < b.id ? -1 : 1)
          : a.liquidationDistance === null ? 1 : b.liquidationDistance === null ? -1 : a.liquidationDistance - b.liquidationDistance,
      )
      .map((p) => p.id);
    expect(expected.length).toBeGreaterThan(2);
    const q = `query ($w: [String!], $after: String) {
      portfolio(wallets: $w) {
        positionPage(where: { side: SHORT, notionalUsd_gte: "1000" }, orderBy: liquidationDistance, orderDirection: asc, first: 2, after: $after) {
          items { id } totalCount pageInfo { hasNextPage endCursor }
        }
      }
    }`;
    const paged: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const r: any = await indexer.query(q, { w: wallets, after });
      expect(r.errors).toBeUndefined();
      const p: any = r.data.portfolio.positionPage;
      expect(p.totalCount).toBe(expected.length);
      paged.push(...p.items.map((x: { id: string }) => x.id));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(paged).toEqual(expected);
    const w = await indexer.query(`query ($a: String!) { wallet(address: $a) { positions(where: { protocol_in: ["aave-v3"] }) { id } all: positions { id } } }`, { a: wallets[0] });
    expect(w.data.wallet.positions).toEqual([]);
    expect(w.data.wallet.all.length).toBeGreaterThan(0);
  });

  it("refuses bad arguments with a clear error", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ d: -0.1 }, /maxDistance must be/],
      [{ d: 0.1, after: "junk" }, /not a cursor/],
      [{ d: 0.1, first: 0 }, /first must be/],
      [{ d: 0.1, protocol: "gmx-v9" }, /unknown protocol 'gmx-v9'/],
      [{ d: 0.1, asset: "DOGE" }, /unknown asset 'DOGE'/],
    ];
    for (const [vars, message] of cases) {
      const r = await indexer.query(PAGE, vars);
      expect(r.errors?.[0]?.message).toMatch(message);
    }
    const both = await indexer.query(`{ atRisk(maxDistance: 0.1, atBlock: 1, atTimestamp: 1) { items { id } } }`);
    expect(both.errors?.[0]?.message).toMatch(/not both/);
  });
});
