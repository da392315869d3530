import { createTestClient, formatUnits, http, parseUnits, type Abi, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GTradeDiamondAbi } from "../../abis/GTradeDiamond";
import { collateralToUsd, gTradePositionId, gTradePositionKey } from "../../src/protocols/gtrade/normalise";
import { positionSizeCollateral } from "../../src/protocols/gtrade/math";
import { toTrade } from "../../src/protocols/gtrade/structs";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients, deploy, fixtureChain, send } from "../chain/clients";
import { pickArtifacts } from "../chain/compile";
import { BTC, configureGTradePairs, ETH, openGTradeTrade, type GTradeOpen } from "../chain/gtrade-deploy";
import { deployFixtures, setPrice, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { DATABASES } from "../support/databases";
import { dumpTables, indexFixtureChain, stopAll, type Indexer } from "../support/indexer";

// FixtureGTrade (test/chain/contracts/FixtureGTrade.sol) driven through a scripted life on anvil, indexed,
// and asked through the API: open trades as the diamond stores them, liquidation prices where its own
// check flips, the liquidation in history, and the trades in wallet totals.

const E10 = 10n ** 10n;
const E18 = 10n ** 18n;
const USDC = 1; // collateral indices are 1-based: USDC (6 decimals), LINK (18 decimals)
const LINK = 2;
const PRICE_USD: Record<number, bigint> = { [USDC]: 100_000_000n, [LINK]: 1_500_000_000n }; // the fixture's feeds: $1, $15
const DAY = 86_400;
const MARKET_CLOSE = 1;
const owner = anvilAccount(0);
const alice = anvilAccount(1).address;
const bob = anvilAccount(2).address;
const carol = anvilAccount(3).address;
type Ref = { user: Address; index: number };

// Indexed from the diamond's deployment (its configuration arrives as events), and from the first trade
// (the configuration is read from its views when a trade needs it).
const RUNS = DATABASES.flatMap((database) => [
  [database, "deployment"],
  [database, "first trade"],
] as const);

describe.each(RUNS)("gTrade v10 (FixtureGTrade) end to end on %s, indexed from its %s", (database, from) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let gtrade: Address;
  let fixtureAbi: Abi;
  let indexer: Indexer;
  let head: bigint;
  let t3: Ref; // liquidated
  let t2: Ref; // closed
  let firstTradeBlock: bigint;
  const decimals = (collateralIndex: number) => (collateralIndex === USDC ? 6 : 18);

  const op = (functionName: string, args: readonly unknown[]) => send(d.rpcUrl, owner, { address: gtrade, abi: fixtureAbi, functionName, args });
  const rpc = () => chainClients(d.rpcUrl).publicClient;
  const view = <T>(abi: Abi, functionName: string, args: readonly unknown[]) => rpc().readContract({ address: gtrade, abi, functionName, args, blockNumber: head } as never) as Promise<T>;
  const passTime = async (seconds: number) => {
    const tester = createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl) });
    await tester.increaseTime({ seconds });
    await tester.mine({ blocks: 1 });
  };
  const openTrade = async (input: GTradeOpen): Promise<Ref> => {
    const { user, index, blockNumber } = await openGTradeTrade(op, input);
    firstTradeBlock ??= blockNumber;
    return { user, index };
  };
  const openTrades = async (user: Address) => (await view<Parameters<typeof toTrade>[0][]>(GTradeDiamondAbi, "getTrades", [user])).map(toTrade);
  const walletAt = async (user: Address) => {
    const fields = "positions { protocol positionKey side status sizeUsd sizeInTokens notionalUsd market { symbol } collateral { amount usd } liquidationPrice liquidatableNow pendingFeesUsd equityUsd warnings } totals { positionCount totalCollateralUsd grossNotionalUsd complete }";
    const r = await indexer.query(`query ($a: String!, $b: BigInt) { wallet(address: $a, atBlock: $b) { ${fields} } }`, { a: user, b: head.toString() });
    expect(r.errors).toBeUndefined();
    return r.data.wallet;
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    const artifacts = await pickArtifacts(["FixtureGTrade"]);
    fixtureAbi = artifacts.FixtureGTrade.abi;
    const deployed = await deploy(d.rpcUrl, owner, artifacts.FixtureGTrade, []);
    gtrade = deployed.address;

    // Collaterals with 6 and 18 decimals, fee and liquidation groups (v9.2 params; legacy 90%), pairs.
    await op("addCollateral", [d.tokens.USDC.address, PRICE_USD[USDC]]);
    await op("addCollateral", [d.tokens.LINK.address, PRICE_USD[LINK]]);
    await configureGTradePairs(op);

    // Borrowing v2 and constant funding rates per (collateral, pair): non-zero on every market.
    const price = { [BTC]: 60_000n * E10, [ETH]: 3_000n * E10 };
    for (const [c, p, rate] of [[USDC, BTC, 3_171], [LINK, BTC, 12_000], [USDC, ETH, 2_000], [LINK, ETH, 10_000]] as const) {
      await op("setBorrowingRate", [c, p, rate, price[p]]);
    }
    const funding = { skewCoefficientPerYear: 0n, absoluteVelocityPerYearCap: 1_000_000, absoluteRatePerSecondCap: 1_000_000, thetaThresholdUsd: 0, fundingFeesEnabled: true, aprMultiplierEnabled: true, __placeholder: 0n };
    for (const [c, p, rate] of [[USDC, BTC, 200_000_000_000n], [LINK, BTC, -150_000_000_000n], [USDC, ETH, 100_000_000_000n], [LINK, ETH, 300_000_000_000n]] as const) {
      await op("setFundingParams", [c, p, funding, price[p]]);
      await op("setFundingRate", [c, p, rate, price[p]]);
    }

    // Long and short trades on both collaterals; then increase, partial decrease, leverage and collateral
    // updates, realized fees and PnL, a close, and a liquidation after ETH moves up.
    const t1 = await openTrade({ user: alice, pairIndex: BTC, collateralIndex: USDC, long: true, collateralAmount: 1_000n * 10n ** 6n, leverage: 20_000, openPrice: 60_000n * E10 });
    t2 = await openTrade({ user: bob, pairIndex: BTC, collateralIndex: LINK, long: false, collateralAmount: 50n * E18, leverage: 40_000, openPrice: 60_010n * E10 });
    t3 = await openTrade({ user: alice, pairIndex: ETH, collateralIndex: LINK, long: false, collateralAmount: 200n * E18, leverage: 50_000, openPrice: 3_000n * E10 });
    const t4 = await openTrade({ user: carol, pairIndex: ETH, collateralIndex: USDC, long: true, collateralAmount: 100n * 10n ** 6n, leverage: 150_000, openPrice: 3_001n * E10 });
    await openTrade({ user: bob, pairIndex: ETH, collateralIndex: LINK, long: false, collateralAmount: 100n * E18, leverage: 5_000, openPrice: 2_999n * E10 });
    await openTrade({ user: carol, pairIndex: BTC, collateralIndex: USDC, long: false, collateralAmount: 3_000n * 10n ** 6n, leverage: 62_500, openPrice: 60_005n * E10 });
    await openTrade({ user: alice, pairIndex: ETH, collateralIndex: LINK, long: true, collateralAmount: 150n * E18, leverage: 3_000, openPrice: 3_000n * E10 });
    await passTime(3 * DAY);
    await op("increasePositionSize", [t1.user, t1.index, 1_500n * 10n ** 6n, 20_000, 60_333n * E10, 61_000n * E10]);
    await passTime(DAY);
    await op("decreasePositionSize", [t2.user, t2.index, 30n * E18, 40_000, 59_000n * E10]);
    await op("updateLeverage", [t3.user, t3.index, 400n * E18, 25_000, 3_020n * E10]);
    await op("updateTradeCollateral", [t4.user, t4.index, 90n * 10n ** 6n]);
    await op("realizeTradingFees", [t1.user, t1.index, 5n * 10n ** 6n]);
    await op("realizePnl", [t2.user, t2.index, 1n * E18]);
    await passTime(2 * DAY);
    await op("closeTrade", [t2.user, t2.index, 59_500n * E10, MARKET_CLOSE]);
    await setPrice(d, "WETH", 3_200n * 10n ** 8n);
    await op("liquidate", [t3.user, t3.index, 3_200n * E10]);
    await passTime(DAY);
    head = await rpc().getBlockNumber({ cacheTime: 0 });

    const config = fixtureExposureConfig(d, {
      heartbeatSeconds: 10 * 365 * DAY,
      gtrade: { diamond: gtrade, startBlock: Number(from === "deployment" ? deployed.blockNumber : firstTradeBlock), pairs: { [BTC]: d.tokens.WBTC.address, [ETH]: d.tokens.WETH.address } },
    });
    indexer = await indexFixtureChain(config, database, d.rpcUrl);
  }, 600_000);

  afterAll(() => stopAll(database, indexer, anvil));

  it("answers every open trade as the diamond stores it: side, size and collateral", async () => {
    let seen = 0;
    for (const user of [alice, bob, carol]) {
      const stored = await openTrades(user);
      const wallet = await walletAt(user);
      const api = wallet.positions.filter((p: any) => p.protocol === "gtrade");
      expect(api.map((p: any) => p.positionKey).sort()).toEqual(stored.map((t) => gTradePositionKey(t.user, t.index).toLowerCase()).sort());
      for (const t of stored) {
        const p = api.find((x: any) => x.positionKey === gTradePositionKey(t.user, t.index).toLowerCase());
        const assetDecimals = t.pairIndex === BTC ? d.tokens.WBTC.decimals : d.tokens.WETH.decimals;
        const collateral = { decimals: decimals(t.collateralIndex), priceUsd: PRICE_USD[t.collateralIndex]! };
        expect({ side: p.side, status: p.status, sizeInTokens: p.sizeInTokens, sizeUsd: p.sizeUsd, amount: p.collateral.amount, warnings: p.warnings }).toEqual({
          side: t.long ? "LONG" : "SHORT",
          status: "open",
          sizeInTokens: formatUnits((t.positionSizeToken * 10n ** BigInt(assetDecimals)) / E18, assetDecimals),
          sizeUsd: formatUnits(collateralToUsd(positionSizeCollateral(t), collateral), 30),
          amount: formatUnits(t.collateralAmount, collateral.decimals),
          warnings: [],
        });
        expect(p.pendingFeesUsd).not.toBeNull();
        seen++;
      }
    }
    expect(seen).toBe(5);
  });

  it("gives each open trade's liquidation price where the diamond's check flips: liquidatable at it, not one unit on the safe side", async () => {
    for (const user of [alice, bob, carol]) {
      const wallet = await walletAt(user);
      for (const t of await openTrades(user)) {
        const p = wallet.positions.find((x: any) => x.positionKey === gTradePositionKey(t.user, t.index).toLowerCase());
        const liq = parseUnits(p.liquidationPrice, 30) / 10n ** 20n; // the pair's 1e10 price, exact
        const check = (price: bigint) => view<boolean>(fixtureAbi, "isLiquidatable", [t.user, t.index, price]);
        const label = `${t.user} #${t.index} at ${liq}`;
        // Holding fees accrue at the price, so the boundary is where they and the price agree.
        const fees = await view<{ borrowingFeeCollateral: bigint; fundingFeeCollateral: bigint }>(GTradeDiamondAbi, "getTradePendingHoldingFeesCollateral", [t.user, t.index, liq]);
        expect(fees.borrowingFeeCollateral, label).toBeGreaterThan(0n);
        expect(fees.fundingFeeCollateral, label).not.toBe(0n);
        expect(await check(liq), label).toBe(true);
        expect(await check(t.long ? liq - 1n : liq + 1n), label).toBe(true);
        expect(await check(t.long ? liq + 1n : liq - 1n), label).toBe(false);
        expect(p.liquidatableNow).toBe(false);
      }
    }
  });

  it("counts the trades in wallet totals", async () => {
    for (const user of [alice, bob, carol]) {
      const wallet = await walletAt(user);
      const gtradeRows = wallet.positions.filter((p: any) => p.protocol === "gtrade");
      expect(wallet.totals.positionCount).toBe(wallet.positions.length);
      expect(gtradeRows.length).toBe((await openTrades(user)).length);
      const sum = wallet.positions.reduce((s: bigint, p: any) => s + parseUnits(p.collateral.usd, 30), 0n);
      expect(parseUnits(wallet.totals.totalCollateralUsd, 30)).toBe(sum);
      expect(wallet.totals.complete).toBe(true);
    }
  });

  it("takes part in netting, atRisk, the ladder and stress like any perp", async () => {
    const wallets = [alice, bob, carol];
    const positions = (await Promise.all(wallets.map(walletAt))).flatMap((w) => w.positions.filter((p: any) => p.protocol === "gtrade"));
    expect(positions.length).toBe(5);
    // Nearest first: every open trade is less than 100% from its liquidation price.
    const r = await indexer.query(`{ atRisk(maxDistance: 1, protocol: "gtrade", first: 100) { items { positionKey liquidationDistance } pageInfo { hasNextPage } } }`);
    expect(r.errors).toBeUndefined();
    const listed = r.data.atRisk.items;
    expect(listed.map((i: any) => i.positionKey).sort()).toEqual(positions.map((p: any) => p.positionKey).sort());
    expect(listed.map((i: any) => i.liquidationDistance)).toEqual([...listed.map((i: any) => i.liquidationDistance)].sort((a: number, b: number) => a - b));

    // Netting: each asset's long and short notional are the sums of the trades' own.
    const q = `query ($w: [String!]) { portfolio(wallets: $w) { totals { netNotional { asset longUsd shortUsd } } } stress(wallets: $w, shocks: [{ asset: "ETH", moves: ["-0.05", "0.05"] }]) { points { pnlUsd } }
      ladder(wallets: $w, asset: "ETH", steps: 99) { move liquidatableCount } }`;
    const all = await indexer.query(q, { w: wallets });
    expect(all.errors).toBeUndefined();
    const sumOf = (symbol: string, long: boolean) =>
      positions.filter((p: any) => p.market.symbol === symbol && (p.side === "LONG") === long).reduce((s: bigint, p: any) => s + parseUnits(p.notionalUsd, 30), 0n);
    for (const n of all.data.portfolio.totals.netNotional) {
      expect([n.asset, parseUnits(n.longUsd, 30), parseUnits(n.shortUsd, 30)]).toEqual([n.asset, sumOf(n.asset, true), sumOf(n.asset, false)]);
    }
    const eth = (long: boolean) => sumOf("ETH", long);
    expect(eth(true) + eth(false)).toBeGreaterThan(0n);
    // ETH down 5% costs a net ETH short nothing it does not earn back up 5%: the PnL's sign follows the net.
    const [down, up] = all.data.stress.points.map((p: any) => parseUnits(p.pnlUsd, 30));
    const netLong = eth(true) > eth(false);
    expect(down < 0n).toBe(netLong);
    expect(up > 0n).toBe(netLong);
    // 99% down every ETH long is liquidatable, 99% up every ETH short (none of them is under 1.02x).
    const steps = all.data.ladder as { move: number; liquidatableCount: number }[];
    const ethTrades = (long: boolean) => positions.filter((p: any) => p.market.symbol === "ETH" && (p.side === "LONG") === long).length;
    expect(steps.find((s) => s.move === -0.99)!.liquidatableCount).toBe(ethTrades(true));
    expect(steps.find((s) => s.move === 0.99)!.liquidatableCount).toBe(ethTrades(false));
    expect(ethTrades(true) + ethTrades(false)).toBeGreaterThan(1);
  });

  it("keeps the liquidated and the closed trade in history", async () => {
    await indexer.stop();
    const tables = await dumpTables(database, indexer.schema, indexer.pgliteDir);
    const historyOf = (ref: Ref) =>
      (tables.position_event as any[])
        .filter((e) => e.position_id === gTradePositionId(d.chainId, gtrade, ref.user, ref.index))
        .sort((a, b) => Number(BigInt(a.block_number) - BigInt(b.block_number)) || a.log_index - b.log_index);
    const liquidated = historyOf(t3);
    expect(liquidated.at(-1)).toMatchObject({ kind: "liquidate", status: "liquidated" });
    expect(BigInt(liquidated.at(-1).price)).toBe(3_200n * 10n ** 30n);
    expect(liquidated.map((e) => e.kind)).toContain("resize");
    expect(historyOf(t2).at(-1)).toMatchObject({ kind: "close", status: "closed" });
    const rows = tables.position as any[];
    expect(rows.find((r) => r.position_id === gTradePositionId(d.chainId, gtrade, t3.user, t3.index)).status).toBe("liquidated");
  });
});
