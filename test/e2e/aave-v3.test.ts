import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatUnits, pad, parseUnits, toHex, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AaveV3PoolAbi } from "../../abis/AaveV3Pool";
import { GmxV1VaultAbi } from "../../abis/GmxV1Vault";
import { deployAaveFixture, fixtureAaveAbis, type AaveDeployment } from "../chain/aave-deploy";
import { simulateAave } from "../chain/aave-simulate";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients, send } from "../chain/clients";
import { deployFixtures, fixtureAbis, type Deployment, type TokenSymbol } from "../chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import { simulate, type SimulationSummary } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { dropSchema, startIndexer, type Indexer } from "../support/indexer";

const WAD_DIGITS = 18;
const ORACLE_UNIT = 10n ** 22n; // Aave base currency (USD, 1e8) in our 1e30 prices
const usd = (s: string) => parseUnits(s, 30);
const FEED_ANSWER_SLOT = 0n; // FeedBase.answer_: the first storage slot of the mock aggregators

const QUERY = `query ($address: String!, $atBlock: BigInt) {
  wallet(address: $address, atBlock: $atBlock) {
    blocks { number timestamp }
    accounts { protocol venue healthFactor collateralUsd debtUsd liquidationThreshold collateralDropToLiquidation liquidatableNow }
    positions { protocol side sizeInTokens notionalUsd equityUsd liquidationPrice liquidationDistance market { address symbol } collateral { usd } }
    totals { equityUsd netNotional { asset longUsd shortUsd netUsd } complete warnings }
  }
}`;

