import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BaseError, ContractFunctionRevertedError, createPublicClient, formatUnits, http, pad, parseEventLogs, parseUnits, toHex, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MorphoBlueAbi } from "../../abis/MorphoBlue";
import { morphoBluePositionKey, type MorphoSide } from "../../src/protocols/morpho-blue/normalise";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, fixtureChain, send } from "../chain/clients";
import { deployFixtures, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import {
  deployMorphoBlue,
  MORPHO_LIQUIDATOR_ACCOUNT_INDEX,
  MORPHO_LP_ACCOUNT_INDEX,
  morphoArtifact,
  type MorphoDeployment,
  type MorphoMarket,
} from "../chain/morpho-deploy";
import { simulateMorphoBlue, type MorphoSimulationSummary } from "../chain/morpho-simulate";
import { DATABASES } from "../support/databases";
import { dropSchema, startIndexer, type Indexer } from "../support/indexer";

const OPERATIONS = Number(process.env.MORPHO_DIFFERENTIAL_OPERATIONS ?? 320);
const ORACLE_PRICE_SLOT = 0n; // OracleMock.price: its only storage slot
const SIDES: MorphoSide[] = ["supply", "borrow", "collateral"];
const usd = (s: string) => parseUnits(s, 30);
const json = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v));

/** MorphoBalancesReader.balances at one block: per market, per user, [supplyAssets, borrowAssets, collateral]. */
type Truth = Map<string, bigint>;

