import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BaseError, ContractFunctionRevertedError, createPublicClient, erc20Abi, formatUnits, http, pad, parseUnits, toHex, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AaveV3PoolAbi } from "../../abis/AaveV3Pool";
import { GmxV1VaultAbi } from "../../abis/GmxV1Vault";
import { aaveV3PositionKey, type AaveSide } from "../../src/protocols/aave-v3/normalise";
import { AAVE_LIQUIDATOR_ACCOUNT_INDEX, AAVE_SYMBOLS, fundGas } from "../chain/aave-deploy";
import { aaveArtifact, deployAaveMarket, listAaveReserve, type AaveMarket } from "../chain/aave-market";
import { simulateAaveMarket, type MarketSimulationSummary } from "../chain/aave-market-simulate";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients, deploy, fixtureChain, send } from "../chain/clients";
import { pickArtifacts } from "../chain/compile";
import { deployFixtures, fixtureAbis, type Deployment, type TokenSymbol } from "../chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import { simulate, type SimulationSummary } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { dropSchema, startIndexer, type Indexer } from "../support/indexer";

const WAD_DIGITS = 18;
const ORACLE_UNIT = 10n ** 22n; // Aave base currency (USD, 1e8) in our 1e30 prices
const usd = (s: string) => parseUnits(s, 30);
const FEED_ANSWER_SLOT = 0n; // FeedBase.answer_: the first storage slot of the mock aggregators
const OPERATIONS = Number(process.env.AAVE_DIFFERENTIAL_OPERATIONS ?? 520);
const poolAbi = aaveArtifact("Pool").abi;

const QUERY = `query ($address: String!, $atBlock: BigInt) {
  wallet(address: $address, atBlock: $atBlock) {
    blocks { number timestamp }
    accounts { protocol venue healthFactor collateralUsd debtUsd liquidationThreshold collateralDropToLiquidation liquidatableNow eModeCategory isolationModeCollateral }
    positions { protocol side positionKey sizeInTokens notionalUsd equityUsd liquidationPrice liquidationDistance market { address symbol } collateral { usd } }
    totals { equityUsd totalCollateralUsd netNotional { asset longUsd shortUsd netUsd } complete warnings }
  }
}`;

/** What the chain says about one account at one block. */
type Truth = { accountData: readonly bigint[]; balances: Map<string, bigint> };