describe.each(DATABASES)("Aave v3 end to end on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let a: AaveDeployment;
  let gmx: SimulationSummary;
  let wallets: Address[];
  let indexer: Indexer;
  const rpc = () => chainClients(d.rpcUrl).publicClient;
  const symbolOf = (asset: string) =>
    (Object.entries(d.tokens) as [TokenSymbol, { address: Address }][]).find(([, t]) => t.address.toLowerCase() === asset.toLowerCase())![0];

  const wallet = async (address: string, atBlock?: bigint) => {
    const r = await indexer.query(QUERY, { address, atBlock: atBlock?.toString() });
    expect(r.errors).toBeUndefined();
    return r.data.wallet;
  };
  /** Pool.getUserAccountData at a block, optionally with one feed's answer overridden (same block, same timestamp). */
  const accountData = async (user: Address, blockNumber: bigint, override?: { feed: Address; answer: bigint }) =>
    rpc().readContract({
      address: a.pool,
      abi: AaveV3PoolAbi,
      functionName: "getUserAccountData",
      args: [user],
      blockNumber,
      stateOverride: override ? [{ address: override.feed, stateDiff: [{ slot: pad(toHex(FEED_ANSWER_SLOT)), value: pad(toHex(override.answer)) }] }] : undefined,
    });
  const advance = async (seconds: number) => {
    await rpc().request({ method: "evm_increaseTime" as any, params: [seconds] as any });
    await rpc().request({ method: "evm_mine" as any, params: [] as any });
    return rpc().getBlockNumber({ cacheTime: 0 });
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    a = await deployAaveFixture(d);
    gmx = await simulate(d, { wallets: 4, steps: 30, seed: 21 });
    ({ wallets } = await simulateAave(d, a, { wallets: 5, steps: 40, seed: 9 }));
    const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    // Feeds stay quiet while the test moves time by days: a heartbeat longer than that.
    writeExposureConfig(
      configPath,
      fixtureExposureConfig(d, {
        heartbeatSeconds: 30 * 86_400,
        aave: { pool: a.pool, startBlock: a.startBlock },
        portfolios: { treasury: [...gmx.wallets, ...wallets] },
      }),
    );
    indexer = await startIndexer({ configPath, database });
    await indexer.waitForBlock(await rpc().getBlockNumber({ cacheTime: 0 }), 120_000);
  }, 300_000);

  afterAll(async () => {
    await indexer?.stop();
    await dropSchema(database, indexer?.schema);
    await anvil?.stop();
  });

  it("matches the Pool's getUserAccountData to the last unit at several blocks as interest accrues", async () => {
    const blocks = [await rpc().getBlockNumber({ cacheTime: 0 })];
    for (const hours of [6, 30, 24 * 9]) blocks.push(await advance(hours * 3600));
    await indexer.waitForBlock(blocks.at(-1)!);
    let withDebt = 0;
    for (const user of wallets) {
      for (const block of blocks) {
        const w = await wallet(user, block);
        const onChain = await accountData(user, block);
        const account = w.accounts.find((x: any) => x.protocol === "aave-v3");
        if (onChain[1] === 0n) {
          expect(account?.healthFactor ?? null).toBeNull();
          continue;
        }
        withDebt++;
        expect(parseUnits(account.healthFactor, WAD_DIGITS)).toBe(onChain[5]);
        expect(usd(account.collateralUsd)).toBe(onChain[0] * ORACLE_UNIT);
        expect(usd(account.debtUsd)).toBe(onChain[1] * ORACLE_UNIT);
        expect(Math.round(account.liquidationThreshold * 10_000)).toBe(Number(onChain[3]));
        expect(account.liquidatableNow).toBe(onChain[5] < 10n ** 18n);
      }
    }
    expect(withDebt).toBeGreaterThan(3);
  });

  it("gives per-asset liquidation prices at which the Pool's health factor crosses 1 exactly", async () => {
    const head = await rpc().getBlockNumber({ cacheTime: 0 });
    await indexer.waitForBlock(head);
    let checked = 0;
    for (const user of wallets) {
      const w = await wallet(user, head);
      for (const p of w.positions.filter((x: any) => x.protocol === "aave-v3" && x.liquidationPrice !== null)) {
        const feed = d.tokens[symbolOf(p.market.address)].feed;
        const answer = usd(p.liquidationPrice) / ORACLE_UNIT;
        expect(answer * ORACLE_UNIT).toBe(usd(p.liquidationPrice));
        const safeSide = p.side === "LONG" ? answer + 1n : answer - 1n;
        expect((await accountData(user, head, { feed, answer }))[5]).toBeLessThan(10n ** 18n);
        expect((await accountData(user, head, { feed, answer: safeSide }))[5]).toBeGreaterThanOrEqual(10n ** 18n);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("lists in atRisk exactly the Aave positions whose own adverse move of the bound takes the Pool's health factor below 1", async () => {
    const head = await rpc().getBlockNumber({ cacheTime: 0 });
    await indexer.waitForBlock(head);
    const held: { user: Address; p: any }[] = [];
    for (const user of wallets) for (const p of (await wallet(user, head)).positions.filter((x: any) => x.protocol === "aave-v3")) held.push({ user, p });
    // A bound in tenths that splits the positions: the median known distance, rounded up (below 100%).
    const distances = held.map((h) => h.p.liquidationDistance).filter((x) => x !== null && x > 0).sort((x, y) => x - y);
    const tenths = BigInt(Math.min(9, Math.ceil(distances[Math.floor(distances.length / 2)] * 10)));
    const r = await indexer.query(
      `query ($d: Float!) { atRisk(maxDistance: $d, protocol: "aave-v3", first: 1000) { items { account side market { address } } pageInfo { hasNextPage } } }`,
      { d: Number(tenths) / 10 },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.atRisk.pageInfo.hasNextPage).toBe(false);
    const listed = r.data.atRisk.items.map((i: any) => `${i.account.toLowerCase()}:${i.market.address.toLowerCase()}:${i.side}`).sort();

    // Independent: the Pool itself, with the position's feed moved by the bound against it (deposit down, debt up).
    const expected: string[] = [];
    let ambiguous = 0;
    for (const { user, p } of held) {
      const feed = d.tokens[symbolOf(p.market.address)].feed;
      const mark = await rpc().readContract({
        address: feed,
        abi: [{ type: "function", name: "latestAnswer", stateMutability: "view", inputs: [], outputs: [{ type: "int256" }] }] as const,
        functionName: "latestAnswer",
        blockNumber: head,
      });
      // mark x (1 -/+ bound) rounded both ways to feed units: agreeing answers decide, a split lies inside one unit.
      const exact = mark * (p.side === "LONG" ? 10n - tenths : 10n + tenths);
      const [near, far] = p.side === "LONG" ? [(exact + 9n) / 10n, exact / 10n] : [exact / 10n, (exact + 9n) / 10n];
      const breaks = async (answer: bigint) => (await accountData(user, head, { feed, answer }))[5] < 10n ** 18n;
      const [atNear, atFar] = [await breaks(near), await breaks(far)];
      const key = `${user.toLowerCase()}:${p.market.address.toLowerCase()}:${p.side}`;
      if (atNear === atFar) {
        if (atNear) expected.push(key);
      } else {
        ambiguous++;
        if (listed.includes(key)) expected.push(key);
      }
    }
    expect(ambiguous).toBeLessThanOrEqual(1);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(held.length);
    expect(listed).toEqual(expected.sort());
  });

  it("stresses an account as a whole: liquidatable at the exact liquidation price, not one unit away", async () => {
    const head = await rpc().getBlockNumber({ cacheTime: 0 });
    let checked = 0;
    for (const user of wallets) {
      const w = await wallet(user, head);
      for (const p of w.positions.filter((x: any) => x.protocol === "aave-v3" && x.liquidationPrice !== null)) {
        const safe = formatUnits(usd(p.liquidationPrice) + (p.side === "LONG" ? ORACLE_UNIT : -ORACLE_UNIT), 30);
        const r = await indexer.query(
          `query ($w: [String!], $s: [ShockSeries!]!, $b: BigInt) { stress(wallets: $w, shocks: $s, atBlock: $b) {
            points { liquidatable { protocol } accounts { healthFactor liquidatableNow } } } }`,
          { w: [user], s: [{ asset: p.market.symbol, prices: [p.liquidationPrice, safe] }], b: head.toString() },
        );
        expect(r.errors).toBeUndefined();
        const [at, beside] = r.data.stress.points;
        const aave = (pt: any) => pt.accounts.find((a: any) => a.healthFactor !== null);
        expect(aave(at).liquidatableNow).toBe(true);
        expect(at.liquidatable.filter((x: any) => x.protocol === "aave-v3").length).toBe(w.positions.filter((x: any) => x.protocol === "aave-v3").length);
        expect(aave(beside).liquidatableNow).toBe(false);
        expect(beside.liquidatable.filter((x: any) => x.protocol === "aave-v3")).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("values deposits and debts exactly as the Pool accrues them", async () => {
    const head = await rpc().getBlockNumber({ cacheTime: 0 });
    const abi = (await fixtureAaveAbis()).pool;
    for (const user of wallets) {
      const w = await wallet(user, head);
      for (const p of w.positions.filter((x: any) => x.protocol === "aave-v3")) {
        const symbol = symbolOf(p.market.address);
        const amount = (await rpc().readContract({
          address: a.pool,
          abi,
          functionName: p.side === "LONG" ? "balanceOf" : "debtOf",
          args: [d.tokens[symbol].address, user],
          blockNumber: head,
        })) as bigint;
        expect(parseUnits(p.sizeInTokens, d.tokens[symbol].decimals)).toBe(amount);
      }
    }
  });

  it("answers a portfolio with totals equal to the sum of its wallets' and consistent breakdowns", async () => {
    const block = await rpc().getBlockNumber({ cacheTime: 0 });
    await indexer.waitForBlock(block);
    const members = [...new Set([...gmx.wallets, ...wallets])];
    const totalsFields = "grossNotionalUsd totalCollateralUsd equityUsd complete positionCount netNotional { asset netUsd }";
    const r = await indexer.query(
      `query ($atBlock: BigInt) { portfolio(name: "treasury", atBlock: $atBlock) {
        name wallets totals { ${totalsFields} }
        byProtocol { key positionCount totals { grossNotionalUsd equityUsd } }
        byAsset { key totals { netNotional { asset netUsd } } }
        byWallet { key totals { equityUsd } }
        concentration { largestPosition { positionId notionalUsd share } largestAsset { asset grossUsd share } }
      } }`,
      { atBlock: block.toString() },
    );
    expect(r.errors).toBeUndefined();
    const p = r.data.portfolio;
    expect(p.wallets).toEqual(members);

    let gross = 0n, collateral = 0n, equity = 0n, count = 0;
    const net = new Map<string, bigint>();
    const protocolGross = new Map<string, bigint>();
    const assetGross = new Map<string, bigint>();
    let largest = { id: "", notional: -1n };
    for (const member of members) {
      const w = (await indexer.query(`query ($a: String!, $b: BigInt) { wallet(address: $a, atBlock: $b) {
        totals { ${totalsFields} } positions { id protocol notionalUsd market { symbol } } } }`, { a: member, b: block.toString() })).data.wallet;
      expect(w.totals.complete).toBe(true);
      gross += usd(w.totals.grossNotionalUsd);
      collateral += usd(w.totals.totalCollateralUsd);
      equity += usd(w.totals.equityUsd);
      count += w.totals.positionCount;
      for (const n of w.totals.netNotional) net.set(n.asset, (net.get(n.asset) ?? 0n) + usd(n.netUsd));
      for (const pos of w.positions) {
        const size = usd(pos.notionalUsd) < 0n ? -usd(pos.notionalUsd) : usd(pos.notionalUsd);
        protocolGross.set(pos.protocol, (protocolGross.get(pos.protocol) ?? 0n) + size);
        assetGross.set(pos.market.symbol, (assetGross.get(pos.market.symbol) ?? 0n) + size);
        if (size > largest.notional) largest = { id: pos.id, notional: size };
      }
      expect(p.byWallet.find((b: any) => b.key === member).totals.equityUsd).toBe(w.totals.equityUsd);
    }
    expect(usd(p.totals.grossNotionalUsd)).toBe(gross);
    expect(usd(p.totals.totalCollateralUsd)).toBe(collateral);
    expect(usd(p.totals.equityUsd)).toBe(equity);
    expect(p.totals.positionCount).toBe(count);
    expect(Object.fromEntries(p.totals.netNotional.map((n: any) => [n.asset, usd(n.netUsd)]))).toEqual(Object.fromEntries(net));
    expect(Object.fromEntries(p.byProtocol.map((b: any) => [b.key, usd(b.totals.grossNotionalUsd)]))).toEqual(Object.fromEntries(protocolGross));
    expect(p.byProtocol.map((b: any) => b.key)).toEqual(["aave-v3", "gmx-v1"]);
    expect(p.concentration.largestPosition.positionId).toBe(largest.id);
    expect(usd(p.concentration.largestPosition.notionalUsd)).toBe(largest.notional);
    const [topAsset, topGross] = [...assetGross.entries()].sort((x, y) => (y[1] > x[1] ? 1 : y[1] < x[1] ? -1 : 0))[0]!;
    expect(p.concentration.largestAsset.asset).toBe(topAsset);
    expect(p.concentration.largestAsset.share).toBeCloseTo(Number((topGross * 10n ** 12n) / gross) / 1e12, 12);

    // The same wallets listed explicitly give the same answer.
    const listed = await indexer.query(`query ($w: [String!], $b: BigInt) { portfolio(wallets: $w, atBlock: $b) { name totals { equityUsd grossNotionalUsd } } }`, {
      w: members,
      b: block.toString(),
    });
    expect(listed.data.portfolio).toEqual({ name: null, totals: { equityUsd: p.totals.equityUsd, grossNotionalUsd: p.totals.grossNotionalUsd } });
  });

  it("rejects unknown portfolios and ambiguous selectors", async () => {
    expect((await indexer.query(`{ portfolio(name: "nope") { name } }`)).errors?.[0]?.message).toBe("unknown portfolio 'nope' (configured: treasury)");
    expect((await indexer.query(`{ portfolio(name: "treasury", wallets: []) { name } }`)).errors?.[0]?.message).toBe(
      "portfolio takes either name or wallets, not both or neither",
    );
    expect((await indexer.query(`{ portfolio(wallets: ["0x1"]) { name } }`)).errors?.[0]?.message).toBe(
      "invalid address '0x1': expected 0x followed by 40 hex digits",
    );
    expect((await indexer.query(`{ portfolios { name wallets } }`)).data.portfolios[0].name).toBe("treasury");
  });

  it("nets an Aave debt against a GMX perp of the same asset in net notional", async () => {
    const long = gmx.openPositions.find((p) => p.isLong && p.indexSymbol === "WETH");
    expect(long).toBeDefined();
    const account = anvilAccount(1 + gmx.wallets.findIndex((w) => w === long!.account));
    expect(account.address).toBe(long!.account);
    // That trader posts USDC on Aave and borrows 1 WETH.
    const abis = await fixtureAbis();
    const poolAbi = (await fixtureAaveAbis()).pool;
    const usdc = d.tokens.USDC.address;
    await send(d.rpcUrl, anvilAccount(0), { address: usdc, abi: abis.token, functionName: "mint", args: [account.address, 50_000n * 10n ** 6n] });
    await send(d.rpcUrl, account, { address: usdc, abi: abis.token, functionName: "approve", args: [a.pool, 2n ** 255n] });
    await send(d.rpcUrl, account, { address: a.pool, abi: poolAbi, functionName: "supply", args: [usdc, 50_000n * 10n ** 6n, account.address, 0] });
    const borrowed = await send(d.rpcUrl, account, {
      address: a.pool,
      abi: poolAbi,
      functionName: "borrow",
      args: [d.tokens.WETH.address, 10n ** 18n, 2n, 0, account.address],
    });
    await indexer.waitForBlock(borrowed.blockNumber);

    const block = borrowed.blockNumber;
    const w = await wallet(account.address, block);
    const mark = (await rpc().readContract({
      address: d.tokens.WETH.feed,
      abi: [{ type: "function", name: "latestAnswer", stateMutability: "view", inputs: [], outputs: [{ type: "int256" }] }] as const,
      functionName: "latestAnswer",
      blockNumber: block,
    })) * ORACLE_UNIT;
    let perpLong = 0n;
    for (const p of gmx.openPositions.filter((x) => x.account === account.address && x.indexSymbol === "WETH")) {
      const [size, , averagePrice] = await rpc().readContract({
        address: d.vault,
        abi: GmxV1VaultAbi,
        functionName: "getPosition",
        args: [p.account, p.collateralToken, p.indexToken, p.isLong],
        blockNumber: block,
      });
      if (size > 0n) perpLong += (p.isLong ? 1n : -1n) * ((size * mark) / averagePrice);
    }
    const debt = (await rpc().readContract({ address: a.pool, abi: poolAbi, functionName: "debtOf", args: [d.tokens.WETH.address, account.address], blockNumber: block })) as bigint;
    const debtUsd = (debt * mark) / 10n ** 18n;
    const eth = w.totals.netNotional.find((n: any) => n.asset === "ETH");
    expect(usd(eth.netUsd)).toBe(perpLong - debtUsd);
    expect(w.positions.some((p: any) => p.protocol === "gmx-v1")).toBe(true);
    expect(w.positions.some((p: any) => p.protocol === "aave-v3" && p.side === "SHORT")).toBe(true);
  });
});