describe.each(DATABASES)("Morpho Blue 1.0 (the real contract) end to end on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let m: MorphoDeployment;
  let sim: MorphoSimulationSummary;
  let tracked: Address[];
  let indexer: Indexer;
  const truth = new Map<bigint, Truth>();
  let rpc: ReturnType<typeof createPublicClient>;
  const decimalsOf = (token: Address) => Object.values(d.tokens).find((t) => t.address.toLowerCase() === token.toLowerCase())!.decimals;

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    m = await deployMorphoBlue(d);
    rpc = createPublicClient({ chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl, { batch: { batchSize: 100 } }) });
    const reader = await morphoArtifact("MorphoBalancesReader");
    const wallets = Array.from({ length: 5 }, (_, i) => anvilAccount(30 + i).address);
    tracked = [...wallets, anvilAccount(MORPHO_LP_ACCOUNT_INDEX).address];
    // Truth at each operation's block, from Morpho's own MorphoBalancesLib (interest accrued to that block).
    const record = async (block: bigint) => {
      const out = (await rpc.readContract({
        address: m.reader,
        abi: reader.abi,
        functionName: "balances",
        args: [m.morpho, m.markets.map((x) => x.params), tracked],
        blockNumber: block,
      } as never)) as { supplyAssets: bigint; borrowAssets: bigint; collateral: bigint }[];
      const t: Truth = new Map();
      m.markets.forEach((market, mi) =>
        tracked.forEach((user, ui) => {
          const b = out[mi * tracked.length + ui]!;
          t.set(`${market.id}:${user}:supply`, b.supplyAssets);
          t.set(`${market.id}:${user}:borrow`, b.borrowAssets);
          t.set(`${market.id}:${user}:collateral`, b.collateral);
        }),
      );
      truth.set(block, t);
    };
    sim = await simulateMorphoBlue(d, m, { wallets: wallets.length, operations: OPERATIONS, seed: 5, firstAccountIndex: 30, onBlock: record });
    console.log(`Morpho Blue differential (${database}): ${OPERATIONS} operations, ${sim.blocks.length} blocks:`, sim.counts);
    const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    writeExposureConfig(
      configPath,
      fixtureExposureConfig(d, { heartbeatSeconds: 10 * 365 * 86_400, morpho: { address: m.morpho, startBlock: m.startBlock }, portfolios: { lenders: tracked } }),
    );
    indexer = await startIndexer({ configPath, database });
    await indexer.waitForBlock(await rpc.getBlockNumber({ cacheTime: 0 }), 300_000);
  }, 900_000);

  afterAll(async () => {
    await indexer?.stop();
    await dropSchema(database, indexer?.schema);
    await anvil?.stop();
  });

  const fields = "accounts { protocol venue marketId healthFactor liquidatableNow oraclePrice liquidationOraclePrice liquidationIncentiveFactor } positions { protocol positionKey side sizeInTokens liquidationPrice liquidatableNow market { address symbol } }";
  const walletsAt = async (users: Address[], block: bigint) => {
    const aliases = users.map((a, i) => `w${i}: wallet(address: "${a}", atBlock: $b) { ${fields} }`).join("\n");
    const r = await indexer.query(`query ($b: BigInt) { ${aliases} }`, { b: block.toString() });
    expect(r.errors).toBeUndefined();
    return users.map((_, i) => r.data[`w${i}`]);
  };

  it("ran the operation mix the issue asks for: interest over days, oracle moves, liquidations with bad debt", async () => {
    for (const kind of ["supply", "withdraw", "supplyCollateral", "withdrawCollateral", "borrow", "borrowOnBehalf", "repay", "warpAndAccrue", "priceMove", "crash", "liquidate", "liquidateAll", "setFee"]) {
      expect(sim.counts[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    const logs = await rpc.getLogs({ address: m.morpho, fromBlock: BigInt(m.startBlock), toBlock: "latest" });
    const liquidations = parseEventLogs({ abi: MorphoBlueAbi, eventName: "Liquidate", logs });
    expect(liquidations.filter((l) => l.args.badDebtShares > 0n).length).toBeGreaterThan(0);
    expect(new Set(liquidations.map((l) => l.args.id)).size).toBe(m.markets.length);
  });

  it("equals Morpho's balances (MorphoBalancesLib, interest to the block) at every operation's block, to the unit", async () => {
    const mismatches: string[] = [];
    let compared = 0;
    let withDebt = 0;
    const entries = [...truth];
    for (let i = 0; i < entries.length; i += 4) {
      await Promise.all(
        entries.slice(i, i + 4).map(async ([block, t]) => {
          const answers = await walletsAt(tracked, block);
          tracked.forEach((user, ui) => {
            const sizes = new Map<string, string>(answers[ui].positions.filter((p: any) => p.protocol === "morpho-blue").map((p: any) => [p.positionKey, p.sizeInTokens]));
            for (const market of m.markets) {
              for (const side of SIDES) {
                const token = side === "collateral" ? market.params.collateralToken : market.params.loanToken;
                const key = morphoBluePositionKey(market.id, user, side);
                const api = sizes.has(key) ? parseUnits(sizes.get(key)!, decimalsOf(token)) : 0n;
                const chain = t.get(`${market.id}:${user}:${side}`)!;
                if (api !== chain) mismatches.push(`block ${block} ${market.name} ${user} ${side}: api ${api} morpho ${chain}`);
                if (side === "borrow" && chain > 0n) withDebt++;
                compared++;
              }
            }
          });
        }),
      );
    }
    console.log(`Morpho Blue differential (${database}): ${truth.size} blocks, ${compared} balances, ${withDebt} with debt`);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(truth.size).toBeGreaterThanOrEqual(OPERATIONS * 0.9);
    expect(withDebt).toBeGreaterThan(OPERATIONS);
  }, 600_000);

  /** Morpho.liquidate of one unit of collateral at `block`, the market's oracle set to `price` (same block, same timestamp). */
  const liquidate = async (market: MorphoMarket, borrower: Address, block: bigint, price: bigint) => {
    try {
      await rpc.simulateContract({
        address: m.morpho,
        abi: (await morphoArtifact("Morpho")).abi,
        functionName: "liquidate",
        args: [market.params, borrower, 1n, 0n, "0x"],
        account: anvilAccount(MORPHO_LIQUIDATOR_ACCOUNT_INDEX).address,
        blockNumber: block,
        stateOverride: [{ address: market.params.oracle, stateDiff: [{ slot: pad(toHex(ORACLE_PRICE_SLOT)), value: pad(toHex(price)) }] }],
      } as never);
      return "ok";
    } catch (error) {
      const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
      return revert instanceof ContractFunctionRevertedError ? (revert.reason ?? "revert") : String(error);
    }
  };

  it("gives each account the oracle price at which Morpho.liquidate succeeds, and one unit above reverts with 'position is healthy'", async () => {
    const head = await rpc.getBlockNumber({ cacheTime: 0 });
    let checked = 0;
    const answers = await walletsAt(tracked, head);
    for (const [ui, user] of tracked.entries()) {
      for (const a of answers[ui].accounts.filter((x: any) => x.protocol === "morpho-blue" && x.liquidationOraclePrice !== null)) {
        const market = m.markets.find((x) => x.id === a.marketId)!;
        const level = BigInt(a.liquidationOraclePrice);
        expect(await liquidate(market, user, head, level)).toBe("ok");
        expect(await liquidate(market, user, head, level + 1n)).toBe("position is healthy");
        // At the oracle's own price the API's decision is the contract's.
        expect(await liquidate(market, user, head, BigInt(a.oraclePrice))).toBe(a.liquidatableNow ? "ok" : "position is healthy");
        expect(a.liquidatableNow).toBe(BigInt(a.oraclePrice) <= level);
        checked++;
      }
    }
    console.log(`Morpho Blue (${database}): ${checked} accounts flipped at their liquidation oracle price`);
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it("stresses an account to its USD liquidation price exactly: liquidatable there, not one unit away", async () => {
    const head = await rpc.getBlockNumber({ cacheTime: 0 });
    const answers = await walletsAt(tracked, head);
    let checked = 0;
    for (const [ui, user] of tracked.entries()) {
      for (const p of answers[ui].positions.filter((x: any) => x.protocol === "morpho-blue" && x.liquidationPrice !== null)) {
        const safe = formatUnits(usd(p.liquidationPrice) + (p.side === "LONG" ? 1n : -1n), 30);
        const r = await indexer.query(
          `query ($w: [String!], $s: [ShockSeries!]!, $b: BigInt) { stress(wallets: $w, shocks: $s, atBlock: $b) { points { accounts { marketId liquidatableNow } } } }`,
          { w: [user], s: [{ asset: p.market.symbol, prices: [p.liquidationPrice, safe] }], b: head.toString() },
        );
        expect(r.errors).toBeUndefined();
        const market = m.markets.find((x) => SIDES.some((side) => morphoBluePositionKey(x.id, user, side) === p.positionKey))!;
        const [at, beside] = r.data.stress.points.map((pt: any) => pt.accounts.find((a: any) => a.marketId === market.id));
        expect(at.liquidatableNow).toBe(true);
        expect(beside.liquidatableNow).toBe(false);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it("credits the fee recipient its fee shares: equal to Morpho's position after an accrual", async () => {
    const abi = (await morphoArtifact("Morpho")).abi;
    const market = m.markets.find((x) => x.fee > 0n) ?? m.markets[0]!;
    const receipt = await send(d.rpcUrl, anvilAccount(0), { address: m.morpho, abi, functionName: "accrueInterest", args: [market.params] });
    await indexer.waitForBlock(receipt.blockNumber);
    const [shares] = (await rpc.readContract({ address: m.morpho, abi, functionName: "position", args: [market.id, m.feeRecipient], blockNumber: receipt.blockNumber } as never)) as bigint[];
    const state = (await rpc.readContract({ address: m.morpho, abi, functionName: "market", args: [market.id], blockNumber: receipt.blockNumber } as never)) as bigint[];
    const expected = (shares! * (state[0]! + 1n)) / (state[1]! + 10n ** 6n); // SharesMathLib.toAssetsDown
    const [w] = await walletsAt([m.feeRecipient], receipt.blockNumber);
    const p = w.positions.find((x: any) => x.positionKey === morphoBluePositionKey(market.id, m.feeRecipient, "supply"));
    expect(shares).toBeGreaterThan(0n);
    expect(parseUnits(p.sizeInTokens, decimalsOf(market.params.loanToken))).toBe(expected);
  });

  it("puts Morpho positions in the at-risk feed, the portfolio's totals and the lending accounts", async () => {
    const head = await rpc.getBlockNumber({ cacheTime: 0 });
    const r = await indexer.query(
      `query ($b: BigInt) {
        atRisk(maxDistance: 1, protocol: "morpho-blue", first: 1000) { items { account side liquidationPrice market { symbol } } }
        portfolio(name: "lenders", atBlock: $b) { totals { netNotional { asset longUsd shortUsd } complete } accounts { protocol marketId } }
      }`,
      { b: head.toString() },
    );
    expect(r.errors).toBeUndefined();
    const items = r.data.atRisk.items;
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((i: any) => i.side))).toEqual(new Set(["LONG", "SHORT"]));
    const assets = r.data.portfolio.totals.netNotional.map((n: any) => n.asset);
    for (const symbol of ["ETH", "BTC", "USDC"]) expect(assets).toContain(symbol);
    expect(r.data.portfolio.accounts.filter((a: any) => a.protocol === "morpho-blue").length).toBeGreaterThan(0);
    console.log(`Morpho Blue (${database}): ${json(r.data.portfolio.totals.netNotional)}`);
  });
});