describe.each(DATABASES)("Aave v3.0 (the real contracts) end to end on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let m: AaveMarket;
  let gmx: SimulationSummary;
  let sim: MarketSimulationSummary;
  let wallets: Address[];
  let tracked: Address[];
  let indexer: Indexer;
  const truth = new Map<bigint, Map<Address, Truth>>();
  const rpc = () => chainClients(d.rpcUrl).publicClient;
  const symbolOf = (asset: string) =>
    (Object.entries(d.tokens) as [TokenSymbol, { address: Address }][]).find(([, t]) => t.address.toLowerCase() === asset.toLowerCase())![0];
  const tokensOf = () =>
    AAVE_SYMBOLS.flatMap((s) =>
      (
        [
          ["supply", m.reserves[s].aToken],
          ["borrow", m.reserves[s].variableDebtToken],
          ["stable-borrow", m.reserves[s].stableDebtToken],
        ] as [AaveSide, Address][]
      ).map(([side, token]) => ({ s, side, token })),
    );

  const wallet = async (address: string, atBlock?: bigint) => {
    const r = await indexer.query(QUERY, { address, atBlock: atBlock?.toString() });
    expect(r.errors).toBeUndefined();
    return r.data.wallet;
  };
  /** Pool.getUserAccountData at a block, optionally with one feed's answer overridden (same block, same timestamp). */
  const feedOverride = (o?: { feed: Address; answer: bigint }) =>
    o ? [{ address: o.feed, stateDiff: [{ slot: pad(toHex(FEED_ANSWER_SLOT)), value: pad(toHex(o.answer)) }] }] : undefined;
  const accountData = async (user: Address, blockNumber: bigint, override?: { feed: Address; answer: bigint }) =>
    rpc().readContract({ address: m.pool, abi: AaveV3PoolAbi, functionName: "getUserAccountData", args: [user], blockNumber, stateOverride: feedOverride(override) });

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    m = await deployAaveMarket(d);
    gmx = await simulate(d, { wallets: 4, steps: 30, seed: 21 });
    const batched = createPublicClient({ chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl, { batch: { batchSize: 200 } }) });
    const tokens = tokensOf();
    const record = async (block: bigint) => {
      const perAccount = new Map<Address, Truth>();
      await Promise.all(
        tracked.map(async (user) => {
          const [data, ...balances] = await Promise.all([
            batched.readContract({ address: m.pool, abi: AaveV3PoolAbi, functionName: "getUserAccountData", args: [user], blockNumber: block }),
            ...tokens.map((t) => batched.readContract({ address: t.token, abi: erc20Abi, functionName: "balanceOf", args: [user], blockNumber: block })),
          ]);
          perAccount.set(user, { accountData: data as readonly bigint[], balances: new Map(tokens.map((t, i) => [`${t.s}:${t.side}`, balances[i] as bigint])) });
        }),
      );
      truth.set(block, perAccount);
    };
    wallets = Array.from({ length: 5 }, (_, i) => anvilAccount(21 + i).address);
    tracked = [...wallets, m.treasury, anvilAccount(AAVE_LIQUIDATOR_ACCOUNT_INDEX).address];
    sim = await simulateAaveMarket(d, m, { wallets: 5, operations: OPERATIONS, seed: 18, onBlock: record });
    console.log(`Aave v3.0 differential (${database}): ${OPERATIONS} operations over ${wallets.length} wallets, ${sim.blocks.length} blocks:`, sim.counts);
    const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    // Feeds that never move (USDC) must stay fresh across the months the run warps through.
    writeExposureConfig(
      configPath,
      fixtureExposureConfig(d, {
        heartbeatSeconds: 10 * 365 * 86_400,
        aave: { pool: m.pool, configurator: m.configurator, release: m.release, startBlock: m.startBlock },
        portfolios: { treasury: [...gmx.wallets, ...wallets, m.treasury] },
      }),
    );
    indexer = await startIndexer({ configPath, database });
    await indexer.waitForBlock(await rpc().getBlockNumber({ cacheTime: 0 }), 300_000);
  }, 900_000);

  afterAll(async () => {
    await indexer?.stop();
    await dropSchema(database, indexer?.schema);
    await anvil?.stop();
  });

  it("ran the operation mix the issue asks for", () => {
    const c = sim.counts;
    for (const kind of ["supply", "withdraw", "borrowVariable", "borrowStable", "repayVariable", "repayStable", "repayWithATokens", "aTokenTransfer", "aTokenTransferToTreasury", "collateralToggle", "eMode", "liquidation", "liquidationReceiveAToken", "priceMove", "timeWarpDays", "mintToTreasury"]) {
      expect(c[kind] ?? 0, kind).toBeGreaterThan(0);
    }
  });

  it("equals, at every block of the run, the Pool's account data and every aToken and debt token balance, to the last unit (atBlock)", async () => {
    const decimals = new Map(AAVE_SYMBOLS.map((s) => [m.reserves[s].address.toLowerCase(), m.reserves[s].decimals]));
    const mismatches: string[] = [];
    let compared = 0;
    let withDebt = 0;
    const fields = "accounts { protocol venue healthFactor collateralUsd debtUsd } positions { protocol positionKey sizeInTokens market { address } }";
    const aliases = tracked.map((a, i) => `w${i}: wallet(address: "${a}", atBlock: $b) { ${fields} }`).join("\n");
    // A few blocks in flight at once: the API answers each from the same indexed tables.
    const entries = [...truth];
    const answers = new Map<bigint, any>();
    for (let i = 0; i < entries.length; i += 4) {
      await Promise.all(
        entries.slice(i, i + 4).map(async ([block]) => {
          const r = await indexer.query(`query ($b: BigInt) { ${aliases} }`, { b: block.toString() });
          expect(r.errors).toBeUndefined();
          answers.set(block, r.data);
        }),
      );
    }
    for (const [block, accounts] of entries) {
      const data = answers.get(block);
      tracked.forEach((user, i) => {
        const w = data[`w${i}`];
        const t = accounts.get(user)!;
        const [collateral, debt, , , , hf] = t.accountData as bigint[];
        const account = w.accounts.find((x: any) => x.protocol === "aave-v3" && x.venue.toLowerCase() === m.pool.toLowerCase());
        const got = {
          collateral: account ? usd(account.collateralUsd) : 0n,
          debt: account ? usd(account.debtUsd) : 0n,
          hf: account?.healthFactor ? parseUnits(account.healthFactor, WAD_DIGITS) : null,
        };
        const want = { collateral: collateral! * ORACLE_UNIT, debt: debt! * ORACLE_UNIT, hf: debt === 0n ? null : hf! };
        if (got.collateral !== want.collateral || got.debt !== want.debt || got.hf !== want.hf) {
          mismatches.push(`block ${block} ${user}: api ${JSON.stringify(got, (_, v) => (typeof v === "bigint" ? v.toString() : v))} pool ${JSON.stringify(want, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
        }
        if (debt! > 0n) withDebt++;
        const sizes = new Map<string, string>(w.positions.filter((p: any) => p.protocol === "aave-v3").map((p: any) => [p.positionKey, p.sizeInTokens]));
        for (const { s, side } of tokensOf()) {
          const key = aaveV3PositionKey(user, m.reserves[s].address, side);
          const api = sizes.has(key) ? parseUnits(sizes.get(key)!, decimals.get(m.reserves[s].address.toLowerCase())!) : 0n;
          const chain = t.balances.get(`${s}:${side}`)!;
          if (api !== chain) mismatches.push(`block ${block} ${user} ${s} ${side}: api ${api} token ${chain}`);
          compared++;
        }
      });
    }
    console.log(`Aave v3.0 differential (${database}): ${truth.size} blocks, ${compared} token balances, ${withDebt} account states with debt compared`);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(truth.size).toBeGreaterThanOrEqual(OPERATIONS);
    expect(withDebt).toBeGreaterThan(OPERATIONS);
  }, 600_000);

  it("gives liquidation prices at which the real Pool's liquidationCall succeeds, and one unit before reverts with HEALTH_FACTOR_NOT_BELOW_THRESHOLD", async () => {
    const head = await rpc().getBlockNumber({ cacheTime: 0 });
    const liquidator = anvilAccount(AAVE_LIQUIDATOR_ACCOUNT_INDEX).address;
    const liquidate = async (user: Address, collateral: Address, debt: Address, override: { feed: Address; answer: bigint }) => {
      try {
        await rpc().simulateContract({
          address: m.pool,
          abi: poolAbi,
          functionName: "liquidationCall",
          args: [collateral, debt, user, 2n ** 256n - 1n, false],
          account: liquidator,
          blockNumber: head,
          stateOverride: feedOverride(override),
        } as never);
        return "ok";
      } catch (error) {
        const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
        return revert instanceof ContractFunctionRevertedError ? (revert.reason ?? "revert") : String(error);
      }
    };
    let checked = 0;
    for (const user of tracked) {
      const w = await wallet(user, head);
      const aave = w.positions.filter((x: any) => x.protocol === "aave-v3");
      const collaterals = aave.filter((x: any) => x.side === "LONG" && usd(x.collateral.usd) > 0n);
      const debts = aave.filter((x: any) => x.side === "SHORT");
      for (const p of aave.filter((x: any) => x.liquidationPrice !== null)) {
        const feed = d.tokens[symbolOf(p.market.address)].feed;
        const answer = usd(p.liquidationPrice) / ORACLE_UNIT;
        expect(answer * ORACLE_UNIT).toBe(usd(p.liquidationPrice));
        const safe = p.side === "LONG" ? answer + 1n : answer - 1n;
        const collateral = p.side === "LONG" ? p.market.address : collaterals[0].market.address;
        const debt = p.side === "SHORT" ? p.market.address : debts[0].market.address;
        expect(await liquidate(user, collateral, debt, { feed, answer })).toBe("ok");
        expect(await liquidate(user, collateral, debt, { feed, answer: safe })).toBe("45");
        checked++;
      }
    }
    // How many positions have a liquidation price at the head varies with the interest accrued over
    // anvil's wall-clock block times: 2 in one CI run, more in others.
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it("shows the treasury's aTokens (reserve-factor mints, liquidation protocol fees, transfers) in its wallet and the portfolio", async () => {
    const head = await rpc().getBlockNumber({ cacheTime: 0 });
    const w = await wallet(m.treasury, head);
    let held = 0;
    for (const s of AAVE_SYMBOLS) {
      const balance = await rpc().readContract({ address: m.reserves[s].aToken, abi: erc20Abi, functionName: "balanceOf", args: [m.treasury], blockNumber: head });
      const p = w.positions.find((x: any) => x.protocol === "aave-v3" && x.positionKey === aaveV3PositionKey(m.treasury, m.reserves[s].address, "supply"));
      expect(p ? parseUnits(p.sizeInTokens, m.reserves[s].decimals) : 0n).toBe(balance);
      if (balance > 0n) held++;
    }
    expect(held).toBeGreaterThan(1);
    const onChain = await accountData(m.treasury, head);
    expect(usd(w.totals.totalCollateralUsd)).toBe(onChain[0] * ORACLE_UNIT);
    const r = await indexer.query(`query ($b: BigInt) { portfolio(name: "treasury", atBlock: $b) { byWallet { key totals { equityUsd } } } }`, { b: head.toString() });
    expect(r.data.portfolio.byWallet.find((x: any) => x.key === m.treasury).totals.equityUsd).toBe(w.totals.equityUsd);
  });

  it("lists in atRisk exactly the Aave positions whose own adverse move of the bound takes the Pool's health factor below 1", async () => {
    const head = await rpc().getBlockNumber({ cacheTime: 0 });
    await indexer.waitForBlock(head);
    const held: { user: Address; p: any }[] = [];
    for (const user of wallets) {
      const w = await wallet(user, head);
      const [collateral, debt] = await accountData(user, head);
      if (collateral === 0n && debt > 0n) {
        // Bad debt a liquidation left (3.0 does not burn it): liquidatable in name, with no price that could reach 1.
        const account = w.accounts.find((x: any) => x.protocol === "aave-v3");
        expect([account.healthFactor, account.liquidatableNow, account.collateralDropToLiquidation]).toEqual(["0", true, null]);
        continue;
      }
      for (const p of w.positions.filter((x: any) => x.protocol === "aave-v3")) held.push({ user, p });
    }
    // A bound in tenths (below 100%) that splits the held positions nearest the middle. Block times follow the
    // wall clock, so accrued interest, and with it the simulation's path, differs a little between runs.
    const distances = held.map((h) => h.p.liquidationDistance).filter((x) => x !== null && x > 0);
    const within = (t: number) => distances.filter((x) => x <= t / 10).length;
    const splits = [1, 2, 3, 4, 5, 6, 7, 8, 9].filter((t) => within(t) > 0 && within(t) < held.length);
    expect(splits.length, `no bound in tenths splits the distances ${distances.join(", ")}`).toBeGreaterThan(0);
    const tenths = BigInt(splits.reduce((best, t) => (Math.abs(within(t) - held.length / 2) < Math.abs(within(best) - held.length / 2) ? t : best)));
    const r = await indexer.query(
      `query ($d: Float!) { atRisk(maxDistance: $d, protocol: "aave-v3", first: 1000) { items { account side market { address } } pageInfo { hasNextPage } } }`,
      { d: Number(tenths) / 10 },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.atRisk.pageInfo.hasNextPage).toBe(false);
    const heldWallets = new Set(held.map((h) => h.user.toLowerCase()));
    const listed = r.data.atRisk.items.filter((i: any) => heldWallets.has(i.account.toLowerCase())).map((i: any) => `${i.account.toLowerCase()}:${i.market.address.toLowerCase()}:${i.side}`).sort();

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
    // How many positions have a liquidation price at the head varies with the interest accrued over
    // anvil's wall-clock block times: 2 in one CI run, more in others.
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it("answers a portfolio with totals equal to the sum of its wallets' and consistent breakdowns", async () => {
    const block = await rpc().getBlockNumber({ cacheTime: 0 });
    await indexer.waitForBlock(block);
    const members = [...new Set([...gmx.wallets, ...wallets, m.treasury])];
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
    const usdc = d.tokens.USDC.address;
    await send(d.rpcUrl, anvilAccount(0), { address: usdc, abi: abis.token, functionName: "mint", args: [account.address, 50_000n * 10n ** 6n] });
    await send(d.rpcUrl, account, { address: usdc, abi: abis.token, functionName: "approve", args: [m.pool, 2n ** 255n] });
    await send(d.rpcUrl, account, { address: m.pool, abi: poolAbi, functionName: "supply", args: [usdc, 50_000n * 10n ** 6n, account.address, 0] });
    const borrowed = await send(d.rpcUrl, account, {
      address: m.pool,
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
    const debt = await rpc().readContract({ address: m.reserves.WETH.variableDebtToken, abi: erc20Abi, functionName: "balanceOf", args: [account.address], blockNumber: block });
    const debtUsd = (debt * mark) / 10n ** 18n;
    const eth = w.totals.netNotional.find((n: any) => n.asset === "ETH");
    expect(usd(eth.netUsd)).toBe(perpLong - debtUsd);
    expect(w.positions.some((p: any) => p.protocol === "gmx-v1")).toBe(true);
    expect(w.positions.some((p: any) => p.protocol === "aave-v3" && p.side === "SHORT")).toBe(true);
  });

  it("flags a debt in a frozen reserve and a collateral the config has no price for, with no figure it cannot back", async () => {
    const deployer = anvilAccount(0);
    const user = anvilAccount(31);
    const abis = await fixtureAbis();
    const tx = (account: typeof user, address: Address, abi: any, functionName: string, args: readonly unknown[]) => send(d.rpcUrl, account, { address, abi, functionName, args });
    await fundGas(d.rpcUrl, user.address);
    await tx(deployer, d.tokens.USDC.address, abis.token, "mint", [user.address, 20_000n * 10n ** 6n]);
    await tx(user, d.tokens.USDC.address, abis.token, "approve", [m.pool, 2n ** 255n]);
    await tx(user, m.pool, poolAbi, "supply", [d.tokens.USDC.address, 20_000n * 10n ** 6n, user.address, 0]);
    await tx(user, m.pool, poolAbi, "borrow", [d.tokens.WETH.address, 10n ** 18n, 2n, 0, user.address]);
    const frozen = await tx(deployer, m.configurator, aaveArtifact("PoolConfigurator").abi, "setReserveFreeze", [d.tokens.WETH.address, true]);
    await indexer.waitForBlock(frozen.blockNumber);
    const atFreeze = await wallet(user.address, frozen.blockNumber);
    expect(atFreeze.totals.warnings.filter((x: string) => x.includes("debt in a frozen reserve"))).toHaveLength(1);
    const account = atFreeze.accounts.find((x: any) => x.protocol === "aave-v3");
    const onChain = await accountData(user.address, frozen.blockNumber);
    expect(parseUnits(account.healthFactor, WAD_DIGITS)).toBe(onChain[5]);
    expect(account.eModeCategory).toBe(0);
    expect(account.isolationModeCollateral).toBeNull();

    // An asset Aave prices (through the LINK feed) but the config lists no price for.
    const token = await deploy(d.rpcUrl, deployer, (await pickArtifacts(["MockToken"])).MockToken, ["Unpriced", "UNP", 18]);
    await listAaveReserve(m, d.rpcUrl, { symbol: "UNP", address: token.address, decimals: 18, feed: d.tokens.LINK.feed, ltv: 5000, liquidationThreshold: 6000, liquidationBonus: 10500 });
    await tx(deployer, token.address, abis.token, "mint", [user.address, 10n ** 20n]);
    await tx(user, token.address, abis.token, "approve", [m.pool, 2n ** 255n]);
    const supplied = await tx(user, m.pool, poolAbi, "supply", [token.address, 10n ** 20n, user.address, 0]);
    await indexer.waitForBlock(supplied.blockNumber);
    const unpriced = await wallet(user.address, supplied.blockNumber);
    const after = unpriced.accounts.find((x: any) => x.protocol === "aave-v3");
    expect(after.healthFactor).toBeNull();
    expect(after.collateralUsd).toBeNull();
    expect(unpriced.totals.complete).toBe(false);
    expect(unpriced.totals.warnings.some((x: string) => x.toLowerCase().includes(token.address.toLowerCase()) && x.includes("price"))).toBe(true);
    // The position is listed but nothing is valued: the config knows neither its price nor its decimals.
    const p = unpriced.positions.find((x: any) => x.positionKey === aaveV3PositionKey(user.address, token.address, "supply"));
    expect(p.notionalUsd).toBeNull();
    expect(p.collateral.usd).toBeNull();
  });
});
