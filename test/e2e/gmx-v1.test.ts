import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatUnits, parseUnits, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GmxV1VaultAbi } from "../../abis/GmxV1Vault";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { chainClients } from "../chain/clients";
import { deployFixtures, setPrice, type Deployment, type TokenSymbol } from "../chain/deploy";
import { ASSET_SYMBOL, fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import { simulate, type SimulationSummary } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { dropSchema, startIndexer, type Indexer } from "../support/indexer";

const ORACLE_UNIT = 10n ** 22n; // 8-decimal feed answers in the Vault's 1e30 prices
const usd = (s: string) => parseUnits(s, 30);

const WALLET_QUERY = `query ($address: String!, $atBlock: BigInt) {
  wallet(address: $address, atBlock: $atBlock) {
    address
    blocks { number timestamp }
    positions {
      id positionKey account side status sizeUsd sizeInTokens notionalUsd entryPrice leverage unrealizedPnlUsd
      pendingFeesUsd liquidationPrice liquidationDistance liquidatableNow warnings
      market { address symbol } collateral { token { address } usd amount } markPrice { usd stale updatedAt }
    }
    totals { grossNotionalUsd totalCollateralUsd unrealizedPnlUsd pendingFeesUsd equityUsd leverage
             nearestLiquidationDistance complete positionCount warnings netNotional { asset longUsd shortUsd netUsd } }
  }
}`;

type OnChain = { key: Hex; account: Address; collateralToken: Address; indexToken: Address; isLong: boolean };

describe.each(DATABASES)("GMX v1 end to end on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let summary: SimulationSummary;
  let indexer: Indexer;
  const client = () => chainClients(d.rpcUrl).publicClient;
  const symbolOf = (token: Address) =>
    (Object.entries(d.tokens) as [TokenSymbol, { address: Address }][]).find(([, t]) => t.address.toLowerCase() === token.toLowerCase())![0];

  const wallet = async (address: string, atBlock?: bigint) => {
    const r = await indexer.query(WALLET_QUERY, { address, atBlock: atBlock?.toString() });
    expect(r.errors).toBeUndefined();
    return r.data.wallet;
  };

  /** Every position the Vault ever opened, from its logs: the independent source of truth. */
  const allPositions = async (): Promise<OnChain[]> => {
    const logs = await client().getContractEvents({ address: d.vault, abi: GmxV1VaultAbi, eventName: "IncreasePosition", fromBlock: 0n });
    const byKey = new Map<Hex, OnChain>();
    for (const l of logs) byKey.set(l.args.key!, { key: l.args.key!, ...(l.args as any) });
    return [...byKey.values()];
  };
  const vaultPosition = async (p: OnChain, blockNumber?: bigint) => {
    const [size, collateral, averagePrice, entryFundingRate] = await client().readContract({
      address: d.vault,
      abi: GmxV1VaultAbi,
      functionName: "getPosition",
      args: [p.account, p.collateralToken, p.indexToken, p.isLong],
      blockNumber,
    });
    return { size, collateral, averagePrice, entryFundingRate };
  };
  const oracleAnswer = async (symbol: TokenSymbol, blockNumber?: bigint) =>
    client().readContract({
      address: d.tokens[symbol].feed,
      abi: [{ type: "function", name: "latestAnswer", stateMutability: "view", inputs: [], outputs: [{ type: "int256" }] }] as const,
      functionName: "latestAnswer",
      blockNumber,
    });
  const validateLiquidation = async (p: OnChain) =>
    (await client().readContract({
      address: d.vault,
      abi: GmxV1VaultAbi,
      functionName: "validateLiquidation",
      args: [p.account, p.collateralToken, p.indexToken, p.isLong, false],
    })) as readonly [bigint, bigint];

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    summary = await simulate(d, { wallets: 6, steps: 60, seed: 3 });
    const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    writeExposureConfig(configPath, fixtureExposureConfig(d));
    indexer = await startIndexer({ configPath, database });
    await indexer.waitForBlock(await client().getBlockNumber({ cacheTime: 0 }), 120_000);
  }, 240_000);

  afterAll(async () => {
    await indexer?.stop();
    await dropSchema(database, indexer?.schema);
    await anvil?.stop();
  });

  it("holds exactly the positions the Vault holds, with its size, collateral and entry price", async () => {
    const positions = await allPositions();
    expect(summary.openPositions.length).toBeGreaterThan(0);
    expect(summary.counts.liquidationState1 + summary.counts.liquidationState2).toBeGreaterThan(0);
    for (const account of summary.wallets) {
      const w = await wallet(account);
      const expected = [];
      for (const p of positions.filter((x) => x.account === account)) {
        const v = await vaultPosition(p);
        if (v.size > 0n) expected.push({ key: p.key, ...v });
      }
      expect(w.positions.map((p: any) => p.positionKey).sort()).toEqual(expected.map((e) => e.key.toLowerCase()).sort());
      for (const e of expected) {
        const got = w.positions.find((p: any) => p.positionKey === e.key.toLowerCase());
        expect(usd(got.sizeUsd)).toBe(e.size);
        expect(usd(got.collateral.usd)).toBe(e.collateral);
        expect(usd(got.entryPrice)).toBe(e.averagePrice);
        expect(got.status).toBe("open");
      }
    }
  });

  it("computes notional, PnL, fees and wallet totals that match an independent computation", async () => {
    const positions = await allPositions();
    for (const account of summary.wallets) {
      const w = await wallet(account);
      let gross = 0n;
      let equity = 0n;
      const net = new Map<string, bigint>();
      for (const p of positions.filter((x) => x.account === account)) {
        const v = await vaultPosition(p);
        if (v.size === 0n) continue;
        const mark = (await oracleAnswer(symbolOf(p.indexToken))) * ORACLE_UNIT;
        const notional = (v.size * mark) / v.averagePrice;
        const move = (v.size * (mark > v.averagePrice ? mark - v.averagePrice : v.averagePrice - mark)) / v.averagePrice;
        const pnl = (mark > v.averagePrice) === p.isLong ? move : -move;
        const [, fees] = await validateLiquidation(p); // marginFees when the position is safe
        const got = w.positions.find((x: any) => x.positionKey === p.key.toLowerCase());
        expect(usd(got.notionalUsd)).toBe(notional);
        expect(usd(got.unrealizedPnlUsd)).toBe(mark === v.averagePrice ? 0n : pnl);
        expect(usd(got.pendingFeesUsd)).toBe(fees);
        expect(usd(got.markPrice.usd)).toBe(mark);
        expect(got.leverage).toBeCloseTo(Number(v.size) / Number(v.collateral), 9);
        gross += notional;
        equity += v.collateral + (mark === v.averagePrice ? 0n : pnl) - fees;
        const asset = ASSET_SYMBOL[symbolOf(p.indexToken)];
        net.set(asset, (net.get(asset) ?? 0n) + (p.isLong ? notional : -notional));
      }
      expect(usd(w.totals.grossNotionalUsd)).toBe(gross);
      expect(usd(w.totals.equityUsd)).toBe(equity);
      expect(w.totals.complete).toBe(true);
      expect(w.totals.positionCount).toBe(w.positions.length);
      expect(Object.fromEntries(w.totals.netNotional.map((n: any) => [n.asset, usd(n.netUsd)]))).toEqual(Object.fromEntries(net));
      if (equity > 0n && gross > 0n) expect(w.totals.leverage).toBeCloseTo(Number((gross * 10n ** 12n) / equity) / 1e12, 9);
      const distances = w.positions.map((p: any) => p.liquidationDistance).filter((x: number | null) => x !== null);
      expect(w.totals.nearestLiquidationDistance).toBe(distances.length ? Math.min(...distances) : null);
    }
  });

  it("answers atBlock from the state of that block", async () => {
    const positions = await allPositions();
    const middle = BigInt(Math.floor((summary.fromBlock + summary.toBlock) / 2));
    for (const account of summary.wallets) {
      const w = await wallet(account, middle);
      expect(w.blocks[0].number).toBe(middle.toString());
      const open = [];
      for (const p of positions.filter((x) => x.account === account)) {
        const v = await vaultPosition(p, middle);
        if (v.size > 0n) open.push({ key: p.key.toLowerCase(), ...v });
      }
      expect(w.positions.map((p: any) => p.positionKey).sort()).toEqual(open.map((o) => o.key).sort());
      for (const o of open) {
        const got = w.positions.find((p: any) => p.positionKey === o.key);
        expect(usd(got.sizeUsd)).toBe(o.size);
        expect(usd(got.collateral.usd)).toBe(o.collateral);
        const mark = (await oracleAnswer(symbolOf(got.market.address), middle)) * ORACLE_UNIT;
        expect(usd(got.markPrice.usd)).toBe(mark);
      }
    }
  });

  it("gives liquidation prices at which the Vault's own check flips within one oracle unit", async () => {
    const positions = await allPositions();
    let checked = 0;
    for (const account of summary.wallets) {
      const w = await wallet(account);
      for (const got of w.positions) {
        if (got.liquidationPrice === null) continue;
        const p = positions.find((x) => x.key.toLowerCase() === got.positionKey)!;
        const symbol = symbolOf(p.indexToken);
        const before = await oracleAnswer(symbol);
        const liq = usd(got.liquidationPrice);
        // Oracle answers are whole 1e22 units: the last answer on the liquidatable side, and one past it.
        const liquidatable = p.isLong ? liq / ORACLE_UNIT : (liq + ORACLE_UNIT - 1n) / ORACLE_UNIT;
        const safe = p.isLong ? liquidatable + 1n : liquidatable - 1n;
        await setPrice(d, symbol, liquidatable);
        expect((await validateLiquidation(p))[0]).not.toBe(0n);
        await setPrice(d, symbol, safe);
        expect((await validateLiquidation(p))[0]).toBe(0n);
        await setPrice(d, symbol, before);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("indexes Chainlink AnswerUpdated and OCR NewTransmission answers at 1e30, served raw on ponder's /graphql", async () => {
    // The OCR mock answers only through transmit(); the scenario never moves LINK.
    const receipt = await setPrice(d, "LINK", 16_25000000n);
    await indexer.waitForBlock(receipt.blockNumber);
    for (const symbol of ["WETH", "LINK"] as const) {
      const asset = d.tokens[symbol].address.toLowerCase();
      const res = await fetch(`${indexer.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `{ priceUpdates(where: { asset: "${asset}" }, orderBy: "blockNumber", orderDirection: "desc", limit: 1) { items { answer price } } }`,
        }),
      });
      const [latest] = (await res.json()).data.priceUpdates.items;
      const answer = await oracleAnswer(symbol);
      expect(BigInt(latest.answer)).toBe(answer);
      expect(BigInt(latest.price)).toBe(answer * ORACLE_UNIT);
    }
    expect(d.tokens.LINK.feedKind).toBe("ocr");
  });

  it("stresses prices with the Vault's own rule: liquidated exactly at the liquidation price, not one unit away", async () => {
    let checked = 0;
    for (const account of summary.wallets) {
      const w = await wallet(account);
      for (const got of w.positions.filter((p: any) => p.liquidationPrice !== null)) {
        const liq = got.liquidationPrice as string;
        const safe = formatUnits(usd(liq) + (got.side === "LONG" ? 1n : -1n), 30);
        const r = await indexer.query(
          `query ($w: [String!], $s: [ShockSeries!]!) { stress(wallets: $w, shocks: $s) {
            points { shocks { priceUsd } liquidatable { id } } } }`,
          { w: [account], s: [{ asset: got.market.symbol, prices: [liq, safe] }] },
        );
        expect(r.errors).toBeUndefined();
        const [at, beside] = r.data.stress.points;
        expect(at.shocks[0].priceUsd).toBe(liq);
        expect(at.liquidatable.map((x: any) => x.id)).toContain(got.id);
        expect(beside.liquidatable.map((x: any) => x.id)).not.toContain(got.id);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("gives stress PnL equal to the price deltas of the affected positions", async () => {
    const positions = await allPositions();
    const account = summary.openPositions.find((p) => p.indexSymbol === "WETH")!.account;
    const r = await indexer.query(
      `query ($w: [String!]) { stress(wallets: $w, shocks: [{ asset: "ETH", moves: ["-0.1", "0.25"] }]) {
        base { totals { equityUsd } } points { pnlUsd totals { equityUsd } } } }`,
      { w: [account] },
    );
    expect(r.errors).toBeUndefined();
    const mark = (await oracleAnswer("WETH")) * ORACLE_UNIT;
    const delta = (v: { size: bigint; averagePrice: bigint }, isLong: boolean, price: bigint) => {
      const move = (v.size * (price > v.averagePrice ? price - v.averagePrice : v.averagePrice - price)) / v.averagePrice;
      return (price > v.averagePrice) === isLong ? move : -move;
    };
    // -10% and +25% of the mark, as the moves "-0.1" and "0.25" scale it.
    for (const [i, shocked] of [(mark * 9n) / 10n, (mark * 125n) / 100n].entries()) {
      let expected = 0n;
      for (const p of positions.filter((x) => x.account === account && symbolOf(x.indexToken) === "WETH")) {
        const v = await vaultPosition(p);
        if (v.size > 0n) expected += delta(v, p.isLong, shocked) - delta(v, p.isLong, mark);
      }
      expect(usd(r.data.stress.points[i].pnlUsd)).toBe(expected);
    }
  });

  it("builds a liquidation ladder whose liquidatable notional only grows with the move", async () => {
    const r = await indexer.query(`query ($w: [String!]) { ladder(wallets: $w, asset: "ETH", steps: 60) { move liquidatableCount liquidatableNotionalUsd } }`, {
      w: summary.wallets,
    });
    expect(r.errors).toBeUndefined();
    const steps = r.data.ladder;
    expect(steps).toHaveLength(120);
    const down = steps.filter((s: any) => s.move < 0).reverse();
    for (let i = 1; i < down.length; i++) expect(down[i].liquidatableCount).toBeGreaterThanOrEqual(down[i - 1].liquidatableCount);
    expect(down.at(-1).liquidatableCount).toBeGreaterThan(0);
    const bad = await indexer.query(`{ ladder(wallets: ["${summary.wallets[0]}"], asset: "ETH", steps: 101) { move } }`);
    expect(bad.errors?.[0]?.message).toBe("steps must be a whole number from 1 to 100");
    const badMove = await indexer.query(`{ stress(wallets: ["${summary.wallets[0]}"], shocks: [{ asset: "ETH", moves: ["-1"] }]) { base { pnlUsd } } }`);
    expect(badMove.errors?.[0]?.message).toBe("move -1 would take the price to zero or below");
  });

  it("rejects malformed input and hostile queries with clear errors", async () => {
    const bad = await indexer.query(`{ wallet(address: "0x123") { address } }`);
    expect(bad.errors?.[0]?.message).toBe("invalid address '0x123': expected 0x followed by 40 hex digits");
    const future = await indexer.query(`{ wallet(address: "${summary.wallets[0]}", atBlock: "99999999") { address } }`);
    expect(future.errors?.[0]?.message).toMatch(new RegExp(`^block 99999999 is not indexed yet on chain ${d.chainId} \\(indexed up to \\d+\\)$`));
    const negative = await indexer.query(`{ wallet(address: "${summary.wallets[0]}", atBlock: -1) { address } }`);
    expect(negative.errors?.[0]?.message).toBe("atBlock must not be negative, got -1");
    const notInt = await indexer.query(`{ wallet(address: "${summary.wallets[0]}", atBlock: "1e9") { address } }`);
    expect(notInt.errors?.[0]?.message).toContain("BigInt expects an integer");
    const deep = await indexer.query(`{ wallet(address: "${summary.wallets[0]}") { positions { collateral { token { a: address } } market { symbol } } } }`);
    expect(deep.errors).toBeUndefined();
    const aliases = Array.from({ length: 11 }, (_, i) => `w${i}: chains { chainId }`).join(" ");
    const flood = await indexer.query(`{ ${aliases} }`);
    expect(flood.errors?.[0]?.message).toBe("an operation may select at most 10 root fields, got 11");
    const huge = await fetch(`${indexer.url}/exposure`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ chains { chainId } } # ${"x".repeat(70_000)}` }),
    });
    expect(huge.status).toBe(413);
    // Without a content-length (chunked), the body is measured as it arrives.
    const chunked = (text: string) =>
      fetch(`${indexer.url}/exposure`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(text)), c.close()) }),
        duplex: "half",
      } as RequestInit);
    expect((await chunked(JSON.stringify({ query: `{ chains { chainId } } # ${"x".repeat(70_000)}` }))).status).toBe(413);
    expect(await (await chunked(JSON.stringify({ query: "{ chains { chainId } }" }))).json()).toEqual({ data: { chains: [{ chainId: d.chainId }] } });
    const tooMuch = await indexer.query(`query ($w: [String!]) { stress(wallets: $w, shocks: [{ asset: "ETH", moves: [${Array(200).fill('"0.01"').join(",")}] }]) { base { pnlUsd } } }`, {
      w: Array.from({ length: 300 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`),
    });
    expect(tooMuch.errors?.[0]?.message).toBe("stress over 300 wallets x 201 points is 60300 wallet-points; at most 50000");
    const empty = await wallet("0x000000000000000000000000000000000000dEaD");
    expect(empty.positions).toEqual([]);
    expect(empty.totals).toMatchObject({ grossNotionalUsd: "0", equityUsd: "0", complete: true, positionCount: 0 });
  });

  // Last: it moves the chain's clock past every feed's heartbeat.
  it("flags stale prices and withholds the figures that would need them", async () => {
    const account = summary.openPositions[0]!.account;
    const rpc = chainClients(d.rpcUrl).publicClient;
    await rpc.request({ method: "evm_increaseTime" as any, params: [2 * 86_400] as any });
    await rpc.request({ method: "evm_mine" as any, params: [] as any });
    await indexer.waitForBlock(await rpc.getBlockNumber({ cacheTime: 0 }));
    const w = await wallet(account);
    expect(w.positions.length).toBeGreaterThan(0);
    for (const p of w.positions) {
      expect(p.markPrice.stale).toBe(true);
      expect(p.notionalUsd).toBeNull();
      expect(p.unrealizedPnlUsd).toBeNull();
      expect(p.warnings.join(" ")).toContain("price is stale");
      expect(p.liquidationPrice).not.toBeNull(); // it needs no mark
    }
    expect(w.totals.grossNotionalUsd).toBeNull();
    expect(w.totals.equityUsd).toBeNull();
    expect(w.totals.complete).toBe(false);
  });
});
